"""manage.py rerender_articles: stored HTML brought up to date without an editorial version bump."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from articles.models import Article
from tests.math_view import tex_view

pytestmark = pytest.mark.django_db

BODY = "## Hozam és kockázat\n\nA $$\\sigma$$ szórás. <!-- piszkozat -->"


def run(*args: str, verbosity: int = 1) -> str:
    out = StringIO()
    call_command("rerender_articles", *args, stdout=out, stderr=StringIO(), verbosity=verbosity)
    return out.getvalue()


@pytest.fixture
def article() -> Article:
    return Article.objects.create(title="Hozam", slug="hozam", body=BODY)


def test_restores_stale_html_without_bumping_version(article):
    fresh_html, fresh_search, words = article.body_html, article.search_text, article.word_count
    version, updated_at = article.version, article.updated_at
    Article.objects.filter(pk=article.pk).update(
        body_html="<p>régi</p>", search_text="regi", word_count=1
    )

    output = run(verbosity=2)

    article.refresh_from_db()
    assert article.body_html == fresh_html
    assert '<span class="math math-inline">\\(\\sigma\\)</span>' in tex_view(article.body_html)
    assert "piszkozat" not in article.body_html
    assert article.search_text == fresh_search
    assert article.word_count == words > 1
    assert article.version == version
    assert article.updated_at == updated_at
    assert "changed  hozam" in output
    assert "1 articles rendered, 1 changed, 0 unchanged" in output


def test_dry_run_reports_but_writes_nothing(article):
    Article.objects.filter(pk=article.pk).update(body_html="<p>régi</p>")
    output = run("--dry-run")
    article.refresh_from_db()
    assert article.body_html == "<p>régi</p>"
    assert "1 would change" in output and "(dry run)" in output


def test_up_to_date_articles_are_not_written(article):
    other = Article.objects.create(title="Más", slug="mas", body="Szöveg.")
    Article.objects.filter(pk=other.pk).update(body_html="")
    output = run()
    assert "2 articles rendered, 1 changed, 1 unchanged" in output
    assert run().endswith("2 articles rendered, 0 changed, 2 unchanged\n")


def test_only_the_given_slugs(article):
    other = Article.objects.create(title="Más", slug="mas", body="Szöveg.")
    Article.objects.filter(pk__in=[article.pk, other.pk]).update(body_html="")
    run("mas")
    article.refresh_from_db()
    other.refresh_from_db()
    assert article.body_html == ""
    assert other.body_html == "<p>Szöveg.</p>"


def test_quiet_with_verbosity_zero(article):
    Article.objects.filter(pk=article.pk).update(body_html="")
    assert run(verbosity=0) == ""
    article.refresh_from_db()
    assert article.body_html


def test_an_article_edited_meanwhile_is_left_to_its_own_save(article, monkeypatch):
    """The row's version moved on between our read and our write: we do not overwrite it."""
    Article.objects.filter(pk=article.pk).update(body_html="")
    original = Article.render_body

    def render_then_editor_saves(self):
        original(self)
        Article.objects.filter(pk=self.pk).update(version=self.version + 1, body_html="szerk")

    monkeypatch.setattr(Article, "render_body", render_then_editor_saves)
    output = run()
    article.refresh_from_db()
    assert article.body_html == "szerk"
    assert "skipped  hozam (edited meanwhile)" in output

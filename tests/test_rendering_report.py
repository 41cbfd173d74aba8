"""The render's report: stored with the article, read by the checks instead of re-parsing."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

import articles.render as render_package
from articles.checks import check_article
from articles.models import Article
from articles.render import (
    REPORT_VERSION,
    Formula,
    Heading,
    from_report,
    image_sources,
    render,
    report,
)

BODY = (
    "## Bevezető\n\nSzöveg $$a_1$$ és [link](/cikk/masik/).\n\n"
    "![ábra](/kepek/a.png)\n\n## Üres\n\n"
    "````\n```\n![nem kép](/kod/b.png)\n```\n````\n\n"
    "Kód `![nem kép](/kod/c.png)\nkét sorban` vége.\n\n"
    '<span onclick="x()">kattints</span>\n'
)


def test_the_report_comes_from_the_renderers_own_parse():
    rendered = render(BODY)
    # Images inside a four-backtick fence and a two-line code span are code, not images.
    assert rendered.images == ["/kepek/a.png"]
    assert rendered.image_alts == ["ábra"]
    assert image_sources(BODY) == ["/kepek/a.png"]
    assert rendered.links == ["/cikk/masik/"]
    assert rendered.formulas == [Formula("a_1", False, 3)]
    assert [(h.level, h.text, h.empty) for h in rendered.headings] == [
        (2, "Bevezető", False),
        (2, "Üres", False),  # the fenced code block is its content
    ]
    assert rendered.removed == ["onclick attribute"]


@pytest.mark.django_db
def test_save_stores_the_report_and_it_reads_back_equal():
    article = Article.objects.create(title="Jelentés", slug="jelentes", body=BODY)
    article.refresh_from_db()
    data = article.render_report
    assert data["version"] == REPORT_VERSION
    assert data["images"] == ["/kepek/a.png"]
    assert data["formulas"] == [{"tex": "a_1", "display": False, "line": 3, "error": None}]
    assert data["headings"][0] == {"level": 2, "id": "bevezeto", "text": "Bevezető", "empty": False}
    again = from_report(data, article.body)
    fresh = render(article.body)
    assert again == _without_html(fresh)
    assert from_report(data, article.body + "\n\nÚj bekezdés.") is None  # another body
    assert from_report({**data, "version": REPORT_VERSION + 1}, article.body) is None
    assert from_report({}, article.body) is None


def _without_html(rendered):
    from dataclasses import replace

    return replace(rendered, html="", text="")


@pytest.mark.django_db
def test_checks_read_the_stored_report_without_rendering(monkeypatch):
    article = Article.objects.create(
        title="Ellenőrzés", slug="ellenorzes", description="Leírás.", body="## Üres\n"
    )

    def refuse(text):
        raise AssertionError("the checks rendered although a current report is stored")

    monkeypatch.setattr(render_package, "render", refuse)
    codes = [finding.code for finding in check_article(article)]
    assert "empty_section" in codes
    # A body changed since the report was stored is rendered again (here: refused, so raises).
    article.body = "## Más\n"
    with pytest.raises(AssertionError, match="rendered although"):
        check_article(article)


@pytest.mark.django_db
def test_rerender_articles_fills_a_missing_report():
    article = Article.objects.create(title="Régi", slug="regi", body="Szöveg $$x$$.\n")
    Article.objects.filter(pk=article.pk).update(render_report={})
    call_command("rerender_articles", stdout=io.StringIO())
    article.refresh_from_db()
    assert article.render_report["math_inline"] == 1
    assert from_report(article.render_report, article.body) is not None


def test_report_is_json_data():
    import json

    data = report(render(BODY))
    assert json.loads(json.dumps(data)) == data
    assert "html" not in data and "text" not in data
    assert Heading(**data["headings"][0]).text == "Bevezető"

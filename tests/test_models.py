"""articles.models: who is public, byline order, and the version that spots admin edits."""

import datetime as dt

import pytest
from django.utils import timezone

from articles.models import Article, Author, Byline

pytestmark = pytest.mark.django_db


def make(slug: str, *, released: bool, days: int) -> Article:
    return Article.objects.create(
        title=slug, slug=slug, released=released, date=timezone.now() + dt.timedelta(days=days)
    )


def test_published_drafts_and_scheduled_split_the_articles():
    live = make("megjelent", released=True, days=-1)
    draft = make("piszkozat", released=False, days=-1)
    future_draft = make("jovobeli-piszkozat", released=False, days=3)
    scheduled = make("idozitett", released=True, days=3)

    assert list(Article.objects.published()) == [live]
    assert set(Article.objects.drafts()) == {draft, future_draft}
    assert list(Article.objects.scheduled()) == [scheduled]
    assert (live.status, draft.status, scheduled.status) == ("live", "draft", "scheduled")
    assert live.is_public and not draft.is_public and not scheduled.is_public


def test_published_includes_an_article_dated_exactly_now(monkeypatch):
    now = timezone.now()
    article = Article.objects.create(title="Most", slug="most", released=True, date=now)
    monkeypatch.setattr(timezone, "now", lambda: now)
    assert list(Article.objects.published()) == [article]


def test_bylines_keep_their_order():
    article = make("cikk", released=True, days=-1)
    zita = Author.objects.create(name="Zoltán Zita", slug="zoltan-zita")
    anna = Author.objects.create(name="Antal Anna", slug="antal-anna")
    # Inserted second-first: the position decides, not the insertion order or the name.
    Byline.objects.create(article=article, author=anna, position=1)
    Byline.objects.create(article=article, author=zita, position=0)

    fetched = Article.objects.with_authors().get()
    assert [a.name for a in fetched.author_list()] == ["Zoltán Zita", "Antal Anna"]
    assert [a.name for a in Author.objects.all()] == ["Antal Anna", "Zoltán Zita"]


def test_listing_authors_of_many_articles_costs_a_fixed_number_of_queries(
    django_assert_num_queries,
):
    author = Author.objects.create(name="Kiss Éva", slug="kiss-eva")
    for i in range(5):
        article = make(f"cikk-{i}", released=True, days=-1)
        Byline.objects.create(article=article, author=author)
    with django_assert_num_queries(2):
        names = [a.author_list()[0].name for a in Article.objects.with_authors()]
    assert names == ["Kiss Éva"] * 5


def test_every_save_after_the_first_bumps_the_version():
    article = make("cikk", released=False, days=-1)
    assert article.version == 1
    article.save()
    article.save()
    assert article.version == 3
    assert Article.objects.get().version == 3


def test_edited_since_import_follows_the_version():
    article = make("cikk", released=False, days=-1)
    assert article.edited_since_import is False  # never imported
    Article.objects.filter(pk=article.pk).update(imported_version=article.version)
    article.refresh_from_db()
    assert article.edited_since_import is False
    article.title = "Javított cím"
    article.save()
    assert article.edited_since_import is True


def test_save_renders_the_body_and_keeps_search_text():
    article = Article.objects.create(
        title="Gyártási kihozatal", slug="gy", body="## Alcím\n\n**Félkövér** szöveg."
    )
    assert "<strong>Félkövér</strong>" in article.body_html
    assert "gyartasi kihozatal" in article.search_text
    assert "felkover" in article.search_text


def test_absolute_url():
    assert make("megeri-nvidiaba-fektetni", released=True, days=-1).get_absolute_url() == (
        "/cikk/megeri-nvidiaba-fektetni/"
    )


def _bodies(seed_text: str) -> list[str]:
    from tests.import_helpers import CONTENT_DIR

    samples = [p.read_text(encoding="utf-8").split("---\n", 2)[2] for p in CONTENT_DIR.glob("*.md")]
    hostile = "Ha x<y és z>w, akkor &amp; \x02jelölt\x03 Σ\n\n$$\\frac{a}{b}$$ és `kód <b>`\n"
    return [seed_text.split("---\n", 2)[2], *samples, hostile]


def test_derived_texts_equal_those_read_from_the_stored_html(seed_text):
    """save() takes the plain text and the search text from the renderer's own text, and folds
    the title's and the body's parts apart (the body's part may come from an import worker):
    byte for byte what reading the stored HTML and folding the whole text would give."""
    from articles.models import plain_text_of
    from articles.render import render
    from articles.text import fold_accents

    for index, body in enumerate(_bodies(seed_text)):
        article = Article.objects.create(
            title=f"ÁRVÍZTŰRŐ Σ cím {index}",
            slug=f"cikk-{index}",
            description="Leírás ΣΑΣ",
            body=body,
        )
        assert article.plain_text == plain_text_of(article.body_html), index
        whole = f"{article.title}\n{article.description}\n{render(body).text}"
        assert article.search_text == fold_accents(whole).lower(), index
        assert article.plain_text.strip()


def test_a_rendering_made_elsewhere_gives_the_same_row_as_rendering_here(seed_text):
    from articles.models import derive_body

    body = _bodies(seed_text)[0]
    here = Article.objects.create(title="Itt", slug="itt", body=body)
    elsewhere = Article(title="Itt", slug="ott", body=body)
    elsewhere.use_rendered(body, derive_body(body))  # what an import worker sends
    elsewhere.save()
    for name in Article.RENDERED_FIELDS:
        assert getattr(elsewhere, name) == getattr(here, name), name

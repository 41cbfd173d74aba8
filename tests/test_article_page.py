"""The article page's hand-written statements (blog/article_page.py) give exactly what the
equivalent querysets give: the same article (published only, unless drafts are asked for), the
bylines in order, the tags by name, the neighbours in (date, pk) order with ties on the date,
and the related articles; on SQLite and on PostgreSQL (`.ci/with-postgres`)."""

import datetime as dt
import json

import pytest
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from articles.models import Article, Byline
from blog.article_page import ARTICLE_FIELDS, LINK_FIELDS, find_article, load_page
from tests.factories import make_article

pytestmark = pytest.mark.django_db


def fields(article: Article | None, names: tuple[str, ...]) -> dict | None:
    if article is None:
        return None
    return {name: getattr(article, "pk" if name == "id" else name) for name in names}


def expected_neighbours(article: Article) -> tuple[Article | None, Article | None]:
    published = Article.objects.published()
    older = published.filter(Q(date__lt=article.date) | Q(date=article.date, pk__lt=article.pk))
    newer = published.filter(Q(date__gt=article.date) | Q(date=article.date, pk__gt=article.pk))
    return older.order_by("-date", "-pk").first(), newer.order_by("date", "pk").first()


def expected_related(article: Article) -> list[Article]:
    authors = [b.author_id for b in article.bylines.all()]
    tags = [t.pk for t in article.tags.all()]
    if not authors and not tags:
        return []
    shared = Exists(Byline.objects.filter(article=OuterRef("pk"), author__in=authors)) | Exists(
        Article.tags.through.objects.filter(article=OuterRef("pk"), tag__in=tags)
    )
    return list(
        Article.objects.published()
        .filter(shared)
        .exclude(pk=article.pk)
        .order_by("-date", "-pk")[:3]
    )


@pytest.fixture
def site():
    now = timezone.now()
    same_time = now - dt.timedelta(days=2)
    made = {
        "old": make_article("Régi", date=now - dt.timedelta(days=9), authors=["Egri Máté"]),
        "twin_a": make_article(
            "Iker A", date=same_time, authors=["Kiss Anna", "Egri Máté"], tags=["Chipek"]
        ),
        "twin_b": make_article("Iker B", date=same_time, authors=[], tags=["Chipek", "AI"]),
        "twin_c": make_article("Iker C", date=same_time, authors=["Takáts Bálint"]),
        "draft": make_article(
            "Piszkozat", date=now - dt.timedelta(days=1), released=False, tags=["Chipek"]
        ),
        "scheduled": make_article(
            "Holnapi", date=now + dt.timedelta(days=1), authors=["Egri Máté"], tags=["AI"]
        ),
        "new": make_article(
            "Friss", date=now - dt.timedelta(hours=1), authors=["Egri Máté"], tags=["AI"]
        ),
        "alone": make_article("Magányos", date=now - dt.timedelta(days=5), authors=[]),
    }
    return {key: Article.objects.get(pk=a.pk) for key, a in made.items()}


ROW_FIELDS = tuple(name for name in ARTICLE_FIELDS if name != "body_html")


def test_only_published_articles_are_found_unless_drafts_are_asked_for(site):
    for key, article in site.items():
        found = find_article(article.slug)
        if key in ("draft", "scheduled"):
            assert found is None, key
        else:
            assert fields(found[0], ROW_FIELDS) == fields(article, ROW_FIELDS), key
            assert found[1] == article.body_html.encode(), key
        preview, body, headings = find_article(article.slug, drafts=True)
        assert fields(preview, ROW_FIELDS) == fields(article, ROW_FIELDS), key
        assert body.decode() == article.body_html, key
        assert json.loads(headings) == article.render_report["headings"], key
    assert find_article("nincs-ilyen") is None
    assert find_article("nincs-ilyen", drafts=True) is None


def test_the_found_article_is_typed_as_the_orm_gives_it(site):
    found, body, _headings = find_article(site["new"].slug)
    assert isinstance(body, bytes) and body.decode() == site["new"].body_html
    assert found.released is True and found.is_public
    assert found.date.utcoffset() == dt.timedelta(0)
    assert found.updated_at == site["new"].updated_at
    # Columns the page does not read are deferred, loaded on access as with .only().
    assert "body" in found.get_deferred_fields()
    assert found.body == site["new"].body


def test_bylines_tags_neighbours_and_related_agree_with_the_querysets(site):
    for key, article in site.items():
        page = load_page(find_article(article.slug, drafts=True)[0])
        authors = [(a.pk, a.name, a.slug) for a in article.author_list()]
        assert [(a.pk, a.name, a.slug) for a in page.authors] == authors, key
        tags = [(t.pk, t.name, t.slug) for t in article.tags.order_by("name", "pk")]
        assert [(t.pk, t.name, t.slug) for t in page.tags] == tags, key
        previous, following = expected_neighbours(article)
        assert fields(page.previous, LINK_FIELDS) == fields(previous, LINK_FIELDS), key
        assert fields(page.next, LINK_FIELDS) == fields(following, LINK_FIELDS), key
        related = [fields(a, LINK_FIELDS) for a in expected_related(article)]
        assert [fields(a, LINK_FIELDS) for a in page.related] == related, key


def test_ties_on_the_date_are_ordered_by_primary_key(site):
    """Three articles share a date: each one's neighbours are the others, in pk order."""
    a, b, c = site["twin_a"], site["twin_b"], site["twin_c"]
    assert load_page(a).next.pk == b.pk and load_page(b).previous.pk == a.pk
    assert load_page(b).next.pk == c.pk and load_page(c).previous.pk == b.pk


def test_neither_drafts_nor_scheduled_articles_are_neighbours_or_related(site):
    hidden = {site["draft"].pk, site["scheduled"].pk}
    for article in site.values():
        page = load_page(article)
        links = [page.previous, page.next, *page.related]
        assert not {link.pk for link in links if link is not None} & hidden


def test_an_article_without_authors_or_tags_has_no_related_articles(site):
    assert load_page(site["alone"]).related == []


def test_the_article_page_shows_what_the_statements_read(client, site):
    html = client.get(site["twin_b"].get_absolute_url()).content.decode()
    assert 'rel="prev" href="/cikk/iker-a/"' in html
    assert 'rel="next" href="/cikk/iker-c/"' in html
    assert '<a href="/cimke/ai/">AI</a>' in html and '<a href="/cimke/chipek/">Chipek</a>' in html
    assert "Piszkozat" not in html and "Holnapi" not in html
    assert client.get(site["draft"].get_absolute_url()).status_code == 404


def test_an_old_article_finds_its_previous_one_without_walking_the_newer_ones():
    """The older neighbour's statement ranges from the article's date down: SQLite runs a
    handful of steps whatever the number of newer articles (it once started from today's
    date and stepped over every newer article's index entry)."""
    from django.db import connection

    from blog import article_page

    if connection.vendor != "sqlite":
        pytest.skip("counts SQLite's virtual machine steps")
    now = timezone.now()
    old = [make_article(f"Régi {i}", date=now - dt.timedelta(days=400 + i)) for i in range(2)]

    def steps_to_previous() -> int:
        statement = article_page._statements(connection.vendor).older
        date = article_page._date_param(old[0].date)
        steps = 0

        def count() -> int:
            nonlocal steps
            steps += 1
            return 0

        connection.ensure_connection()
        connection.connection.set_progress_handler(count, 1)
        try:
            with connection.cursor() as cursor:
                cursor.execute(statement, {"earlier": date, "date": date, "pk": old[0].pk})
                assert cursor.fetchone()[0] == old[1].pk
        finally:
            connection.connection.set_progress_handler(None, 1)
        return steps

    few = steps_to_previous()
    for i in range(200):
        make_article(f"Újabb {i}", date=now - dt.timedelta(days=i + 1), authors=[])
    assert steps_to_previous() == few
    assert load_page(Article.objects.get(pk=old[0].pk)).previous.pk == old[1].pk


def test_the_body_is_spliced_in_as_the_template_would_place_it(client, site, settings):
    """The page carries the stored body byte for byte (accents and all), once, inside its
    container; the marker never reaches the reader."""
    from blog.article_page import BODY_MARKER

    article = site["new"]
    Article.objects.filter(pk=article.pk).update(
        body_html='<p>Őszi ár: 5 € &amp; <a href="/cikk/regi/">régi</a> – ű</p>'
    )
    page = client.get(article.get_absolute_url()).content
    body = '<p>Őszi ár: 5 € &amp; <a href="/cikk/regi/">régi</a> – ű</p>'.encode()
    assert page.count(body) == 1
    assert b'<div class="article-body content"' in page.split(body)[0][-400:]
    assert BODY_MARKER.encode() not in page and b"cikk-body-" not in page
    # A title that spells the marker is escaped like any text, so it cannot move the body.
    Article.objects.filter(pk=article.pk).update(title=str(BODY_MARKER))
    page = client.get(article.get_absolute_url()).content
    assert page.count(body) == 1 and BODY_MARKER.encode() not in page

"""The number of queries of each reader page is pinned and does not grow with the number of
articles (5 or 500): no query inside a loop, no COUNT or aggregate over the archive."""

from datetime import timedelta

import pytest
from django.utils import timezone

from articles.models import Article, Byline
from tests.factories import make_article

# Anonymous reader, no session cookie, page cache empty (the page comes from the view). Every
# page first reads the content state (cache key and validators: one row, two index probes).
EXPECTED = {
    # state, page of articles (per page + 1 rows), bylines+authors
    "/": 3,
    "/?oldal=2": 3,
    # state, article, bylines+authors, tags, previous, next, related
    "/cikk/cikk-00/": 7,
    # state, author, page, bylines+authors, the author's total (counted once per content
    # state, then read from the cache)
    "/szerzo/egri-mate/": 5,
    # state, tag, page, bylines+authors, the tag's total (as above)
    "/cimke/chipek/": 5,
    # SQLite: state, the page (ranked window, the page's rows and their FTS5 snippets in one
    # statement), bylines+authors. PostgreSQL: see SEARCH_POSTGRESQL.
    "/kereses/?q=gyartasi+kihozatal": 3,
    # state, items, bylines+authors, tags
    "/feed/rss/": 4,
    "/feed/atom/": 4,
    # state, one query per section's cached total (home, articles, authors, tags)
    "/sitemap.xml": 4,
    # state, the page's slugs and dates (a page past the end has none: 404, no count)
    "/sitemap-articles.xml": 2,
}


# PostgreSQL search: state, the match count that picks the plan, the ranked window, the page's
# rows (snippets are cut from their HTML), bylines+authors.
SEARCH_POSTGRESQL = 5


def _populate(count: int) -> None:
    """Five articles made the normal way, the rest copied in bulk (same rendered fields)."""
    now = timezone.now()
    made = []
    for i in range(min(count, 5)):
        made.append(
            make_article(
                f"Cikk {i:02d}",
                body=f"## Gyártási kihozatal {i}\n\nSzöveg.\n\n## Második\n\n## Harmadik\n\nVége.",
                date=now - timedelta(hours=i + 1),
                authors=["Egri Máté", "Takáts Bálint"],
                tags=["Chipek", "AI"],
            )
        )
    template = made[-1]
    copies = []
    for i in range(5, count):
        copy = Article.objects.get(pk=template.pk)
        copy.pk = None
        copy.title, copy.slug = f"Cikk {i:02d}", f"cikk-{i:02d}"
        copy.date = now - timedelta(hours=i + 1)
        copies.append(copy)
    created = Article.objects.bulk_create(copies, batch_size=200)
    authors = [b.author for b in template.bylines.all()]
    tags = list(template.tags.all())
    Byline.objects.bulk_create(
        Byline(article=a, author=author, position=n)
        for a in created
        for n, author in enumerate(authors)
    )
    through = Article.tags.through
    through.objects.bulk_create(through(article=a, tag=t) for a in created for t in tags)


@pytest.mark.django_db
@pytest.mark.parametrize("count", [5, 500])
@pytest.mark.parametrize("url", list(EXPECTED))
def test_query_count_is_pinned_and_independent_of_article_count(
    client, django_assert_num_queries, count, url
):
    if url == "/?oldal=2" and count == 5:
        pytest.skip("five articles are one page")
    from django.db import connection

    _populate(count)
    expected = EXPECTED[url]
    if url.startswith("/kereses/") and connection.vendor == "postgresql":
        expected = SEARCH_POSTGRESQL
    with django_assert_num_queries(expected):
        response = client.get(url)
    assert response.status_code == 200


@pytest.mark.django_db
def test_conditional_hit_costs_one_query(client, django_assert_num_queries):
    _populate(5)
    etag = client.get("/").headers["ETag"]
    with django_assert_num_queries(1):
        assert client.get("/", HTTP_IF_NONE_MATCH=etag).status_code == 304


# ---- What the queries read ---------------------------------------------------------------------
# Each list row is tens of kB of Markdown, HTML and search text; a page of ten cards needs none.
BIG_COLUMNS = ('"body"', '"body_html"', '"search_text"')


def _article_selects(queries) -> list[str]:
    return [
        q["sql"]
        for q in queries
        if q["sql"].startswith('SELECT "articles_article"."id"')
        and 'FROM "articles_article"' in q["sql"]
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/", "/szerzo/egri-mate/", "/cimke/chipek/"])
def test_list_pages_do_not_load_the_large_columns(client, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _populate(3)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    selects = _article_selects(captured.captured_queries)
    assert selects, "no article list query seen"
    for sql in selects:
        for column in BIG_COLUMNS:
            assert f'"articles_article".{column}' not in sql, (column, sql)


@pytest.mark.django_db
def test_article_links_load_only_what_a_link_shows(client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _populate(5)
    with CaptureQueriesContext(connection) as captured:
        assert client.get("/cikk/cikk-02/").status_code == 200
    selects = _article_selects(captured.captured_queries)
    # The article itself, then previous, next and related: three links without the bodies.
    links = [sql for sql in selects if '"articles_article"."body_html"' not in sql]
    assert len(links) == 3
    for sql in links:
        assert '"articles_article"."body"' not in sql
        assert '"articles_article"."search_text"' not in sql


@pytest.mark.django_db
def test_list_reading_time_comes_from_the_stored_word_count(client):
    article = make_article("Hosszú cikk", body=" ".join(["szó"] * 401))
    assert article.word_count == 401
    article.refresh_from_db()
    assert article.word_count == 401
    html = client.get("/").content.decode()
    assert "3 perc olvasás" in html  # 401 words at 200 a minute, rounded up


def _plan(sql: str) -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
        return "\n".join(str(row[-1]) for row in cursor.fetchall())


@pytest.mark.django_db
def test_public_queries_are_answered_from_the_covering_index(client):
    """SQLite: date and updated_at sit after the body columns (overflow pages), so a plan that
    reads the table costs tens of ms with 1,000 articles; the index answers without a row."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from blog.caching import content_state

    if connection.vendor != "sqlite":
        pytest.skip("EXPLAIN QUERY PLAN is SQLite's; PostgreSQL plans by table statistics")
    _populate(5)
    article = Article.objects.published().get(slug="cikk-02")
    with CaptureQueriesContext(connection) as captured:
        state = content_state()
    assert state.live == Article.objects.published().latest("date").date
    assert state.upcoming is None
    plan = _plan(captured.captured_queries[0]["sql"])
    # The live edge and the next scheduled date: index probes, never a table scan or a sort.
    assert plan.count("USING COVERING INDEX article_published_idx") == 2, plan
    assert "SCAN articles_article" not in plan, plan
    assert "TEMP B-TREE" not in plan, plan

    with CaptureQueriesContext(connection) as captured:
        assert client.get(article.get_absolute_url()).status_code == 200
    links = [
        q["sql"]
        for q in captured.captured_queries
        if q["sql"].startswith(
            'SELECT "articles_article"."id", "articles_article"."title", '
            '"articles_article"."slug", "articles_article"."date" FROM'
        )
    ]
    assert len(links) == 3  # previous, next, related
    for sql in links:
        plan = _plan(sql)
        assert "USING INDEX article_published_idx" in plan, plan
        assert "SCAN articles_article" not in plan, plan
        assert "TEMP B-TREE" not in plan, plan  # the index gives the order: no sort


@pytest.mark.django_db
def test_a_sitemap_page_is_read_from_the_covering_index_alone(client):
    """Slug and last change are in article_published_idx: a page of 10,000 URLs reads no row
    (reading them behind the body's overflow pages was half of its time)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    if connection.vendor != "sqlite":
        pytest.skip("EXPLAIN QUERY PLAN is SQLite's; PostgreSQL plans by table statistics")
    _populate(5)
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/sitemap-articles.xml")
    assert response.status_code == 200
    assert response.content.count(b"<url>") == 5
    urls = [q["sql"] for q in captured.captured_queries if '"articles_article"."slug"' in q["sql"]]
    assert len(urls) == 1
    plan = _plan(urls[0])
    assert "USING COVERING INDEX article_published_idx" in plan, plan
    assert "TEMP B-TREE" not in plan, plan

"""What only PostgreSQL has: accent-folding Hungarian full-text search, and jsonb.

These run on the second pass of .ci/run (or `make test-postgres`), where DATABASE_URL points
at a throwaway PostgreSQL server; on SQLite they skip and say why.
"""

import pytest
from django.db import connection

from articles.models import Article

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: run `make test-postgres` (DATABASE_URL=postgres://…)",
    ),
]


def scalar(sql: str, params: list | None = None):
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])
        return cursor.fetchone()[0]


def test_the_server_is_postgresql_15_or_newer():
    assert connection.pg_version >= 150000


def test_every_statement_has_a_time_limit():
    """A query stuck in a gthread worker is cancelled by the server, not left running."""
    assert scalar("SHOW statement_timeout") == "30s"


def test_the_unaccent_extension_is_installed():
    assert scalar("SELECT count(*) FROM pg_extension WHERE extname = 'unaccent'") == 1
    assert scalar("SELECT unaccent('Árvíztűrő tükörfúrógép')") == "Arvizturo tukorfurogep"


def test_the_hungarian_unaccent_configuration_exists():
    assert scalar("SELECT count(*) FROM pg_ts_config WHERE cfgname = 'hungarian_unaccent'") == 1


@pytest.mark.parametrize(
    ("document", "query", "matches"),
    [
        ("Gyártási kihozatal", "gyartasi", True),
        ("Gyártási kihozatal", "GYÁRTÁSI", True),
        ("gyartasi kihozatal", "Gyártási", True),
        # The Hungarian stemmer: another form of the same word still matches.
        ("A gyártási kihozatal javítása", "kihozatalt", True),
        ("Gyártási kihozatal", "Nvidia", False),
    ],
)
def test_full_text_search_folds_accents_and_stems_hungarian(document, query, matches):
    found = scalar(
        "SELECT to_tsvector('hungarian_unaccent', %s) @@ plainto_tsquery('hungarian_unaccent', %s)",
        [document, query],
    )
    assert found is matches


def test_the_plain_hungarian_configuration_would_miss_the_unaccented_query():
    """Why the custom configuration exists at all."""
    found = scalar(
        "SELECT to_tsvector('hungarian', 'Gyártási kihozatal') "
        "@@ plainto_tsquery('hungarian', 'gyartasi')"
    )
    assert found is False


def test_extra_frontmatter_round_trips_through_jsonb_with_hungarian_text():
    extra = {
        "forrás": "Árvíztűrő tükörfúrógép – „idézőjel” és 100 %",
        "kulcsszavak": ["mélytanulás", "félvezető", "ő", "ű"],
        "beágyazott": {"szám": 3.5, "igaz": True, "semmi": None},
    }
    article = Article.objects.create(
        title="Gyártási kihozatal", slug="gyartasi-kihozatal", body="Szöveg.", extra=extra
    )
    stored = Article.objects.get(pk=article.pk)
    assert stored.extra == extra
    column_type = scalar(
        "SELECT pg_typeof(extra)::text FROM articles_article WHERE id = %s", [article.pk]
    )
    assert column_type == "jsonb"
    # jsonb lookups by a Hungarian key and value.
    assert Article.objects.filter(extra__forrás__startswith="Árvíztűrő").get() == article
    assert Article.objects.filter(extra__kulcsszavak__contains=["félvezető"]).get() == article
    assert Article.objects.filter(extra__beágyazott__szám=3.5).count() == 1


def test_search_text_of_a_saved_article_is_found_by_the_database():
    Article.objects.create(
        title="Többchip modulok",
        slug="tobbchip-modulok",
        body="A **gyártási kihozatal** a hibamentes chipek aránya.",
    )
    Article.objects.create(title="Más", slug="mas", body="Semmi köze hozzá.")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT slug FROM articles_article "
            "WHERE to_tsvector('hungarian_unaccent', search_text) "
            "@@ plainto_tsquery('hungarian_unaccent', %s)",
            ["Gyártási"],
        )
        assert [row[0] for row in cursor.fetchall()] == ["tobbchip-modulok"]


def test_the_search_query_uses_the_gin_index():
    """The trigger of migration 0005 fills search_vector on every write (bulk inserts too),
    and the search query is answered through its GIN index rather than a scan."""
    from datetime import timedelta

    from django.utils import timezone

    from blog.search import parse_query, search
    from tests.factories import make_article

    Article.objects.bulk_create(
        Article(
            title=f"Cikk {n}",
            slug=f"cikk-{n}",
            search_text=f"felvezetok es chipek, {n}. resz",
            released=True,
            date=timezone.now() - timedelta(days=1),
        )
        for n in range(2000)
    )
    make_article(title="Kamatos kamat", body="A hozam a kamat kamata.")
    assert scalar(
        "SELECT count(*) FROM pg_indexes WHERE indexname = 'article_search_gin' "
        "AND indexdef LIKE '%%USING gin%%'"
    )
    queryset = search(parse_query("hozam kamat"))

    def plan(qs) -> str:
        sql, params = qs.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN " + sql, params)
            return "\n".join(row[0] for row in cursor.fetchall())

    # The search reads the stored vector: nothing computes a vector per row.
    assert "search_vector @@" in plan(queryset)
    assert "to_tsvector" not in plan(queryset)
    # And its match condition is answered by the GIN index. (Which index the planner picks
    # for the whole query depends on statistics: published() has an index too.)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE articles_article")
        # A table this small is cheapest to scan; forbid that, then see which index is chosen.
        cursor.execute("SET LOCAL enable_seqscan = off")
    from django.contrib.postgres.search import SearchQuery

    from blog.search import SEARCH_CONFIG, _StoredVector

    condition = SearchQuery("hozam:* & kamat:*", config=SEARCH_CONFIG, search_type="raw")
    matching = Article.objects.alias(search=_StoredVector()).filter(search=condition).order_by()
    assert "article_search_gin" in plan(matching.values("pk")), plan(matching.values("pk"))
    assert [article.title for article in queryset] == ["Kamatos kamat"]
    # Rows written by bulk_create and by a bare UPDATE are searchable too: the trigger ran.
    assert search(parse_query("chipek")).count() == 2000
    Article.objects.filter(slug="cikk-7").update(title="Árfolyamkockázat")
    assert [a.slug for a in search(parse_query("arfolyamkockazat"))] == ["cikk-7"]


def test_a_rare_word_is_found_through_the_gin_index_not_by_walking_the_archive():
    """ranked_window: a common word walks the primary key newest first (its matches are met at
    once); a rare one is counted and read through the GIN index, whatever the archive's size
    (walking the key for it read every row of the archive)."""
    from datetime import timedelta

    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from blog.search import parse_query, ranked_window

    day = timezone.now() - timedelta(days=1)
    Article.objects.bulk_create(
        Article(
            title=f"Cikk {n}",
            slug=f"cikk-{n}",
            search_text=f"felvezetok es chipek {'ritkasag ' if n in (5, 900) else ''}{n}. resz",
            released=n != 900,  # a draft match is never shown
            date=day - timedelta(minutes=n),
        )
        for n in range(3000)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE articles_article")

    with CaptureQueriesContext(connection) as queries:
        rare = ranked_window(parse_query("ritkasag"), size=10)
    assert [Article.objects.get(pk=pk).slug for pk in rare.ids] == ["cikk-5"]
    assert not rare.more
    window_sql = queries.captured_queries[-1]["sql"]
    assert "MATERIALIZED" in window_sql
    with connection.cursor() as cursor:
        # 3,000 rows are cheapest to scan; forbid that to see which index answers the match
        # (at 100,000 the planner picks the GIN index by itself).
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + window_sql)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "article_search_gin" in plan, plan
    assert "Backward" not in plan, plan  # the archive is not walked newest first

    with CaptureQueriesContext(connection) as queries:
        common = ranked_window(parse_query("chipek"), size=10)
    assert "COALESCE" in queries.captured_queries[-1]["sql"]  # walked, not ranked in full
    assert common.more and len(common.ids) == 10
    # The newest ten (equal ranks), not any ten.
    newest = Article.objects.filter(released=True).order_by("-pk").values_list("pk", flat=True)
    assert sorted(common.ids) == sorted(newest[:10])

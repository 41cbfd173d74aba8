"""Search: accent-insensitive, ranked (title > description > body), highlighted snippets with
escaped text, paginated, and a friendly page for any query."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from blog.search import MAX_QUERY_LENGTH, highlight, parse_query, search
from tests.factories import make_article
from tests.page_tree import parse

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL full-text search"
)


def _titles(client, q, **params):
    response = client.get("/kereses/", {"q": q, **params})
    assert response.status_code == 200
    return [h.text for h in parse(response.content).find_all("h2", class_="card__title")]


def test_parse_query_folds_caps_and_cleans():
    query = parse_query("  Gyártási\x00 KIHOZATAL  gyártási %_ ")
    assert query.terms == ("gyartasi", "kihozatal")
    assert "\x00" not in query.text
    assert len(parse_query("a" * 5000).text) == MAX_QUERY_LENGTH
    assert parse_query("!!! ... ''' %%% ___").is_empty
    assert parse_query(None).is_empty


def test_highlight_escapes_then_marks():
    html = highlight("<b>Gyártási</b> & gyartasi", ("gyartasi",))
    assert html == "&lt;b&gt;<mark>Gyártási</mark>&lt;/b&gt; &amp; <mark>gyartasi</mark>"


@pytest.mark.django_db
@pytest.mark.parametrize("q", ["gyartasi", "Gyártási", "GYARTASI", "gyártási kihozatal"])
def test_accent_insensitive(client, q):
    make_article(
        "Gyártási Kihozatal és Többchip Modulok", body="A kihozatal a hibamentes chipek aránya."
    )
    make_article("Kötvények", body="Más téma.")
    assert _titles(client, q) == ["Gyártási Kihozatal és Többchip Modulok"]


@pytest.mark.django_db
def test_every_term_must_match(client):
    make_article("Chipek és memória", body="Szöveg.")
    make_article("Chipek", body="Szöveg.")
    assert _titles(client, "chipek memoria") == ["Chipek és memória"]


@pytest.mark.django_db
def test_ranking_title_above_description_above_body(client):
    now = timezone.now()
    make_article(
        "Csak a szövegben", body="Itt szerepel a tranzisztor szó.", date=now - timedelta(days=1)
    )
    make_article(
        "A leírásban",
        description="Ebben a tranzisztor a leírásban van.",
        body="Semmi.",
        date=now - timedelta(days=2),
    )
    make_article("Tranzisztorok a címben", body="Semmi.", date=now - timedelta(days=3))
    assert _titles(client, "tranzisztor") == [
        "Tranzisztorok a címben",
        "A leírásban",
        "Csak a szövegben",
    ]


@pytest.mark.django_db
def test_snippet_is_escaped_and_highlighted(client):
    make_article(
        "Költségek",
        description="Leírás.",
        body="Bevezető mondat. Ha a < b, akkor a gyártási költség & haszon kisebb. Vége.",
    )
    response = client.get("/kereses/", {"q": "gyartasi"})
    html = response.content.decode()
    page = parse(html)
    snippet = page.find("p", class_="card__snippet")
    assert snippet.find("mark").text == "gyártási"
    raw = html.split('class="card__snippet">')[1].split("</p>")[0]
    assert "a &lt; b" in raw
    assert "&amp; haszon" in raw
    assert "<mark>gyártási</mark>" in raw


@pytest.mark.django_db
def test_results_are_paginated(client):
    now = timezone.now()
    for i in range(12):
        make_article(f"Félvezető {i:02d}", date=now - timedelta(hours=i + 1))
    assert len(_titles(client, "felvezeto")) == 10
    assert _titles(client, "felvezeto", oldal=2) == ["Félvezető 10", "Félvezető 11"]
    page = parse(client.get("/kereses/", {"q": "felvezeto"}).content)
    assert page.find("a", rel="next").attrs["href"] == "?q=felvezeto&oldal=2"
    assert client.get("/kereses/", {"q": "felvezeto", "oldal": 9}).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize(
    "q",
    [
        "",
        "   ",
        "%",
        "_",
        "%_%",
        "'",
        '"',
        "' OR 1=1 --",
        "<script>alert(1)</script>",
        "!!!",
        "\x00",
        "gyártási\x00kihozatal",
        "a" * 5000,
        "😀 🚀",
        "\u202egyartasi",
        "\\",
        "& | ! ( ) : *",
    ],
)
def test_odd_queries_get_a_friendly_page(client, q):
    make_article("Gyártási Kihozatal", body="Szöveg 100% _biztos_.")
    response = client.get("/kereses/", {"q": q})
    assert response.status_code == 200
    html = response.content.decode()
    assert "<script>alert(1)</script>" not in html
    page = parse(html)
    assert page.find("h1").text == "Keresés"
    assert page.find("p", class_="notice") or page.find("p", class_="count")


@pytest.mark.django_db
def test_query_is_echoed_escaped(client):
    html = client.get("/kereses/", {"q": '<img src=x onerror="alert(1)">'}).content.decode()
    assert "<img src=x" not in html
    assert "&lt;img src=x" in html


@pytest.mark.django_db
def test_long_query_is_capped_with_a_notice(client):
    page = parse(client.get("/kereses/", {"q": "kihozatal " * 100}).content)
    assert "első 200 karakterét" in page.find("p", class_="notice").text


@pytest.mark.django_db
def test_search_without_query_makes_no_result_query(client, django_assert_num_queries):
    # Only the content state (cache key and validators), no search.
    with django_assert_num_queries(1):
        assert client.get("/kereses/").status_code == 200


@pytest.mark.django_db
def test_a_word_in_every_article_is_ranked_within_the_window(client, settings):
    from blog import search as search_module

    now = timezone.now()
    for i in range(15):
        make_article(
            f"Közös {i:02d}",
            body="Minden cikkben ott a kamat szó.",
            date=now - timedelta(hours=i + 1),
        )
    make_article("Kamatok a címben", body="Semmi.", date=now - timedelta(days=5))
    window = search_module.ranked_window(parse_query("kamat"), size=10)
    assert window.more and len(window.ids) == 10
    # The window is the newest matches; the oldest (title match) is beyond it.
    page = parse(client.get("/kereses/", {"q": "kamat"}).content)
    assert "Több mint" not in page.find("p", class_="count").text  # 16 < SEARCH_WINDOW
    assert _titles(client, "kamat")[0] == "Kamatok a címben"


@pytest.mark.django_db
def test_search_snippets_escape_markup_in_the_text():
    from blog.search import _marked

    assert _marked("a < b \x02gyártási\x03 & <script>") == (
        "a &lt; b <mark>gyártási</mark> &amp; &lt;script&gt;"
    )


@pytest.mark.django_db
def test_fts_index_follows_edits_and_deletes(client):
    article = make_article("Régi cím", body="Eredeti szöveg.")
    assert _titles(client, "eredeti") == ["Régi cím"]
    article.title = "Új cím"
    article.body = "Átírt szöveg."
    article.save()
    assert _titles(client, "eredeti") == []
    assert _titles(client, "atirt") == ["Új cím"]
    article.delete()
    assert _titles(client, "atirt") == []


@pytest.mark.django_db
def test_search_pages_are_cached_per_normalised_query(client, django_assert_num_queries):
    make_article("Gyártási kihozatal", body="Szöveg.")
    first = client.get("/kereses/", {"q": "gyartasi"})
    with django_assert_num_queries(1):  # the content state only: the page came from the cache
        again = client.get("/kereses/", {"q": "  gyartasi\x00 ", "utm_source": "x"})
    assert again.content == first.content
    assert again.headers["ETag"] == first.headers["ETag"]
    assert (
        client.get(
            "/kereses/", {"q": "gyartasi"}, HTTP_IF_NONE_MATCH=first.headers["ETag"]
        ).status_code
        == 304
    )


@pytest.mark.django_db
def test_search_function_returns_published_only():
    make_article("Chip piszkozat", released=False)
    make_article("Chip jövő", date=timezone.now() + timedelta(days=1))
    make_article("Chip megjelent")
    assert [a.title for a in search(parse_query("chip"))] == ["Chip megjelent"]


@postgres_only
@pytest.mark.postgres
@pytest.mark.django_db
def test_postgresql_full_text_stems_and_unaccents(client):
    make_article("A gyártási kihozatal javítása", body="Kisebb chipek gyártásával.")
    make_article("Kötvénypiac", body="Hozamok.")
    assert _titles(client, "gyartas") == ["A gyártási kihozatal javítása"]
    assert _titles(client, "kihozatalt") == ["A gyártási kihozatal javítása"]
    assert _titles(client, "hozam") == ["Kötvénypiac"]
    assert _titles(client, "chip gyartas") == ["A gyártási kihozatal javítása"]
    assert _titles(client, "chip hozam") == []


@pytest.mark.django_db
def test_whole_words_that_fill_the_window_spare_the_prefix_merge():
    """A common word fills the window with whole-word matches (read newest first, bounded);
    the prefix form runs only when they do not fill it."""
    from blog.search import ranked_window

    if connection.vendor != "sqlite":
        pytest.skip("SQLite's FTS5 strategy; PostgreSQL stems every term")
    now = timezone.now()
    for i in range(12):
        make_article(f"Kamat {i:02d}", body="A kamat emelkedik.", date=now - timedelta(days=i + 1))
    newest = make_article("Kamatok", body="Csak a kamatok.", date=now - timedelta(hours=1))
    full = ranked_window(parse_query("kamat"), size=10)
    assert full.more and newest.pk not in full.ids
    roomy = ranked_window(parse_query("kamat"), size=50)
    assert newest.pk in roomy.ids and len(roomy.ids) == 13


@pytest.mark.django_db
@pytest.mark.parametrize("q", ["kamat", "kamatok", "kam", "elso", "kamat hozam", "nincsilyen"])
def test_the_one_statement_page_is_the_ranked_window_paged(q):
    """SQLite: `sqlite_page` (window, ranking, rows and snippets in one statement) gives, page
    by page, exactly the window `ranked_window` ranks, with the snippets `fts_snippets` cuts:
    whole words filling the window, the prefix form when they do not, title-only matches."""
    from blog.search import fts_snippets, ranked_window, sqlite_page

    if connection.vendor != "sqlite":
        pytest.skip("SQLite's FTS5 statement")
    now = timezone.now()
    for i in range(9):
        make_article(
            f"Cikk {i:02d}",
            body=f"A kamat {'és a hozam ' * (i % 3)}emelkedik, {'kamat ' * i}vége.",
            description="Kamatok és hozamok." if i % 4 == 0 else "Leírás.",
            date=now - timedelta(hours=i + 1),
        )
    make_article("Első kamatok", body="Semmi.", date=now - timedelta(days=3))
    make_article("Kamatos piszkozat", body="A kamat.", released=False)
    make_article("Kamat holnap", body="A kamat.", date=now + timedelta(days=1))
    query = parse_query(q)
    fields = ("title", "slug", "description", "date")
    window = ranked_window(query, size=6)
    pages = [sqlite_page(query, n, 4, fields, size=6) for n in (1, 2, 3)]
    assert [a.pk for page in pages for a in page.articles] == window.ids
    snippets = fts_snippets(query, window.ids, window.match)
    for page in pages:
        if not page.articles:  # a page past the end: nothing, not even the count
            assert (page.total, page.more) == (0, False)
            continue
        assert page.total == len(window.ids) and page.more == window.more
        for article in page.articles:
            assert article.snippet == snippets[article.pk]
            assert article.title_html == highlight(article.title, query.terms)
            loaded = type(article).objects.get(pk=article.pk)
            assert (article.title, article.slug, article.date) == (
                loaded.title,
                loaded.slug,
                loaded.date,
            )
    assert not pages[-1].articles


@pytest.mark.django_db
def test_the_page_statement_probes_only_the_page_rows():
    """The snippets' index probes are driven by the page's ten rows (never a pass over every
    match of a common word), and no table is scanned."""
    from django.test.utils import CaptureQueriesContext

    from blog.search import sqlite_page

    if connection.vendor != "sqlite":
        pytest.skip("EXPLAIN QUERY PLAN is SQLite's")
    make_article("Kamat", body="A kamat.")
    with CaptureQueriesContext(connection) as captured:
        sqlite_page(parse_query("kamat"), 1, 10, ("title",))
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + captured.captured_queries[0]["sql"])
        plan = [str(row[-1]) for row in cursor.fetchall()]
    tail = plan[plan.index("SCAN p") :]
    assert tail[1].startswith("SCAN article_fts VIRTUAL TABLE INDEX 0:="), plan  # rowid probe
    assert not any(line.startswith("SCAN articles_article") for line in plan), plan


@pytest.mark.django_db
def test_a_dense_word_ranks_title_then_description_then_newest():
    """More matches than the window: title matches first, then description matches, newest
    first within each (bm25 would count every row holding the word, a pass over the whole
    index); a sparse word keeps bm25's order."""
    from blog.search import ranked_window, sqlite_page

    if connection.vendor != "sqlite":
        pytest.skip("SQLite's FTS5 ranking")
    now = timezone.now()
    made = {}
    for i in reversed(range(8)):  # the oldest first: ids follow the dates
        title = "Kamatdöntés" if i in (2, 5) else "A kamat ára" if i == 3 else f"Cikk {i}"
        description = "A kamat emelkedik." if i in (1, 5, 6) else "Leírás."
        made[i] = make_article(
            title, body="Szöveg a kamat " * (8 - i), description=description,
            date=now - timedelta(hours=i + 1), slug=f"cikk-{i}",
        ).pk  # fmt: skip
    # "kamatdontes" is its own word: only the prefix form reaches it from "kamat".
    window = ranked_window(parse_query("kamat"), size=4)
    assert window.more  # 8 matches, a window of 4: dense
    # The newest four (0-3), by the exact form (whole words fill the window): 3 has the word in
    # its title, 1 in its description; 2's "Kamatdöntés" is another word; then the newest.
    assert window.ids == [made[3], made[1], made[0], made[2]]
    page = sqlite_page(parse_query("kamat"), 1, 10, ("title",), size=4)
    assert [a.pk for a in page.articles] == window.ids
    prefix = ranked_window(parse_query("kamatdon"), size=1)  # 2 and 5: titles, both dense
    assert prefix.more and prefix.ids == [made[2]]
    sparse = ranked_window(parse_query("kamat"), size=50)
    assert not sparse.more and len(sparse.ids) == 8


@settings(max_examples=300, deadline=None)
@given(
    text=st.text(alphabet="abcgyrtsiAGYRTáÁéőŐűüöÖßﬁ \u0301", max_size=120),
    term=st.sampled_from(["gyartasi", "a", "ss", "fi", "o", "ut", "sia"]),
)
def test_the_quick_first_match_is_where_the_exact_highlighting_starts(text, term):
    """PostgreSQL snippets find the first match by folding the whole text at once when that
    keeps every character's place (blog.search._first_match); it must be where the exact,
    character by character folding (`_spans`, which the highlighting uses) finds it."""
    from blog.search import _first_match, _spans

    spans = _spans(text, (term,))
    assert _first_match(text, (term,)) == (spans[0][0] if spans else None)

"""Search over published articles: title, description and text, ranked, accent-insensitive.

SQLite: the FTS5 index `article_fts` (migration 0007_scale: title, description, plain text;
tokenizer `unicode61 remove_diacritics 2`, so "gyartasi" finds "Gyártási"), every term a prefix
("hozam" finds "hozamok"), ranked by bm25 with title (10) > description (4) > text (1), snippets
from FTS5's `snippet()`. PostgreSQL: full-text search with the `hungarian_unaccent`
configuration against the stored, GIN-indexed `search_vector` (migrations 0002, 0005).

Ranking is bounded (`SEARCH_WINDOW`): the newest `SEARCH_WINDOW` matches are ranked and paged,
so a word that matches every article costs what a rare one does; the page says when there are
more matches than that. Snippet text is escaped before the matches are wrapped in <mark>.
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from django.db import connection
from django.db.models import Case, F, IntegerField, QuerySet, Value, When
from django.db.models.functions import Length, StrIndex
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from articles.models import Article
from articles.search_index import SEARCH_CONFIG, StoredVector, tsquery
from articles.search_index import fts_match as index_match
from articles.text import fold_accents, visible_text
from blog.caching import aware

MAX_QUERY_LENGTH = 200
# How many of the newest matches are ranked; pages beyond them are not offered.
SEARCH_WINDOW = 200
SNIPPET_TOKENS = 32
# FTS5 snippet() markers: control characters the stored plain text never holds.
_OPEN, _CLOSE = "\x02", "\x03"
MAX_TERMS = 8
SNIPPET_RADIUS = 90
_TERM = re.compile(r"[^\W_]+", re.UNICODE)
_WEIGHTS = (10, 4, 1)  # a term first found in the title, the description, the body


@dataclass(frozen=True)
class Query:
    """A reader's query, cleaned: `text` to show back, `terms` (folded, lower-case) to match."""

    text: str
    terms: tuple[str, ...]

    @property
    def is_empty(self) -> bool:
        return not self.terms


def parse_query(raw: str | None) -> Query:
    """Drop control characters (NUL breaks PostgreSQL), cap the length, fold the terms."""
    raw = raw or ""
    cleaned = "".join(ch for ch in raw if unicodedata.category(ch)[0] != "C" or ch in " \t")
    cleaned = " ".join(cleaned.split())[:MAX_QUERY_LENGTH]
    terms: list[str] = []
    for term in _TERM.findall(fold_accents(cleaned).lower()):
        if term not in terms:
            terms.append(term)
    return Query(text=cleaned, terms=tuple(terms[:MAX_TERMS]))


def search(query: Query) -> QuerySet[Article]:
    """Every published article matching `query`, best first; empty for an empty query.
    (Unbounded: reader pages use `ranked_window`.)"""
    base = Article.objects.published()
    if query.is_empty:
        return base.none()
    if connection.vendor == "postgresql":
        return _search_postgresql(base, query)
    if connection.vendor == "sqlite":
        return _search_sqlite(base, query)
    return _search_portable(base, query)


def fts_match(query: Query) -> str:
    """The FTS5 MATCH expression of `query` (articles.search_index.fts_match)."""
    return index_match(query.terms)


_FTS_RANK = "bm25(article_fts, 10.0, 4.0, 1.0)"


def _search_sqlite(base: QuerySet[Article], query: Query) -> QuerySet[Article]:
    from django.db.models.expressions import RawSQL

    match = fts_match(query)
    matching = RawSQL("SELECT rowid FROM article_fts WHERE article_fts MATCH %s", (match,))
    rank = RawSQL(  # noqa: S611  (constant SQL, the query is a bound parameter)
        f"SELECT {_FTS_RANK} FROM article_fts "  # noqa: S608  (constant SQL, bound parameter)
        "WHERE article_fts MATCH %s AND rowid = articles_article.id",
        (match,),
    )
    return base.filter(pk__in=matching).annotate(rank=rank).order_by("rank", "-date", "-pk")


@dataclass(frozen=True)
class Window:
    """The ranked ids of the newest matches (best first), and whether there are more."""

    ids: list[int]
    more: bool
    match: str = ""  # SQLite: the MATCH expression that made the window (for snippets)


# SQLite: the window as common table expressions, shared by `ranked_window` and `sqlite_page`.
# Whole words first (`e`): when they alone fill the window, the prefix form (`x`) matches the
# empty phrase, which FTS5 answers without reading a list (a prefix longer than the prefix
# indexes makes FTS5 merge every matching word's list, which grows with the archive; the MATCH
# value is computed before the index is opened, a WHERE condition would only be tested after).
# Each form reads the index newest first and stops after `size` + 1 published rows (`d`: the
# date as stored, ISO text, sorts as the date).
#
# Ranking (`r`, lower is better). Sparse matches (the whole match set fits in the window): bm25
# with title 10, description 4, text 1. Dense ones (more matches than the window): 10 for a
# match in the title, 4 in the description, else 0, newest first within each. Why: FTS5's bm25
# counts every row that contains each term (its IDF), once per statement: for a word in every
# article that is a pass over the whole index (29 M instructions at 100,000 articles, ten times
# the rest of the page; bench/README.md, Scale), while the title and description probes read
# only the window's range of the index (rowid >= its oldest id).
_SQLITE_FORM = (
    "SELECT article_fts.rowid AS id, a.date AS d FROM article_fts "
    "JOIN articles_article a ON a.id = article_fts.rowid "
    "WHERE article_fts MATCH {match} AND a.released AND a.date <= %(now)s "
    "ORDER BY article_fts.rowid DESC LIMIT %(limit)s"
)
_FILLED = "(SELECT count(*) FROM e) > %(size)s"
_EXACT_FORM = _SQLITE_FORM.format(match="%(exact)s")
_PREFIX_FORM = _SQLITE_FORM.format(match=f"(CASE WHEN {_FILLED} THEN '\"\"' ELSE %(prefix)s END)")
# The MATCH expression that made the window (for bm25 and the snippets), and its title-only
# and description-only forms.
_SQLITE_CHOSEN = f"(CASE WHEN {_FILLED} THEN %(exact)s ELSE %(prefix)s END)"
_CHOSEN_IN = "(CASE WHEN {filled} THEN %({column}_exact)s ELSE %({column}_prefix)s END)"
_DENSE = "(SELECT dense FROM lo)"
_IN_RANGE = "article_fts.rowid >= (SELECT id FROM lo)"


def _column_hits(column: str) -> str:
    chosen = _CHOSEN_IN.format(filled=_FILLED, column=column)
    return (
        "SELECT article_fts.rowid AS id FROM article_fts "  # noqa: S608
        f"WHERE article_fts MATCH (CASE WHEN {_DENSE} THEN {chosen} ELSE '\"\"' END) "
        f"AND {_IN_RANGE}"
    )


_SQLITE_WINDOW = (
    f"WITH e AS MATERIALIZED ({_EXACT_FORM}), x AS MATERIALIZED ({_PREFIX_FORM}), "  # noqa: S608
    f"found AS (SELECT id, d FROM e WHERE {_FILLED} UNION ALL SELECT id, d FROM x), "
    # The window: the newest `size` (the extra row only tells that there are more).
    "w0 AS MATERIALIZED (SELECT id, d FROM found ORDER BY id DESC LIMIT %(size)s), "
    "lo AS MATERIALIZED (SELECT min(id) AS id, (SELECT count(*) FROM found) > %(size)s AS dense "
    "FROM w0), "
    f"b AS MATERIALIZED (SELECT article_fts.rowid AS id, {_FTS_RANK} AS r FROM article_fts "
    f"WHERE article_fts MATCH (CASE WHEN {_DENSE} THEN '\"\"' ELSE {_SQLITE_CHOSEN} END) "
    f"AND {_IN_RANGE}), "
    f"t AS MATERIALIZED ({_column_hits('title')}), "
    f"s AS MATERIALIZED ({_column_hits('description')}), "
    f"w AS (SELECT w0.id AS id, CASE WHEN {_DENSE} THEN "
    "-(10 * (w0.id IN (SELECT id FROM t)) + 4 * (w0.id IN (SELECT id FROM s))) "
    "ELSE b.r END AS r, w0.d AS d FROM w0 LEFT JOIN b ON b.id = w0.id) "
)
# Best first; equal ranks newest first, then the larger id.
_SQLITE_ORDER = "r, d DESC, id DESC"


def _sqlite_params(query: Query, size: int, **extra: object) -> dict[str, object]:
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    exact = " ".join(f'"{term}"' for term in query.terms)
    prefix = fts_match(query)
    return {
        "exact": exact,
        "prefix": prefix,
        "title_exact": f"{{title}} : ({exact})",
        "title_prefix": f"{{title}} : ({prefix})",
        "description_exact": f"{{description}} : ({exact})",
        "description_prefix": f"{{description}} : ({prefix})",
        "now": now,
        "size": size,
        "limit": size + 1,
        **extra,
    }


def ranked_window(query: Query, size: int = SEARCH_WINDOW) -> Window:
    """One query: the newest `size` published matches, ranked. Bounded work whatever the
    number of matches: the index is read newest first and stops after `size` + 1 rows."""
    if query.is_empty:
        return Window([], False)
    if connection.vendor == "sqlite":
        sql = (
            f"{_SQLITE_WINDOW}SELECT id, (SELECT count(*) FROM found), {_SQLITE_CHOSEN} "  # noqa: S608
            f"FROM w ORDER BY {_SQLITE_ORDER}"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, _sqlite_params(query, size))
            fetched = cursor.fetchall()
        if not fetched:
            return Window([], False, fts_match(query))
        return Window([row[0] for row in fetched], fetched[0][1] > size, fetched[0][2])
    now = timezone.now()
    if connection.vendor == "postgresql":
        rows = _postgresql_window(query, size, now)
    else:
        rows = _newest_matches(query, size)
    more = len(rows) > size
    rows = rows[:size]
    # Best first; equal ranks newest first (dates as ISO strings).
    rows.sort(key=lambda row: (row[1], _Desc(row[2]), -row[0]))
    return Window([row[0] for row in rows], more)


@dataclass(frozen=True)
class ResultPage:
    """One page of results: the articles (best first, each with `title_html` and `snippet`),
    how many matches were ranked, and whether there are more than the window holds."""

    articles: list[Article]
    total: int
    more: bool


def sqlite_page(
    query: Query, number: int, per_page: int, fields: tuple[str, ...], size: int = SEARCH_WINDOW
) -> ResultPage:
    """SQLite: one statement for a page of results: the window (as `ranked_window`), ranked in
    the database, then only the page's rows with their `fields` and FTS5 snippets. Nothing
    else crosses into Python: no list of window ids to sort, no second and third query."""
    columns = ", ".join(f"a.{connection.ops.quote_name(name)}" for name in ("id", *fields))
    marks = f"'{_OPEN}', '{_CLOSE}', '…', {SNIPPET_TOKENS}"
    sql = (
        f"{_SQLITE_WINDOW}, p AS MATERIALIZED (SELECT id, r, d FROM w "  # noqa: S608
        f"ORDER BY {_SQLITE_ORDER} LIMIT %(per_page)s OFFSET %(start)s) "
        f"SELECT (SELECT count(*) FROM found), {columns}, "
        f"snippet(article_fts, 2, {marks}), snippet(article_fts, 1, {marks}) "
        # CROSS JOIN fixes the order: the page's few rows first, then one index probe each.
        "FROM p CROSS JOIN article_fts CROSS JOIN articles_article a "
        f"WHERE article_fts MATCH {_SQLITE_CHOSEN} AND article_fts.rowid = p.id AND a.id = p.id "
        "ORDER BY p.r, p.d DESC, p.id DESC"
    )
    params = _sqlite_params(query, size, per_page=per_page, start=(number - 1) * per_page)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    articles: list[Article] = []
    date_index = fields.index("date") + 1 if "date" in fields else None
    for _count, *values, text, description in rows:
        if date_index is not None:
            values[date_index] = aware(values[date_index])
        article = Article.from_db(connection.alias, ["id", *fields], values)
        article.title_html = highlight(article.title, query.terms)
        article.snippet = _chosen_snippet(text, description)
        articles.append(article)
    total = min(rows[0][0], size) if rows else 0
    return ResultPage(articles, total, bool(rows) and rows[0][0] > size)


def result_page(
    query: Query, number: int, per_page: int, fields: tuple[str, ...]
) -> ResultPage | None:
    """Page `number` of the results for a non-empty `query`, with the articles' `fields`;
    None for a page past the last. SQLite: one statement (`sqlite_page`); elsewhere the
    ranked window, then the page's rows and their snippets cut from the stored HTML."""
    if connection.vendor == "sqlite":
        page = sqlite_page(query, number, per_page, fields)
        return page if page.articles or number == 1 else None
    window = ranked_window(query)
    start = (number - 1) * per_page
    ids = window.ids[start : start + per_page]
    if number > 1 and not ids:
        return None
    by_pk = Article.objects.filter(pk__in=ids).only(*fields, "plain_text").in_bulk(ids)
    articles = [by_pk[pk] for pk in ids if pk in by_pk]
    for article in articles:
        article.title_html = highlight(article.title, query.terms)
        article.snippet = snippet(article, query.terms)
    return ResultPage(articles, len(window.ids), window.more)


def _newest_matches(query: Query, size: int) -> list[tuple[int, float, str]]:
    """The newest `size` + 1 matches, walking the primary key newest first: quick when
    matches are dense (a common word), a scan of the archive when they are rare."""
    qs = search(query).order_by("-pk")
    return [
        (pk, -(rank or 0), str(date))
        for pk, rank, date in qs.values_list("pk", "rank", "date")[: size + 1]
    ]


# Constant SQL; the tsquery is bound as (config, raw query) wherever it appears.
_PG_DENSE_TEST = (
    "WITH m AS MATERIALIZED (SELECT id FROM articles_article "
    "WHERE search_vector @@ to_tsquery(%s::regconfig, %s)), "
    "t AS (SELECT greatest(1000, sqrt(%s * greatest(reltuples, 0)))::bigint AS n "
    "FROM pg_class WHERE oid = 'articles_article'::regclass) "
    "SELECT count(*) > (SELECT n FROM t) FROM (SELECT 1 FROM m LIMIT (SELECT n + 1 FROM t)) s"
)
# Few matches: read from the GIN index (with the published conditions), the newest `limit` of
# them taken, and only those joined back for their rank. Joining all matches to the table under
# the outer LIMIT let the planner merge-join by walking the primary key newest first, half the
# archive for a rare word at 100,000 articles (57 ms; bench/README.md, Scale).
_PG_WINDOW = (
    "WITH m AS MATERIALIZED (SELECT id FROM articles_article "
    "WHERE search_vector @@ to_tsquery(%(config)s::regconfig, %(query)s) "
    "AND released AND date <= %(now)s), "
    "top AS (SELECT id FROM m ORDER BY id DESC LIMIT %(limit)s) "
    "SELECT a.id, ts_rank(a.search_vector, to_tsquery(%(config)s::regconfig, %(query)s)), a.date "
    "FROM articles_article a JOIN top ON top.id = a.id ORDER BY a.id DESC"
)
# Many matches: the key walked newest first. The match is wrapped (COALESCE) so the GIN index
# cannot answer it: the planner's guess for several common prefixes is a few dozen rows, and it
# would otherwise rank every match in the archive before taking the newest.
_PG_DENSE = (
    "SELECT id, ts_rank(search_vector, to_tsquery(%(config)s::regconfig, %(query)s)), date "
    "FROM articles_article "
    "WHERE COALESCE(search_vector @@ to_tsquery(%(config)s::regconfig, %(query)s), false) "
    "AND released AND date <= %(now)s ORDER BY id DESC LIMIT %(limit)s"
)


def _postgresql_window(query: Query, size: int, now: datetime) -> list[tuple[int, float, str]]:
    """PostgreSQL: the newest `size` + 1 published matches, bounded both ways.

    Walking the primary key newest first (what `ORDER BY id DESC LIMIT` makes the planner choose)
    finds a common word's matches at once but reads the whole archive for a rare one (figures in
    bench/README.md, PostgreSQL search). So the matches are first counted through the GIN index, up
    to about sqrt(size x articles): up to that many, they are read from the index and sorted (the
    materialized CTE keeps the planner from walking the key); more, and the walk meets `size` of
    them within about as many rows (the match wrapped so that the planner, which guesses a few dozen
    rows for several common prefixes, cannot rank them all). Two queries, each bounded whatever the
    archive's size."""
    raw = tsquery(query.terms)
    with connection.cursor() as cursor:
        cursor.execute(_PG_DENSE_TEST, (SEARCH_CONFIG, raw, size))
        dense = cursor.fetchone()[0]
        window = _PG_DENSE if dense else _PG_WINDOW
        cursor.execute(
            window, {"config": SEARCH_CONFIG, "query": raw, "now": now, "limit": size + 1}
        )
        return [(pk, -(rank or 0), str(date)) for pk, rank, date in cursor.fetchall()]


class _Desc:
    """Sort key wrapper: reverses the order of a string."""

    __slots__ = ("value",)

    def __init__(self, value: str) -> None:
        self.value = value

    def __lt__(self, other: _Desc) -> bool:
        return self.value > other.value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Desc) and self.value == other.value

    __hash__ = None  # type: ignore[assignment]


def fts_snippets(query: Query, ids: list[int], match: str = "") -> dict[int, SafeString]:
    """SQLite: an escaped, highlighted excerpt per id from FTS5's snippet(): from the text,
    else the description (one query for the page)."""
    if not ids or connection.vendor != "sqlite":
        return {}
    marks = f"'{_OPEN}', '{_CLOSE}', '…', {SNIPPET_TOKENS}"
    placeholders = ", ".join(["%s"] * len(ids))
    sql = (
        f"SELECT rowid, snippet(article_fts, 2, {marks}), snippet(article_fts, 1, {marks}) "  # noqa: S608
        f"FROM article_fts WHERE article_fts MATCH %s AND rowid IN ({placeholders})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, (match or fts_match(query), *ids))
        rows = cursor.fetchall()
    return {pk: _chosen_snippet(text, description) for pk, text, description in rows}


def _chosen_snippet(text: str | None, description: str | None) -> SafeString:
    """The text's excerpt when the match is in the text, else the description's, else the
    text's beginning (a match only in the title), escaped and highlighted."""
    chosen = (
        text if _OPEN in (text or "") else description if _OPEN in (description or "") else text
    )
    return _marked(chosen or "")


def _marked(text: str) -> SafeString:
    escaped = html.escape(text).replace(_OPEN, "<mark>").replace(_CLOSE, "</mark>")
    return mark_safe(escaped)  # noqa: S308  (escaped above; only our markers become tags)


def _search_portable(base: QuerySet[Article], query: Query) -> QuerySet[Article]:
    qs = base
    for term in query.terms:
        qs = qs.filter(search_text__contains=term)  # search_text is already lower-case
    title_end = Length("title")
    description_end = Length("title") + Length("description") + 1
    rank = Value(0)
    for i, term in enumerate(query.terms):
        position = f"_pos{i}"
        qs = qs.annotate(**{position: StrIndex("search_text", Value(term))})
        rank = rank + Case(
            When(**{f"{position}__lte": title_end}, then=Value(_WEIGHTS[0])),
            When(**{f"{position}__lte": description_end}, then=Value(_WEIGHTS[1])),
            default=Value(_WEIGHTS[2]),
            output_field=IntegerField(),
        )
    return qs.annotate(rank=rank).order_by("-rank", "-date", "-pk")


_StoredVector = StoredVector  # the name tests and benchmarks know


def _search_postgresql(base: QuerySet[Article], query: Query) -> QuerySet[Article]:
    """Match (GIN index) and rank against the stored vector, never one computed per row."""
    from django.contrib.postgres.search import SearchQuery, SearchRank

    # Terms are letters and digits only (no tsquery operators), so this raw query is always
    # valid: every term must match, each as a stemmed prefix ("hozam" finds "hozamok").
    raw = tsquery(query.terms)
    search_query = SearchQuery(raw, config=SEARCH_CONFIG, search_type="raw")
    return (
        base.alias(search=_StoredVector())
        .filter(search=search_query)
        .annotate(rank=SearchRank(_StoredVector(), search_query))
        .order_by(F("rank").desc(), "-date", "-pk")
    )


@lru_cache(maxsize=4096)
def _fold_char(ch: str) -> str:
    return fold_accents(ch).lower()


def _folded_with_map(text: str) -> tuple[str, list[int] | None]:
    """Fold `text` character by character, remembering where each folded char came from
    (None: one to one, as for ASCII text)."""
    if text.isascii():
        return text.lower(), None
    folded: list[str] = []
    origin: list[int] = []
    for index, ch in enumerate(text):
        piece = _fold_char(ch)
        folded.append(piece)
        origin.extend([index] * len(piece))
    return "".join(folded), origin


def _spans(text: str, terms: tuple[str, ...]) -> list[tuple[int, int]]:
    """Non-overlapping (start, end) spans in `text` where a folded term occurs."""
    folded, origin = _folded_with_map(text)
    found: list[tuple[int, int]] = []
    for term in terms:
        for match in re.finditer(re.escape(term), folded):
            if origin is None:
                found.append((match.start(), match.end()))
            else:
                found.append((origin[match.start()], origin[match.end() - 1] + 1))
    found.sort()
    merged: list[tuple[int, int]] = []
    for start, end in found:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def highlight(text: str, terms: tuple[str, ...]) -> SafeString:
    """Escape `text`, wrapping each (accent-insensitive) match in <mark>."""
    out: list[str] = []
    cursor = 0
    for start, end in _spans(text, terms):
        out.append(html.escape(text[cursor:start]))
        out.append(f"<mark>{html.escape(text[start:end])}</mark>")
        cursor = end
    out.append(html.escape(text[cursor:]))
    return mark_safe("".join(out))  # noqa: S308  (every piece above is escaped)


def _first_match(text: str, terms: tuple[str, ...]) -> int | None:
    """Where the first (accent-insensitive) match of a term starts in `text`, or None.

    Folding a whole body character by character (`_spans`) cost milliseconds per result on a
    seed-sized article. When every distinct character of `text` folds to exactly one
    character (Hungarian always does), the folded text is aligned with `text`, and
    str.find on `fold_accents(text).lower()` answers at C speed; otherwise `_spans` does."""
    if text.isascii():
        folded = text.lower()
    elif all(len(_fold_char(ch)) == 1 for ch in set(text) if ord(ch) > 127):
        folded = fold_accents(text).lower()
    else:
        folded = ""
    if len(folded) == len(text):
        found = [at for term in terms if (at := folded.find(term)) >= 0]
        if found:
            return min(found)
    spans = _spans(text, terms)  # not aligned, or no hit by the quick look (e.g. final sigma)
    return spans[0][0] if spans else None


def snippet(article: Article, terms: tuple[str, ...], radius: int = SNIPPET_RADIUS) -> SafeString:
    """A short excerpt around the first match in the body (else the description), highlighted:
    the body's text as stored at save (Article.plain_text, formulas as their TeX)."""
    body = article.plain_text or " ".join(visible_text(article.body_html).split())
    for text in (body, article.description):
        first = _first_match(text, terms)
        if first is not None:
            start = max(0, first - radius)
            end = min(len(text), first + radius * 2)
            # Cut at word boundaries, so the excerpt does not begin mid-word.
            if start > 0:
                space = text.find(" ", start)
                start = space + 1 if 0 <= space < first else start
            if end < len(text):
                space = text.rfind(" ", first, end)
                end = space if space > first else end
            prefix = "… " if start > 0 else ""
            suffix = " …" if end < len(text) else ""
            return mark_safe(  # noqa: S308  (highlight() escapes)
                html.escape(prefix) + highlight(text[start:end], terms) + html.escape(suffix)
            )
    fallback = article.description or body[: radius * 2]
    return highlight(fallback, terms)

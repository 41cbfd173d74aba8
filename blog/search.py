"""Search over published articles: title, description and body, ranked, accent-insensitive.

PostgreSQL: full-text search with the `hungarian_unaccent` configuration (migration
0002_search: unaccent + Hungarian stemming), weighted title (A) > description (B) > body (C),
against the stored, GIN-indexed `search_vector` column (migration 0005_search_vector).
Elsewhere (SQLite): every folded query term must occur in `Article.search_text` (accent-folded,
lower-case title + description + text, kept on save); the rank counts where each term first
occurs (title > description > body), computed in SQL so pagination stays in the database.

Snippets are built in Python from the stored HTML of the ten results on the page: the text is
escaped first and only then are the matches wrapped in <mark>.
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass

from django.db import connection
from django.db.models import Case, Expression, F, IntegerField, QuerySet, Value, When
from django.db.models.functions import Length, StrIndex
from django.utils.safestring import SafeString, mark_safe

from articles.models import Article
from articles.text import fold_accents, visible_text

MAX_QUERY_LENGTH = 200
MAX_TERMS = 8
SNIPPET_RADIUS = 90
SEARCH_CONFIG = "hungarian_unaccent"
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
    """Published articles matching `query`, best first; empty for an empty query."""
    base = Article.objects.published()
    if query.is_empty:
        return base.none()
    if connection.vendor == "postgresql":
        return _search_postgresql(base, query)
    return _search_portable(base, query)


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


class _StoredVector(Expression):
    """`articles_article.search_vector`: the column migration 0005 adds on PostgreSQL only,
    which the Article model therefore does not declare."""

    def __init__(self) -> None:
        from django.contrib.postgres.search import SearchVectorField

        super().__init__(output_field=SearchVectorField())

    def as_sql(self, compiler, connection):
        return f"{compiler.quote_name_unless_alias(Article._meta.db_table)}.search_vector", []


def _search_postgresql(base: QuerySet[Article], query: Query) -> QuerySet[Article]:
    """Match (GIN index) and rank against the stored vector, never one computed per row."""
    from django.contrib.postgres.search import SearchQuery, SearchRank

    # Terms are letters and digits only (no tsquery operators), so this raw query is always
    # valid: every term must match, each as a stemmed prefix ("hozam" finds "hozamok").
    raw = " & ".join(f"{term}:*" for term in query.terms)
    search_query = SearchQuery(raw, config=SEARCH_CONFIG, search_type="raw")
    return (
        base.alias(search=_StoredVector())
        .filter(search=search_query)
        .annotate(rank=SearchRank(_StoredVector(), search_query))
        .order_by(F("rank").desc(), "-date", "-pk")
    )


def _folded_with_map(text: str) -> tuple[str, list[int]]:
    """Fold `text` character by character, remembering where each folded char came from."""
    folded: list[str] = []
    origin: list[int] = []
    for index, ch in enumerate(text):
        piece = fold_accents(ch).lower()
        folded.append(piece)
        origin.extend([index] * len(piece))
    return "".join(folded), origin


def _spans(text: str, terms: tuple[str, ...]) -> list[tuple[int, int]]:
    """Non-overlapping (start, end) spans in `text` where a folded term occurs."""
    folded, origin = _folded_with_map(text)
    found: list[tuple[int, int]] = []
    for term in terms:
        for match in re.finditer(re.escape(term), folded):
            start = origin[match.start()]
            end = origin[match.end() - 1] + 1
            found.append((start, end))
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


def snippet(article: Article, terms: tuple[str, ...], radius: int = SNIPPET_RADIUS) -> SafeString:
    """A short excerpt around the first match in the body (else the description), highlighted."""
    body = " ".join(visible_text(article.body_html).split())  # formulas as their TeX
    for text in (body, article.description):
        spans = _spans(text, terms)
        if spans:
            first = spans[0][0]
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

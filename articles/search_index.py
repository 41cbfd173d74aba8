"""The full-text index, for the reader search (blog.search) and the admin's search alike.

SQLite: the FTS5 table `article_fts` (migration 0007_scale), kept by triggers. PostgreSQL: the
stored, GIN-indexed `search_vector` column (migration 0005) with the `hungarian_unaccent`
configuration. Either way a query's terms are letters and digits only, each a prefix, all
required; nothing reads the articles' text row by row.
"""

from __future__ import annotations

import re

from django.db import connection
from django.db.models import Expression, QuerySet
from django.db.models.expressions import RawSQL

from articles.text import fold_accents

SEARCH_CONFIG = "hungarian_unaccent"
MAX_TERMS = 8
_TERM = re.compile(r"[^\W_]+", re.UNICODE)


def terms_of(text: str) -> tuple[str, ...]:
    """Folded, lower-case, distinct terms (at most MAX_TERMS)."""
    terms: list[str] = []
    for term in _TERM.findall(fold_accents(text or "").lower()):
        if term not in terms:
            terms.append(term)
    return tuple(terms[:MAX_TERMS])


def fts_match(terms: tuple[str, ...]) -> str:
    """The FTS5 MATCH expression: every term, each a quoted prefix (terms are letters and
    digits only, so quoting makes any query valid); one-letter terms match whole words only,
    as a one-letter prefix would expand to a large part of the vocabulary."""
    return " ".join(f'"{term}"*' if len(term) > 1 else f'"{term}"' for term in terms)


def tsquery(terms: tuple[str, ...]) -> str:
    """The PostgreSQL raw tsquery: every term a stemmed prefix ("hozam" finds "hozamok")."""
    return " & ".join(f"{term}:*" for term in terms)


class StoredVector(Expression):
    """`articles_article.search_vector`: the column migration 0005 adds on PostgreSQL only,
    which the Article model therefore does not declare."""

    def __init__(self) -> None:
        from django.contrib.postgres.search import SearchVectorField

        super().__init__(output_field=SearchVectorField())

    def as_sql(self, compiler, connection):
        return f"{compiler.quote_name_unless_alias('articles_article')}.search_vector", []


def matching(queryset: QuerySet, terms: tuple[str, ...], newest: int | None = None) -> QuerySet:
    """`queryset` narrowed to the articles whose title, description or text hold every term,
    through the index (no ranking: the admin keeps its own order); with `newest`, to the
    newest that many matches (SQLite: the index stops there, whatever matches)."""
    if not terms:
        return queryset
    if connection.vendor == "sqlite":
        sql = "SELECT rowid FROM article_fts WHERE article_fts MATCH %s"
        params: tuple = (fts_match(terms),)
        if newest is not None:
            sql += " ORDER BY rowid DESC LIMIT %s"
            params = (*params, newest)
        return queryset.filter(pk__in=RawSQL(sql, params))  # noqa: S611  (bound parameters)
    if connection.vendor == "postgresql":
        from django.contrib.postgres.search import SearchQuery

        query = SearchQuery(tsquery(terms), config=SEARCH_CONFIG, search_type="raw")
        return queryset.alias(search_index=StoredVector()).filter(search_index=query)
    for term in terms:
        queryset = queryset.filter(search_text__contains=term)
    return queryset

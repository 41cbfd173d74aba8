"""The article page: its rows read by hand-written statements built once per process, and
what its template shows prepared in Python.

Why: the page is the site's most read one, and with the page cache off (or on a miss) its
CPU was nearly all Django's query compiler: six querysets (article, bylines, tags, previous,
next, related) cost far more to build and compile than SQLite takes to answer them
(bench/README.md, Serving). Here each statement is written once per process from the models'
table and column names (`connection.ops.quote_name`, so SQLite and PostgreSQL alike), values
go as named parameters (Django's SQLite cursor rewrites positional `%s` with a regular
expression on every execution, named ones by plain formatting), and the rows become the same
objects the querysets gave. The conditions are those of `Article.objects.published()`
(released, and date up to now) and the orders those of the models; tests/test_article_page.py
pins every result against the equivalent queryset, and tests/test_reader_queries.py their
query plans (index range scans, no sort).

The template (blog/article.html) then places ready values, as blog/cards.py does for lists: the
table of contents comes from the headings the renderer stored in the article's report (no HTML
is parsed per request), as one escaped string per distinct list of headings.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache, lru_cache
from typing import Any, NamedTuple

from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.safestring import SafeString, mark_safe

from articles.models import Article, Author, Byline, Tag
from articles.render import Heading
from blog.caching import aware
from blog.cards import LIST_FIELDS, link, meta, meta_line_html, slug_url, where
from blog.content import absolute_url, analyse_body, report_toc
from blog.templating import cover_data, iso, site_name_value

# What the article page shows: not the Markdown source, the search texts or the stored reports
# (tens of kB, and JSON to decode, per request).
ARTICLE_FIELDS = ("id", *LIST_FIELDS, "body_html", "released", "image_alt", "updated_at")
# What a previous/next/related link shows.
LINK_FIELDS = ("id", "title", "slug", "date")
RELATED_COUNT = 3
# Related statements are built per number of authors and tags (a handful of shapes).
_RELATED_SHAPES = 64


@dataclass(frozen=True)
class _Statements:
    article: str
    draft_or_article: str
    bylines: str
    tags: str
    older: str
    newer: str
    article_columns: tuple[str, ...]  # attnames, in the model's field order (Model.from_db)


def _columns(names: tuple[str, ...]) -> tuple[str, ...]:
    """The attnames of `names`, in the order of the model's concrete fields."""
    return tuple(f.attname for f in Article._meta.concrete_fields if f.attname in names)


@cache
def _statements(vendor: str) -> _Statements:
    """Every fixed statement of the page, once per process and backend (`vendor` keys it)."""
    q = connection.ops.quote_name
    meta = Article._meta
    table = q(meta.db_table)

    def col(name: str) -> str:
        return f"{table}.{q(meta.get_field(name).column)}"

    article_columns = _columns(tuple(n for n in ARTICLE_FIELDS if n != "body_html"))
    # The body comes last, as UTF-8 bytes, never decoded: it goes into the response as it is
    # (render_article), so Python neither decodes nor re-encodes nor copies its ~50 kB.
    body = col("body_html")
    body = f"convert_to({body}, 'UTF8')" if vendor == "postgresql" else f"CAST({body} AS BLOB)"
    # The headings of the renderer's stored report (a few hundred bytes of its JSON), for the
    # table of contents: the page parses no HTML.
    report = col("render_report")
    if vendor == "postgresql":
        headings = f"({report} -> 'headings')::text"
    else:
        headings = f"json_extract({report}, '$.headings')"
    select = ", ".join([*(col(name) for name in article_columns), headings, body])
    links = ", ".join(col(name) for name in _columns(LINK_FIELDS))
    published = f"{col('date')} <= %(now)s AND {col('released')}"
    date, pk = col("date"), col("id")

    byline, author = Byline._meta, Author._meta
    b_table, a_table = q(byline.db_table), q(author.db_table)
    b_author = f"{b_table}.{q(byline.get_field('author').column)}"
    bylines = (
        f"SELECT {b_author}, {a_table}.{q(author.get_field('name').column)}, "  # noqa: S608
        f"{a_table}.{q(author.get_field('slug').column)} "
        f"FROM {b_table} INNER JOIN {a_table} ON ({b_author} = {a_table}.{q(author.pk.column)}) "
        f"WHERE {b_table}.{q(byline.get_field('article').column)} = %(article)s "
        f"ORDER BY {b_table}.{q(byline.get_field('position').column)} ASC, "
        f"{b_table}.{q(byline.pk.column)} ASC"
    )
    through, tag = Article.tags.through._meta, Tag._meta
    t_table, g_table = q(through.db_table), q(tag.db_table)
    t_tag = f"{t_table}.{q(through.get_field('tag').column)}"
    g_name = f"{g_table}.{q(tag.get_field('name').column)}"
    tags = (
        f"SELECT {t_tag}, {g_name}, {g_table}.{q(tag.get_field('slug').column)} "  # noqa: S608
        f"FROM {t_table} INNER JOIN {g_table} ON ({t_tag} = {g_table}.{q(tag.pk.column)}) "
        f"WHERE {t_table}.{q(through.get_field('article').column)} = %(article)s "
        f"ORDER BY {g_name} ASC, {t_tag} ASC"
    )
    # The date bounds repeat what the OR says, so that the database starts its index range at
    # this article's date (article_published_idx). Older ones have ONE upper bound, the earlier
    # of the article's date and now: given both, SQLite ranged on the first (now) and walked
    # every newer article's index entry, a cost growing with the article's age.
    older = (
        f"SELECT {links} FROM {table} WHERE ({date} <= %(earlier)s AND {col('released')} "  # noqa: S608
        f"AND ({date} < %(date)s OR {pk} < %(pk)s)) ORDER BY {date} DESC, {pk} DESC LIMIT 1"
    )
    newer = (
        f"SELECT {links} FROM {table} WHERE ({published} AND {date} >= %(date)s "  # noqa: S608
        f"AND ({date} > %(date)s OR {pk} > %(pk)s)) ORDER BY {date} ASC, {pk} ASC LIMIT 1"
    )
    return _Statements(
        article=f"SELECT {select} FROM {table} WHERE ({published} AND {col('slug')} = %(slug)s)",  # noqa: S608
        draft_or_article=f"SELECT {select} FROM {table} WHERE {col('slug')} = %(slug)s",  # noqa: S608
        bylines=bylines,
        tags=tags,
        older=older,
        newer=newer,
        article_columns=article_columns,
    )


def _names(prefix: str, count: int) -> str:
    """`%(a0)s, %(a1)s, …`: named parameters for an IN list."""
    return ", ".join(f"%({prefix}{n})s" for n in range(count))


@lru_cache(maxsize=_RELATED_SHAPES)
def _related_statement(vendor: str, authors: int, tags: int) -> str:
    """Published articles sharing one of `authors` authors or `tags` tags, newest first.

    EXISTS per candidate, not `pk IN (...)`: the database walks article_published_idx newest
    first and stops after RELATED_COUNT hits, probing the byline and tag indexes. On
    PostgreSQL each EXISTS ends in `OFFSET 0`: without it the planner may turn it into a
    hashed subplan that first reads every byline of the authors and every row of the tags
    (7,500 + rows, ~11 ms at 100,000 articles: bench/README.md, Scale), however few
    candidates the walk needs; OFFSET 0 keeps the per-candidate index probe."""
    fence = " OFFSET 0" if vendor == "postgresql" else ""
    q = connection.ops.quote_name
    meta = Article._meta
    table = q(meta.db_table)
    links = ", ".join(f"{table}.{q(meta.get_field(n).column)}" for n in _columns(LINK_FIELDS))
    date, pk = f"{table}.{q(meta.get_field('date').column)}", f"{table}.{q(meta.pk.column)}"
    released = f"{table}.{q(meta.get_field('released').column)}"
    shared = []
    if authors:
        byline = Byline._meta
        shared.append(
            f"EXISTS(SELECT 1 FROM {q(byline.db_table)} U0 "  # noqa: S608
            f"WHERE (U0.{q(byline.get_field('article').column)} = ({pk}) "
            f"AND U0.{q(byline.get_field('author').column)} IN ({_names('a', authors)})){fence})"
        )
    if tags:
        through = Article.tags.through._meta
        shared.append(
            f"EXISTS(SELECT 1 FROM {q(through.db_table)} U1 "  # noqa: S608
            f"WHERE (U1.{q(through.get_field('article').column)} = ({pk}) "
            f"AND U1.{q(through.get_field('tag').column)} IN ({_names('t', tags)})){fence})"
        )
    return (
        f"SELECT {links} FROM {table} WHERE ({date} <= %(now)s AND {released} "  # noqa: S608
        f"AND ({' OR '.join(shared)}) AND NOT ({pk} = %(pk)s)) "
        f"ORDER BY {date} DESC, {pk} DESC LIMIT {RELATED_COUNT}"
    )


def _date_param(value: datetime) -> object:
    return Article._meta.get_field("date").get_db_prep_value(value, connection)


def _article(columns: tuple[str, ...], row: tuple) -> Article:
    """A partial Article from a row (deferred fields load on access, as with `.only()`)."""
    values = []
    for name, value in zip(columns, row, strict=True):
        if name in ("date", "updated_at"):
            value = aware(value)
        elif name == "released":
            value = bool(value)
        values.append(value)
    return Article.from_db(connection.alias, columns, values)


class Link(NamedTuple):
    """A previous/next/related article: what blog.cards.link() reads (no model instance: it
    would cost more than the row)."""

    pk: int
    title: str
    slug: str
    date: datetime


class Named(NamedTuple):
    """An author or a tag of the page: what the page reads of it (a model instance costs its
    __init__ and two signals, for three values)."""

    pk: int
    name: str
    slug: str


def _link(row: tuple) -> Link:
    pk, title, slug, date = row
    return Link(pk, title, slug, aware(date))


@dataclass
class ArticlePage:
    """Everything the article page reads from the database."""

    article: Article
    authors: list[Named]
    tags: list[Named]
    previous: Link | None
    next: Link | None
    related: list[Link]


class Found(NamedTuple):
    article: Article  # body_html and the reports deferred
    body: bytes  # the stored HTML body as UTF-8
    headings: str | None  # the stored report's, as JSON text; None for a row without them


def find_article(slug: str, *, drafts: bool = False, now: datetime | None = None) -> Found | None:
    """The published article with this slug (any article, with `drafts`), or None."""
    statements = _statements(connection.vendor)
    with connection.cursor() as cursor:
        if drafts:
            cursor.execute(statements.draft_or_article, {"slug": slug})
        else:
            now_param = _date_param(now or timezone.now())
            cursor.execute(statements.article, {"now": now_param, "slug": slug})
        row = cursor.fetchone()
    if row is None:
        return None
    # The headings stay JSON text (SQLite's json_extract, PostgreSQL's ::text): page_toc
    # parses each distinct list once per process.
    return Found(_article(statements.article_columns, row[:-2]), bytes(row[-1]), row[-2])


def load_page(article: Article, now: datetime | None = None) -> ArticlePage:
    """The article's bylines and tags, its published neighbours in date order and a few related
    published articles: five statements, each answered by an index."""
    statements = _statements(connection.vendor)
    now = now or timezone.now()
    now_param, date = _date_param(now), _date_param(article.date)
    earlier = date if article.date <= now else now_param
    with connection.cursor() as cursor:
        cursor.execute(statements.bylines, {"article": article.pk})
        authors = [Named._make(row) for row in cursor.fetchall()]
        cursor.execute(statements.tags, {"article": article.pk})
        tags = [Named._make(row) for row in cursor.fetchall()]
        cursor.execute(statements.older, {"earlier": earlier, "date": date, "pk": article.pk})
        row = cursor.fetchone()
        previous = None if row is None else _link(row)
        cursor.execute(statements.newer, {"now": now_param, "date": date, "pk": article.pk})
        row = cursor.fetchone()
        following = None if row is None else _link(row)
        related: list[Link] = []
        if authors or tags:
            cursor.execute(
                _related_statement(connection.vendor, len(authors), len(tags)),
                {
                    "now": now_param,
                    "pk": article.pk,
                    **{f"a{n}": author.pk for n, author in enumerate(authors)},
                    **{f"t{n}": tag.pk for n, tag in enumerate(tags)},
                },
            )
            related = [_link(row) for row in cursor.fetchall()]
    return ArticlePage(article, authors, tags, previous, following, related)


@lru_cache(maxsize=512)
def toc_items(headings: tuple[Heading, ...]) -> SafeString:
    """The table of contents' list items, escaped (a `{% for %}` of three variables per heading
    was the costliest part of the page's template)."""
    return format_html_join(
        "",
        '<li class="toc__item toc__item--{}"><a href="#{}">{}</a></li>',
        ((heading.level, heading.id, heading.text) for heading in headings),
    )


def cover_url(article: Article) -> str:
    data = cover_data(article)
    return absolute_url(data["src"]) if data else ""


def json_ld(article: Article, context: dict[str, Any]) -> dict[str, Any]:
    """schema.org Article data for search engines."""
    data = {
        "@context": "https://schema.org",
        "@type": "Article",
        "headline": article.title,
        "description": article.description,
        "datePublished": context["meta"]["iso"],
        "dateModified": context["modified_iso"],
        "inLanguage": "hu",
        "mainEntityOfPage": context["canonical"],
        "url": context["canonical"],
        "author": [
            {"@type": "Person", "name": a["name"], "url": absolute_url(a["url"])}
            for a in context["meta"]["authors"]
        ],
        "publisher": {"@type": "Organization", "name": site_name_value()},
    }
    if context["cover_url"]:
        data["image"] = [context["cover_url"]]
    if context["tags"]:
        data["keywords"] = [t.name for t in context["tags"]]
    return data


def page_toc(
    headings: str | list[dict[str, Any]] | None, body: bytes
) -> tuple[tuple[Heading, ...], SafeString]:
    """The table of contents and its list items: from the stored report's headings (JSON text
    as the database gives it, or the decoded list), or, for a row stored without them
    (written by something other than Article.save), from its HTML."""
    if isinstance(headings, str):
        found = _toc_from_json(headings)
        if found is not None:
            return found
    elif isinstance(headings, list):
        return _toc(report_toc(headings))
    return _toc(analyse_body(body.decode()).toc)


def _toc(headings: list[Heading]) -> tuple[tuple[Heading, ...], SafeString]:
    toc = tuple(headings)
    return toc, toc_items(toc)


@lru_cache(maxsize=512)
def _toc_from_json(text: str) -> tuple[tuple[Heading, ...], SafeString] | None:
    """page_toc for the stored headings' JSON text, once per distinct text and process (keyed
    by its input, so never stale; a few hundred bytes each). None when it is not a list."""
    headings = json.loads(text)
    return _toc(report_toc(headings)) if isinstance(headings, list) else None


BODY_MARKER = SafeString(f"<cikk-body-{secrets.token_hex(12)}>")


def render_article(request: HttpRequest, context: dict[str, Any], body: bytes) -> HttpResponse:
    """blog/article.html with the stored body spliced in as bytes.

    The template places BODY_MARKER (random per process; escaping turns any `<` of a title or
    description into `&lt;`, so no text of an article can spell it) where the body goes; the
    rendered page is cut there once and the body's UTF-8 bytes go in between. The reader gets
    exactly the bytes the template would have made with the body in it."""
    response = render(request, "blog/article.html", {**context, "body": BODY_MARKER})
    marker = BODY_MARKER.encode()
    head, found, tail = response.content.partition(marker)
    if not found or marker in tail:
        raise RuntimeError("blog/article.html must place {{ body }} exactly once")
    response.content = b"".join((head, body, tail))
    return response


def article_context(
    article: Article,
    body: bytes,
    headings: str | list[dict[str, Any]] | None,
    authors: Sequence[Author | Named],
    tags: Sequence[Tag | Named],
    *,
    previous: Link | None = None,
    following: Link | None = None,
    related: list[Link] | tuple = (),
    **extra: Any,
) -> dict[str, Any]:
    """What blog/article.html shows, for the reader's page and the reviewer's share preview."""
    toc, items = page_toc(headings, body)
    at = where()
    context = {
        "article": article,
        "authors": authors,
        "meta": meta(article, authors, at),
        "tags": tags,
        "toc": toc,
        "toc_items": items,
        "tag_links": [{"name": t.name, "url": slug_url("blog:tag", t.slug, at)} for t in tags],
        "previous": link(previous, at),
        "next": link(following, at),
        "related": [link(item, at) for item in related],
        "canonical": absolute_url(slug_url("blog:article", article.slug, at)),
        "modified_iso": iso(article.updated_at),
        "cover_url": cover_url(article),
        "with_math": b'class="math' in body,
        # Scrollable tables and display formulas get their keyboard-scrolling script.
        "scroll_regions": b"table-container" in body or b"math-display" in body,
        **extra,
    }
    context["meta_line"] = mark_safe(meta_line_html(context["meta"]))  # noqa: S308 (escaped)
    context["related_items"] = format_html_join(
        "",
        '<li><a href="{}">{}</a> <time datetime="{}">{}</time></li>',
        ((item["url"], item["title"], item["iso"], item["date"]) for item in context["related"]),
    )
    context["json_ld_data"] = json_ld(article, context)
    return context

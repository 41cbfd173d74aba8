"""What a list card and an article's meta line show, prepared in Python as plain dicts.

Why: a reader page's CPU was nearly all Django template work per card (three nested includes,
an inclusion tag, a `{% blocktranslate count %}`, two filters, a `reverse()` per link, and
attribute look-ups on model instances that miss and call `dir()`; figures in bench/README.md,
Scale). Here each value is computed once, with one `reverse()` per URL name per
process (`slug_url`), and the templates (`blog/_card.html`, `blog/_meta_line.html`) only place
ready strings: dict look-ups, the cheapest thing a Django template does. Everything stays
escaped by the template, except the search highlights, which blog.search escapes itself.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from django.core.signals import setting_changed
from django.db import connection
from django.dispatch import receiver
from django.urls import get_script_prefix, reverse
from django.utils.translation import gettext, ngettext

from articles.models import Article, Author, Byline, Tag
from blog.content import reading_minutes
from blog.templatetags.cikk import cover_data, hu_date, iso

_MARKER = "cikk-slug-marker"


@lru_cache(maxsize=32)
def _slug_url_parts(name: str, script_prefix: str) -> tuple[str, str]:
    url = reverse(name, kwargs={"slug": _MARKER})
    head, _, tail = url.partition(_MARKER)
    return head, tail


@lru_cache(maxsize=32)
def _fixed_url(name: str, script_prefix: str) -> str:
    return reverse(name)


def fixed_url(name: str) -> str:
    """`reverse(name)` for a URL without arguments (home, feeds, search), once per process and
    script prefix: `{% url %}` resolves on every use, six of them on every page."""
    return _fixed_url(name, get_script_prefix())


@receiver(setting_changed)
def _urlconf_changed(*, setting: str, **kwargs: Any) -> None:
    """A test that swaps ROOT_URLCONF gets fresh URLs, as reverse() does."""
    if setting == "ROOT_URLCONF":
        _slug_url_parts.cache_clear()
        _fixed_url.cache_clear()


def slug_url(name: str, slug: str) -> str:
    """`reverse(name, kwargs={"slug": slug})` for a `<slug:slug>` URL, from one real reverse
    per URL name and script prefix: the same string for every slug the pattern accepts (slugs
    are ASCII letters, digits, `-` and `_`, which reverse() leaves as they are)."""
    head, tail = _slug_url_parts(name, get_script_prefix())
    return f"{head}{slug}{tail}"


@lru_cache(maxsize=8)
def _related_sql(vendor: str, kind: str) -> str:
    """Bylines (`kind` "authors": in byline order) or tags ("tags": by name) of some articles,
    as one hand-written statement built once per process from the models' names, with `{}`
    where the article ids' placeholders go.

    Why not the ORM: every list page, feed, search page and article runs it, and compiling the
    equivalent queryset cost ten times what running it does (bench/README.md, Scale);
    tests/test_reader_cards.py pins the rows against the querysets they replace."""
    quote = connection.ops.quote_name
    if kind == "authors":
        link, target = Byline._meta, Author._meta
        owner = quote(link.get_field("author").column)
        order = f"l.{quote(link.get_field('position').column)}, l.{quote(link.pk.column)}"
    else:
        link, target = Article.tags.through._meta, Tag._meta
        owner = quote(link.get_field("tag").column)
        order = f"t.{quote(target.get_field('name').column)}, l.{owner}"
    article = quote(link.get_field("article").column)
    return (
        f"SELECT l.{article}, l.{owner}, t.{quote(target.get_field('name').column)}, "  # noqa: S608
        f"t.{quote(target.get_field('slug').column)} "
        f"FROM {quote(link.db_table)} l INNER JOIN {quote(target.db_table)} t "
        f"ON t.{quote(target.pk.column)} = l.{owner} "
        f"WHERE l.{article} IN ({{}}) ORDER BY l.{article}, {order}"
    )


def related_rows(ids: list[int], kind: str) -> dict[int, list[tuple[int, str, str]]]:
    """(pk, name, slug) of each article's authors (`kind` "authors", in byline order) or tags
    ("tags", by name), for the articles `ids`: one query, none for no ids."""
    found: dict[int, list[tuple[int, str, str]]] = {pk: [] for pk in ids}
    if not ids:
        return found
    sql = _related_sql(connection.vendor, kind).format(", ".join(["%s"] * len(ids)))
    with connection.cursor() as cursor:
        cursor.execute(sql, ids)
        for article_id, pk, name, slug in cursor.fetchall():
            found[article_id].append((pk, name, slug))
    return found


def _as_models(rows: dict[int, list[tuple[int, str, str]]], model: type) -> dict[int, list]:
    return {
        article: [model(pk=pk, name=name, slug=slug) for pk, name, slug in found]
        for article, found in rows.items()
    }


def authors_by_article(ids: list[int]) -> dict[int, list[Author]]:
    """The bylines of a page of articles in one query, in byline order (what
    `with_authors()` gives, without the prefetch machinery's per-instance work: it was half
    of a feed's CPU), as partial Author objects (pk, name, slug)."""
    return _as_models(related_rows(ids, "authors"), Author)


def tags_by_article(ids: list[int]) -> dict[int, list[Tag]]:
    """The tags of a page of articles in one query, by name (Tag's ordering), as partial Tag
    objects (pk, name, slug)."""
    return _as_models(related_rows(ids, "tags"), Tag)


def reading_label(words: int) -> str:
    """ "5 perc olvasás", from the word count stored on save."""
    minutes = reading_minutes(words)
    return ngettext("%(minutes)s perc olvasás", "%(minutes)s perc olvasás", minutes) % {
        "minutes": minutes
    }


def byline(authors: list[Author]) -> list[dict[str, str]]:
    """Authors as links with the separator after each: "A, B és C"."""
    last = len(authors) - 1
    conjunction = f" {gettext('és')} "
    return [
        {
            "url": slug_url("blog:author", author.slug),
            "name": author.name,
            "sep": "" if n == last else conjunction if n == last - 1 else ", ",
        }
        for n, author in enumerate(authors)
    ]


def meta(article: Article, authors: list[Author] | None = None) -> dict[str, Any]:
    """The meta line (byline · date · reading time) of an article (blog/_meta_line.html)."""
    return {
        "authors": byline(article.author_list() if authors is None else authors),
        "iso": iso(article.date),
        "date": hu_date(article.date),
        "reading": reading_label(article.word_count),
    }


def link(article: Article | None) -> dict[str, str] | None:
    """A previous/next/related link: title, URL and date."""
    if article is None:
        return None
    return {
        "title": article.title,
        "url": slug_url("blog:article", article.slug),
        "iso": iso(article.date),
        "date": hu_date(article.date),
    }


def card(article: Article, authors: list[Author], eager: bool = False) -> dict[str, Any]:
    """One list card (blog/_card.html). A search result carries `title_html` and `snippet`
    (escaped and highlighted by blog.search); any other card shows the description."""
    data = meta(article, authors)
    data.update(
        url=slug_url("blog:article", article.slug),
        title=getattr(article, "title_html", None) or article.title,
        snippet=getattr(article, "snippet", None) or "",
        description=article.description,
        cover=cover_data(article),
        eager=eager,
    )
    return data


def cards(articles: list[Article]) -> list[dict[str, Any]]:
    """Cards of a list page (one query for all their bylines); the first cover loads eagerly
    (it is above the fold)."""
    authors = authors_by_article([article.pk for article in articles]) if articles else {}
    return [card(a, authors[a.pk], eager=n == 0) for n, a in enumerate(articles)]

"""What a list card and an article's meta line show, prepared in Python as plain dicts.

Why: a reader page's CPU was nearly all Django template work per card (three nested includes,
an inclusion tag, a `{% blocktranslate count %}`, two filters, a `reverse()` per link, and
attribute look-ups on model instances that miss and call `dir()`; figures in bench/README.md,
Scale). Here each value is computed once, with one `reverse()` per URL name per
process (`slug_url`), and the card's HTML, its meta line and its cover are written here
(card_html, meta_line_html, picture_html; the article page uses the last two as well). Every
value is escaped, except the search highlights, which blog.search escapes itself.
"""

from __future__ import annotations

from datetime import tzinfo
from functools import lru_cache
from typing import Any, NamedTuple

from django.core.signals import setting_changed
from django.db import connection
from django.dispatch import receiver
from django.urls import get_script_prefix, reverse
from django.utils import timezone
from django.utils.formats import localize
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext, ngettext

from articles.models import Article, Author, Byline, Tag
from blog.content import reading_minutes
from blog.templating import SIZES_CARD, cover_data, iso_and_hu_date

_MARKER = "cikk-slug-marker"


# The columns a list card shows (`cards`): never the Markdown source, the HTML or the
# search text, each tens of kB an article (the reading time comes from the stored word_count).
LIST_FIELDS = (
    "title",
    "slug",
    "description",
    "date",
    "image",
    "image_width",
    "image_height",
    "word_count",
)


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


class Where(NamedTuple):
    """The request's script prefix and time zone, read once per page: each read is an asgiref
    Local look-up of several microseconds, and a page writes dozens of URLs and dates."""

    prefix: str
    zone: tzinfo


def where() -> Where:
    return Where(get_script_prefix(), timezone.get_current_timezone())


def slug_url(name: str, slug: str, at: Where | None = None) -> str:
    """`reverse(name, kwargs={"slug": slug})` for a `<slug:slug>` URL, from one real reverse
    per URL name and script prefix: the same string for every slug the pattern accepts (slugs
    are ASCII letters, digits, `-` and `_`, which reverse() leaves as they are)."""
    head, tail = _slug_url_parts(name, at.prefix if at else get_script_prefix())
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


def byline(authors: list[Author], at: Where | None = None) -> list[dict[str, str]]:
    """Authors as links with the separator after each: "A, B és C"."""
    last = len(authors) - 1
    conjunction = f" {gettext('és')} "
    return [
        {
            "url": slug_url("blog:author", author.slug, at),
            "name": author.name,
            "sep": "" if n == last else conjunction if n == last - 1 else ", ",
        }
        for n, author in enumerate(authors)
    ]


def meta(
    article: Article, authors: list[Author] | None = None, at: Where | None = None
) -> dict[str, Any]:
    """The meta line (byline · date · reading time) of an article (meta_line_html)."""
    when = iso_and_hu_date(article.date, at.zone if at else None)
    return {
        "authors": byline(article.author_list() if authors is None else authors, at),
        "iso": when[0],
        "date": when[1],
        "reading": reading_label(article.word_count),
    }


def link(article: Article | None, at: Where | None = None) -> dict[str, str] | None:
    """A previous/next/related link: title, URL and date."""
    if article is None:
        return None
    when = iso_and_hu_date(article.date, at.zone if at else None)
    return {
        "title": article.title,
        "url": slug_url("blog:article", article.slug, at),
        "iso": when[0],
        "date": when[1],
    }


def card(
    article: Article, authors: list[Author], eager: bool = False, at: Where | None = None
) -> dict[str, Any]:
    """One list card (card_html). A search result carries `title_html` and `snippet`
    (escaped and highlighted by blog.search); any other card shows the description."""
    data = meta(article, authors, at)
    data.update(
        url=slug_url("blog:article", article.slug, at),
        title=getattr(article, "title_html", None) or article.title,
        snippet=getattr(article, "snippet", None) or "",
        description=article.description,
        cover=cover_data(article),
        eager=eager,
    )
    return data


def cards(articles: list[Article]) -> list[dict[str, Any]]:
    """Cards of a list page (one query for all their bylines); the first cover loads eagerly
    (it is above the fold). Each card carries its HTML (`html`, see card_html)."""
    authors = authors_by_article([article.pk for article in articles]) if articles else {}
    at = where()
    found = [card(a, authors[a.pk], eager=n == 0, at=at) for n, a in enumerate(articles)]
    for data in found:
        data["html"] = card_html(data)
    return found


# ---- A card's HTML -------------------------------------------------------------------------
# Written here rather than by three nested template includes: the include machinery and
# the per-variable rendering of ~20 values a card were half of a list page's template time
# (bench/README.md, Scale). Every value goes through `_value`, which is what a template's
# `{{ value }}` does (localize, then conditional_escape: SafeStrings such as the search
# highlights stay, everything else is escaped): tests/test_reader_cards.py checks the markup
# on hostile values. The article page writes its meta line and cover with the same functions.
def _value(value: Any) -> str:
    """What `{{ value }}` writes in an autoescaped template."""
    if not isinstance(value, str):
        value = str(localize(value))
    return conditional_escape(value)


def meta_line_html(meta: dict[str, Any]) -> str:
    """A meta line's HTML (see meta()): byline links · date · reading time."""
    parts = ['<p class="meta">']
    if meta["authors"]:
        parts.append('<span class="byline">')
        for author in meta["authors"]:
            url, name, sep = _value(author["url"]), _value(author["name"]), _value(author["sep"])
            parts.append(f'<a href="{url}">{name}</a>{sep}')
        parts.append('</span> <span aria-hidden="true">·</span> ')
    parts.append(
        f'<time datetime="{_value(meta["iso"])}">{_value(meta["date"])}</time> '
        '<span aria-hidden="true">·</span> '
        f'<span class="reading-time">{_value(meta["reading"])}</span></p>\n'
    )
    return "".join(parts)


def picture_html(
    image: dict[str, Any] | None, *, eager: bool, sizes: str, alt: str, css_class: str
) -> str:
    """A responsive <picture> for cover_data()'s `image` ("\\n" without one)."""
    if not image:
        return "\n"
    sizes = _value(sizes)
    parts = [f'<picture class="{_value(css_class)}">']
    if image.get("webp_srcset"):
        webp = _value(image["webp_srcset"])
        parts.append(f'<source type="image/webp" srcset="{webp}" sizes="{sizes}">')
    parts.append(f'<img src="{_value(image["src"])}"')
    if image.get("srcset"):
        parts.append(f' srcset="{_value(image["srcset"])}" sizes="{sizes}"')
    if image.get("width"):
        parts.append(f' width="{_value(image["width"])}" height="{_value(image.get("height"))}"')
    parts.append(f' alt="{_value(alt)}" decoding="async"')
    parts.append(' fetchpriority="high"' if eager else ' loading="lazy"')
    parts.append("></picture>\n")
    return "".join(parts)


def card_html(data: dict[str, Any]) -> SafeString:
    """One list card: cover, linked title, meta line, then the search snippet or else the
    description."""
    cover = ""
    if data["cover"]:
        cover = picture_html(
            data["cover"], eager=data["eager"], sizes=SIZES_CARD, alt="", css_class="card-cover"
        )
    if data["snippet"]:
        text = f'<p class="card__snippet">{_value(data["snippet"])}</p>'
    elif data["description"]:
        text = f'<p class="card__description">{_value(data["description"])}</p>'
    else:
        text = ""
    html = (
        '<article class="card">\n'
        f"  {cover}\n"
        '  <div class="card__body">\n'
        f'    <h2 class="card__title"><a href="{_value(data["url"])}">'
        f"{_value(data['title'])}</a></h2>\n"
        f"    {meta_line_html(data)}\n"
        f"    {text}\n"
        "  </div>\n"
        "</article>\n"
    )
    return mark_safe(html)  # noqa: S308  (every value above went through _value)

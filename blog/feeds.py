"""RSS 2.0 and Atom feeds of published articles: full sanitized HTML, every author.

Written directly, not through django.contrib.syndication: the framework asked ~14 methods per
item through `getattr`, built model instances for every item, byline and tag, and sent each
element through a SAX writer; that was two thirds of a feed's CPU (bench/README.md, Scale).
The document here is the one Django's Rss201rev2Feed / Atom1Feed wrote, element for element
(same order, same escaping: `xml.sax.saxutils`, attributes sorted, empty elements closed
short), from three small queries of plain rows.

Whatever an article holds, a feed is valid XML: characters XML 1.0 cannot carry (control
characters, lone surrogates, U+FFFE/U+FFFF) are dropped on the way out (`xml_safe`). The
importer and the admin refuse them on the way in; this is the last line for rows written any
other way.

An item's content (MathML without KaTeX's glyph spans, absolute links, XML-escaped) is derived
from the stored `body_html` alone, so it is kept per process keyed by that text and the site
URL (`_content`): never stale, and the same twenty bodies are not re-escaped on every request.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from functools import lru_cache
from html import escape as html_escape
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.encoding import iri_to_uri
from django.utils.feedgenerator import rfc2822_date, rfc3339_date
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from articles.models import Article
from articles.text import mathml_only
from blog.caching import conditional
from blog.cards import fixed_url, related_rows, slug_url
from blog.content import absolute_url, absolutize_html
from blog.templating import site_name_value

FEED_SIZE = 20
DESCRIPTION = _("A legfrissebb cikkek")
LANGUAGE = "hu"
RSS_CONTENT_TYPE = "application/rss+xml; charset=utf-8"
ATOM_CONTENT_TYPE = "application/atom+xml; charset=utf-8"
_XML_DECLARATION = '<?xml version="1.0" encoding="utf-8"?>\n'
_RSS_OPEN = (
    '<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"'
    ' xmlns:content="http://purl.org/rss/1.0/modules/content/"'
    ' xmlns:dc="http://purl.org/dc/elements/1.1/">'
)
_ATOM_OPEN = '<feed xml:lang="hu" xmlns="http://www.w3.org/2005/Atom">'

# Everything outside XML 1.0's Char production (https://www.w3.org/TR/xml/#charsets).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_safe(value: Any) -> Any:
    """`value` with the characters XML cannot carry removed (strings inside lists and tuples
    too); anything else unchanged."""
    if isinstance(value, str):
        return _NOT_XML.sub("", value)
    if isinstance(value, (list, tuple)):
        return type(value)(xml_safe(item) for item in value)
    return value


def _text(value: str) -> str:
    """Element text as Django's XML writer wrote it: XML-safe, then `&`, `<`, `>` escaped."""
    return escape(xml_safe(value))


def _attr(value: str) -> str:
    """An attribute value with its quotes (saxutils.quoteattr, as the XML writer used)."""
    return quoteattr(xml_safe(value))


def _element(name: str, value: str, attrs: str = "") -> str:
    """`<name attrs>text</name>`, or `<name attrs/>` when the text is empty (short empty
    elements, as the XML writer closed them)."""
    text = _text(value)
    return f"<{name}{attrs}>{text}</{name}>" if text else f"<{name}{attrs}/>"


@lru_cache(maxsize=4 * FEED_SIZE)
def _content(body_html: str, site_url: str) -> str:
    """An item's full text, escaped for the XML: the stored HTML with each formula as MathML
    alone (feed readers have no KaTeX CSS) and root-relative links made absolute."""
    return _text(absolutize_html(mathml_only(body_html)))


class _Item:
    """One article of the feed, with what both formats show."""

    __slots__ = ("authors", "content", "date", "description", "link", "tags", "title", "updated")

    def __init__(self, row: tuple, authors: list[tuple], tags: list[tuple]) -> None:
        _pk, title, slug, description, body_html, date, updated = row
        self.title = title
        self.link = absolute_url(slug_url("blog:article", slug))
        # RSS <description> and Atom <summary type="html"> are HTML to a feed reader; the
        # description is plain text (the pages show it escaped), so it is escaped here too:
        # `<img onerror=…>` in a description reaches the reader as text, never as markup.
        self.description = html_escape(description, quote=False)
        self.content = _content(body_html, settings.CIKK_SITE_URL) if body_html else ""
        self.date, self.updated = date, updated
        self.authors = [
            (name, absolute_url(slug_url("blog:author", s))) for _pk, name, s in authors
        ]
        self.tags = [name for _pk, name, _slug in tags]


def feed_items() -> list[_Item]:
    """The newest FEED_SIZE published articles, their bylines (in byline order) and tags (by
    name): three queries of plain rows, whatever the size of the archive."""
    rows = list(
        Article.objects.published()
        # The full HTML (content), not the Markdown source or the search text.
        .values_list("pk", "title", "slug", "description", "body_html", "date", "updated_at")[
            :FEED_SIZE
        ]
    )
    ids = [row[0] for row in rows]
    authors, tags = related_rows(ids, "authors"), related_rows(ids, "tags")
    return [_Item(row, authors[row[0]], tags[row[0]]) for row in rows]


def _latest(items: list[_Item]) -> datetime:
    """The newest date of any item (update or publication); now for an empty feed."""
    dates = [d for item in items for d in (item.updated, item.date) if d]
    return max(dates) if dates else datetime.now(tz=UTC)


def _site_link(name: str) -> str:
    """The absolute URL of one of the site's fixed pages, as a feed's link."""
    return iri_to_uri(absolute_url(fixed_url(name)))


def _rss_item(item: _Item) -> str:
    link = _text(iri_to_uri(item.link))
    parts = [
        "<item>",
        _element("title", item.title),
        f"<link>{link}</link>",
        _element("description", item.description),
        f"<pubDate>{rfc2822_date(item.date)}</pubDate>",
        f"<guid>{_text(item.link)}</guid>",
    ]
    parts.extend(_element("category", name) for name in item.tags)
    parts.extend(_element("dc:creator", name) for name, _url in item.authors)
    if item.content:
        parts.append(f"<content:encoded>{item.content}</content:encoded>")
    parts.append("</item>")
    return "".join(parts)


def render_rss(items: list[_Item]) -> str:
    """RSS 2.0 with `content:encoded` (the full article) and one `dc:creator` per author."""
    parts = [
        _XML_DECLARATION,
        _RSS_OPEN,
        "<channel>",
        _element("title", site_name_value()),
        _element("link", _site_link("blog:home")),
        _element("description", str(DESCRIPTION)),
        f'<atom:link href={_attr(_site_link("blog:feed_rss"))} rel="self"/>',
        f"<language>{LANGUAGE}</language>",
        f"<lastBuildDate>{rfc2822_date(_latest(items))}</lastBuildDate>",
    ]
    parts.extend(_rss_item(item) for item in items)
    parts.append("</channel></rss>")
    return "".join(parts)


def _atom_entry(item: _Item) -> str:
    parts = [
        "<entry>",
        _element("title", item.title),
        f'<link href={_attr(iri_to_uri(item.link))} rel="alternate"/>',
        f"<published>{rfc3339_date(item.date)}</published>",
    ]
    if item.updated is not None:
        parts.append(f"<updated>{rfc3339_date(item.updated)}</updated>")
    parts.append(_element("id", item.link))
    parts.append(_element("summary", item.description, ' type="html"'))
    parts.extend(f"<category term={_attr(name)}/>" for name in item.tags)
    for name, url in item.authors:
        parts.append(f"<author>{_element('name', name)}{_element('uri', url)}</author>")
    if item.content:
        parts.append(f'<content type="html">{item.content}</content>')
    parts.append("</entry>")
    return "".join(parts)


def render_atom(items: list[_Item]) -> str:
    """Atom with `<content type="html">` (the full article) and one `<author>` per author."""
    home = absolute_url(fixed_url("blog:home"))
    parts = [
        _XML_DECLARATION,
        _ATOM_OPEN,
        _element("title", site_name_value()),
        f'<link href={_attr(_site_link("blog:home"))} rel="alternate"/>',
        f'<link href={_attr(_site_link("blog:feed_atom"))} rel="self"/>',
        _element("id", home),
        f"<updated>{rfc3339_date(_latest(items))}</updated>",
        _element("subtitle", str(DESCRIPTION)),
    ]
    parts.extend(_atom_entry(item) for item in items)
    parts.append("</feed>")
    return "".join(parts)


def _feed_view(render: Callable[[list[_Item]], str], content_type: str) -> Callable:
    @require_safe
    @conditional()
    def view(request: HttpRequest) -> HttpResponse:
        return HttpResponse(render(feed_items()), content_type=content_type)

    return view


rss_feed = _feed_view(render_rss, RSS_CONTENT_TYPE)
atom_feed = _feed_view(render_atom, ATOM_CONTENT_TYPE)

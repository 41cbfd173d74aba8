"""RSS 2.0 and Atom feeds of published articles: full sanitized HTML, every author.

Whatever an article holds, a feed is valid XML: characters XML 1.0 cannot carry (control
characters, lone surrogates, U+FFFE/U+FFFF) are dropped on the way out, in one place
(`XmlSafeFeed.add_item`), because Django's XML writer refuses them with a 500. The importer and
the admin refuse them on the way in; this is the last line for rows written any other way.
"""

from __future__ import annotations

import io
import re
from html import escape
from typing import Any

from django.contrib.syndication.views import Feed
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed
from django.utils.translation import gettext_lazy as _

from articles.models import Article
from articles.text import mathml_only
from blog.cards import authors_by_article, slug_url, tags_by_article
from blog.content import absolute_url, absolutize_html
from blog.templatetags.cikk import site_name_value

FEED_SIZE = 20

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


class XmlSafeFeed:
    """Mixin for a feed generator: the feed's and every item's text go through xml_safe(), and
    the document is written to memory first, then to the response in one piece (the XML writer
    otherwise sends each of its ~900 small strings through HttpResponse.write's encoding)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*map(xml_safe, args), **{k: xml_safe(v) for k, v in kwargs.items()})

    def add_item(self, *args: Any, **kwargs: Any) -> None:
        super().add_item(*map(xml_safe, args), **{k: xml_safe(v) for k, v in kwargs.items()})

    def write(self, outfile, encoding: str) -> None:
        buffer = io.StringIO()
        super().write(buffer, encoding)
        outfile.write(buffer.getvalue())


class RssWithContent(XmlSafeFeed, Rss201rev2Feed):
    """RSS 2.0 plus `content:encoded` (the full article) and one `dc:creator` per author."""

    def rss_attributes(self) -> dict[str, str]:
        attrs = super().rss_attributes()
        attrs["xmlns:content"] = "http://purl.org/rss/1.0/modules/content/"
        attrs["xmlns:dc"] = "http://purl.org/dc/elements/1.1/"
        return attrs

    def add_item_elements(self, handler, item) -> None:
        super().add_item_elements(handler, item)
        for name in item.get("authors", ()):
            handler.addQuickElement("dc:creator", name)
        if item.get("content"):
            handler.addQuickElement("content:encoded", item["content"])


class AtomWithContent(XmlSafeFeed, Atom1Feed):
    """Atom with `<content type="html">` (the full article) and one `<author>` per author."""

    def add_item_elements(self, handler, item) -> None:
        super().add_item_elements(handler, item)
        for name, uri in item.get("author_links", ()):
            handler.startElement("author", {})
            handler.addQuickElement("name", name)
            handler.addQuickElement("uri", uri)
            handler.endElement("author")
        if item.get("content"):
            handler.addQuickElement("content", item["content"], {"type": "html"})


class LatestArticlesFeed(Feed):
    """The newest published articles. Links are absolute from settings.CIKK_SITE_URL."""

    feed_type = RssWithContent
    description = _("A legfrissebb cikkek")
    language = "hu"

    def title(self) -> str:
        return site_name_value()

    def link(self) -> str:
        return absolute_url(reverse("blog:home"))

    def feed_url(self) -> str:
        return absolute_url(reverse("blog:feed_rss"))

    def items(self):
        items = list(
            Article.objects.published()
            # The full HTML (content), not the Markdown source or the search text.
            .only("title", "slug", "description", "body_html", "date", "updated_at")[:FEED_SIZE]
        )
        # Bylines and tags in one query each, kept on the items (the feed object itself is
        # shared by every request).
        ids = [item.pk for item in items]
        authors, tags = authors_by_article(ids), tags_by_article(ids)
        for item in items:
            item.feed_authors, item.feed_tags = authors[item.pk], tags[item.pk]
        return items

    def item_title(self, item: Article) -> str:
        return item.title

    def item_description(self, item: Article) -> str:
        # RSS <description> and Atom <summary type="html"> are HTML to a feed reader; the
        # description is plain text (the pages show it escaped), so it is escaped here too:
        # `<img onerror=…>` in a description reaches the reader as text, never as markup.
        return escape(item.description, quote=False)

    def item_link(self, item: Article) -> str:
        return absolute_url(slug_url("blog:article", item.slug))

    def item_guid(self, item: Article) -> str:
        return self.item_link(item)

    def item_pubdate(self, item: Article):
        return item.date

    def item_updateddate(self, item: Article):
        return item.updated_at

    def item_categories(self, item: Article) -> list[str]:
        return [tag.name for tag in item.feed_tags]

    def item_extra_kwargs(self, item: Article) -> dict:
        authors = item.feed_authors
        return {
            "authors": [a.name for a in authors],
            "author_links": [
                (a.name, absolute_url(slug_url("blog:author", a.slug))) for a in authors
            ],
            "content": absolutize_html(mathml_only(item.body_html)),  # MathML, no glyph spans
        }


class LatestArticlesAtomFeed(LatestArticlesFeed):
    feed_type = AtomWithContent
    subtitle = LatestArticlesFeed.description

    def feed_url(self) -> str:
        return absolute_url(reverse("blog:feed_atom"))

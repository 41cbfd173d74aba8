"""Sitemaps: an index (/sitemap.xml) of sections paged at 10,000 URLs (/sitemap-<section>.xml,
`?p=N`): home, published articles (lastmod = the article's last content change), authors and
tags that have any. Absolute URLs from settings.CIKK_SITE_URL, not from the request's Host.

Why paged: a single sitemap silently drops everything past 50,000 URLs and costs seconds to
build. Each section's total is counted once per content state (kept in the cache), and the
index's lastmod comes from the content state, so no request reads every article.
"""

from __future__ import annotations

from functools import cached_property
from urllib.parse import urlsplit
from xml.sax.saxutils import escape as xml_escape

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.contrib.sitemaps.views import SitemapIndexItem
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone

from articles.models import Article, Author, Byline, Tag
from blog.caching import cached_count, content_state
from blog.content import absolute_url

SITEMAP_PAGE_SIZE = 10_000


class _CountedPaginator(Paginator):
    """A Paginator whose total is counted at most once per content state."""

    def __init__(self, object_list, per_page: int, scope: str) -> None:
        super().__init__(object_list, per_page)
        self.scope = scope

    @cached_property
    def count(self) -> int:
        if isinstance(self.object_list, list):
            return len(self.object_list)
        return cached_count(self.object_list, f"sitemap:{self.scope}")


class SiteSitemap(Sitemap):
    """Domain and protocol come from CIKK_SITE_URL, whatever Host the request carried."""

    limit = SITEMAP_PAGE_SIZE
    section = "site"

    def get_protocol(self, protocol: str | None = None) -> str:
        return urlsplit(settings.CIKK_SITE_URL).scheme or "https"

    def get_domain(self, site=None) -> str:
        return urlsplit(settings.CIKK_SITE_URL).netloc

    @property
    def paginator(self) -> Paginator:
        return _CountedPaginator(self.items(), self.limit, self.section)

    def get_latest_lastmod(self):
        """For the index: the content state's last change (no pass over the items)."""
        return content_state().changed_at


class ArticleSitemap(SiteSitemap):
    changefreq = "monthly"
    priority = 0.8
    section = "articles"

    def items(self):
        return (
            Article.objects.published()
            .only("slug", "content_changed_at", "updated_at")
            .order_by("-date", "-pk")
        )

    def lastmod(self, item: Article):
        return item.content_changed_at or item.updated_at


class _WithArticlesSitemap(SiteSitemap):
    """Authors and tags with at least one published article (an EXISTS probe each)."""

    model: type = Author
    changefreq = "weekly"
    priority = 0.5

    def _published_link(self):
        published = Article.objects.published().values("pk")
        if self.model is Author:
            return Byline.objects.filter(author=OuterRef("pk"), article__in=published)
        return Article.tags.through.objects.filter(tag=OuterRef("pk"), article__in=published)

    def items(self):
        return self.model.objects.filter(Exists(self._published_link())).order_by("slug")


class AuthorSitemap(_WithArticlesSitemap):
    model = Author
    section = "authors"


class TagSitemap(_WithArticlesSitemap):
    model = Tag
    section = "tags"


class HomeSitemap(SiteSitemap):
    changefreq = "daily"
    priority = 1.0
    section = "home"

    def items(self) -> list[str]:
        return ["blog:home"]

    def location(self, item: str) -> str:
        return reverse(item)

    def lastmod(self, item: str):
        state = content_state()
        return max(filter(None, [state.live, state.changed_at]))


SITEMAPS = {
    "home": HomeSitemap,
    "articles": ArticleSitemap,
    "authors": AuthorSitemap,
    "tags": TagSitemap,
}


def sitemap_index(request: HttpRequest) -> HttpResponse:
    """/sitemap.xml: one entry per page of each section, at CIKK_SITE_URL (Django's index view
    would take the host from the request)."""
    entries = []
    for section, site_class in SITEMAPS.items():
        site = site_class()
        location = absolute_url(reverse("blog:sitemap_section", kwargs={"section": section}))
        lastmod = site.get_latest_lastmod()
        for page in range(1, site.paginator.num_pages + 1):
            entries.append(
                SitemapIndexItem(location if page == 1 else f"{location}?p={page}", lastmod)
            )
    return TemplateResponse(
        request,
        "sitemap_index.xml",
        {"sitemaps": entries},
        content_type="application/xml",
    )


def sitemap_section(request: HttpRequest, section: str) -> HttpResponse:
    """/sitemap-<section>.xml?p=N: one page of a section, written directly from one query of
    slugs and dates (Django's sitemap view calls several methods per URL: 0.7 ms each, seconds
    for a page of 10,000)."""
    site_class = SITEMAPS.get(section)
    if site_class is None:
        raise Http404("Nincs ilyen oldaltérkép.")
    raw = request.GET.get("p", "1")
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 6 or int(raw) < 1:
        raise Http404("Nincs ilyen oldal.")
    page = int(raw)
    site = site_class()
    start = (page - 1) * site.limit
    if isinstance(site, HomeSitemap):
        rows = [(absolute_url(reverse("blog:home")), site.lastmod("blog:home"))][start:]
    else:
        url_name = {"articles": "blog:article", "authors": "blog:author", "tags": "blog:tag"}
        prefix = absolute_url(reverse(url_name[section], kwargs={"slug": "x"}))[:-2]
        if isinstance(site, ArticleSitemap):
            changed = Coalesce("content_changed_at", "updated_at")
            values = site.items().annotate(changed=changed).values_list("slug", "changed")
            rows = [
                (f"{prefix}{slug}/", lastmod)
                for slug, lastmod in values[start : start + site.limit]
            ]
        else:
            values = site.items().values_list("slug", flat=True)
            rows = [(f"{prefix}{slug}/", None) for slug in values[start : start + site.limit]]
    if not rows and page > 1:  # the first page of an empty section is an empty urlset
        raise Http404("Nincs ilyen oldal.")
    tail = f"<changefreq>{site.changefreq}</changefreq><priority>{site.priority}</priority></url>\n"
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
    ]
    zone = timezone.get_current_timezone()
    for location, lastmod in rows:
        parts.append(f"<url><loc>{xml_escape(location)}</loc>")
        if lastmod is not None:
            parts.append(f"<lastmod>{lastmod.astimezone(zone).date().isoformat()}</lastmod>")
        parts.append(tail)
    parts.append("</urlset>\n")
    response = HttpResponse("".join(parts), content_type="application/xml")
    response.headers["X-Robots-Tag"] = "noindex, noodp, noarchive"
    return response

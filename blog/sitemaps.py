"""/sitemap.xml: published articles (lastmod = updated_at), authors and tags that have any,
and the home page. Absolute URLs from settings.CIKK_SITE_URL, not from the request's Host."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.db.models import Max
from django.urls import reverse

from articles.models import Article, Author, Tag


class SiteSitemap(Sitemap):
    """Domain and protocol come from CIKK_SITE_URL, whatever Host the request carried."""

    def get_protocol(self, protocol: str | None = None) -> str:
        return urlsplit(settings.CIKK_SITE_URL).scheme or "https"

    def get_domain(self, site=None) -> str:
        return urlsplit(settings.CIKK_SITE_URL).netloc


class ArticleSitemap(SiteSitemap):
    changefreq = "monthly"
    priority = 0.8

    def items(self):
        return Article.objects.published().only("slug", "updated_at").order_by("-date", "-pk")

    def lastmod(self, item: Article):
        return item.updated_at


class _WithArticlesSitemap(SiteSitemap):
    """Authors and tags with at least one published article; lastmod = their newest change."""

    model: type = Author
    changefreq = "weekly"
    priority = 0.5

    def items(self):
        return (
            self.model.objects.filter(articles__in=Article.objects.published())
            .annotate(lastmod=Max("articles__updated_at"))
            .order_by("slug")
        )

    def lastmod(self, item):
        return item.lastmod


class AuthorSitemap(_WithArticlesSitemap):
    model = Author


class TagSitemap(_WithArticlesSitemap):
    model = Tag


class HomeSitemap(SiteSitemap):
    changefreq = "daily"
    priority = 1.0

    def items(self) -> list[str]:
        return ["blog:home"]

    def location(self, item: str) -> str:
        return reverse(item)

    def lastmod(self, item: str):
        return Article.objects.published().aggregate(latest=Max("updated_at"))["latest"]


SITEMAPS = {
    "home": HomeSitemap,
    "articles": ArticleSitemap,
    "authors": AuthorSitemap,
    "tags": TagSitemap,
}

from django.urls import path

from blog import views
from blog.caching import conditional
from blog.feeds import atom_feed, rss_feed
from blog.sitemaps import sitemap_index, sitemap_section

app_name = "blog"

urlpatterns = [
    path("", views.home, name="home"),
    path("cikk/<slug:slug>/", views.article_detail, name="article"),
    path("szerzo/<slug:slug>/", views.author_detail, name="author"),
    path("cimke/<slug:slug>/", views.tag_detail, name="tag"),
    path("kereses/", views.search_view, name="search"),
    path("feed/rss/", rss_feed, name="feed_rss"),
    path("feed/atom/", atom_feed, name="feed_atom"),
    path(
        "sitemap.xml",
        conditional()(sitemap_index),
        name="sitemap",
    ),
    path(
        "sitemap-<section>.xml",
        conditional()(sitemap_section),
        name="sitemap_section",
    ),
    path("robots.txt", views.robots_txt, name="robots"),
]

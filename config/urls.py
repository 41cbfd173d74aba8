"""Root URLs: the reader site, the admin and the editor's Markdown endpoints."""

from django.conf import settings
from django.contrib import admin
from django.templatetags.static import static as static_url
from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    path("admin/", admin.site.urls),
    # markdownx's URL names and paths, served by our locked-down views (editors only).
    path("markdownx/", include("articles.editor_views")),
    path("", include("blog.urls")),
    # Browsers ask for /favicon.ico on every page without a <link rel=icon> (the admin's).
    path(
        "favicon.ico",
        RedirectView.as_view(url=static_url("img/favicon.svg"), permanent=True),
        name="favicon",
    ),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

"""Root URLs: the reader site, the admin and the editor's Markdown endpoints."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    # markdownx's URL names and paths, served by our locked-down views (editors only).
    path("markdownx/", include("articles.editor_views")),
    path("", include("blog.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

"""Root URLs: the reader site, the admin and the editor's Markdown endpoints."""

from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest, HttpResponsePermanentRedirect
from django.templatetags.static import static as static_url
from django.urls import include, path

from blog.share import share_preview


def favicon(request: HttpRequest) -> HttpResponsePermanentRedirect:
    """Browsers ask for /favicon.ico on pages without <link rel=icon> (the admin's).

    Resolved per request: the hashed static name exists only after collectstatic.
    """
    return HttpResponsePermanentRedirect(static_url("img/favicon.svg"))


urlpatterns = [
    path("admin/", admin.site.urls),
    # markdownx's URL names and paths, served by our locked-down views (editors only).
    path("markdownx/", include("articles.editor_views")),
    # A reviewer's preview through a signed, expiring, revocable link (articles.sharing).
    path("elonezet/<str:token>/", share_preview, name="share_preview"),
    path("", include("blog.urls")),
    path("favicon.ico", favicon, name="favicon"),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

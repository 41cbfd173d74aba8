"""django-markdownx's two endpoints, locked down: only editors may preview or upload.

markdownx ships open views (anyone may POST Markdown to render or files to store, and its
upload trusts the Content-Type and resizes with Pillow). These replace them under the same URL
names and paths, which the widget's JavaScript uses:

* preview (`markdownx_markdownify`): the one renderer within its time limit,
  `articles.render_limits.markdownify`;
* upload (`markdownx_upload`): Pillow-verified JPEG/PNG/GIF/WebP via `articles.images`, stored
  under a content-hash name, answered with `{"image_code": "![](url)"}` as markdownx expects;
  refusals are a 400 with `{"image": [message]}` (markdownx's form-error shape), never a 500.

Both are POST only and CSRF-protected (the widget sends the token). Anonymous users and
logged-in users who are not staff with `articles.change_article` get a 403: these are XHR
endpoints, so a redirect to a login page would only confuse the editor's JavaScript.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.core.files.storage import default_storage
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden, JsonResponse
from django.urls import path
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from articles.images import ImageRejected, check_image, store_image
from articles.render_limits import markdownify

logger = logging.getLogger(__name__)

EDITOR_PERMISSION = "articles.change_article"


def is_editor(user) -> bool:
    """Staff who may change articles: the people the admin's editor is for."""
    return bool(
        user.is_authenticated
        and user.is_active
        and user.is_staff
        and user.has_perm(EDITOR_PERMISSION)
    )


def editor_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not is_editor(request.user):
            return HttpResponseForbidden(
                _("Ehhez szerkesztői jogosultság kell."), content_type="text/plain; charset=utf-8"
            )
        response = view(request, *args, **kwargs)
        add_never_cache_headers(response)
        return response

    return wrapper


@require_POST
@editor_required
def markdownify_view(request: HttpRequest) -> HttpResponse:
    """The live preview: the same renderer, and so the same sanitizer, as the published page."""
    content = request.POST.get("content", "")
    if len(content.encode()) > settings.CIKK_IMPORT_MAX_BYTES:
        return HttpResponse(
            _("A szöveg túl hosszú az előnézethez."),
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    return HttpResponse(markdownify(content), content_type="text/html; charset=utf-8")


def _refuse(message: str) -> JsonResponse:
    return JsonResponse({"image": [message]}, status=400)


@require_POST
@editor_required
def upload_view(request: HttpRequest) -> HttpResponse:
    """Store an image only after Pillow has decoded it; the name and Content-Type are ignored."""
    upload = request.FILES.get("image")
    if upload is None:
        return _refuse(_("Nem érkezett kép."))
    cap = settings.CIKK_IMAGE_MAX_BYTES
    too_big = _("A kép túl nagy: legfeljebb %(mb).1f MB lehet.") % {"mb": cap / 1_048_576}
    if upload.size is not None and upload.size > cap:
        return _refuse(too_big)
    data = upload.read(cap + 1)  # never more than the cap (+1 to notice an oversized file)
    if len(data) > cap:
        return _refuse(too_big)
    try:
        checked = check_image(data, max_bytes=cap)
        name = store_image(checked)
    except ImageRejected as exc:
        return _refuse(
            _("A kép nem tölthető fel (csak valódi JPEG, PNG, GIF vagy WebP): %(reason)s")
            % {"reason": exc}
        )
    except Exception:
        # A decoder bug on hostile input must not become a 500 (or a stored file).
        logger.exception("image upload failed on unexpected input")
        return _refuse(_("A kép nem dolgozható fel."))
    return JsonResponse({"image_code": f"![]({default_storage.url(name)})"})


# Mounted under markdownx/ in config/urls.py, with the URL names markdownx's widget uses.
urlpatterns = [
    path("upload/", upload_view, name="markdownx_upload"),
    path("markdownify/", markdownify_view, name="markdownx_markdownify"),
]

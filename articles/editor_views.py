"""The editor's endpoints, locked down: only editors may preview, upload or autosave.

django-markdownx's two endpoints are replaced (its widget stays; its script is replaced by
static/js/admin-editor.js):

markdownx ships open views (anyone may POST Markdown to render or files to store, and its
upload trusts the Content-Type and resizes with Pillow). These replace them under the same URL
names and paths, which the widget's JavaScript uses:

* preview (`markdownx_markdownify`): the one renderer within its time limit,
  `articles.render_limits.markdownify`;
* upload (`markdownx_upload`): Pillow-verified JPEG/PNG/GIF/WebP via `articles.images`, stored
  under a content-hash name, answered with `{"image_code": "![](url)"}` as markdownx expects;
  refusals are a 400 with `{"image": [message]}` (markdownx's form-error shape), never a 500.

Autosave (`admin:articles_article_autosave`) keeps an editor's unsaved title and body as an
`EditorDraft` (per user and article; never published, never a revision) so that a closed tab or
a crash loses nothing; the change form offers it back with a diff.

All are POST only and CSRF-protected (the script sends the token). Anonymous users and
logged-in users who are not staff with `articles.change_article` get a 403: these are XHR
endpoints, so a redirect to a login page would only confuse the editor's JavaScript.
"""

from __future__ import annotations

import difflib
import hashlib
import logging
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden, JsonResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from articles.images import ImageRejected, check_image, store_image
from articles.models import Article, EditorDraft
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


# --- The preview, section by section -------------------------------------------------------
#
# A keystroke changes one section of an article; rendering only that section again keeps the
# preview fast on long articles. Sections are cut before an ATX heading that follows a blank
# line, outside code fences, unclosed <div>s and display math, so each section is a
# self-contained document for the one renderer; the concatenated HTML is what the whole-document
# render gives (only duplicate heading ids may be numbered differently). A document whose parts
# refer to each other (reference links, footnotes, abbreviations, [TOC]) is rendered whole.

_CROSS_REFERENCES = re.compile(r"^ {0,3}\[[^\]]+\]:|\[\^|^ {0,3}\*\[|^\s*\[TOC\]\s*$", re.MULTILINE)
_SECTION_HEADING = re.compile(r"^ {0,3}#{1,6}(?:[ \t]|$)")
_FENCE_OPEN = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_DIV_OPEN = re.compile(r"<div\b", re.IGNORECASE)
_DIV_CLOSE = re.compile(r"</div\s*>", re.IGNORECASE)
_SECTION_CACHE_SIZE = 512
_section_cache: OrderedDict[str, str] = OrderedDict()
_section_lock = threading.Lock()


def preview_sections(text: str) -> list[str]:
    """The text cut into independently renderable sections (one when it cannot be cut)."""
    if _CROSS_REFERENCES.search(text):
        return [text]
    lines = text.split("\n")
    sections: list[str] = []
    start = 0
    fence: str | None = None
    divs = 0
    in_math = False
    for index, line in enumerate(lines):
        if fence is not None:
            stripped = line.strip()
            if stripped.startswith(fence) and set(stripped) == {fence[0]}:
                fence = None
            continue
        opened = _FENCE_OPEN.match(line)
        if opened:
            fence = opened.group(1)
            continue
        if (
            index > start
            and divs == 0
            and not in_math
            and _SECTION_HEADING.match(line)
            and not lines[index - 1].strip()
        ):
            sections.append("\n".join(lines[start:index]))
            start = index
        divs = max(0, divs + len(_DIV_OPEN.findall(line)) - len(_DIV_CLOSE.findall(line)))
        if line.count("$$") % 2:
            in_math = not in_math
    sections.append("\n".join(lines[start:]))
    return sections


def preview_html(text: str) -> str:
    """The preview of `text`: each section through the one renderer, unchanged sections from a
    small per-process cache (so a new renderer after a deploy starts empty)."""
    parts = []
    for section in preview_sections(text):
        key = hashlib.sha256(section.encode()).hexdigest()
        with _section_lock:
            html = _section_cache.get(key)
            if html is not None:
                _section_cache.move_to_end(key)
        if html is None:
            html = markdownify(section)
            with _section_lock:
                _section_cache[key] = html
                while len(_section_cache) > _SECTION_CACHE_SIZE:
                    _section_cache.popitem(last=False)
        parts.append(html)
    return "\n".join(parts)


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
    started = time.perf_counter()
    html = preview_html(content)
    response = HttpResponse(html, content_type="text/html; charset=utf-8")
    # How long the render took, for the browser's developer tools (and the preview's test).
    response.headers["Server-Timing"] = f"render;dur={(time.perf_counter() - started) * 1000:.1f}"
    return response


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


# An autosave carries one article's title and body: no more than the importer accepts.
_TITLE_MAX = 300


@require_POST
@editor_required
def autosave_view(request: HttpRequest) -> HttpResponse:
    """Store (or with `discard=1` drop) the editor's draft of one article, or of a new one."""
    raw_pk = request.POST.get("article", "")
    article = None
    if raw_pk:
        if not raw_pk.isdigit():
            return JsonResponse({"error": _("Érvénytelen cikkazonosító.")}, status=400)
        article = Article.objects.filter(pk=int(raw_pk)).only("pk", "version").first()
        if article is None:
            return JsonResponse({"error": _("Nincs ilyen cikk.")}, status=404)
    drafts = EditorDraft.objects.filter(user=request.user)
    drafts = drafts.filter(article=article) if article else drafts.filter(article__isnull=True)
    if request.POST.get("discard") == "1":
        drafts.delete()
        return JsonResponse({"discarded": True})
    title = request.POST.get("title", "")
    body = request.POST.get("body", "")
    if len(title) > _TITLE_MAX or len(body.encode()) > settings.CIKK_IMPORT_MAX_BYTES:
        return JsonResponse({"error": _("A piszkozat túl hosszú.")}, status=400)
    base = request.POST.get("base_version", "")
    now = timezone.now()
    fields = {
        "title": title,
        "body": body,
        "base_version": int(base) if base.isdigit() else None,
        "updated_at": now,
    }
    # Two saves of one draft may cross (the idle timer and a blur): the row is unique per user
    # and article, so the loser of the insert updates the winner's row.
    if not drafts.update(**fields):
        try:
            with transaction.atomic():
                EditorDraft.objects.create(user=request.user, article=article, **fields)
        except IntegrityError:
            drafts.update(**fields)
    saved = timezone.localtime(now)
    return JsonResponse({"saved": f"{saved:%H:%M:%S}"})


def draft_context(request: HttpRequest, article: Article | None) -> dict[str, Any]:
    """The change form's autosave settings, and the editor's unsaved draft when it differs
    from the saved article (a new article's draft when the form is empty)."""
    context: dict[str, Any] = {
        "cikk_autosave_url": reverse("admin:articles_article_autosave"),
        "cikk_draft": None,
    }
    drafts = EditorDraft.objects.filter(user=request.user)
    draft = (
        drafts.filter(article=article) if article else drafts.filter(article__isnull=True)
    ).first()
    if draft is None:
        return context
    saved_title = article.title if article else ""
    saved_body = article.body if article else ""
    if draft.title == saved_title and draft.body == saved_body:
        return context
    diff = list(
        difflib.unified_diff(
            saved_body.splitlines(),
            draft.body.splitlines(),
            fromfile=_("mentett szöveg"),
            tofile=_("automatikus piszkozat"),
            lineterm="",
        )
    )
    context["cikk_draft"] = draft
    context["cikk_draft_diff"] = diff[:400]
    context["cikk_draft_title_changed"] = draft.title != saved_title
    context["cikk_draft_data"] = {"title": draft.title, "body": draft.body}
    return context


# Mounted under markdownx/ in config/urls.py, with the URL names markdownx's widget uses.
urlpatterns = [
    path("upload/", upload_view, name="markdownx_upload"),
    path("markdownify/", markdownify_view, name="markdownx_markdownify"),
]

"""Image checks and content-addressed storage, shared by the importer and the admin upload.

An image is trusted only after Pillow has decoded it fully: file names, extensions and
Content-Type headers are claims, not evidence. SVG is never accepted (it can carry script).
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import unquote

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import Storage, default_storage
from PIL import Image, UnidentifiedImageError

if TYPE_CHECKING:
    from articles.renditions import RenditionReport

# Pillow format name → file extension we store under.
ALLOWED_FORMATS = {"JPEG": "jpg", "PNG": "png", "GIF": "gif", "WEBP": "webp"}


class ImageRejected(ValueError):
    """The bytes are not an image Cikk will store; the message is for an editor."""


@dataclass(frozen=True)
class CheckedImage:
    data: bytes
    format: str  # Pillow format name, e.g. "PNG"
    width: int
    height: int
    sha256: str

    @property
    def extension(self) -> str:
        return ALLOWED_FORMATS[self.format]

    @property
    def storage_name(self) -> str:
        """Content-hash name: the same image uploaded twice is stored once."""
        return f"images/{self.sha256[:32]}.{self.extension}"


def check_image(
    data: bytes, *, max_bytes: int | None = None, max_pixels: int | None = None
) -> CheckedImage:
    """Decode `data` with Pillow and return what it is, or raise ImageRejected saying why."""
    max_bytes = max_bytes if max_bytes is not None else settings.CIKK_IMAGE_MAX_BYTES
    max_pixels = max_pixels if max_pixels is not None else settings.CIKK_IMAGE_MAX_PIXELS
    if len(data) > max_bytes:
        raise ImageRejected(
            f"the image is {len(data) / 1_048_576:.1f} MB, "
            f"the limit is {max_bytes / 1_048_576:.1f} MB"
        )
    if not data:
        raise ImageRejected("the file is empty")
    head = data[:512].lstrip().lower()
    if head.startswith((b"<svg", b"<?xml")) or b"<svg" in head:
        raise ImageRejected("SVG images are not accepted (they can carry scripts)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                fmt = probe.format
                width, height = probe.size
                if fmt not in ALLOWED_FORMATS:
                    raise ImageRejected(
                        f"{fmt or 'unknown'} images are not accepted; use JPEG, PNG, GIF or WebP"
                    )
                if width * height > max_pixels:
                    raise ImageRejected(
                        f"the image is {width}×{height} pixels, more than the "
                        f"{max_pixels:,} pixel limit"
                    )
                probe.load()  # decode every pixel: a truncated or forged file fails here
    except ImageRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageRejected(f"the image is too large to decode safely ({exc})") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise ImageRejected("the file is not a valid JPEG, PNG, GIF or WebP image") from exc
    if _looks_like_polyglot(data, fmt):
        raise ImageRejected("the file holds markup or script besides the image (a polyglot)")
    return CheckedImage(
        data=data, format=fmt, width=width, height=height, sha256=hashlib.sha256(data).hexdigest()
    )


_MARKUP_MARKERS = (b"<script", b"<html", b"<svg", b"<iframe", b"javascript:", b"<?php", b"<body")


def _looks_like_polyglot(data: bytes, fmt: str) -> bool:
    """A GIF/JS or image/HTML polyglot decodes as an image but is also script; refuse it."""
    lowered = data.lower()
    if any(marker in lowered for marker in _MARKUP_MARKERS):
        return True
    # GIF89a/**/=... : a GIF header that is also the start of a JavaScript expression.
    return fmt == "GIF" and data[6:8] in (b"/*", b"=/", b"//")


def store_image(
    image: CheckedImage, storage: Storage | None = None, *, report: RenditionReport | None = None
) -> str:
    """Save the image under its content-hash name (once), make its missing renditions, and
    return the storage name.

    Renditions are made here, before the article that uses the image is rendered, so that its
    srcset can list them (body_images lists only renditions that exist). A failure to make one
    is logged and added to `report`; `manage.py repair_media` makes it later.

    Nothing here is ever deleted again, even when the caller's transaction rolls back: another
    writer may have stored the same bytes meanwhile and committed an article that uses them.
    Unreferenced files are removed only by `manage.py cleanup_media --delete`.
    """
    from articles.renditions import make_renditions

    storage = storage or default_storage
    name = image.storage_name
    if not storage.exists(name):
        saved = storage.save(name, ContentFile(image.data))
        if saved != name:  # a race with another writer of the same bytes: keep one copy
            storage.delete(saved)
    # Cheap when they all exist (a few exists() calls, no decoding).
    make_renditions(name, storage, data=image.data, width=image.width, report=report)
    return name


# Any name works: the storage's URL for it, less the name, is where every stored file lives.
_PROBE = "images/probe.jpg"


def media_url_prefix(storage: Storage | None = None) -> str:
    """The URL prefix under which `storage` serves its files: `/media/` on the file system,
    `https://kep.example.hu/` or `https://bucket.s3.amazonaws.com/prefix/` on object storage.

    Derived from the storage's own `url()`, so it is right for every configuration the storage
    supports (custom domain, endpoint, addressing style, location) without repeating its rules.
    """
    storage = storage or default_storage
    url = storage.url(_PROBE)
    if not url.endswith(_PROBE):  # a storage that rewrites names: only its URLs can tell
        raise ValueError(f"cannot tell the media URL prefix of {type(storage).__name__}")
    return url[: -len(_PROBE)]


def own_media_name(src: str, storage: Storage | None = None) -> str | None:
    """The storage name an image URL points at when it is one of ours, else None.

    The one definition of "our own image", used by the editorial checks (what is external or
    missing) and by the body-image rewriting (what gets a responsive srcset), so that they
    always agree: a URL is ours when it starts with the storage's URL prefix (see
    media_url_prefix), or when it is that prefix made absolute with CIKK_SITE_URL (a relative
    prefix such as `/media/`). The rest (path only) is the name, percent-decoded.
    """
    src = (src or "").strip()
    if not src:
        return None
    try:
        prefix = media_url_prefix(storage)
    except Exception:  # a storage that cannot make URLs serves nothing to readers
        return None
    candidates = [prefix]
    if prefix.startswith("/") and not prefix.startswith("//"):
        candidates.append(settings.CIKK_SITE_URL.rstrip("/") + prefix)
    for candidate in candidates:
        if src.startswith(candidate):
            rest = src[len(candidate) :]
            if "?" in rest or "#" in rest:  # stored files are served without either
                return None
            name = unquote(rest)
            if name and not name.startswith("/") and ".." not in name.split("/"):
                return name
    return None

"""Responsive renditions of stored images, made once with Pillow when an image is stored.

Rendition names are a pure function of the stored name and a width, so a template can write a
`srcset` from `Article.image.name` and `Article.image_width` without touching storage on each
request: `images/ab12.jpg` → `renditions/images/ab12-480w.webp` and `…-480w.jpg`.

Widths are never larger than the original (no upscaling). WebP is made for every width (up to
the largest rendition width); the original format is made for the widths smaller than the
original, because the original file itself serves its own width. GIFs (possibly animated) are
left alone: a still frame would change what the author meant.
"""

from __future__ import annotations

import io
import logging
import posixpath
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.core.files.storage import Storage, default_storage
from django.db import transaction
from PIL import Image, ImageOps

logger = logging.getLogger(__name__)

WIDTHS: tuple[int, ...] = (480, 960, 1600)
WEBP_QUALITY = 80
JPEG_QUALITY = 82
# Extensions whose files get renditions, and the Pillow format of the "original format" copies.
_ORIGINAL_FORMATS = {"jpg": "JPEG", "jpeg": "JPEG", "png": "PNG", "webp": "WEBP"}


@dataclass(frozen=True)
class Rendition:
    name: str
    width: int
    format: str  # "webp" or the original extension


def _split(name: str) -> tuple[str, str]:
    stem, ext = posixpath.splitext(name)
    return stem, ext.lstrip(".").lower()


def supports_renditions(name: str) -> bool:
    """True when renditions are made for this stored name (not for GIFs or unknown types)."""
    return bool(name) and _split(name)[1] in _ORIGINAL_FORMATS


def rendition_name(name: str, width: int, fmt: str) -> str:
    """`images/ab12.jpg`, 480, "webp" → `renditions/images/ab12-480w.webp` (deterministic)."""
    stem, _ext = _split(name)
    return f"renditions/{stem}-{width}w.{fmt}"


def webp_widths(original_width: int) -> list[int]:
    """Widths of the WebP renditions: the standard ones below the original, plus the original
    width itself when it is not above the largest standard width."""
    if not original_width or original_width <= 0:
        return []
    widths = [w for w in WIDTHS if w < original_width]
    if original_width <= WIDTHS[-1]:
        widths.append(original_width)
    return widths


def original_format_widths(original_width: int) -> list[int]:
    """Widths re-encoded in the original format: only those smaller than the original."""
    if not original_width or original_width <= 0:
        return []
    return [w for w in WIDTHS if w < original_width]


def renditions_for(name: str, original_width: int | None) -> list[Rendition]:
    """Every rendition a stored image of this width has (or will have)."""
    if not supports_renditions(name) or not original_width:
        return []
    _stem, ext = _split(name)
    result = [
        Rendition(rendition_name(name, w, "webp"), w, "webp") for w in webp_widths(original_width)
    ]
    if ext != "webp":
        result += [
            Rendition(rendition_name(name, w, ext), w, ext)
            for w in original_format_widths(original_width)
        ]
    return result


def missing_renditions(
    name: str, original_width: int | None, storage: Storage | None = None
) -> list[Rendition]:
    """The renditions of `name` not yet in storage (a few cheap `exists()` calls, no decode)."""
    storage = storage or default_storage
    return [r for r in renditions_for(name, original_width) if not storage.exists(r.name)]


def make_renditions(
    name: str,
    storage: Storage | None = None,
    *,
    data: bytes | None = None,
    width: int | None = None,
    force: bool = False,
) -> list[str]:
    """Create the missing renditions of the stored image `name`; return the names written.

    Idempotent: when `width` is given and every rendition exists, nothing is decoded. Errors
    are logged, never raised: a missing rendition costs bandwidth, not a page (the original
    stays the fallback in every `<img>`).
    """
    storage = storage or default_storage
    if not supports_renditions(name):
        return []
    if width and not force and not missing_renditions(name, width, storage):
        return []
    try:
        if data is None:
            with storage.open(name, "rb") as handle:
                data = handle.read()
        with Image.open(io.BytesIO(data)) as opened:
            image = ImageOps.exif_transpose(opened)
            image.load()
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        logger.warning("renditions: cannot open %s: %s", name, exc)
        return []
    written: list[str] = []
    for rendition in renditions_for(name, image.width):
        if not force and storage.exists(rendition.name):
            continue
        try:
            payload = _encode(image, rendition)
        except (OSError, ValueError) as exc:
            logger.warning("renditions: cannot encode %s: %s", rendition.name, exc)
            continue
        if storage.exists(rendition.name):
            storage.delete(rendition.name)
        saved = storage.save(rendition.name, ContentFile(payload))
        if saved != rendition.name:  # another writer raced us: keep the deterministic name
            storage.delete(saved)
        written.append(rendition.name)
    return written


def make_renditions_on_commit(
    name: str,
    storage: Storage | None = None,
    *,
    data: bytes | None = None,
    width: int | None = None,
) -> None:
    """Make renditions once the surrounding transaction commits (at once when there is none).

    The importer stores images inside a per-file transaction; if that file fails and rolls
    back, no renditions are left behind for an image that was never kept.
    """
    transaction.on_commit(
        lambda: make_renditions(name, storage, data=data, width=width), robust=True
    )


def delete_renditions(name: str, original_width: int, storage: Storage | None = None) -> None:
    """Remove the renditions of `name` (for clean-up when its original is removed)."""
    storage = storage or default_storage
    for rendition in renditions_for(name, original_width):
        if storage.exists(rendition.name):
            storage.delete(rendition.name)


def _encode(image: Image.Image, rendition: Rendition) -> bytes:
    height = max(1, round(image.height * rendition.width / image.width))
    resized = (
        image
        if rendition.width == image.width
        else image.resize((rendition.width, height), Image.Resampling.LANCZOS)
    )
    buffer = io.BytesIO()
    if rendition.format == "webp":
        target = resized if resized.mode in ("RGB", "RGBA") else resized.convert("RGBA")
        target.save(buffer, "WEBP", quality=WEBP_QUALITY, method=4)
    elif _ORIGINAL_FORMATS[rendition.format] == "JPEG":
        resized.convert("RGB").save(buffer, "JPEG", quality=JPEG_QUALITY, optimize=True)
    else:
        resized.save(buffer, _ORIGINAL_FORMATS[rendition.format], optimize=True)
    return buffer.getvalue()

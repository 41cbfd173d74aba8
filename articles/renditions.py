"""Responsive renditions of stored images, made once with Pillow when an image is stored.

Rendition names are a pure function of the stored name and a width, so a template can write a
`srcset` from `Article.image.name` and `Article.image_width` without touching storage on each
request: `images/ab12.jpg` → `renditions/images/ab12-480w.webp` and `…-480w.jpg`.

Renditions are made right when an image is stored (before the article that uses it is rendered),
and a page lists only the renditions that exist (`available_renditions`), so a browser never
picks a missing candidate. A rendition that cannot be made is logged as an error and left to
`manage.py repair_media`, which recreates missing renditions and refreshes the pages.

Widths are never larger than the original (no upscaling). WebP is made for every width (up to
the largest rendition width); the original format is made for the widths smaller than the
original, because the original file itself serves its own width. GIFs (possibly animated) are
left alone: a still frame would change what the author meant.
"""

from __future__ import annotations

import functools
import io
import logging
import posixpath
import threading
import time
from dataclasses import dataclass, field

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
    return list(_renditions_for(name, original_width))


# A pure function of its arguments, asked for every image of every article rendered or
# checked (the same few charts thousands of times in an import): remembered.
@functools.lru_cache(maxsize=4096)
def _renditions_for(name: str, original_width: int | None) -> tuple[Rendition, ...]:
    if not supports_renditions(name) or not original_width:
        return ()
    _stem, ext = _split(name)
    result = [
        Rendition(rendition_name(name, w, "webp"), w, "webp") for w in webp_widths(original_width)
    ]
    if ext != "webp":
        result += [
            Rendition(rendition_name(name, w, ext), w, ext)
            for w in original_format_widths(original_width)
        ]
    return tuple(result)


def missing_renditions(
    name: str, original_width: int | None, storage: Storage | None = None
) -> list[Rendition]:
    """The renditions of `name` not yet in storage (a few cheap `exists()` calls, no decode)."""
    storage = storage or default_storage
    return [r for r in renditions_for(name, original_width) if not storage.exists(r.name)]


def storage_key(storage: Storage) -> tuple[str, str]:
    """Which storage a cached fact is about (tests and settings switch storages)."""
    where = getattr(storage, "location", None) or ""
    return (type(storage).__qualname__, f"{getattr(storage, 'bucket_name', '')}:{where}")


# (storage, name, width) whose renditions were all seen in storage. Only complete sets are
# remembered: content-hash names never change meaning, and a missing rendition may be repaired.
_COMPLETE: set[tuple[tuple[str, str], str, int]] = set()
_COMPLETE_MAX = 20_000
_COMPLETE_LOCK = threading.Lock()
# An incomplete set is remembered for this long (seconds) before storage is asked again.
PARTIAL_RECHECK_S = 60.0
_PARTIAL: dict[tuple[tuple[str, str], str, int], tuple[float, list[Rendition]]] = {}


def available_renditions(
    name: str, original_width: int | None, storage: Storage | None = None
) -> list[Rendition]:
    """The renditions of `name` that exist in storage: what a srcset may list.

    A few `exists()` calls the first time; afterwards none for an image whose renditions are
    all there (remembered per process)."""
    storage = storage or default_storage
    wanted = renditions_for(name, original_width)
    if not wanted:
        return []
    key = (storage_key(storage), name, int(original_width or 0))
    if key in _COMPLETE:
        return wanted
    partial = _PARTIAL.get(key)
    if partial is not None and partial[0] > time.monotonic():
        return partial[1]
    present = [r for r in wanted if storage.exists(r.name)]
    with _COMPLETE_LOCK:
        if len(present) == len(wanted):
            if len(_COMPLETE) >= _COMPLETE_MAX:
                _COMPLETE.clear()
            _COMPLETE.add(key)
            _PARTIAL.pop(key, None)
        else:
            # Checked again after a short while (a repair shows up), not on every page view:
            # on object storage each check is a request.
            if len(_PARTIAL) >= _COMPLETE_MAX:
                _PARTIAL.clear()
            _PARTIAL[key] = (time.monotonic() + PARTIAL_RECHECK_S, present)
    return present


def forget_renditions(name: str | None = None) -> None:
    """Drop what available_renditions() remembers (of one stored name, or all): after
    renditions were deleted in this process."""
    with _COMPLETE_LOCK:
        if name is None:
            _COMPLETE.clear()
            _PARTIAL.clear()
        else:
            _COMPLETE.difference_update({key for key in _COMPLETE if key[1] == name})
            for key in [key for key in _PARTIAL if key[1] == name]:
                del _PARTIAL[key]


@dataclass
class RenditionReport:
    """What make_renditions() did: the names written, and the ones it could not make (why)."""

    written: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)


def make_renditions(
    name: str,
    storage: Storage | None = None,
    *,
    data: bytes | None = None,
    width: int | None = None,
    force: bool = False,
    report: RenditionReport | None = None,
) -> list[str]:
    """Create the missing renditions of the stored image `name`; return the names written.

    Idempotent: when `width` is given and every rendition exists, nothing is decoded. A
    rendition that cannot be made is logged as an error (and added to `report.failed`), never
    raised: the page then lists only the renditions that exist, the original stays the fallback
    in every `<img>`, and `manage.py repair_media` makes it later.
    """
    storage = storage or default_storage
    report = report if report is not None else RenditionReport()
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
        logger.error("renditions: cannot open %s: %s (run manage.py repair_media)", name, exc)
        report.failed.append((name, f"cannot open: {exc}"))
        return []
    for rendition in renditions_for(name, image.width):
        if not force and storage.exists(rendition.name):
            continue
        try:
            payload = encode_rendition(image, rendition)
            _save_exactly(storage, rendition.name, payload, replace=force)
        except Exception as exc:  # one rendition must not stop the others
            logger.error(
                "renditions: cannot make %s: %s (run manage.py repair_media)", rendition.name, exc
            )
            report.failed.append((rendition.name, str(exc) or type(exc).__name__))
            continue
        report.written.append(rendition.name)
    return report.written


def _save_exactly(storage: Storage, name: str, payload: bytes, *, replace: bool) -> None:
    """Store `payload` under exactly `name`. The same name always means the same bytes (a pure
    function of a content-hash original), so a concurrent writer's copy is as good as ours."""
    if replace and storage.exists(name):
        storage.delete(name)
    saved = storage.save(name, ContentFile(payload))
    if saved != name:  # another writer stored `name` meanwhile: keep theirs, drop our copy
        storage.delete(saved)


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
    forget_renditions(name)


def encode_rendition(image: Image.Image, rendition: Rendition) -> bytes:
    """The bytes of one rendition of a decoded (EXIF-rotated) image."""
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

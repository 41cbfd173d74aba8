"""Responsive images in the article body: `<picture>` with WebP and original-format srcsets.

Runs on the renderer's output AFTER the sanitizer, so the author can never write what is added
here: only an `<img>` whose src is one of our own stored images (`images/<32 hex>.<ext>` under
the media storage's URL) is touched, and every added attribute is built from that validated
name and integers. What is "ours" is decided by articles.images.own_media_name, the same
function the editorial checks use. An author's own `srcset`/`sizes`/`<picture>`/`<source>`
never get this far (the sanitizer drops them).

Intrinsic sizes come from the image header (Pillow reads no pixels), cached per name: a
content-hash name never changes meaning. The srcsets list only the renditions that exist in
storage (articles.renditions.available_renditions): a browser never picks a missing candidate.
"""

from __future__ import annotations

import re
from functools import lru_cache
from html import escape, unescape

from django.core.files.storage import default_storage
from PIL import Image

from articles.images import own_media_name
from articles.renditions import available_renditions, renditions_for, storage_key

# The article column: at most ~65ch of body text (site.css `.article`), ~40rem; the viewport
# (less its padding) on phones.
SIZES = "(min-width: 44rem) 42rem, 100vw"

_STORED_NAME = re.compile(r"images/[0-9a-f]{32}\.(?:jpg|png|gif|webp)")
# The sanitizer's serializer quotes every attribute value (with ' when the value holds a " but
# no ', else with " and " escaped), so this matches exactly one <img> tag, however odd its alt
# text (a ">" in alt included). A tag it does not match is left as it is.
_VALUE = r"(?:=(?:\"([^\"]*)\"|'([^']*)'))?"
_IMG = re.compile(r"<img((?:\s+[^\s=>/\"']+" + _VALUE + r")*)\s*/?>")
_ATTR = re.compile(r"\s+([^\s=>/\"']+)" + _VALUE)
_EXIF_ORIENTATION = 0x0112


def responsive_images(html: str) -> str:
    """Give every body `<img>` of our own storage width/height and responsive srcsets.

    Idempotent: an `<img>` that already has a srcset (only this function adds one) is left
    alone, and so is one whose file is missing or unreadable.
    """
    if "<img" not in html:
        return html
    return _IMG.sub(_rewrite, html)


def stored_name(src: str) -> str | None:
    """The storage name an image URL points at, if it is one of our stored images
    (content-hash names only; articles.images.own_media_name decides what is ours)."""
    name = own_media_name(src)
    if name is None or not _STORED_NAME.fullmatch(name):
        return None
    return name


def missing_rendition_names(name: str, width: int | None = None) -> list[str]:
    """The renditions a stored image should have and storage lacks (pages leave them out of
    their srcsets; `manage.py repair_media` makes them). Empty when there is nothing to say."""
    if width is None:
        size = intrinsic_size(name)
        if size is None:
            return []
        width = size[0]
    present = {r.name for r in available_renditions(name, width)}
    return [r.name for r in renditions_for(name, width) if r.name not in present]


def intrinsic_size(name: str) -> tuple[int, int] | None:
    """(width, height) of a stored image as a browser shows it (EXIF rotation applied), or
    None when it is missing or unreadable. Only hits are cached: a missing file may appear."""
    if not _STORED_NAME.fullmatch(name):
        return None
    try:
        return _read_size(storage_key(default_storage), name)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        return None


@lru_cache(maxsize=4096)
def _read_size(storage: tuple[str, str], name: str) -> tuple[int, int]:
    """Keyed by storage too: a name read in one storage says nothing of another (a size
    remembered from elsewhere made a render ahead of the store list an image not yet stored)."""
    with default_storage.open(name, "rb") as handle, Image.open(handle) as image:
        width, height = image.size
        # JPEG keeps EXIF in its header; other formats may need a full decode to find it.
        rotated = image.format == "JPEG" and image.getexif().get(_EXIF_ORIENTATION) in (5, 6, 7, 8)
    if width <= 0 or height <= 0:
        raise ValueError(f"{name}: empty image")
    return (height, width) if rotated else (width, height)


def _rewrite(match: re.Match[str]) -> str:
    tag = match.group(0)
    attrs = [(key.lower(), dq or sq) for key, dq, sq in _ATTR.findall(match.group(1))]
    keys = {key for key, _value in attrs}
    if "srcset" in keys:
        return tag
    src = unescape(next((value for key, value in attrs if key == "src"), ""))
    name = stored_name(src)
    if name is None:
        return tag
    size = intrinsic_size(name)
    if size is None:
        return tag
    width, height = size
    url = _url(name)
    ext = name.rsplit(".", 1)[1]
    renditions = available_renditions(name, width)
    webp = [(_url(r.name), r.width) for r in renditions if r.format == "webp"]
    same = [(_url(r.name), r.width) for r in renditions if r.format == ext]

    added: list[tuple[str, str]] = []
    if "width" not in keys and "height" not in keys:
        added += [("width", str(width)), ("height", str(height))]
    source = ""
    if ext in ("jpg", "png"):
        if webp:
            source = _source(webp)
        added += [("srcset", _srcset([*same, (url, width)])), ("sizes", SIZES)]
    elif ext == "webp":
        smaller = [(u, w) for u, w in webp if w < width]
        added += [("srcset", _srcset([*smaller, (url, width)])), ("sizes", SIZES)]
    # The attributes already there were serialized by the sanitizer: kept byte for byte.
    rebuilt = "<img" + match.group(1) + "".join(f' {k}="{escape(v)}"' for k, v in added) + ">"
    if source:
        return f"<picture>{source}{rebuilt}</picture>"
    return rebuilt


def _url(name: str) -> str:
    return default_storage.url(name)


def _srcset(candidates: list[tuple[str, int]]) -> str:
    return ", ".join(f"{url} {width}w" for url, width in candidates)


def _source(candidates: list[tuple[str, int]]) -> str:
    return (
        f'<source type="image/webp" srcset="{escape(_srcset(candidates))}" sizes="{escape(SIZES)}">'
    )

"""Which stored media files exist and which ones articles refer to: what the media repair and
clean-up commands (repair_media, cleanup_media) work from.

Content-addressed images (`images/<32 hex>.<ext>`) are shared: the same bytes stored by two
imports or uploads are one file. So a file is never deleted because one writer failed; it is
deleted only when nothing refers to it any more, by an explicit command.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.files.storage import Storage, default_storage
from django.utils import timezone

# A content-hash name anywhere in a text: Markdown, stored HTML, a revision's serialized row.
STORED_NAME_IN_TEXT = re.compile(r"images/([0-9a-f]{32})\.(?:jpg|png|gif|webp)")
ORIGINALS_DIR = "images"
RENDITIONS_DIR = "renditions/images"
_ORIGINAL_FILE = re.compile(r"[0-9a-f]{32}\.(?:jpg|png|gif|webp)")
_RENDITION_FILE = re.compile(r"([0-9a-f]{32})-[0-9]+w\.(?:jpg|png|webp)")


def referenced_hashes() -> set[str]:
    """The content hashes that any article (cover, Markdown, stored HTML, unknown frontmatter)
    or any saved revision of an article mentions. Revisions count, so that reverting to an old
    version never brings back a broken image."""
    from articles.models import Article

    found: set[str] = set()
    rows = Article.objects.values_list("image", "body", "body_html", "extra").order_by()
    for row in rows.iterator(chunk_size=200):
        for value in row:
            if value:
                found.update(m.group(1) for m in STORED_NAME_IN_TEXT.finditer(str(value)))
    found.update(_hashes_in_revisions())
    return found


def _hashes_in_revisions() -> set[str]:
    from django.apps import apps

    if not apps.is_installed("reversion"):
        return set()
    from django.contrib.contenttypes.models import ContentType
    from reversion.models import Version

    from articles.models import Article

    found: set[str] = set()
    kind = ContentType.objects.get_for_model(Article)
    data = Version.objects.filter(content_type=kind).values_list("serialized_data", flat=True)
    for text in data.order_by().iterator(chunk_size=200):
        found.update(m.group(1) for m in STORED_NAME_IN_TEXT.finditer(text or ""))
    return found


@dataclass(frozen=True)
class StoredFile:
    name: str
    content_hash: str
    size: int | None
    modified: datetime | None


def content_addressed_files(storage: Storage | None = None) -> Iterator[StoredFile]:
    """Every content-addressed original and rendition in storage (nothing else is listed)."""
    storage = storage or default_storage
    for directory, pattern in ((ORIGINALS_DIR, _ORIGINAL_FILE), (RENDITIONS_DIR, _RENDITION_FILE)):
        try:
            _dirs, files = storage.listdir(directory)
        except (FileNotFoundError, NotADirectoryError):
            continue
        for filename in sorted(files):
            match = pattern.fullmatch(filename)
            if not match:
                continue
            name = f"{directory}/{filename}"
            content_hash = filename[:32]
            yield StoredFile(name, content_hash, _size(storage, name), _modified(storage, name))


def unreferenced_files(
    storage: Storage | None = None, *, older_than: timedelta = timedelta(hours=24)
) -> list[StoredFile]:
    """Content-addressed files no article or revision refers to, last written before
    `older_than` ago. The age margin protects a writer that has stored an image and not yet
    committed the article that uses it (an import or an editor's upload in progress)."""
    storage = storage or default_storage
    referenced = referenced_hashes()
    cutoff = timezone.now() - older_than
    return [
        stored
        for stored in content_addressed_files(storage)
        if stored.content_hash not in referenced
        and (stored.modified is None or stored.modified <= cutoff)
    ]


def referenced_images(storage: Storage | None = None) -> list[str]:
    """Storage names of the content-addressed originals that articles refer to and that exist."""
    storage = storage or default_storage
    hashes = referenced_hashes()
    try:
        _dirs, files = storage.listdir(ORIGINALS_DIR)
    except (FileNotFoundError, NotADirectoryError):
        return []
    return sorted(
        f"{ORIGINALS_DIR}/{filename}"
        for filename in files
        if _ORIGINAL_FILE.fullmatch(filename) and filename[:32] in hashes
    )


def _size(storage: Storage, name: str) -> int | None:
    try:
        return storage.size(name)
    except (OSError, NotImplementedError):
        return None


def _modified(storage: Storage, name: str) -> datetime | None:
    try:
        return storage.get_modified_time(name)
    except (OSError, NotImplementedError):
        return None

"""The site content version: one number that every write to public content moves.

Why a database row and not a cache counter: it must be right across gunicorn workers and app
servers whatever cache they use (a local-memory cache is per process), and it must move in the
same transaction as the write, so no reader can see new content under an old version or old
content under a new one. Triggers (migration 0007_scale) bump it on every INSERT, UPDATE and
DELETE of articles, bylines, article tags, authors and tags, so queryset updates, bulk inserts
and raw SQL are covered without anyone remembering to call anything.

`bump_content_version()` is for writes the triggers cannot see (a deploy hook, a change made
outside these tables); it joins the caller's transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from articles.models import ContentVersion

# The one row's primary key.
ROW = 1


@dataclass(frozen=True)
class Version:
    value: int
    changed_at: datetime


def bump_content_version() -> Version:
    """Move the content version by one, in the caller's transaction (or its own)."""
    with transaction.atomic():
        updated = ContentVersion.objects.filter(pk=ROW).update(
            value=F("value") + 1, changed_at=timezone.now()
        )
        if not updated:  # the row went (a flushed test database): start above any old value
            now = timezone.now()
            ContentVersion.objects.get_or_create(
                pk=ROW, defaults={"value": int(now.timestamp() * 1000), "changed_at": now}
            )
        row = ContentVersion.objects.get(pk=ROW)
    return Version(row.value, row.changed_at)


def current_content_version() -> Version:
    """The committed version (one primary-key read)."""
    row = ContentVersion.objects.filter(pk=ROW).values_list("value", "changed_at").first()
    if row is None:
        return Version(0, datetime.fromtimestamp(0, tz=UTC))
    return Version(*row)

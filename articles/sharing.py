"""Preview links for outside reviewers: signed, expiring, revocable.

The URL carries `key:signature` (django.core.signing with its own salt): a tampered or invented
token fails the signature before any database lookup. The row (`ShareLink`) holds the expiry and
the revocation, so an editor can withdraw a link that has already been sent.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.core import signing
from django.utils import timezone

from articles.models import Article, ShareLink

SALT = "cikk.share-link"
DEFAULT_DAYS = 7
MAX_DAYS = 90


def _signer() -> signing.Signer:
    return signing.Signer(salt=SALT)


def create_link(article: Article, user, days: int = DEFAULT_DAYS) -> ShareLink:
    """A new link for `article`, valid for `days` days (1–90)."""
    days = max(1, min(int(days), MAX_DAYS))
    return ShareLink.objects.create(
        key=secrets.token_urlsafe(24),
        article=article,
        created_by=user if getattr(user, "pk", None) else None,
        expires_at=timezone.now() + timedelta(days=days),
    )


def token_for(link: ShareLink) -> str:
    return _signer().sign(link.key)


@dataclass(frozen=True)
class Lookup:
    """What a token leads to: a usable link, or why not ("invalid", "expired", "revoked")."""

    link: ShareLink | None
    problem: str | None


def resolve(token: str) -> Lookup:
    """The link a token names; its signature is checked first, then revocation and expiry."""
    if not token or len(token) > 200:
        return Lookup(None, "invalid")
    try:
        key = _signer().unsign(token)
    except signing.BadSignature:
        return Lookup(None, "invalid")
    link = ShareLink.objects.select_related("article").filter(key=key).first()
    if link is None:
        return Lookup(None, "invalid")
    if link.revoked_at is not None:
        return Lookup(link, "revoked")
    if link.expires_at <= timezone.now():
        return Lookup(link, "expired")
    return Lookup(link, None)

"""The reader's IP address, for django-axes' login rate limit.

Behind nginx or a load balancer every request comes from the proxy's address, so locking out
"127.0.0.1" would lock out everyone. Each trusted proxy appends the address it saw to
X-Forwarded-For; the entries further left were written by the client and can be forged. So with
N trusted proxies (DJANGO_TRUSTED_PROXY_COUNT) the real address is the N-th from the right.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    """REMOTE_ADDR, or the address the outermost trusted proxy saw when behind proxies."""
    proxies = getattr(settings, "CIKK_TRUSTED_PROXY_COUNT", 0)
    remote = request.META.get("REMOTE_ADDR") or None
    if proxies <= 0:
        return remote
    forwarded = [
        part.strip()
        for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if part.strip()
    ]
    if len(forwarded) < proxies:
        # The proxy chain is shorter than configured: do not trust a client-written header.
        return remote
    return forwarded[-proxies]

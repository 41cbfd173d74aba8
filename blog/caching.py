"""HTTP validators (ETag, Last-Modified) for reader pages, from one cheap aggregate query.

Every public page depends on the set of published articles (lists, previous/next, related,
feeds), so the validators come from `max(updated_at)`, `max(date)` (a scheduled article going
live changes the lists without a save) and the count (a deletion or withdrawal changes it).
Saving an article bumps `updated_at`, so every page that could show it revalidates.

Draft previews never get validators: the view marks them never-cache instead.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import wraps

from django.db.models import Count, Max, Subquery
from django.http import HttpRequest, HttpResponse
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from django.utils.http import http_date, quote_etag

from articles.models import Article

# Bump when templates change in a way that must reach readers holding a cached copy.
CACHE_VERSION = "1"
# Browsers and shared caches may reuse a public page this long before revalidating.
PUBLIC_MAX_AGE = 60


def published_state(slug: str | None = None) -> dict:
    """Max updated_at/date and count of published articles (plus one slug's updated_at).

    One query, answered from article_published_idx without reading a row. The slug's
    updated_at is a scalar subquery through the unique slug index (wrapped in Max only because
    aggregate() takes aggregates): a `filter=Q(slug=...)` on the aggregate would read every
    row's slug, i.e. the table."""
    aggregates = {"updated": Max("updated_at"), "date": Max("date"), "count": Count("pk")}
    if slug is not None:
        mine = Article.objects.published().filter(slug=slug).values("updated_at")[:1]
        aggregates["mine"] = Max(Subquery(mine))
    return Article.objects.published().aggregate(**aggregates)


def _validators(request: HttpRequest, state: dict) -> tuple[str, int | None]:
    stamps = [s for s in (state["updated"], state["date"]) if s is not None]
    last_modified = int(max(stamps).timestamp()) if stamps else None
    raw = "|".join(
        [
            CACHE_VERSION,
            request.get_full_path(),
            str(state["updated"] and state["updated"].timestamp()),
            str(state["date"] and state["date"].timestamp()),
            str(state["count"]),
        ]
    )
    return quote_etag(hashlib.sha256(raw.encode()).hexdigest()[:32]), last_modified


def conditional(slug_kwarg: str | None = None) -> Callable:
    """Decorate a reader view: answer 304 when the client's copy is current, else add
    ETag/Last-Modified. With `slug_kwarg`, only a published article gets validators."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if request.method not in ("GET", "HEAD"):
                return view(request, *args, **kwargs)
            slug = kwargs.get(slug_kwarg) if slug_kwarg else None
            state = published_state(slug)
            if slug_kwarg and state.get("mine") is None:
                return view(request, *args, **kwargs)  # a draft, scheduled or unknown slug
            etag, last_modified = _validators(request, state)
            response = get_conditional_response(request, etag=etag, last_modified=last_modified)
            if response is None:
                response = view(request, *args, **kwargs)
            if response.status_code in (200, 304):
                response.headers["ETag"] = etag
                if last_modified is not None:
                    response.headers["Last-Modified"] = http_date(last_modified)
                _cache_headers(request, response)
            return response

        return wrapped

    return decorator


def _cache_headers(request: HttpRequest, response: HttpResponse) -> None:
    """Public pages are the same for everyone; still, a logged-in editor's responses stay
    private and a shared cache keys on the cookie, so nothing per-user is ever shared."""
    patch_vary_headers(response, ("Cookie",))
    if request.user.is_authenticated:
        patch_cache_control(response, private=True, no_cache=True)
    else:
        patch_cache_control(response, public=True, max_age=PUBLIC_MAX_AGE)

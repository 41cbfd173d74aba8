"""Whole-page cache for anonymous readers, built on Django's cache middleware.

Why: a reader page costs 10-50 ms of Python (queries, template), a static file well under one;
at 64 concurrent readers that is the difference between dozens and hundreds of pages a second
(bench/serve.py). The reader pages already declare themselves `Cache-Control: public,
max-age=60` (blog/caching.py), so any proxy or CDN may serve them that long: this keeps the same
promise inside the app, and never more (Django takes the timeout from the response's max-age).

What is never cached: anything but GET/HEAD with status 200; responses marked private or
no-cache (the admin, draft previews, login pages); responses that set a cookie; and every request
that carries a session cookie, so an editor who just saved an article sees it at once. The key
follows the response's Vary headers (Cookie) as Django's middleware does.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.middleware.cache import FetchFromCacheMiddleware, UpdateCacheMiddleware


def _has_session(request: HttpRequest) -> bool:
    return settings.SESSION_COOKIE_NAME in request.COOKIES


class UpdatePageCacheMiddleware(UpdateCacheMiddleware):
    """Stores anonymous readers' pages; goes above SessionMiddleware."""

    def _should_update_cache(self, request: HttpRequest, response: HttpResponse) -> bool:
        if _has_session(request) or response.cookies:
            return False
        return super()._should_update_cache(request, response)


class FetchPageCacheMiddleware(FetchFromCacheMiddleware):
    """Answers anonymous readers from the cache; goes after the middleware that sets Vary."""

    def process_request(self, request: HttpRequest) -> HttpResponse | None:
        if _has_session(request):
            request._cache_update_cache = False
            return None
        return super().process_request(request)

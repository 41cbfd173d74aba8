"""Whole-page cache for anonymous readers, keyed by the content state (blog/caching.py).

Why: a reader page costs milliseconds of Python (queries, template), a static file well under
one. The key holds the site content version (moved by the database in the same transaction as
any write), the live edge of scheduled articles, the build and the renderer version; so the
first request after an editor's commit, in any worker on any app server sharing the cache, gets
the new page, and the TTL (CACHE_MIDDLEWARE_SECONDS, cut at the next scheduled publication) is
only a safety net. A hit costs the one state query, and answers 304 to a client whose ETag or
If-Modified-Since is current, exactly as the view would.

Only views decorated with blog.caching.conditional are looked up (the admin, static files and
robots.txt cost no state query).

It sits above CSPMiddleware, so a stored page carries its Content-Security-Policy header and a
hit does not build the policy again. The policy can change without a new build (the S3 media
origin comes from the environment), so the key (the content state's token) also holds a digest
of the settings that shape a page's headers and HTML beyond the build
(`blog.caching.settings_digest`): a server configured otherwise never answers from another's
entries in a shared cache, nor with a 304 for another's ETag. A response whose policy carries a
nonce is never stored (a nonce must not be served twice).

What is never cached: anything but GET/HEAD answered 200 with an ETag and `public`; responses
marked private or no-store (draft previews); responses that set a cookie; and every request
that carries a session cookie, so an editor always sees the live page.
Parameters reader pages do not read do not split the cache (blog.caching.cache_path).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.core.exceptions import DisallowedHost
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, resolve
from django.utils.cache import get_conditional_response
from django.utils.http import http_date

from blog.caching import cache_path, content_state, may_be_signed_in

# Headers that belong to one response, or that the middleware recomputes when serving a hit.
_NOT_STORED = {"set-cookie", "last-modified", "date", "content-length"}


@receiver(setting_changed)
def _settings_changed(*, setting: str, **kwargs: Any) -> None:
    if setting == "ROOT_URLCONF":
        _cacheable_paths.clear()


# Whether a path is answered by a blog.caching.conditional view, per path and URL configuration:
# resolving costs a walk through the URL patterns on every hit. Bounded (paths are the client's
# choice): emptied when full.
_CACHEABLE_PATHS_MAX = 10_000
_cacheable_paths: dict[tuple[str, str | None], bool] = {}


def is_cacheable_path(request: HttpRequest) -> bool:
    """True when the request's path resolves to a view marked `cikk_cacheable`."""
    key = (request.path_info, getattr(request, "urlconf", None) or settings.ROOT_URLCONF)
    found = _cacheable_paths.get(key)
    if found is None:
        try:
            view = resolve(request.path_info, key[1]).func
        except Resolver404:
            found = False
        else:
            found = bool(getattr(view, "cikk_cacheable", False))
        if len(_cacheable_paths) >= _CACHEABLE_PATHS_MAX:
            _cacheable_paths.clear()
        _cacheable_paths[key] = found
    return found


def page_key(request: HttpRequest, token: str) -> str | None:
    """The cache key of this request's page, or None when it must not be cached."""
    try:
        host = request.get_host()
    except DisallowedHost:
        return None
    where = f"{request.scheme}://{host}{cache_path(request)}"
    digest = hashlib.sha256(where.encode()).hexdigest()
    return f"cikk-page:{token}:{digest}"


def _storable(response: HttpResponse) -> bool:
    control = response.get("Cache-Control", "")
    return (
        response.status_code == 200
        and not response.streaming
        and not response.cookies
        and "ETag" in response
        and "public" in control
        and "private" not in control
        and "no-store" not in control
        and "'nonce-" not in response.get("Content-Security-Policy", "")
        and "'nonce-" not in response.get("Content-Security-Policy-Report-Only", "")
    )


class PageCacheMiddleware:
    """Goes under SecurityMiddleware (its HTTPS redirect and headers apply to hits too) and
    above CSPMiddleware, WhiteNoise and SessionMiddleware: a hit skips the policy, sessions,
    CSRF, auth and messages."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.cache = caches[getattr(settings, "CACHE_MIDDLEWARE_ALIAS", "default")]
        self.ttl = settings.CACHE_MIDDLEWARE_SECONDS
        # Static files are WhiteNoise's, below: no URL resolution for them.
        self.static_prefix = settings.STATIC_URL if settings.STATIC_URL.startswith("/") else None

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            request.method not in ("GET", "HEAD")
            or may_be_signed_in(request)
            or (self.static_prefix and request.path_info.startswith(self.static_prefix))
        ):
            return self.get_response(request)
        if not is_cacheable_path(request):  # only blog.caching.conditional views
            return self.get_response(request)
        state = content_state(request)
        key = page_key(request, state.token)
        if key is None:
            return self.get_response(request)
        entry = self.cache.get(key)
        if entry is not None:
            return self._serve(request, entry, state.last_modified())
        response = self.get_response(request)
        if request.method == "GET" and _storable(response):
            timeout = state.cache_timeout(self.ttl)
            if timeout > 0:
                headers = {k: v for k, v in response.items() if k.lower() not in _NOT_STORED}
                self.cache.set(key, (response.content, headers), timeout)
        return response

    @staticmethod
    def _serve(
        request: HttpRequest, entry: tuple[bytes, dict], last_modified: int | None
    ) -> HttpResponse:
        content, headers = entry
        etag = headers.get("ETag")
        conditional = get_conditional_response(request, etag=etag, last_modified=last_modified)
        response = conditional or HttpResponse(content)
        for name, value in headers.items():
            if conditional is None or name.lower() != "content-type":
                response.headers[name] = value
        if last_modified is not None:
            response.headers["Last-Modified"] = http_date(last_modified)
        return response

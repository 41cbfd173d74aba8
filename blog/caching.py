"""Freshness by events: one content state behind every reader page's cache key and validators.

Why: a timer (max-age, cache TTL) is what made the site both slow (nothing could be kept long)
and wrong (a withdrawn article stayed up until the timer ran out). Instead every cached page,
ETag and Last-Modified derive from:

- the site content version (articles.versioning): moved by database triggers in the same
  transaction as any write that can change a public page;
- the newest live article's date and the next scheduled one's: a scheduled article going live
  changes pages without any write, so the state includes the live edge, and no cached page
  outlives the next scheduled publication;
- the build (templates, static files, code; or `CIKK_BUILD`), the renderer version and the
  settings that shape a page from the environment (`settings_digest`: site name and URL, CSP,
  media origin): a deploy, a new renderer or a reconfigured server never answers 304 for old
  HTML.

All of it is one query (`content_state`): a primary-key read and two index probes on
article_published_idx, whatever the number of articles. Draft previews never get validators.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache, wraps
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core.signals import setting_changed
from django.db import connection
from django.db.models import QuerySet
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from django.utils.dateparse import parse_datetime
from django.utils.http import http_date, quote_etag

from articles.models import Article, ContentVersion
from articles.versioning import ROW, bump_content_version

# Query parameters a reader page reads; any other parameter does not change the page, so it
# neither splits the cache nor the validators (`?utm_source=…` is the same page).
PAGE_PARAMETERS = ("oldal", "page", "p", "q")
ROOT = Path(settings.BASE_DIR)
# What the build hash covers: everything that shapes a page except the database.
BUILD_SOURCES = ("templates", "static", "articles", "blog", "config", "locale", "package-lock.json")
RENDERER_SOURCES = (
    "articles/render",
    "articles/render_limits.py",
    "articles/body_images.py",
    "articles/katex.py",
    "node_modules/katex/package.json",
)
_BUILD_SUFFIXES = {".py", ".html", ".css", ".js", ".json", ".mo", ".svg", ".txt", ".xml"}


def _files(paths: tuple[str, ...]) -> list[Path]:
    found: list[Path] = []
    for name in paths:
        path = ROOT / name
        if path.is_file():
            found.append(path)
        elif path.is_dir():
            found.extend(
                p
                for p in sorted(path.rglob("*"))
                if p.is_file() and p.suffix in _BUILD_SUFFIXES and "__pycache__" not in p.parts
            )
    return found


def _digest_files(files: list[Path]) -> str:
    hasher = hashlib.sha256()
    for path in files:
        hasher.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes() + b"\0")
    return hasher.hexdigest()[:16]


@cache
def build_id() -> tuple[str, int]:
    """(hash, newest file time) of this deployment, computed once per process.

    `CIKK_BUILD` (e.g. the git commit) replaces the hash where reading the files at start-up is
    unwanted; the time still comes from the files, as Last-Modified needs one."""
    files = _files(BUILD_SOURCES)
    newest = max((int(p.stat().st_mtime) for p in files), default=0)
    return os.environ.get("CIKK_BUILD") or _digest_files(files), newest


@cache
def renderer_version() -> str:
    """Changes whenever the Markdown renderer's code (or KaTeX) changes."""
    return _digest_files(_files(RENDERER_SOURCES))


# Settings, read from the environment, that shape a page's HTML or stored headers beyond what
# the build digest covers (blog.caching.build_id hashes files, not the environment).
PAGE_SETTINGS = (
    "CONTENT_SECURITY_POLICY",
    "CONTENT_SECURITY_POLICY_REPORT_ONLY",
    "CIKK_SITE_NAME",
    "CIKK_SITE_URL",
    "CIKK_PUBLIC_MAX_AGE",
    "STATIC_URL",
    "MEDIA_URL",
    "STORAGES",
    "LANGUAGE_CODE",
    "X_FRAME_OPTIONS",
)


@cache
def settings_digest() -> str:
    """A digest of PAGE_SETTINGS, once per process. Canonical JSON (sorted keys), because
    django-csp writes the directives in an order that differs from process to process: the
    header string itself would split a shared cache per worker."""
    values: dict[str, Any] = {name: getattr(settings, name, None) for name in PAGE_SETTINGS}
    canonical = json.dumps(values, sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:12]


@receiver(setting_changed)
def _settings_changed(*, setting: str, **kwargs: Any) -> None:
    if setting in PAGE_SETTINGS:
        settings_digest.cache_clear()


@dataclass(frozen=True)
class ContentState:
    version: int
    changed_at: datetime
    live: datetime | None  # the newest published article's date
    upcoming: datetime | None  # the next scheduled publication

    @property
    def token(self) -> str:
        """Everything a cached page depends on, as one string."""
        stamps = [s.timestamp() if s else "-" for s in (self.live, self.upcoming)]
        build = f"{build_id()[0]}.{renderer_version()}.{settings_digest()}"
        return f"{build}.{self.version}.{stamps[0]}.{stamps[1]}"

    def last_modified(self, now: datetime | None = None) -> int | None:
        """Whole seconds for Last-Modified; None while the newest change is still in the
        current second (a second change within it would carry the same Last-Modified, and a
        client holding the first version would get a wrong 304)."""
        now = now or timezone.now()
        stamps = [self.changed_at.timestamp(), float(build_id()[1])]
        if self.live is not None:
            stamps.append(self.live.timestamp())
        newest = max(stamps)
        if now.timestamp() < math.floor(newest) + 1:
            return None
        return math.floor(newest)

    def cache_timeout(self, ttl: int, now: datetime | None = None) -> int:
        """The safety-net TTL, cut at the next scheduled publication."""
        if self.upcoming is None:
            return ttl
        left = (self.upcoming - (now or timezone.now())).total_seconds()
        return max(0, min(ttl, math.floor(left)))


@cache
def _state_sql(vendor: str) -> str:
    """The content state as one hand-written statement, built once per process from the
    models' table and column names (`vendor` keys the cache: one statement per backend).

    Why not the ORM: it runs on every reader request, page-cache hits and 304s included, and
    compiling the equivalent queryset (two subqueries) costs far more CPU than running it
    (bench/README.md, Serving). The conditions are published()'s and scheduled()'s
    (released, and date up to / after now); tests/test_page_cache.py pins the result against
    those querysets."""
    quote = connection.ops.quote_name
    article, version = Article._meta, ContentVersion._meta
    table = quote(article.db_table)
    date = quote(article.get_field("date").column)
    released = quote(article.get_field("released").column)
    value = quote(version.get_field("value").column)
    changed_at = quote(version.get_field("changed_at").column)
    pk = quote(version.pk.column)
    # Names come from the models, values go as parameters.
    edge = f"SELECT U0.{date} FROM {table} U0 WHERE (U0.{date} {{}} %s AND U0.{released})"  # noqa: S608
    return (
        f"SELECT {value}, {changed_at}, "  # noqa: S608
        f"({edge.format('<=')} ORDER BY 1 DESC LIMIT 1), "
        f"({edge.format('>')} ORDER BY 1 ASC LIMIT 1) "
        f"FROM {quote(version.db_table)} WHERE {pk} = %s"
    )


def aware(value: datetime | str | None) -> datetime | None:
    """A datetime from a raw cursor as the ORM would return it: aware, UTC. SQLite hands a
    subquery's column back as text and a table column as a naive UTC datetime; PostgreSQL
    gives aware ones."""
    if value is None:
        return None
    if isinstance(value, str):
        # SQLite's "YYYY-MM-DD HH:MM:SS[.ffffff]" (C-speed); anything else, as the ORM would.
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            value = parse_datetime(value)
    if timezone.is_naive(value):
        value = timezone.make_aware(value, UTC)
    return value


def _query_state() -> ContentState | None:
    now = Article._meta.get_field("date").get_db_prep_value(timezone.now(), connection)
    with connection.cursor() as cursor:
        cursor.execute(_state_sql(connection.vendor), (now, now, ROW))
        row = cursor.fetchone()
    if row is None:
        return None
    version, changed_at, live, upcoming = row
    return ContentState(int(version), aware(changed_at), aware(live), aware(upcoming))


# The state of the request being answered by a `conditional` view, for code that has no
# request at hand (sitemap classes, feeds).
_current: ContextVar[ContentState | None] = ContextVar("cikk_content_state", default=None)


def content_state(request: HttpRequest | None = None) -> ContentState:
    """The state for this request: one query, remembered on the request."""
    if request is None:
        current = _current.get()
        if current is not None:
            return current
    else:
        state = getattr(request, "cikk_content_state", None)
        if state is not None:
            return state
    state = _query_state()
    if state is None:  # the row was removed (a flushed test database): start again
        bump_content_version()
        state = _query_state()
    if request is not None:
        request.cikk_content_state = state
    return state


def cached_count(queryset: QuerySet, scope: str, request: HttpRequest | None = None) -> int:
    """`queryset.count()` once per content version (lists and sitemaps show totals without a
    COUNT over all articles per request); the entry ends with the version or the next
    scheduled publication."""
    from django.core.cache import cache

    state = content_state(request)
    key = f"cikk-count:{state.token}:{scope}"
    value = cache.get(key)
    if value is None:
        value = queryset.order_by().count()
        cache.set(key, value, state.cache_timeout(settings.CACHE_MIDDLEWARE_SECONDS) or 1)
    return value


def cache_path(request: HttpRequest) -> str:
    """The request's path with only the parameters reader pages read, the search query
    normalised as the search page shows it: one cache entry and one ETag per distinct page."""
    from blog.cards import fixed_url
    from blog.search import parse_query

    params = []
    for name in PAGE_PARAMETERS:
        value = request.GET.get(name)
        if value is None:
            continue
        if name == "q" and request.path == fixed_url("blog:search"):
            value = parse_query(value).text
        params.append((name, value[:300]))
    return request.path + ("?" + urlencode(params) if params else "")


def etag_for(request: HttpRequest, state: ContentState) -> str:
    raw = f"{state.token}|{cache_path(request)}"
    return quote_etag(hashlib.sha256(raw.encode()).hexdigest()[:32])


def _exact_etag_match(request: HttpRequest, etag: str) -> bool:
    header = request.headers.get("If-None-Match", "")
    return etag in (tag.strip() for tag in header.split(","))


def conditional(slug_kwarg: str | None = None) -> Callable:
    """Decorate a reader view: answer 304 when the client's copy is current, else add
    ETag/Last-Modified from the content state. With `slug_kwarg` (a page that may not exist or
    may be a draft), only an exact ETag match is answered before the view runs: `*` or a bare
    If-Modified-Since must not turn an unknown or withdrawn article's 404 into a 304."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if request.method not in ("GET", "HEAD"):
                return view(request, *args, **kwargs)
            state = content_state(request)
            etag = etag_for(request, state)
            last_modified = state.last_modified()
            response = None
            if not slug_kwarg:
                response = get_conditional_response(request, etag=etag, last_modified=last_modified)
            elif _exact_etag_match(request, etag):
                response = get_conditional_response(request, etag=etag)
            if response is None:
                reset = _current.set(state)
                try:
                    response = view(request, *args, **kwargs)
                finally:
                    _current.reset(reset)
                if response.status_code != 200 or _never_cached(response):
                    return response
                if slug_kwarg:  # the page exists: now If-Modified-Since may answer
                    conditional_response = get_conditional_response(
                        request, etag=etag, last_modified=last_modified
                    )
                    response = conditional_response or response
            add_validators(request, response, etag, last_modified)
            return response

        wrapped.cikk_cacheable = True  # config.page_cache looks only these views up
        return wrapped

    return decorator


def _never_cached(response: HttpResponse) -> bool:
    return "no-store" in response.get("Cache-Control", "")


def add_validators(
    request: HttpRequest, response: HttpResponse, etag: str, last_modified: int | None
) -> None:
    response.headers["ETag"] = etag
    if last_modified is not None:
        response.headers["Last-Modified"] = http_date(last_modified)
    cache_headers(request, response)


def cache_headers(request: HttpRequest, response: HttpResponse) -> None:
    """Anonymous readers: `public`, revalidated on every use (`no-cache`) unless the operator
    accepts some staleness (CIKK_PUBLIC_MAX_AGE): a browser or proxy that kept a copy asks
    with its ETag and gets a 304 for one query, and a withdrawn article is gone at once.
    A logged-in editor's responses stay private; Vary: Cookie keeps shared caches apart."""
    patch_vary_headers(response, ("Cookie",))
    if may_be_signed_in(request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            patch_cache_control(response, private=True, no_cache=True)
            return
    max_age = getattr(settings, "CIKK_PUBLIC_MAX_AGE", 0)
    if max_age > 0:
        patch_cache_control(response, public=True, max_age=max_age)
    else:
        patch_cache_control(response, public=True, no_cache=True)


def may_be_signed_in(request: HttpRequest) -> bool:
    """Whether the request carries a session cookie: without one nobody is signed in (users
    come from the session alone), and the user, the session store and its cookie need not be
    looked at. Editors always have one, so they get their private, live pages."""
    return settings.SESSION_COOKIE_NAME in request.COOKIES

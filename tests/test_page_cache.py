"""The whole-page cache for anonymous readers (config/page_cache.py), as production runs it:
the test settings keep the middleware (conftest.py clears the cache around every test)."""

import datetime as dt
import time

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.cache import cache
from django.utils import timezone

from articles.models import Article, ContentVersion
from blog.caching import content_state

pytestmark = pytest.mark.django_db

PAGE_CACHE = "config.page_cache.PageCacheMiddleware"


def publish(title: str, slug: str, **fields) -> Article:
    fields.setdefault("date", timezone.now() - dt.timedelta(hours=1))
    return Article.objects.create(
        title=title, slug=slug, body="Rövid szöveg.", released=True, **fields
    )


def settle() -> None:
    ContentVersion.objects.update(changed_at=timezone.now() - dt.timedelta(seconds=10))


def cached_pages() -> list[str]:
    """Keys of stored pages in the test settings' local-memory cache."""
    return [key for key in cache._cache if "cikk-page:" in key]


def test_tests_run_the_production_middleware_stack():
    from django.conf import settings

    from config import settings as production

    assert settings.MIDDLEWARE == production.MIDDLEWARE
    order = production.MIDDLEWARE
    # Under SecurityMiddleware (its HTTPS redirect comes first, its headers go on hits too),
    # above the policy, static files and sessions (a hit skips them).
    assert order.index("django.middleware.security.SecurityMiddleware") < order.index(PAGE_CACHE)
    for below in (
        "csp.middleware.CSPMiddleware",
        "whitenoise.middleware.WhiteNoiseMiddleware",
        "django.contrib.sessions.middleware.SessionMiddleware",
    ):
        assert order.index(PAGE_CACHE) < order.index(below), below
    assert order[-1] == "axes.middleware.AxesMiddleware"


def test_an_anonymous_reader_gets_the_second_page_from_the_cache(client, django_assert_num_queries):
    publish("Gyártási kihozatal", "gyartasi-kihozatal")
    first = client.get("/")
    assert first.status_code == 200
    with django_assert_num_queries(1):  # the content state: one row and two index probes
        second = client.get("/")
    assert second.status_code == 200
    assert second.content == first.content
    assert second.headers["ETag"] == first.headers["ETag"]
    # Headers are added on the way out, so a cached page is just as protected.
    assert "script-src 'self'" in second.headers["Content-Security-Policy"]
    assert second.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("url", ["/", "/cikk/elso/", "/feed/rss/", "/kereses/?q=elso"])
def test_a_cached_page_answers_304_to_a_current_etag_or_date(client, url):
    publish("Első", "elso")
    settle()
    first = client.get(url)
    assert first.status_code == 200 and cached_pages()
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    hit = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert hit.status_code == 304 and hit.content == b""
    assert hit.headers["ETag"] == etag
    assert client.get(url, HTTP_IF_MODIFIED_SINCE=modified).status_code == 304
    assert client.get(url, HTTP_IF_NONE_MATCH='"mas"').status_code == 200


def test_a_change_is_seen_by_the_next_anonymous_request(client):
    publish("Régi cikk", "regi-cikk")
    assert "Régi cikk" in client.get("/").content.decode()
    publish("Friss cikk", "friss-cikk")
    assert "Friss cikk" in client.get("/").content.decode()


def test_a_withdrawn_article_is_404_on_the_next_request(client, django_user_model):
    """The editor's bulk action is a queryset update (no signals): the database trigger
    still moves the content version."""
    article = publish("Visszavonandó", "visszavonando")
    assert client.get("/cikk/visszavonando/").status_code == 200
    assert "Visszavonandó" in client.get("/").content.decode()
    editor = django_user_model.objects.create_user("szerk", password="x", is_staff=True)
    editor.user_permissions.add(
        *Permission.objects.filter(codename__in=["change_article", "view_article"])
    )
    editor_client = type(client)()
    editor_client.force_login(editor)
    response = editor_client.post(
        "/admin/articles/article/",
        {"action": "withdraw", "_selected_action": [article.pk]},
    )
    assert response.status_code == 302
    assert client.get("/cikk/visszavonando/").status_code == 404
    assert "Visszavonandó" not in client.get("/").content.decode()


def test_a_scheduled_article_appears_at_its_time_without_any_write(client):
    publish("Régi cikk", "regi-cikk")
    publish("Időzített", "idozitett", date=timezone.now() + dt.timedelta(seconds=2))
    assert "Időzített" not in client.get("/").content.decode()
    state = content_state()
    assert 0 <= state.cache_timeout(3600) <= 2  # no cached page outlives the publication
    time.sleep(max(0.0, (state.upcoming - timezone.now()).total_seconds()) + 0.05)
    assert "Időzített" in client.get("/").content.decode()
    assert client.get("/cikk/idozitett/").status_code == 200


def test_an_editor_with_a_session_always_gets_a_fresh_page(client):
    publish("Régi cikk", "regi-cikk")
    assert "Régi cikk" in client.get("/").content.decode()
    editor = get_user_model().objects.create_user("szerkeszto", password="x", is_staff=True)
    client.force_login(editor)
    with_session = client.get("/")
    assert "private" in with_session.headers["Cache-Control"]


def test_pages_that_forbid_caching_are_never_stored(client):
    response = client.get("/admin/login/")
    assert response.status_code == 200
    assert "private" in response.headers["Cache-Control"] or response.cookies
    assert cached_pages() == []
    # The control: a public reader page is stored.
    client.cookies.clear()
    assert client.get("/").status_code == 200
    assert len(cached_pages()) == 1


def test_parameters_pages_do_not_read_do_not_split_the_cache(client):
    publish("Első", "elso")
    client.get("/")
    client.get("/?utm_source=hirlevel&x=1")
    client.get("/?oldal=1")
    assert len(cached_pages()) == 2  # "/" and "/?oldal=1"


def test_a_missing_page_is_not_cached(client):
    assert client.get("/cikk/nincs-ilyen/").status_code == 404
    publish("Most jelent meg", "nincs-ilyen")
    assert client.get("/cikk/nincs-ilyen/").status_code == 200


def test_the_content_state_statement_agrees_with_published_and_scheduled():
    """blog.caching reads the state with one hand-written statement (it runs on every reader
    request): its live edge and next publication are exactly what published() and scheduled()
    say, drafts never count, and the dates come back aware, as the ORM returns them."""
    now = timezone.now()
    publish("Régi", "regi", date=now - dt.timedelta(days=3))
    newest = publish("Legújabb", "legujabb", date=now - dt.timedelta(minutes=5))
    publish("Piszkozat később", "piszkozat-kesobb", date=now - dt.timedelta(minutes=1))
    Article.objects.filter(slug="piszkozat-kesobb").update(released=False)
    publish("Holnap", "holnap", date=now + dt.timedelta(days=1))
    soonest = publish("Egy óra múlva", "egy-ora-mulva", date=now + dt.timedelta(hours=1))
    Article.objects.create(
        title="Jövő heti piszkozat",
        slug="jovo-heti",
        released=False,
        date=now + dt.timedelta(minutes=1),
    )
    state = content_state()
    row = ContentVersion.objects.get()
    assert (state.version, state.changed_at) == (row.value, row.changed_at)
    assert state.live == Article.objects.published().order_by("-date")[0].date == newest.date
    assert state.upcoming == Article.objects.scheduled().order_by("date")[0].date == soonest.date
    for stamp in (state.changed_at, state.live, state.upcoming):
        assert stamp.utcoffset() == dt.timedelta(0)


def test_the_content_state_of_an_empty_site_has_no_edges():
    state = content_state()
    assert state.live is None and state.upcoming is None
    assert state.version == ContentVersion.objects.get().value


def csp_directives(header: str) -> dict[str, str]:
    """The policy as a dict (django-csp writes its directives in no fixed order)."""
    parts = (part.strip().split(" ", 1) for part in header.split(";") if part.strip())
    return {part[0]: part[1] if len(part) > 1 else "" for part in parts}


def test_a_hit_carries_the_policy_a_fresh_page_gets(client, settings):
    """The policy header is stored with the page (the cache sits above CSPMiddleware)."""
    publish("Első", "elso")
    first = client.get("/cikk/elso/")
    assert cached_pages()
    hit = client.get("/cikk/elso/")
    assert hit.content == first.content
    fresh = csp_directives(first.headers["Content-Security-Policy"])
    assert csp_directives(hit.headers["Content-Security-Policy"]) == fresh
    assert fresh["script-src"] == "'self'" and fresh["object-src"] == "'none'"


def test_a_changed_policy_is_never_served_from_an_old_entry(client, settings):
    """The media origin (S3) reaches the policy through the environment, not the build: the
    key holds a digest of the settings that shape a page, so the next request gets the new
    policy even while the old page is still in a shared cache."""
    publish("Első", "elso")
    client.get("/cikk/elso/")
    policy = dict(settings.CONTENT_SECURITY_POLICY)
    policy["DIRECTIVES"] = {
        **policy["DIRECTIVES"],
        "img-src": ["'self'", "data:", "https://media.example.hu"],
    }
    settings.CONTENT_SECURITY_POLICY = policy
    response = client.get("/cikk/elso/")
    assert "https://media.example.hu" in response.headers["Content-Security-Policy"]
    assert len(cached_pages()) == 2


def test_the_settings_digest_ignores_the_order_django_csp_writes(settings):
    """django-csp orders directives differently in every process; the digest must not, or
    workers sharing Redis would never share an entry."""
    from blog.caching import settings_digest

    first = settings_digest()
    directives = settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": dict(reversed(list(directives.items())))}
    assert settings_digest() == first
    settings.CIKK_SITE_NAME = "Másik lap"
    assert settings_digest() != first


def test_a_reconfigured_server_does_not_answer_304_for_the_old_page(client, settings):
    """A site name or media origin set in the environment changes pages without a deploy: a
    browser holding the old page's ETag gets the new page, not a 304."""
    publish("Első", "elso")
    settle()
    first = client.get("/cikk/elso/")
    assert client.get("/cikk/elso/", HTTP_IF_NONE_MATCH=first.headers["ETag"]).status_code == 304
    settings.CIKK_SITE_NAME = "Másik lap"
    again = client.get("/cikk/elso/", HTTP_IF_NONE_MATCH=first.headers["ETag"])
    assert again.status_code == 200
    assert again.headers["ETag"] != first.headers["ETag"]
    assert "Másik lap" in again.content.decode()


@pytest.mark.parametrize(
    "policy, stored", [("script-src 'self'", 1), ("script-src 'nonce-abc'", 0)]
)
def test_a_page_whose_policy_carries_a_nonce_is_not_stored(policy, stored):
    """A nonce must never be served twice, so a page that used one is not cached."""
    from django.http import HttpResponse
    from django.test import RequestFactory

    from config.page_cache import PageCacheMiddleware

    def reader_page(request):
        response = HttpResponse("<p>Egy oldal</p>")
        response.headers["ETag"] = '"egy"'
        response.headers["Cache-Control"] = "public, no-cache"
        response.headers["Content-Security-Policy"] = policy
        return response

    middleware = PageCacheMiddleware(reader_page)  # /cikk/<slug>/ resolves to a cached view
    assert middleware(RequestFactory().get("/cikk/egy/")).status_code == 200
    assert len(cached_pages()) == stored


def test_static_files_skip_the_page_cache_and_keep_their_headers(
    settings, tmp_path, django_assert_num_queries
):
    """WhiteNoise answers static files below the page cache: no state query, nothing stored,
    and the policy and nosniff headers as before."""
    from django.test import Client

    settings.STATIC_ROOT = tmp_path / "static"
    (settings.STATIC_ROOT / "css").mkdir(parents=True)
    (settings.STATIC_ROOT / "css" / "proba.css").write_text("body { color: black; }\n")
    client = Client()  # a new handler: WhiteNoise reads STATIC_ROOT when it starts
    with django_assert_num_queries(0):
        response = client.get("/static/css/proba.css")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"body { color: black; }\n"
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert cached_pages() == []


def test_only_reader_views_are_looked_up_and_the_answer_follows_the_urlconf(settings):
    """Whether a path is a cached reader page is remembered per path and URL configuration
    (resolving on every hit cost a walk through the URL patterns)."""
    from django.test import RequestFactory

    from config import page_cache

    def cacheable(path: str) -> bool:
        return page_cache.is_cacheable_path(RequestFactory().get(path))

    assert cacheable("/cikk/elso/") and cacheable("/")
    assert not cacheable("/admin/login/") and not cacheable("/robots.txt")
    assert not cacheable("/nincs/ilyen/")
    settings.ROOT_URLCONF = "tests.urls_moved"
    assert cacheable("/magazin/cikk/elso/") and not cacheable("/cikk/elso/")


def test_the_remembered_paths_are_bounded(monkeypatch):
    from django.test import RequestFactory

    from config import page_cache

    monkeypatch.setattr(page_cache, "_CACHEABLE_PATHS_MAX", 5)
    for n in range(12):
        page_cache.is_cacheable_path(RequestFactory().get(f"/cikk/cikk-{n}/"))
        assert len(page_cache._cacheable_paths) <= 5

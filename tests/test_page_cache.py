"""The whole-page cache for anonymous readers (config/page_cache.py), with the real middleware."""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.utils import timezone

from articles.models import Article

pytestmark = pytest.mark.django_db

PAGE_CACHE = [
    "config.page_cache.UpdatePageCacheMiddleware",
    "config.page_cache.FetchPageCacheMiddleware",
]


@pytest.fixture
def page_cache(settings):
    """The production middleware list (settings_test removes the page cache for other tests)."""
    middleware = list(settings.MIDDLEWARE)
    middleware.insert(
        middleware.index("whitenoise.middleware.WhiteNoiseMiddleware") + 1, PAGE_CACHE[0]
    )
    middleware.insert(middleware.index("axes.middleware.AxesMiddleware"), PAGE_CACHE[1])
    settings.MIDDLEWARE = middleware
    cache.clear()
    yield
    cache.clear()


def publish(title: str, slug: str) -> Article:
    return Article.objects.create(
        title=title,
        slug=slug,
        body="Rövid szöveg.",
        released=True,
        date=timezone.now() - dt.timedelta(hours=1),
    )


def test_production_settings_answer_cache_hits_before_the_session_middleware():
    """A hit skips sessions, CSRF, auth and messages; a miss is stored above them all."""
    from config import settings as production

    order = production.MIDDLEWARE
    update, fetch = order.index(PAGE_CACHE[0]), order.index(PAGE_CACHE[1])
    assert fetch == update + 1
    assert fetch < order.index("django.contrib.sessions.middleware.SessionMiddleware")
    assert order[-1] == "axes.middleware.AxesMiddleware"


def test_an_anonymous_reader_gets_the_second_page_from_the_cache(
    client, page_cache, django_assert_num_queries
):
    publish("Gyártási kihozatal", "gyartasi-kihozatal")
    first = client.get("/")
    assert first.status_code == 200
    with django_assert_num_queries(0):
        second = client.get("/")
    assert second.status_code == 200
    assert second.content == first.content
    # Headers are added on the way out, so a cached page is just as protected.
    assert "script-src 'self'" in second.headers["Content-Security-Policy"]
    assert second.headers["X-Content-Type-Options"] == "nosniff"


def test_an_editor_with_a_session_always_gets_a_fresh_page(client, page_cache):
    publish("Régi cikk", "regi-cikk")
    assert "Régi cikk" in client.get("/").content.decode()
    publish("Friss cikk", "friss-cikk")
    # An anonymous reader may see the page as it was for up to its max-age (60 s) ...
    assert "Friss cikk" not in client.get("/").content.decode()
    # ... but whoever is logged in (the editor who just published) sees it at once.
    editor = get_user_model().objects.create_user("szerkeszto", password="x", is_staff=True)
    client.force_login(editor)
    assert "Friss cikk" in client.get("/").content.decode()


def cached_pages() -> list[str]:
    """Keys of stored pages in the test settings' local-memory cache."""
    return [key for key in cache._cache if ".cache_page." in key]


def test_pages_that_forbid_caching_are_never_stored(client, page_cache):
    response = client.get("/admin/login/")
    assert response.status_code == 200
    assert "private" in response.headers["Cache-Control"]
    assert cached_pages() == []
    # The control: a public reader page is stored.
    client.cookies.clear()
    assert client.get("/").status_code == 200
    assert len(cached_pages()) == 1


def test_a_missing_page_is_not_cached(client, page_cache):
    assert client.get("/cikk/nincs-ilyen/").status_code == 404
    publish("Most jelent meg", "nincs-ilyen")
    assert client.get("/cikk/nincs-ilyen/").status_code == 200

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
    assert order.index(PAGE_CACHE) < order.index(
        "django.contrib.sessions.middleware.SessionMiddleware"
    )
    assert order.index("whitenoise.middleware.WhiteNoiseMiddleware") < order.index(PAGE_CACHE)
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

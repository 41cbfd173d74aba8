"""Drafts and future-dated articles reach no reader: not on any page, feed, sitemap, search
result or previous/next link. Staff with the change permission preview them, never cached."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from tests.factories import make_article
from tests.page_tree import parse

SECRET_TITLES = ("Titkos piszkozat", "Jövőbeli cikk")


@pytest.fixture
def articles(db):
    now = timezone.now()
    older = make_article(
        "Régebbi nyilvános", date=now - timedelta(days=10), tags=["Chipek"], body="Zsiráf nélkül."
    )
    draft = make_article(
        "Titkos piszkozat",
        released=False,
        date=now - timedelta(days=5),
        tags=["Chipek"],
        body="A zsiráf titkos szava.",
    )
    future = make_article(
        "Jövőbeli cikk",
        date=now + timedelta(days=3),
        tags=["Chipek"],
        body="Az elefánt holnap jön.",
    )
    newer = make_article("Újabb nyilvános", date=now - timedelta(days=1), tags=["Chipek"])
    return {"older": older, "draft": draft, "future": future, "newer": newer}


def _assert_no_secret(content: bytes) -> None:
    text = content.decode("utf-8")
    for title in SECRET_TITLES:
        assert title not in text
    assert "/cikk/titkos-piszkozat/" not in text
    assert "/cikk/jovobeli-cikk/" not in text


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/szerzo/egri-mate/",
        "/cimke/chipek/",
        "/feed/rss/",
        "/feed/atom/",
        "/sitemap.xml",
        "/sitemap-articles.xml",
        "/sitemap-authors.xml",
        "/sitemap-tags.xml",
        "/kereses/?q=titkos",
        "/kereses/?q=jovobeli",
        "/kereses/?q=zsiraf",
        "/kereses/?q=elefant",
        "/cikk/regebbi-nyilvanos/",
        "/cikk/ujabb-nyilvanos/",
    ],
)
def test_drafts_and_future_articles_appear_nowhere_public(client, articles, url):
    response = client.get(url)
    assert response.status_code == 200
    _assert_no_secret(response.content)


def test_previous_and_next_skip_unpublished_neighbours(client, articles):
    page = parse(client.get("/cikk/regebbi-nyilvanos/").content)
    nxt = page.find("a", rel="next")
    assert nxt is not None and nxt.attrs["href"] == "/cikk/ujabb-nyilvanos/"
    assert page.find("a", rel="prev") is None
    page = parse(client.get("/cikk/ujabb-nyilvanos/").content)
    assert page.find("a", rel="prev").attrs["href"] == "/cikk/regebbi-nyilvanos/"
    assert page.find("a", rel="next") is None


def test_search_finds_published_words_but_not_draft_words(client, articles):
    page = parse(client.get("/kereses/?q=zsiraf").content)
    titles = [h.text for h in page.find_all("h2", class_="card__title")]
    assert titles == ["Régebbi nyilvános"]


@pytest.mark.parametrize("slug", ["titkos-piszkozat", "jovobeli-cikk"])
def test_anonymous_reader_gets_404_for_unpublished(client, articles, slug):
    response = client.get(f"/cikk/{slug}/")
    assert response.status_code == 404
    assert "Ez az oldal nem található" in response.content.decode()


def test_logged_in_non_staff_gets_404(client, articles, django_user_model):
    user = django_user_model.objects.create_user("olvaso", password="x")
    client.force_login(user)
    assert client.get("/cikk/titkos-piszkozat/").status_code == 404


def test_staff_without_change_permission_gets_404(client, articles, django_user_model):
    user = django_user_model.objects.create_user("gyakornok", password="x", is_staff=True)
    client.force_login(user)
    assert client.get("/cikk/titkos-piszkozat/").status_code == 404


@pytest.fixture
def editor(django_user_model):
    user = django_user_model.objects.create_user("szerkeszto", password="x", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="change_article"))
    return user


@pytest.mark.parametrize(
    ("slug", "banner"),
    [("titkos-piszkozat", "Piszkozat"), ("jovobeli-cikk", "Időzített cikk")],
)
def test_staff_preview_has_banner_and_is_never_cached(client, articles, editor, slug, banner):
    client.force_login(editor)
    response = client.get(f"/cikk/{slug}/")
    assert response.status_code == 200
    page = parse(response.content)
    assert banner in page.find("div", class_="draft-banner").text
    assert page.meta("robots") == "noindex, nofollow"
    directives = {d.strip() for d in response.headers["Cache-Control"].split(",")}
    assert {"no-cache", "no-store", "private"} <= directives
    assert "ETag" not in response.headers
    assert "Last-Modified" not in response.headers


def test_staff_preview_ignores_conditional_headers(client, articles, editor):
    client.force_login(editor)
    response = client.get(
        "/cikk/titkos-piszkozat/",
        HTTP_IF_NONE_MATCH="*",
        HTTP_IF_MODIFIED_SINCE="Fri, 01 Jan 2100 00:00:00 GMT",
    )
    assert response.status_code == 200


def test_staff_sees_published_article_without_banner(client, articles, editor):
    client.force_login(editor)
    response = client.get("/cikk/ujabb-nyilvanos/")
    assert response.status_code == 200
    assert parse(response.content).find("div", class_="draft-banner") is None
    assert "private" in response.headers["Cache-Control"]


def test_staff_list_pages_still_hide_drafts(client, articles, editor):
    client.force_login(editor)
    _assert_no_secret(client.get("/").content)
    _assert_no_secret(client.get("/kereses/?q=zsiraf").content)

"""Conditional requests: ETag and Last-Modified on articles, lists and feeds; 304 when the
client's copy is current; a save changes the validators; drafts are never cached."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.core.cache import cache
from django.utils import timezone

from articles.models import Article, ContentVersion
from tests.factories import make_article

PAGES = ["/", "/cikk/elso/", "/szerzo/egri-mate/", "/cimke/chipek/", "/feed/rss/", "/feed/atom/"]


def settle() -> None:
    """Let the last change be seconds old: Last-Modified is withheld while the newest change
    is still in the current second (blog.caching.ContentState.last_modified)."""
    ContentVersion.objects.update(changed_at=timezone.now() - timedelta(seconds=10))


@pytest.fixture
def article(db):
    make_article("Második", tags=["Chipek"], date=timezone.now() - timedelta(days=3))
    first = make_article("Első", tags=["Chipek"], date=timezone.now() - timedelta(days=2))
    settle()
    return first


@pytest.mark.parametrize("url", PAGES)
def test_validators_present_and_if_none_match_gives_304(client, article, url):
    first = client.get(url)
    assert first.status_code == 200
    etag = first.headers["ETag"]
    assert etag.startswith('"') and etag.endswith('"')
    assert first.headers["Last-Modified"].endswith("GMT")
    assert "Cookie" in first.headers["Vary"]
    again = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["ETag"] == etag


@pytest.mark.parametrize("url", PAGES)
def test_if_modified_since_gives_304(client, article, url):
    first = client.get(url)
    again = client.get(url, HTTP_IF_MODIFIED_SINCE=first.headers["Last-Modified"])
    assert again.status_code == 304


@pytest.mark.parametrize("url", PAGES)
def test_saving_an_article_changes_the_validators(client, article, url):
    first = client.get(url)
    Article.objects.filter(pk=article.pk).update(updated_at=timezone.now() + timedelta(seconds=5))
    again = client.get(
        url,
        HTTP_IF_NONE_MATCH=first.headers["ETag"],
        HTTP_IF_MODIFIED_SINCE=first.headers["Last-Modified"],
    )
    assert again.status_code == 200
    assert again.headers["ETag"] != first.headers["ETag"]


def test_model_save_refreshes_article_page(client, article):
    first = client.get("/cikk/elso/")
    article.title = "Első, javítva"
    article.save()
    again = client.get("/cikk/elso/", HTTP_IF_NONE_MATCH=first.headers["ETag"])
    assert again.status_code == 200
    assert "Első, javítva" in again.content.decode()


def test_new_publication_invalidates_lists(client, article):
    first = client.get("/")
    make_article("Harmadik", date=timezone.now() - timedelta(minutes=1))
    again = client.get("/", HTTP_IF_NONE_MATCH=first.headers["ETag"])
    assert again.status_code == 200


def test_withdrawing_an_article_invalidates_lists(client, article):
    first = client.get("/")
    Article.objects.filter(slug="masodik").update(released=False)
    again = client.get("/", HTTP_IF_NONE_MATCH=first.headers["ETag"])
    assert again.status_code == 200
    assert "Második" not in again.content.decode()


def test_pages_have_distinct_etags(client, article):
    etags = {client.get(url).headers["ETag"] for url in PAGES}
    etags.add(client.get("/?oldal=1").headers["ETag"])
    assert len(etags) == len(PAGES) + 1


def test_public_pages_are_revalidated_on_every_use_by_default(client, article, settings):
    """Browsers and proxies may keep a page but must ask (ETag) before using it: freshness
    by events reaches them too. An operator may accept staleness with CIKK_PUBLIC_MAX_AGE."""
    directives = {d.strip() for d in client.get("/cikk/elso/").headers["Cache-Control"].split(",")}
    assert directives == {"public", "no-cache"}
    settings.CIKK_PUBLIC_MAX_AGE = 60
    cache.clear()  # the page cache keeps the headers a page was stored with
    cache_control = client.get("/cikk/elso/").headers["Cache-Control"]
    assert "public" in cache_control and "max-age=60" in cache_control


def test_logged_in_staff_get_private_revalidated_responses(client, article, django_user_model):
    editor = django_user_model.objects.create_user("szerk", password="x", is_staff=True)
    editor.user_permissions.add(Permission.objects.get(codename="change_article"))
    client.force_login(editor)
    response = client.get("/cikk/elso/")
    directives = {d.strip() for d in response.headers["Cache-Control"].split(",")}
    assert {"private", "no-cache"} <= directives
    assert "Cookie" in response.headers["Vary"]


def test_draft_is_never_cached_and_never_304(client, db, django_user_model):
    make_article("Piszkozat", released=False)
    editor = django_user_model.objects.create_user("szerk", password="x", is_staff=True)
    editor.user_permissions.add(Permission.objects.get(codename="change_article"))
    client.force_login(editor)
    response = client.get("/cikk/piszkozat/", HTTP_IF_NONE_MATCH="*")
    assert response.status_code == 200
    directives = {d.strip() for d in response.headers["Cache-Control"].split(",")}
    assert {"no-cache", "no-store", "private"} <= directives
    assert "ETag" not in response.headers


def test_404_has_no_validators(client, db):
    response = client.get("/cikk/nincs/")
    assert response.status_code == 404
    assert "ETag" not in response.headers


def test_head_requests_are_conditional_too(client, article):
    etag = client.head("/").headers["ETag"]
    assert client.head("/", HTTP_IF_NONE_MATCH=etag).status_code == 304


@pytest.mark.parametrize("url", ["/cikk/elso/", "/szerzo/egri-mate/", "/", "/feed/rss/"])
def test_renaming_an_author_changes_the_validators_and_the_page(client, article, url):
    from articles.models import Author

    first = client.get(url)
    author = Author.objects.get(slug="egri-mate")
    author.name = "Egri Máté Péter"
    author.save()
    again = client.get(url, HTTP_IF_NONE_MATCH=first.headers["ETag"])
    assert again.status_code == 200
    assert "Egri Máté Péter" in again.content.decode()


@pytest.mark.parametrize("url", ["/cikk/elso/", "/cimke/chipek/"])
def test_renaming_or_deleting_a_tag_changes_the_validators(client, article, url):
    from articles.models import Tag

    first = client.get(url)
    tag = Tag.objects.get(slug="chipek")
    tag.name = "Félvezető chipek"
    tag.save()
    renamed = client.get(url, HTTP_IF_NONE_MATCH=first.headers["ETag"])
    assert renamed.status_code == 200
    assert "Félvezető chipek" in renamed.content.decode()
    if url == "/cikk/elso/":
        tag.delete()
        gone = client.get(url, HTTP_IF_NONE_MATCH=renamed.headers["ETag"])
        assert gone.status_code == 200
        assert "Félvezető chipek" not in gone.content.decode()


def test_renaming_an_author_does_not_bump_the_article_version(article):
    from articles.models import Author

    version = Article.objects.get(pk=article.pk).version
    Author.objects.filter(slug="egri-mate").get().save()
    assert Article.objects.get(pk=article.pk).version == version


def test_last_modified_is_withheld_in_the_second_of_a_change(client, article):
    """Two changes within one second would share a Last-Modified; a client holding the first
    would get a 304 for the second. ETag alone answers until the second has passed."""
    article.title = "Első, most"
    article.save()
    response = client.get("/cikk/elso/")
    if "Last-Modified" in response.headers:  # the second already passed (slow machine)
        assert ContentVersion.objects.get().changed_at < timezone.now() - timedelta(seconds=1)
    else:
        assert response.headers["ETag"]


@pytest.mark.parametrize("url", ["/", "/cikk/elso/", "/cimke/chipek/"])
def test_tag_links_and_bylines_change_the_validators(client, article, url):
    first = client.get(url)
    article.tags.add(*[])  # nothing changes: same validators
    assert client.get(url, HTTP_IF_NONE_MATCH=first.headers["ETag"]).status_code == 304
    from tests.factories import make_tag

    article.tags.add(make_tag("Memória"))
    again = client.get(url, HTTP_IF_NONE_MATCH=first.headers["ETag"])
    assert again.status_code == 200


def test_a_new_build_changes_every_etag(client, article, monkeypatch):
    from blog import caching

    first = client.get("/")
    monkeypatch.setenv("CIKK_BUILD", "egy-masik-build")
    caching.build_id.cache_clear()
    try:
        again = client.get("/", HTTP_IF_NONE_MATCH=first.headers["ETag"])
    finally:
        monkeypatch.delenv("CIKK_BUILD")
        caching.build_id.cache_clear()
    assert again.status_code == 200
    assert again.headers["ETag"] != first.headers["ETag"]


def test_rerender_changes_the_validators(client, article):
    from django.core.management import call_command

    first = client.get("/cikk/elso/")
    Article.objects.filter(pk=article.pk).update(body_html="<p>régi HTML</p>")
    stale = client.get("/cikk/elso/")
    assert "régi HTML" in stale.content.decode()
    call_command("rerender_articles", verbosity=0)
    again = client.get("/cikk/elso/", HTTP_IF_NONE_MATCH=stale.headers["ETag"])
    assert again.status_code == 200
    assert "régi HTML" not in again.content.decode()
    assert again.headers["ETag"] not in {first.headers["ETag"], stale.headers["ETag"]}


@pytest.mark.parametrize("url", ["/cikk/nincs/", "/szerzo/nincs/", "/cimke/nincs/"])
def test_unknown_slug_is_404_even_for_a_wildcard_or_a_future_date(client, article, url):
    assert client.get(url, HTTP_IF_NONE_MATCH="*").status_code == 404
    assert (
        client.get(
            "/cikk/nincs/", HTTP_IF_MODIFIED_SINCE="Fri, 01 Jan 2100 00:00:00 GMT"
        ).status_code
        == 404
    )

"""One release gate: the form's "Megjelenhet" checkbox and the bulk action both stop on editorial
errors until the editor confirms exactly the findings listed."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from articles.checks import check_article
from articles.models import Article, Author
from tests.test_admin import CHANGELIST, change_url, form_data, make_article, png_upload

pytestmark = pytest.mark.django_db

CONFIRM = re.compile(r'name="cikk_confirm_release" value="([0-9a-f]+)"')


@pytest.fixture
def admin_client(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("fo", "fo@example.org", "x"))
    return client


def release(client, article, **overrides):
    return client.post(change_url(article), form_data(article, released="on", **overrides))


def test_ticking_released_with_an_error_is_refused_and_lists_it(admin_client):
    article = make_article("todo-cikk", ready=True, body="TODO kell kép is\n")
    response = release(admin_client, article)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Megjelentetés előtt: szerkesztői hibák" in html
    assert "TODO kell kép is" in html
    assert CONFIRM.search(html)
    article.refresh_from_db()
    assert not article.released


def test_confirming_the_listed_findings_releases(admin_client):
    article = make_article("megerosit", ready=True, body="TODO kell kép is\n")
    digest = CONFIRM.search(release(admin_client, article).content.decode()).group(1)
    response = release(admin_client, article, cikk_confirm_release=digest)
    assert response.status_code == 302
    article.refresh_from_db()
    assert article.released
    messages = [str(m) for m in admin_client.get(change_url(article)).context["messages"]]
    assert any("Megerősített hibákkal" in m and "TODO" in m for m in messages)


def test_a_confirmation_covers_only_the_findings_it_listed(admin_client):
    article = make_article("uj-hiba", ready=True, body="TODO egy\n")
    digest = CONFIRM.search(release(admin_client, article).content.decode()).group(1)
    # The editor adds a second error before confirming: the old confirmation does not cover it.
    response = release(
        admin_client, article, body="TODO egy\n\nFIXME kettő\n", cikk_confirm_release=digest
    )
    assert response.status_code == 200
    assert "FIXME kettő" in response.content.decode()
    article.refresh_from_db()
    assert not article.released
    # A forged value is no confirmation either.
    response = release(admin_client, article, cikk_confirm_release="0" * 32)
    assert response.status_code == 200
    article.refresh_from_db()
    assert not article.released


def test_clean_article_releases_without_a_prompt(admin_client):
    article = make_article("tiszta", ready=True)
    response = release(admin_client, article)
    assert response.status_code == 302, response.context["adminform"].form.errors
    article.refresh_from_db()
    assert article.released


def test_saving_a_draft_with_errors_is_fine(admin_client):
    article = make_article("vazlat", body="TODO majd\n")
    response = admin_client.post(change_url(article), form_data(article, body="TODO később\n"))
    assert response.status_code == 302
    article.refresh_from_db()
    assert article.body.strip() == "TODO később" and not article.released


def test_no_author_blocks_release_and_the_posted_byline_counts(admin_client):
    article = make_article("szerzotlen", ready=True)
    article.bylines.all().delete()
    response = release(admin_client, article)
    assert response.status_code == 200
    assert "Nincs szerző" in response.content.decode()
    # The byline added in the same form (the inline, saved after the form) is what counts.
    author = Author.objects.create(name="Egri Máté", slug="egri-mate")
    data = form_data(article, released="on")
    data.update(
        {
            "bylines-TOTAL_FORMS": 1,
            "bylines-0-author": author.pk,
            "bylines-0-position": 0,
            "bylines-0-article": article.pk,
        }
    )
    response = admin_client.post(change_url(article), data)
    assert response.status_code == 302, response.content.decode()[:500]
    article.refresh_from_db()
    assert article.released and article.author_list() == [author]


def test_byline_deleted_in_the_form_does_not_count(admin_client):
    article = make_article("torolt-szerzo", ready=True)
    data = form_data(article, released="on")
    data["bylines-0-DELETE"] = "on"
    response = admin_client.post(change_url(article), data)
    assert response.status_code == 200
    assert "Nincs szerző" in response.content.decode()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"description": ""}, "Nincs leírás"),
        ({"image_alt": ""}, "nincs helyettesítő szövege"),
        ({"body": "Kép: ![](/media/nincs.png)\n"}, "Helyettesítő szöveg (alt) nélküli kép"),
    ],
)
def test_release_rules_in_the_form(admin_client, fields, message):
    article = make_article("szabaly", ready=True)
    response = release(admin_client, article, **fields)
    assert response.status_code == 200
    assert message in response.content.decode()
    article.refresh_from_db()
    assert not article.released


def test_missing_cover_blocks_and_an_upload_in_the_same_form_fixes_it(admin_client):
    article = make_article("boritotlan", ready=True, image=None)
    response = release(admin_client, article)
    assert "Nincs borítókép" in response.content.decode()
    response = admin_client.post(
        change_url(article),
        {**form_data(article, released="on", image_alt="Kék téglalap"), "image": png_upload()},
    )
    assert response.status_code == 302
    article.refresh_from_db()
    assert article.released and article.image


def test_release_rules_are_errors():
    article = Article.objects.create(title="", slug="ures", body="![](/media/x.png)")
    levels = {f.code: f.level for f in check_article(article)}
    for code in ("title_missing", "author_missing", "description_missing", "cover_missing"):
        assert levels[code] == "error", code
    assert levels["image_alt"] == "error"


def test_bulk_release_lists_the_new_rules(admin_client):
    lonely = make_article("egyedul", date=timezone.now() - timedelta(days=1))
    response = admin_client.post(CHANGELIST, {"action": "release", "_selected_action": [lonely.pk]})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Nincs szerző" in html and "Nincs borítókép" in html
    lonely.refresh_from_db()
    assert not lonely.released

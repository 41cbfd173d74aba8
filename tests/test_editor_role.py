"""The "Szerkesztő" group (data migration): an editor who is not a superuser can do the job."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client
from django.urls import reverse

from articles.models import Article, Author
from tests.test_admin import CHANGELIST, form_data, make_article, png_upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor(db) -> User:
    user = User.objects.create_user("szerkeszto1", password="x", is_staff=True)
    user.groups.add(Group.objects.get(name="Szerkesztő"))
    return user


@pytest.fixture
def editor_client(editor) -> Client:
    client = Client()
    client.force_login(editor)
    return client


def test_group_permissions_are_exactly_what_an_editor_needs():
    group = Group.objects.get(name="Szerkesztő")
    perms = {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()}
    for model in ("article", "author", "tag", "byline"):
        for action in ("view", "add", "change"):
            assert f"articles.{action}_{model}" in perms
    assert "articles.delete_byline" in perms
    assert "articles.delete_article" not in perms
    assert not any(p.startswith("auth.") for p in perms)


def test_editor_creates_edits_previews_uploads_and_releases(editor, editor_client):
    egri = Author.objects.create(name="Egri Máté", slug="egri-mate")
    assert editor_client.get(reverse("admin:articles_article_add")).status_code == 200
    # Author autocomplete works for the editor.
    found = editor_client.get(
        reverse("admin:autocomplete"),
        {"term": "egr", "app_label": "articles", "model_name": "byline", "field_name": "author"},
    )
    assert found.status_code == 200 and found.json()["results"][0]["id"] == str(egri.pk)
    # Create.
    response = editor_client.post(
        reverse("admin:articles_article_add"),
        {
            "title": "Szerkesztői cikk",
            "slug": "szerkesztoi-cikk",
            "date_0": "2024-12-24",
            "date_1": "10:00:00",
            "description": "Egy rövid leírás.",
            "body": "## Bevezető\n\nElső változat $$x^2$$.\n",
            "image_source": "",
            "extra": "{}",
            "image": png_upload(),
            "image_alt": "Kék téglalap",
            "bylines-TOTAL_FORMS": 1,
            "bylines-INITIAL_FORMS": 0,
            "bylines-MIN_NUM_FORMS": 0,
            "bylines-MAX_NUM_FORMS": 1000,
            "bylines-0-author": egri.pk,
            "bylines-0-position": 0,
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    article = Article.objects.get(slug="szerkesztoi-cikk")
    assert [a.name for a in article.author_list()] == ["Egri Máté"]
    assert article.image
    # Preview and upload.
    preview = editor_client.post(
        "/markdownx/markdownify/",
        {"content": "**Előnézet**"},
        HTTP_X_REQUESTED_WITH="XMLHttpRequest",
    )
    assert preview.status_code == 200 and "<strong>Előnézet</strong>" in preview.content.decode()
    upload = editor_client.post(
        "/markdownx/upload/",
        {"image": png_upload("abra.png")},
        HTTP_X_REQUESTED_WITH="XMLHttpRequest",
    )
    assert upload.status_code == 200
    image_code = json.loads(upload.content)["image_code"]
    # Edit.
    url = reverse("admin:articles_article_change", args=[article.pk])
    assert editor_client.get(url).status_code == 200
    body = f"## Bevezető\n\nMásodik változat.\n\n{image_code.replace('![]', '![ábra]')}\n"
    response = editor_client.post(url, form_data(article, body=body))
    assert response.status_code == 302, response.context["adminform"].form.errors
    article.refresh_from_db()
    assert "Második változat." in article.body_html
    # Release (no error-level findings: no confirmation needed).
    response = editor_client.post(
        CHANGELIST, {"action": "release", "_selected_action": [article.pk]}, follow=True
    )
    assert "1 cikk megjelentetve." in [str(m) for m in response.context["messages"]]
    article.refresh_from_db()
    assert article.released
    # History and revert screens are open to the editor.
    history = editor_client.get(reverse("admin:articles_article_history", args=[article.pk]))
    assert history.status_code == 200


def test_editor_cannot_manage_users_or_delete_articles(editor_client):
    article = make_article("torolhetetlen")
    assert editor_client.get(reverse("admin:auth_user_changelist")).status_code == 403
    delete = reverse("admin:articles_article_delete", args=[article.pk])
    assert editor_client.get(delete).status_code == 403

"""Autosave: the editor's unsaved title and body kept server-side per user and article, never
published, offered back with a diff; only editors may use it."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client
from django.urls import reverse
from reversion.models import Version

from articles.models import Article, EditorDraft
from tests.test_admin import change_url, form_data, make_article

pytestmark = pytest.mark.django_db

AUTOSAVE = "/admin/articles/article/autosave/"


def client_for(user: User | None) -> Client:
    client = Client(enforce_csrf_checks=False)
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def editor(db) -> User:
    user = User.objects.create_user("szerk", password="x", is_staff=True)
    user.groups.add(Group.objects.get(name="Szerkesztő"))
    return user


@pytest.fixture
def other_editor(db) -> User:
    user = User.objects.create_user("masik", password="x", is_staff=True)
    user.groups.add(Group.objects.get(name="Szerkesztő"))
    return user


def test_url_is_the_admins():
    assert reverse("admin:articles_article_autosave") == AUTOSAVE


def test_autosave_stores_a_draft_and_publishes_nothing(editor):
    article = make_article("piszkozat", body="Mentett.")
    before = (article.version, article.body_html, Version.objects.count())
    response = client_for(editor).post(
        AUTOSAVE,
        {"article": article.pk, "title": "Új cím", "body": "Mentetlen szöveg.", "base_version": 1},
    )
    assert response.status_code == 200 and "saved" in response.json()
    draft = EditorDraft.objects.get(user=editor, article=article)
    assert (draft.title, draft.body, draft.base_version) == ("Új cím", "Mentetlen szöveg.", 1)
    article.refresh_from_db()
    assert (article.version, article.body_html, Version.objects.count()) == before
    assert article.body == "Mentett."
    # A second autosave updates the same row.
    client_for(editor).post(AUTOSAVE, {"article": article.pk, "title": "Új cím", "body": "Még."})
    assert EditorDraft.objects.filter(user=editor, article=article).get().body == "Még."


def test_drafts_are_per_user_and_for_new_articles_too(editor, other_editor):
    article = make_article("ketten")
    client_for(editor).post(AUTOSAVE, {"article": article.pk, "title": "A", "body": "egyik"})
    client_for(other_editor).post(AUTOSAVE, {"article": article.pk, "title": "B", "body": "másik"})
    client_for(editor).post(AUTOSAVE, {"article": "", "title": "Új", "body": "új cikk"})
    assert EditorDraft.objects.get(user=editor, article=article).body == "egyik"
    assert EditorDraft.objects.get(user=other_editor, article=article).body == "másik"
    assert EditorDraft.objects.get(user=editor, article__isnull=True).body == "új cikk"


@pytest.mark.parametrize("who", ["anonymous", "not_staff", "staff_without_permission"])
def test_autosave_refuses_everyone_but_editors(who):
    article = make_article("vedett")
    user = None
    if who != "anonymous":
        user = User.objects.create_user(who, password="x", is_staff=(who != "not_staff"))
        if who == "not_staff":
            user.groups.add(Group.objects.get(name="Szerkesztő"))
    response = client_for(user).post(
        AUTOSAVE, {"article": article.pk, "title": "x", "body": "betörés"}
    )
    assert response.status_code == 403
    assert not EditorDraft.objects.exists()


def test_autosave_needs_post_and_csrf(editor):
    article = make_article("csrf")
    client = Client(enforce_csrf_checks=True)
    client.force_login(editor)
    assert client.get(AUTOSAVE).status_code == 405
    response = client.post(AUTOSAVE, {"article": article.pk, "title": "x", "body": "y"})
    assert response.status_code == 403
    assert not EditorDraft.objects.exists()


def test_bad_input_is_refused_clearly(editor, settings):
    client = client_for(editor)
    assert client.post(AUTOSAVE, {"article": "abc", "body": "x"}).status_code == 400
    assert client.post(AUTOSAVE, {"article": "999999", "body": "x"}).status_code == 404
    settings.CIKK_IMPORT_MAX_BYTES = 10
    response = client.post(AUTOSAVE, {"article": "", "body": "túl hosszú szöveg"})
    assert response.status_code == 400 and "túl hosszú" in response.json()["error"]
    assert not EditorDraft.objects.exists()


def test_reopening_offers_the_draft_with_a_diff(editor):
    article = make_article("ujranyitas", body="Első sor.\nMásodik sor.\n")
    client = client_for(editor)
    client.post(
        AUTOSAVE,
        {"article": article.pk, "title": article.title, "body": "Első sor.\nÚj <b>sor</b>.\n"},
    )
    html = client.get(change_url(article)).content.decode()
    assert "Mentetlen piszkozata van" in html
    assert 'class="cikk-diff-add">+Új &lt;b&gt;sor&lt;/b&gt;.' in html  # escaped
    assert 'class="cikk-diff-del">-Második sor.' in html
    assert 'id="cikk-draft-data"' in html and "cikk-draft-restore" in html
    # Another editor is not offered this editor's draft.
    other = User.objects.create_user("harmadik", password="x", is_staff=True)
    other.groups.add(Group.objects.get(name="Szerkesztő"))
    assert "Mentetlen piszkozata" not in client_for(other).get(change_url(article)).content.decode()


def test_a_draft_equal_to_the_saved_text_is_not_offered(editor):
    article = make_article("azonos", body="Ugyanaz.")
    client = client_for(editor)
    client.post(AUTOSAVE, {"article": article.pk, "title": article.title, "body": "Ugyanaz."})
    assert "Mentetlen piszkozata" not in client.get(change_url(article)).content.decode()


def test_saving_the_article_removes_the_draft_and_discard_works(editor):
    article = make_article("mentes", body="Régi.")
    client = client_for(editor)
    client.post(AUTOSAVE, {"article": article.pk, "title": "x", "body": "Új."})
    response = client.post(change_url(article), form_data(article, body="Új."))
    assert response.status_code == 302
    assert not EditorDraft.objects.exists()
    client.post(AUTOSAVE, {"article": article.pk, "title": "x", "body": "Még újabb."})
    assert client.post(AUTOSAVE, {"article": article.pk, "discard": "1"}).json() == {
        "discarded": True
    }
    assert not EditorDraft.objects.exists()
    assert Article.objects.get(pk=article.pk).body == "Új."

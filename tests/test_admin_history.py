"""History (django-reversion): revisions, compare, revert; and no lost updates."""

from __future__ import annotations

import json
import re

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from reversion.models import Version

from articles.importing import import_paths, source_key
from articles.models import Article, Author
from tests.import_helpers import article_file
from tests.test_admin import change_url, form_data, make_article

pytestmark = pytest.mark.django_db


@pytest.fixture
def anna(db) -> User:
    return User.objects.create_superuser("anna", "anna@example.org", "x", first_name="Anna")


@pytest.fixture
def bela(db) -> User:
    return User.objects.create_superuser("bela", "bela@example.org", "x")


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def save(client: Client, article: Article, data: dict):
    return client.post(change_url(article), data)


def test_every_admin_save_keeps_a_revision_with_user_and_bylines(anna):
    egri = Author.objects.create(name="Egri Máté", slug="egri-mate")
    client = logged_in(anna)
    article = make_article("tortenet", [egri], body="Első.")
    assert save(client, article, form_data(article, body="Második.")).status_code == 302
    assert save(client, article, form_data(article, body="Harmadik.")).status_code == 302
    versions = Version.objects.get_for_object(article).order_by("pk")
    assert [v.field_dict["body"] for v in versions] == ["Második.", "Harmadik."]
    assert {v.revision.user for v in versions} == {anna}
    # The byline travels with the article's revision.
    assert versions[0].revision.version_set.filter(content_type__model="byline").count() == 1
    history = client.get(reverse("admin:articles_article_history", args=[article.pk]))
    assert history.status_code == 200
    assert b"anna" in history.content
    assert reverse("admin:articles_article_compare", args=[article.pk]).encode() in history.content


def test_compare_two_revisions_shows_escaped_diff(anna):
    client = logged_in(anna)
    article = make_article("osszevetes", body="Közös sor.\nRégi mondat.")
    save(client, article, form_data(article, body="Közös sor.\nRégi mondat."))
    save(client, article, form_data(article, body="Közös sor.\nÚj <script>x</script> mondat."))
    old, new = Version.objects.get_for_object(article).order_by("pk")
    response = client.get(
        reverse("admin:articles_article_compare", args=[article.pk]), {"a": old.pk, "b": new.pk}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Régi&nbsp;mondat." in html  # HtmlDiff keeps spaces as &nbsp;
    assert "&lt;script&gt;x&lt;/script&gt;" in html
    assert "<script>x</script>" not in html
    assert 'class="diff"' in html


def test_revert_restores_body_and_rerenders_html(anna):
    client = logged_in(anna)
    article = make_article("visszaallitas", body="x")
    save(client, article, form_data(article, body="Eredeti **félkövér** szöveg."))
    save(client, article, form_data(article, body="Elrontott szöveg."))
    article.refresh_from_db()
    version_before_revert = article.version
    first = Version.objects.get_for_object(article).order_by("pk").first()
    assert "body_html" not in first.serialized_data  # derived: not kept in revisions
    # A revision of the older format kept the derived fields; pretend its HTML is stale (made
    # by an older renderer): the revert must render it anew, not copy it back.
    data = json.loads(first.serialized_data)
    data[0]["fields"].update(
        body_html="<p>STALE</p>",
        plain_text="STALE",
        render_report={"version": 1, "renderer": "cikk-0+katex-0.0.0"},
    )
    first.serialized_data = json.dumps(data)
    first.save()
    url = reverse("admin:articles_article_revision", args=[article.pk, first.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert "Eredeti **félkövér** szöveg." in page.content.decode()
    article.refresh_from_db()
    assert article.body == "Elrontott szöveg."  # looking at a revision changes nothing
    data = form_data(article, body="Eredeti **félkövér** szöveg.")
    data["loaded_version"] = page.context["adminform"].form["loaded_version"].value()
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    article.refresh_from_db()
    assert article.body == "Eredeti **félkövér** szöveg."
    assert "<strong>félkövér</strong>" in article.body_html
    assert "STALE" not in article.body_html + article.plain_text
    assert article.plain_text == "Eredeti félkövér szöveg."
    assert article.version == version_before_revert + 1  # versions only grow


def test_second_editor_is_refused_and_first_text_survives(anna, bela):
    article = make_article("ket-szerkeszto", body="Alap szöveg.")
    first, second = logged_in(anna), logged_in(bela)
    # Both open the form (same version).
    assert first.get(change_url(article)).status_code == 200
    assert second.get(change_url(article)).status_code == 200
    data_a = form_data(article, body="Anna szövege.")
    data_b = form_data(article, body="Béla szövege.")
    assert save(first, article, data_a).status_code == 302
    response = save(second, article, data_b)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Mentés elutasítva" in html
    assert "anna" in html.lower()
    # No revision holds the text Béla loaded (the article was never saved in the admin), so
    # the diff compares his text with the saved one; his text stays in his form.
    assert "-Béla szövege." in html and "+Anna szövege." in html
    assert re.search(r"<textarea[^>]*name=\"body\"[^>]*>\s*Béla szövege.</textarea>", html)
    article.refresh_from_db()
    assert article.body == "Anna szövege."
    assert Version.objects.get_for_object(article).count() == 1


def test_conflict_diff_shows_what_changed_meanwhile(anna, bela):
    article = make_article("kozben", body="x")
    save(logged_in(anna), article, form_data(article, body="Alap szöveg."))
    data_b = form_data(article, body="Béla szövege.")  # Béla opens version N
    save(logged_in(anna), article, form_data(article, body="Anna szövege."))
    html = save(logged_in(bela), article, data_b).content.decode()
    assert "Ez változott a szövegben, amióta megnyitotta" in html
    assert "-Alap szöveg." in html and "+Anna szövege." in html
    article.refresh_from_db()
    assert article.body == "Anna szövege."


def test_conflict_after_bulk_release(anna, bela):
    article = make_article("tomeges", ready=True, body="Szöveg.")
    data = form_data(article, body="Módosított szöveg.")
    logged_in(anna).post(
        "/admin/articles/article/", {"action": "release", "_selected_action": [article.pk]}
    )
    response = save(logged_in(bela), article, data)
    assert response.status_code == 200 and "Mentés elutasítva" in response.content.decode()
    article.refresh_from_db()
    assert article.released and article.body == "Szöveg."


def test_missing_loaded_version_is_refused(anna):
    article = make_article("verzio-nelkul", body="Szöveg.")
    data = form_data(article, body="Más.")
    del data["loaded_version"]
    response = save(logged_in(anna), article, data)
    assert response.status_code == 200
    article.refresh_from_db()
    assert article.body == "Szöveg."


def test_revert_of_an_imported_article_in_the_admin(anna, tmp_path):
    """History shows the imports; the revision view previews the old text without writing
    it; saving the revert restores the text, derives HTML, plain text and findings again."""
    body = "Importált **első** szöveg: $$a+b$$.\n"
    path = article_file(tmp_path, body=body, extra='description: "Leírás."')
    import_paths([path])
    path.write_text(path.read_text().replace(body, "Második import szövege.\n"))
    import_paths([path])
    article = Article.objects.get()
    client = logged_in(anna)
    history = client.get(reverse("admin:articles_article_history", args=[article.pk]))
    assert history.content.decode().count(f"importálva: {source_key(path)}") == 2

    first = Version.objects.get_for_object(article).order_by("pk").first()
    url = reverse("admin:articles_article_revision", args=[article.pk, first.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert "Importált **első** szöveg: $$a+b$$." in page.content.decode()
    article.refresh_from_db()
    assert article.body == "Második import szövege.\n"  # a preview writes nothing
    assert "Második import szövege." in article.plain_text

    data = form_data(article, body=body)
    data["loaded_version"] = page.context["adminform"].form["loaded_version"].value()
    # The second import wrote the byline anew: the revision view's form holds the old one.
    bylines = page.context["inline_admin_formsets"][0].formset
    data["bylines-0-id"] = bylines.forms[0]["id"].value()
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    article.refresh_from_db()
    assert article.body == body.rstrip("\n")  # the form strips the final newline
    assert "<strong>első</strong>" in article.body_html and 'class="katex"' in article.body_html
    assert article.plain_text == "Importált első szöveg: a+b."
    assert "importalt elso szoveg" in article.search_text
    assert article.finding_errors is not None
    assert article.edited_since_import  # a revert in the admin is an edit: re-import skips it

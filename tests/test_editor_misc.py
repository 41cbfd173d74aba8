"""The small things of the writing screen: scheduled state, public URL, frontmatter extras as
rows, cover alt text on the reader page, true messages, Hungarian, the local editor account."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client
from django.utils import timezone, translation

from articles.models import Article
from tests.test_admin import CHANGELIST, change_url, form_data, make_article

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("fo", "fo@example.org", "x"))
    return client


def test_scheduled_state_with_its_time_in_list_form_and_filter(admin_client):
    when = timezone.now() + timedelta(days=3)
    scheduled = make_article("kesobb", released=True, date=when)
    make_article("most", released=True, date=timezone.now() - timedelta(hours=1))
    local = timezone.localtime(when).strftime("%Y-%m-%d %H:%M")
    listing = admin_client.get(CHANGELIST).content.decode()
    assert f"ütemezve: {local}" in listing
    assert "?status=scheduled" in listing  # the filter
    filtered = admin_client.get(CHANGELIST + "?status=scheduled")
    assert [a.slug for a in filtered.context["cl"].result_list] == ["kesobb"]
    form = admin_client.get(change_url(scheduled)).content.decode()
    assert f'cikk-status-scheduled">ütemezve: {local}' in form


def test_public_url_beside_the_slug(admin_client, settings):
    settings.CIKK_SITE_URL = "https://cikk.example"
    article = make_article("nyilvanos")
    html = admin_client.get(change_url(article)).content.decode()
    assert ">https://cikk.example/cikk/nyilvanos/</a>" in html
    add = admin_client.get("/admin/articles/article/add/").content.decode()
    assert 'data-cikk-public-url="https://cikk.example/cikk/"' in add


def test_extras_are_rows_and_round_trip(admin_client):
    article = make_article("extrak", extra={"forras": "MNB", "szamok": [1, 2]})
    html = admin_client.get(change_url(article)).content.decode()
    assert 'name="extra-key" value="forras"' in html
    assert 'name="extra-value" value="MNB"' in html
    assert 'name="extra-value" value="[1, 2]"' in html and ">JSON<" in html
    assert "<textarea" not in html.split('id="id_extra"')[1].split("</table>")[0]
    data = form_data(article)
    del data["extra"]
    data.update(
        {
            "extra-key": ["forras", "szamok", "uj kulcs", ""],
            "extra-value": ["KSH", "[3]", "új érték", ""],
            "extra-kind": ["text", "json", "text", "text"],
        }
    )
    response = admin_client.post(change_url(article), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    article.refresh_from_db()
    assert article.extra == {"forras": "KSH", "szamok": [3], "uj kulcs": "új érték"}


@pytest.mark.parametrize(
    ("keys", "values", "kinds", "message"),
    [
        (["a", "a"], ["1", "2"], ["text", "text"], "kétszer szerepel"),
        (["", "b"], ["árva", "x"], ["text", "text"], "nincs kulcs"),
        (["lista"], ["[1,"], ["json"], "nem érvényes JSON"),
    ],
)
def test_bad_extras_name_the_key_and_keep_the_rows(admin_client, keys, values, kinds, message):
    article = make_article("rossz-extra", extra={"marad": "igen"})
    data = form_data(article)
    del data["extra"]
    data.update({"extra-key": keys, "extra-value": values, "extra-kind": kinds})
    response = admin_client.post(change_url(article), data)
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html
    assert f'value="{values[-1]}"' in html  # what was typed is still there
    article.refresh_from_db()
    assert article.extra == {"marad": "igen"}


def test_extras_posted_as_json_still_work(admin_client):
    article = make_article("json-extra")
    response = admin_client.post(
        change_url(article), form_data(article, extra=json.dumps({"k": 1}))
    )
    assert response.status_code == 302
    article.refresh_from_db()
    assert article.extra == {"k": 1}


def test_import_message_is_true_for_articles_never_imported(admin_client):
    written = make_article("adminban")
    html = admin_client.get(change_url(written)).content.decode()
    assert "nem importált (az adminban készült)" in html
    assert "nem szerkesztették importálás óta" not in html
    imported = make_article("importalt")
    Article.objects.filter(pk=imported.pk).update(imported_version=imported.version)
    html = admin_client.get(change_url(imported)).content.decode()
    assert "nem szerkesztették importálás óta" in html


def test_cover_alt_reaches_the_reader_page_and_social_cards(client):
    article = make_article(
        "alt-szoveg", ready=True, released=True, date=timezone.now() - timedelta(days=1)
    )
    html = client.get(article.get_absolute_url()).content.decode()
    assert 'alt="Kék téglalap"' in html
    assert '<meta property="og:image:alt" content="Kék téglalap">' in html
    assert '<meta name="twitter:image:alt" content="Kék téglalap">' in html


def test_byline_columns_and_reversion_screens_are_hungarian(admin_client):
    article = make_article("magyar")
    html = admin_client.get(change_url(article)).content.decode()
    # The byline inline's column headers (they were "AUTHOR" and "POSITION").
    assert re.search(r'<th class="column-author required">Szerző', html)
    assert re.search(r'<th class="column-position[^"]*">Sorrend', html)
    recover = admin_client.get("/admin/articles/article/recover/").content.decode()
    assert "Recover deleted" not in recover and "Törölt cikkek visszaállítása" in recover
    with translation.override("hu"):
        assert translation.gettext(
            "Reverted to previous version, saved on %(datetime)s"
        ).startswith("Visszaállítva")


def test_local_editor_is_an_editor_not_a_superuser(settings):
    settings.DEBUG = True
    User.objects.create_superuser("szerkeszto", "", "régi")  # an account from an older make run
    call_command("create_local_editor", stdout=__import__("io").StringIO())
    user = User.objects.get(username="szerkeszto")
    assert user.is_staff and not user.is_superuser
    assert list(user.groups.values_list("name", flat=True)) == ["Szerkesztő"]
    client = Client()
    client.force_login(user)
    assert client.get("/admin/auth/user/").status_code == 403
    assert client.get("/admin/articles/article/").status_code == 200


def test_committed_catalogue_is_compiled_from_the_po(tmp_path):
    """locale/hu/LC_MESSAGES/django.mo is committed (no gettext needed to run Cikk); it must be
    what the .po compiles to."""
    import os
    import shutil
    import subprocess
    from pathlib import Path

    msgfmt = shutil.which("msgfmt")
    if msgfmt is None:
        if os.environ.get("CI") == "true":
            pytest.fail("msgfmt (gettext) is missing")
        pytest.skip("msgfmt (gettext) is not installed")
    folder = Path(__file__).resolve().parents[1] / "locale" / "hu" / "LC_MESSAGES"
    out = tmp_path / "django.mo"
    subprocess.run([msgfmt, "-o", str(out), str(folder / "django.po")], check=True)
    assert out.read_bytes() == (folder / "django.mo").read_bytes(), (
        "run: msgfmt -o locale/hu/LC_MESSAGES/django.mo locale/hu/LC_MESSAGES/django.po"
    )

"""Every admin screen an editor sees is Hungarian (no English words from a list in its visible
text) and has no serious or critical axe-core finding."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import log_in_editor
from tests.e2e.test_accessibility import FAILING_IMPACTS, RUN_AXE, describe
from tests.test_admin import make_article

pytestmark = pytest.mark.django_db(transaction=True)

# English words Django, django-reversion, select2 and our own code could leave on an admin
# page; matched as whole words, case-sensitive as they would be shown (buttons are upper-cased
# by CSS, which innerText reflects, so both forms are listed where it matters).
ENGLISH = [
    "Add",
    "Save",
    "Delete",
    "Change",
    "History",
    "Recover",
    "Revert",
    "Reverted",
    "Author",
    "AUTHOR",
    "Position",
    "POSITION",
    "Choose",
    "Filter",
    "Home",
    "Search",
    "View",
    "Welcome",
    "Log out",
    "Action",
    "Date",
    "Today",
    "Now",
    "Yes",
    "No",
    "Unknown",
    "Comment",
    "User",
    "Initial version",
    "Preview",
    "Upload",
    "Invalid response",
    "Press the save button",
    "selected",
    "Select",
    "Go",
    "Clear",
    "Currently",
    "object",
    "version",
    "deleted",
    "SAVE",
    "HISTORY",
    "VIEW ON SITE",
    "LOG OUT",
    "Password",
    "Run",
]
WORD_RES = [(word, re.compile(rf"(?<![\w-]){re.escape(word)}(?![\w-])")) for word in ENGLISH]


def english_words(text: str) -> list[str]:
    return [word for word, pattern in WORD_RES if pattern.search(text)]


def test_word_list_catches_english():
    assert english_words("Recover deleted cikkek") == ["Recover", "deleted"]
    assert english_words("Mentés és Szerző, Gondolkodás") == []


def test_admin_pages_are_hungarian_and_accessible(page, live_server, axe_source):
    from reversion.models import Version

    from tests.test_admin import form_data

    article = make_article("magyar-admin", ready=True, body="## Cím\n\nSzöveg $$x^2$$.\n")
    log_in_editor(page.page, live_server.url)
    admin = page.page
    admin.set_viewport_size({"width": 1280, "height": 800})
    # Two saved revisions through the form, so history, compare and revert have content.
    from django.contrib.auth.models import User
    from django.test import Client

    client = Client()
    client.force_login(User.objects.get(username="e2e-szerkeszto"))
    for body in ("Első mentés.", "Második mentés."):
        assert (
            client.post(
                f"/admin/articles/article/{article.pk}/change/", form_data(article, body=body)
            ).status_code
            == 302
        )
    version = Version.objects.get_for_object(article).order_by("pk").first()
    base = f"/admin/articles/article/{article.pk}"
    pages = {
        "index": "/admin/",
        "app": "/admin/articles/",
        "changelist": "/admin/articles/article/",
        "changelist_scheduled": "/admin/articles/article/?status=scheduled",
        "add": "/admin/articles/article/add/",
        "change": f"{base}/change/",
        "history": f"{base}/history/",
        "compare": f"{base}/compare/",
        "revision": f"{base}/history/{version.pk}/",
        "share": f"{base}/share/",
        "recover": "/admin/articles/article/recover/",
        "authors": "/admin/articles/author/",
        "author_add": "/admin/articles/author/add/",
        "tags": "/admin/articles/tag/",
    }
    english: list[str] = []
    serious: list[str] = []
    for name, path in pages.items():
        response = admin.goto(live_server.url + path)
        assert response.status == 200, (name, response.status)
        admin.wait_for_load_state("load")
        words = english_words(admin.locator("body").inner_text())
        if words:
            english.append(f"{name} ({path}): {words}")
        admin.evaluate(axe_source)
        results = admin.evaluate(RUN_AXE)
        serious += [
            describe(name, v) for v in results["violations"] if v["impact"] in FAILING_IMPACTS
        ]
    assert english == [], "English on admin pages:\n" + "\n".join(english)
    assert serious == [], "axe-core, serious or critical:\n" + "\n".join(serious)
    assert page.page_errors == []
    assert page.foreign_requests() == []

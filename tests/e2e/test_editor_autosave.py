"""Nothing lost: text typed in the admin survives a closed tab (autosaved as the editor's draft,
offered back on reopening), and leaving with unsaved changes asks first."""

from __future__ import annotations

import pytest

from articles.models import Article, EditorDraft
from tests.e2e.conftest import log_in_editor
from tests.test_admin import make_article

pytestmark = pytest.mark.django_db(transaction=True)

TYPED = " Ezt a mondatot senki nem mentette el."


def _open(context, live_server, article):
    page = context.new_page()
    page.goto(f"{live_server.url}/admin/articles/article/{article.pk}/change/")
    page.locator(".markdownx-preview p").first.wait_for(timeout=10_000)
    return page


def _type_at_end(page, text):
    editor = page.locator("textarea.markdownx-editor")
    editor.focus()
    page.keyboard.press("Control+End")
    page.keyboard.type(text, delay=5)


@pytest.mark.parametrize("wait_for_idle", [True, False], ids=["idle-autosave", "closed-at-once"])
def test_text_survives_a_closed_tab(browser, live_server, wait_for_idle):
    article = make_article("autosave", body="Meglévő bekezdés.")
    context = browser.new_context(base_url=live_server.url)
    first = context.new_page()
    log_in_editor(first, live_server.url)
    first.close()
    page = _open(context, live_server, article)
    _type_at_end(page, TYPED)
    if wait_for_idle:
        # A few seconds without typing: the draft is saved, and the editor is told so.
        page.locator(".cikk-autosave-status[data-saved='1']").wait_for(timeout=10_000)
        assert "Piszkozat mentve" in page.locator(".cikk-autosave-status").inner_text()
    page.close()  # the tab is gone; nothing was submitted
    if not wait_for_idle:
        page_wait = context.new_page()  # give the closing tab's last save time to arrive
        page_wait.wait_for_timeout(500)
        page_wait.close()

    draft = EditorDraft.objects.get(article=article)
    assert draft.body.endswith(TYPED.strip())
    assert Article.objects.get(pk=article.pk).body == "Meglévő bekezdés."  # nothing published

    again = _open(context, live_server, article)
    offer = again.locator(".cikk-draft-offer")
    assert offer.is_visible()
    assert TYPED.strip() in offer.locator(".cikk-diff-add").last.inner_text()
    again.locator("#cikk-draft-restore").click()
    assert again.locator("textarea.markdownx-editor").input_value().endswith(TYPED.strip())
    assert not offer.is_visible()
    # Saved for real: the draft is gone, the article has the text.
    with again.expect_navigation():
        again.locator("input[name=_continue]").click()
    assert Article.objects.get(pk=article.pk).body.endswith(TYPED.strip())
    assert not EditorDraft.objects.exists()
    assert again.locator(".cikk-draft-offer").count() == 0
    context.close()


def test_leaving_with_unsaved_changes_asks_first(page, live_server):
    article = make_article("elhagyas", body="Szöveg.")
    log_in_editor(page.page, live_server.url)
    admin = page.page
    admin.goto(f"{live_server.url}/admin/articles/article/{article.pk}/change/")
    admin.locator(".markdownx-preview p").first.wait_for(timeout=10_000)
    dialogs = []

    def answer(dialog):
        dialogs.append(dialog.type)
        dialog.dismiss()  # stay on the page

    admin.on("dialog", answer)
    admin.close(run_before_unload=True)  # nothing typed: leaves without asking
    assert dialogs == []

    admin = page.page.context.new_page()
    admin.on("dialog", answer)
    admin.goto(f"{live_server.url}/admin/articles/article/{article.pk}/change/")
    admin.locator(".markdownx-preview p").first.wait_for(timeout=10_000)
    _type_at_end(admin, " változás")
    admin.close(run_before_unload=True)
    admin.wait_for_timeout(300)
    assert dialogs == ["beforeunload"]
    assert not admin.is_closed()  # the editor chose to stay
    # Submitting the form is not leaving: no question.
    with admin.expect_navigation():
        admin.locator("input[name=_continue]").click()
    assert dialogs == ["beforeunload"]
    page.page = admin

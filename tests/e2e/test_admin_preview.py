"""The admin's Markdown editor in a real browser: the live preview typesets math with KaTeX."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import log_in_editor

pytestmark = pytest.mark.django_db(transaction=True)


def test_preview_typesets_math_as_the_editor_types(page, live_server):
    log_in_editor(page.page, live_server.url)
    response = page.page.goto(live_server.url + "/admin/articles/article/add/")
    assert response.status == 200
    editor = page.page.locator("textarea.markdownx-editor")
    editor.fill("Képlet: $$x^2$$ és **félkövér**")
    editor.dispatch_event("keyup")  # markdownx listens to input/keyup
    preview = page.page.locator(".markdownx-preview")
    preview.locator(".katex").first.wait_for(timeout=10_000)
    assert preview.locator("strong").inner_text() == "félkövér"
    # Typed again: the new preview is typeset too.
    editor.fill("Új: $$y_1$$")
    editor.dispatch_event("keyup")
    expect(preview).to_contain_text("Új", timeout=10_000)
    preview.locator(".katex").first.wait_for(timeout=10_000)
    assert page.foreign_requests() == []
    assert page.page_errors == []


def test_refused_upload_shows_message_not_invalid_response(page, live_server):
    log_in_editor(page.page, live_server.url)
    page.page.goto(live_server.url + "/admin/articles/article/add/")
    editor = page.page.locator("textarea.markdownx-editor")
    editor.fill("Eleje ")
    # Drop a text file pretending to be a PNG onto the editor, as an editor would.
    page.page.evaluate(
        """() => {
          const editor = document.querySelector('textarea.markdownx-editor');
          editor.selectionStart = editor.selectionEnd = editor.value.length;
          const data = new DataTransfer();
          data.items.add(new File(['nem kep'], 'kep.png', {type: 'image/png'}));
          editor.dispatchEvent(new DragEvent('drop', {dataTransfer: data, bubbles: true}));
        }"""
    )
    notice = page.page.locator(".cikk-upload-notice")
    notice.wait_for(state="visible", timeout=10_000)
    assert "JPEG" in notice.inner_text()
    page.page.wait_for_timeout(200)
    assert "Invalid response" not in editor.input_value()

"""Images as editors expect: upload by button, paste and drag-and-drop; each goes in on its own
line with the alt text the editor gives in a dialog."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image

from tests.e2e.conftest import log_in_editor

pytestmark = pytest.mark.django_db(transaction=True)

IMAGE_LINE = re.compile(r"^!\[(?P<alt>[^\]]*)\]\((?P<src>/media/images/[0-9a-f]+\.png)\)$", re.M)

# A real PNG drawn by the browser, handed to the editor as a paste or a drop.
SEND_FILE = """async (kind) => {
  const canvas = document.createElement('canvas');
  canvas.width = 30; canvas.height = 20;
  canvas.getContext('2d').fillRect(0, 0, 30, 20);
  const blob = await new Promise((resolve) => canvas.toBlob(resolve, 'image/png'));
  const data = new DataTransfer();
  data.items.add(new File([blob], 'abra.png', {type: 'image/png'}));
  const editor = document.querySelector('textarea.markdownx-editor');
  const event = kind === 'paste'
    ? new ClipboardEvent('paste', {clipboardData: data, bubbles: true, cancelable: true})
    : new DragEvent('drop', {dataTransfer: data, bubbles: true, cancelable: true});
  editor.dispatchEvent(event);
}"""


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "#336699").save(buffer, "PNG")
    return buffer.getvalue()


def _answer_alt(page, alt: str) -> None:
    dialog = page.locator("dialog.cikk-alt-dialog")
    dialog.wait_for(timeout=10_000)
    assert dialog.locator("label").inner_text().startswith("Helyettesítő szöveg")
    dialog.locator("input").fill(alt)
    dialog.locator("button", has_text="Beszúrás").click()
    dialog.wait_for(state="detached")


@pytest.mark.parametrize("how", ["button", "paste", "drop"])
def test_image_goes_in_on_its_own_line_with_alt_text(page, live_server, how):
    log_in_editor(page.page, live_server.url)
    admin = page.page
    admin.goto(live_server.url + "/admin/articles/article/add/")
    editor = admin.locator("textarea.markdownx-editor")
    editor.fill("Első bekezdés vége")
    editor.evaluate("e => { e.focus(); e.selectionStart = e.selectionEnd = e.value.length; }")
    if how == "button":
        with admin.expect_file_chooser() as chooser:
            admin.locator(".cikk-upload-button").click()
        chooser.value.set_files({"name": "abra.png", "mimeType": "image/png", "buffer": _png()})
    else:
        admin.evaluate(SEND_FILE, how)
    _answer_alt(admin, "Kék téglalap a próbához")
    text = editor.input_value()
    match = IMAGE_LINE.search(text)
    assert match, text
    assert match.group("alt") == "Kék téglalap a próbához"
    # Its own paragraph: never glued to the word before it.
    assert text.startswith("Első bekezdés vége\n\n![")
    preview = admin.locator(".markdownx-preview")
    preview.locator('img[alt="Kék téglalap a próbához"]').wait_for(timeout=10_000)
    assert admin.locator(".cikk-upload-notice").is_hidden()
    assert page.page_errors == []
    assert page.foreign_requests() == []

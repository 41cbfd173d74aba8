"""The writing screen fits: editor and preview side by side inside the window on laptop and
desktop sizes, the writing area the wider of the two; one at a time with a toggle on a tablet
and a phone."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import REPO, log_in_editor
from tests.test_admin import make_article

pytestmark = pytest.mark.django_db(transaction=True)

EDITOR = "textarea.markdownx-editor"
PREVIEW = ".markdownx-preview"
ARTIFACTS = REPO / "tests" / "e2e" / "artifacts"
BODY = "## Bevezető\n\n" + "Hosszú bekezdés a szerkesztőben, hogy legyen mit nézni. " * 40


def boxes(page) -> tuple[dict, dict]:
    page.locator(f"{PREVIEW} h2").wait_for(timeout=10_000)
    return page.locator(EDITOR).bounding_box(), page.locator(PREVIEW).bounding_box()


@pytest.mark.parametrize(("width", "height"), [(1280, 800), (1440, 900), (1920, 1080)])
def test_side_by_side_inside_the_window(page, live_server, width, height):
    article = make_article("elrendezes", body=BODY)
    log_in_editor(page.page, live_server.url)
    page.page.set_viewport_size({"width": width, "height": height})
    page.page.goto(f"{live_server.url}/admin/articles/article/{article.pk}/change/")
    editor, preview = boxes(page.page)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.page.screenshot(path=str(ARTIFACTS / f"admin-editor-{width}x{height}.png"))
    print(
        f"{width}x{height}: editor x={editor['x']:.0f}–{editor['x'] + editor['width']:.0f}, "
        f"preview x={preview['x']:.0f}–{preview['x'] + preview['width']:.0f}"
    )
    # Side by side, no overlap, both inside the window horizontally, both as tall as it allows.
    assert editor["x"] >= 0
    assert editor["x"] + editor["width"] <= preview["x"]
    assert preview["x"] + preview["width"] <= width
    assert abs(editor["y"] - preview["y"]) < 2
    for box in (editor, preview):
        assert box["height"] <= height
        assert box["height"] >= 0.6 * height
    # The writing area gets most of the width: wider than the preview, and the two together
    # most of the window.
    assert editor["width"] > preview["width"]
    assert editor["width"] + preview["width"] >= 0.75 * width
    # The page itself does not scroll sideways.
    assert page.page.evaluate("document.documentElement.scrollWidth") <= width
    assert page.page_errors == []


@pytest.mark.parametrize(("width", "height"), [(768, 1024), (390, 844)])
def test_one_at_a_time_with_a_toggle_on_tablet_and_phone(page, live_server, width, height):
    article = make_article("keskeny", body=BODY)
    log_in_editor(page.page, live_server.url)
    page.page.set_viewport_size({"width": width, "height": height})
    page.page.goto(f"{live_server.url}/admin/articles/article/{article.pk}/change/")
    editor = page.page.locator(EDITOR)
    preview = page.page.locator(PREVIEW)
    toggle = page.page.locator(".cikk-view-toggle")
    assert editor.is_visible() and not preview.is_visible()
    box = editor.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= width
    assert box["width"] >= 0.8 * width
    toggle.click()
    preview.locator("h2").wait_for(timeout=10_000)
    assert preview.is_visible() and not editor.is_visible()
    assert toggle.get_attribute("aria-pressed") == "true"
    box = preview.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= width
    toggle.click()
    assert editor.is_visible() and not preview.is_visible()
    assert page.page.evaluate("document.documentElement.scrollWidth") <= width
    assert page.page_errors == []

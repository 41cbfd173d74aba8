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


INSTALL_PROBES = """() => {
  const editor = document.querySelector('textarea.markdownx-editor');
  const preview = document.querySelector('.markdownx-preview');
  window.__probe = {lastInput: 0, seen: {}};
  editor.addEventListener('input', () => { window.__probe.lastInput = performance.now(); });
  new MutationObserver(() => {
    const text = preview.textContent;
    for (const marker of Object.keys(window.__probe.wanted || {})) {
      if (!(marker in window.__probe.seen) && text.includes(marker)) {
        window.__probe.seen[marker] = performance.now() - window.__probe.lastInput;
        window.__probe.abs = window.__probe.abs || {};
        window.__probe.abs[marker] = [window.__probe.lastInput, performance.now()];
      }
    }
  }).observe(preview, {childList: true, subtree: true, characterData: true});
}"""


def test_preview_follows_the_seed_within_150_ms_and_scrolls_to_the_caret(
    page, live_server, seed_text
):
    """Median of 10 edits, from the last keystroke's input event to the new text in the
    preview (server render, transfer and typesetting included)."""
    import statistics

    import frontmatter

    from tests.test_admin import make_article

    article = make_article("mag", body=frontmatter.loads(seed_text).content)
    log_in_editor(page.page, live_server.url)
    page.page.set_viewport_size({"width": 1280, "height": 800})
    page.page.goto(f"{live_server.url}/admin/articles/article/{article.pk}/change/")
    preview = page.page.locator(".markdownx-preview")
    preview.locator("h2").first.wait_for(timeout=10_000)
    page.page.evaluate(INSTALL_PROBES)
    editor = page.page.locator("textarea.markdownx-editor")
    editor.focus()
    page.page.keyboard.press("Control+End")
    page.page.keyboard.press("Enter")
    page.page.keyboard.press("Enter")
    latencies = []
    for index in range(10):
        marker = f"Jelzo{index}x"
        page.page.evaluate(f"() => {{ (window.__probe.wanted ||= {{}})['{marker}'] = 1; }}")
        page.page.keyboard.type(f" {marker}", delay=100)
        page.page.wait_for_function(
            f"() => '{marker}' in window.__probe.seen", timeout=10_000, polling=10
        )
        latencies.append(page.page.evaluate(f"() => window.__probe.seen['{marker}']"))
        page.page.wait_for_timeout(200)
    # The request that carried each edit's final text: the first one sent after its last
    # keystroke (Resource Timing; the render's own time from the Server-Timing header).
    probes = page.page.evaluate("() => window.__probe.abs")
    entries = page.page.evaluate(
        "() => performance.getEntriesByType('resource')"
        ".filter(e => e.name.includes('/markdownx/markdownify/'))"
        ".map(e => [e.startTime, e.responseEnd, e.serverTiming.map(t => t.duration)[0] || 0])"
    )
    requests, renders = [], []
    for last, _seen in probes.values():
        start, end, server = next(e for e in entries if e[0] >= last - 1)
        requests.append(end - start)
        renders.append(server)
    full, request = statistics.median(latencies), statistics.median(requests)
    print(
        f"\npreview on the seed, median of 10 edits: server render + transfer {request:.0f} ms "
        f"(render alone {statistics.median(renders):.0f} ms); last keystroke to updated preview "
        f"{full:.0f} ms (min {min(latencies):.0f}, max {max(latencies):.0f})"
    )
    assert request <= 150, requests
    # Typing at the end of the seed: the preview shows the end, where the typing happens.
    last = preview.locator("p", has_text="Jelzo9x").last
    box, frame = last.bounding_box(), preview.bounding_box()
    assert frame["y"] <= box["y"] and box["y"] + box["height"] <= frame["y"] + frame["height"]
    scroll = page.page.evaluate(
        "() => { const p = document.querySelector('.markdownx-preview');"
        " return [p.scrollTop, p.scrollHeight - p.clientHeight]; }"
    )
    assert scroll[0] > 0.8 * scroll[1], scroll
    # Back to the top of the text: the preview follows.
    page.page.keyboard.press("Control+Home")
    page.page.wait_for_function(
        "() => document.querySelector('.markdownx-preview').scrollTop < 200", timeout=5_000
    )
    # The live word count reads the rendered text.
    words = int(page.page.locator(".cikk-word-count").get_attribute("data-words"))
    assert 1000 < words < 3000, words
    assert "perc olvasás" in page.page.locator(".cikk-word-count").inner_text()
    assert page.page_errors == []

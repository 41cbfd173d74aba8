"""Tables and formulas wider than the reader's screen scroll inside their own box; on a phone
those boxes become keyboard-reachable regions with a label, and fade on the side that has more
(static/js/scroll-regions.js). On a desktop, where they fit, they are no tab stops at all."""

import pytest

from tests.e2e.test_seed_page import PHONE, _open, typeset

pytestmark = pytest.mark.django_db(transaction=True)

BOXES = ".article-body .table-container, .article-body .math-display"
STATE = """els => els.map(el => ({
  cls: el.className,
  scrolls: el.scrollWidth - el.clientWidth > 1,
  tabindex: el.getAttribute("tabindex"),
  role: el.getAttribute("role"),
  label: el.getAttribute("aria-label"),
  left: el.classList.contains("scroll-more-left"),
  right: el.classList.contains("scroll-more-right"),
  mask: getComputedStyle(el).maskImage,
}))"""


def boxes(page) -> list[dict]:
    return page.page.eval_on_selector_all(BOXES, STATE)


def test_on_a_phone_every_box_that_scrolls_is_a_labelled_focusable_region(
    page, live_server, released_seed
):
    _open(page, live_server, released_seed.get_absolute_url(), width=PHONE, height=740)
    typeset(page)
    state = boxes(page)
    scrolling = [box for box in state if box["scrolls"]]
    # The seed's two house tables and its wide display formula.
    assert sum("table-container" in box["cls"] for box in scrolling) == 2, state
    assert any("math-display" in box["cls"] for box in scrolling), state
    for box in scrolling:
        assert box["tabindex"] == "0", box
        assert box["role"] == "region", box
        expected = "Görgethető képlet " if "math-display" in box["cls"] else "Görgethető táblázat "
        assert box["label"].startswith(expected), box
        # At the start: more to the right only, and the right edge fades.
        assert (box["left"], box["right"]) == (False, True), box
        assert "linear-gradient" in box["mask"], box
    # Each region has its own name (axe: landmark-unique).
    assert len({box["label"] for box in scrolling}) == len(scrolling), scrolling
    for box in state:
        if not box["scrolls"]:
            assert box["tabindex"] is None, box

    # The keyboard reaches the first table and scrolls it; the fade follows.
    table = page.page.locator(".article-body .table-container").first
    table.focus()
    assert page.page.evaluate("document.activeElement.classList.contains('table-container')")
    assert page.page.evaluate("document.activeElement.scrollLeft") == 0
    for _ in range(3):
        page.page.keyboard.press("ArrowRight")
    page.page.wait_for_function("() => document.activeElement.scrollLeft > 0")
    page.page.wait_for_function(
        "() => document.activeElement.classList.contains('scroll-more-left')"
    )
    page.page.keyboard.press("End")
    table.evaluate("el => { el.scrollLeft = el.scrollWidth; }")
    page.page.wait_for_function(
        "() => !document.activeElement.classList.contains('scroll-more-right')"
    )
    assert page.console_errors == [] and page.page_errors == []


def test_on_a_desktop_boxes_that_fit_are_no_tab_stops_until_the_window_narrows(
    page, live_server, released_seed
):
    _open(page, live_server, released_seed.get_absolute_url(), width=1280, height=900)
    typeset(page)
    state = boxes(page)
    fitting = [box for box in state if "table-container" in box["cls"] and not box["scrolls"]]
    assert fitting, state
    for box in fitting:
        assert box["tabindex"] is None and box["role"] is None, box
        assert not box["left"] and not box["right"], box
    # Narrowing the window (a rotated tablet, a split screen) turns them into regions.
    page.page.set_viewport_size({"width": PHONE, "height": 740})
    page.page.wait_for_function(
        "() => [...document.querySelectorAll('.article-body .table-container')]"
        ".every(el => el.getAttribute('tabindex') === '0')"
    )

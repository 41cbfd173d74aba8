"""The magazine's own article in a real Chromium, as a reader sees it.

What the formulas and the comments should be is read from the seed file itself (not from
our renderer), so these tests compare the browser's DOM with what the author wrote: every
`$$…$$` typeset by KaTeX with the author's TeX, the two on their own lines as display math,
nothing of the HTML-comment drafts anywhere in the page, both house tables styled and
scrolling inside their boxes on a 375 px phone while the page itself never scrolls sideways.
"""

from __future__ import annotations

import re

import pytest

from tests.e2e.test_reader_pages import _open

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = 375
# How many formulas the issue counts in the seed; the parser below must agree.
SEED_FORMULAS = 12
SEED_DISPLAY_FORMULAS = 2


def _squash(text: str) -> str:
    """Whitespace-insensitive form, so `$$ N $$` and KaTeX's annotation `N` compare equal."""
    return " ".join(text.split())


def seed_body(seed_text: str) -> str:
    """The Markdown after the YAML frontmatter."""
    assert seed_text.startswith("---\n")
    return seed_text[4:].split("\n---\n", 1)[1]


def seed_formulas(seed_text: str) -> list[tuple[str, bool]]:
    """(TeX, is_display) for each `$$…$$` outside HTML comments, in document order.

    A formula whose opening `$$` ends its line is display math (README: "on its own lines").
    """
    body = re.sub(r"<!--.*?-->", "", seed_body(seed_text), flags=re.S)
    return [
        (_squash(match.group(1)), match.group(1).startswith("\n"))
        for match in re.finditer(r"\$\$(.+?)\$\$", body, flags=re.S)
    ]


def seed_comment_fragments(seed_text: str) -> list[str]:
    """Lines of the seed's HTML-comment drafts that appear nowhere else in the seed.

    Markup is dropped and short lines (a lone `<td>DeepMind</td>`) skipped: a fragment that is
    also visible text elsewhere would prove nothing.
    """
    body = seed_body(seed_text)
    visible = _squash(re.sub(r"<!--.*?-->", "", body, flags=re.S))
    fragments = []
    for comment in re.findall(r"<!--(.*?)-->", body, flags=re.S):
        for line in comment.splitlines():
            text = _squash(re.sub(r"<[^>]+>|\*\*", "", line))
            if len(text) >= 20 and text not in visible:
                fragments.append(text)
    return fragments


def typeset(page) -> None:
    """The formulas arrive typeset from the server: wait only for KaTeX's web fonts.

    A function, not a bare expression: Playwright polls a bare expression through `eval`,
    which the site's CSP (no 'unsafe-eval') refuses as soon as the first check says "not yet".
    """
    page.page.wait_for_function("() => document.fonts.status === 'loaded'", timeout=10_000)


def _load_every_image(page) -> list[dict]:
    """Scroll each image into view (the body's are lazy) and wait until all have decoded."""
    images = page.page.locator("img")
    for i in range(images.count()):
        images.nth(i).scroll_into_view_if_needed()
    page.page.wait_for_function(
        "() => [...document.images].every(img => img.complete && img.naturalWidth > 0)",
        timeout=10_000,
    )
    return page.page.eval_on_selector_all(
        "img", "els => els.map(el => ({src: el.currentSrc, width: el.naturalWidth}))"
    )


def _assert_clean(page) -> None:
    """Nothing failed, nothing logged an error, nothing asked anyone but 127.0.0.1."""
    assert page.failed_requests == []
    assert page.console_errors == []
    assert page.page_errors == []
    assert page.foreign_requests() == []


def test_the_seed_parsers_agree_with_the_issue(seed_text):
    """The expectations below come from the seed; first check they are the ones the issue set."""
    formulas = seed_formulas(seed_text)
    assert len(formulas) == SEED_FORMULAS
    assert sum(display for _, display in formulas) == SEED_DISPLAY_FORMULAS
    fragments = seed_comment_fragments(seed_text)
    assert any("Emberfeletti teljesítmény a Go játékban" in f for f in fragments)
    assert any(f.startswith("Célunk, hogy az olvasó") for f in fragments)


def _assert_seed_formulas(page, seed_text) -> None:
    body = page.page.locator(".article-body")
    expected = seed_formulas(seed_text)
    assert body.locator(".katex").count() == SEED_FORMULAS
    assert body.locator(".katex-display").count() == SEED_DISPLAY_FORMULAS
    assert body.locator("math").count() == SEED_FORMULAS  # MathML for assistive technology
    assert page.page.locator(".math-error").count() == 0
    annotations = body.locator(".katex annotation[encoding='application/x-tex']")
    assert [_squash(tex) for tex in annotations.all_text_contents()] == [t for t, _ in expected]


def test_the_seed_page_asks_for_no_katex_script(page, live_server, released_seed):
    _open(page, live_server, released_seed.get_absolute_url())
    typeset(page)
    page.page.wait_for_load_state("networkidle")
    scripts = [url for url in page.requests if url.split("?")[0].endswith(".js")]
    assert not [url for url in scripts if "katex" in url or "auto-render" in url], scripts
    assert page.page.evaluate("typeof window.katex") == "undefined"
    assert any(url.endswith("/static/katex/katex.min.css") for url in page.requests)
    _assert_clean(page)


def test_the_seed_is_typeset_with_javascript_off(browser, live_server, released_seed, seed_text):
    """A reader without JavaScript (or a print preview before any script ran) gets every
    formula typeset, and the headings stand where a reader with JavaScript finds them."""
    tops = {}
    for javascript in (False, True):
        context = browser.new_context(java_script_enabled=javascript)
        try:
            raw = context.new_page()
            raw.set_viewport_size({"width": 1280, "height": 900})
            raw.goto(live_server.url + released_seed.get_absolute_url())
            raw.wait_for_load_state("networkidle")
            if not javascript:
                from tests.e2e.conftest import RecordingPage

                _assert_seed_formulas(RecordingPage(raw), seed_text)
            tops[javascript] = raw.eval_on_selector_all(
                ".article-body h2", "els => els.map(el => Math.round(el.offsetTop))"
            )
        finally:
            context.close()
    assert tops[False] and tops[False] == tops[True]  # typesetting moves nothing


def test_katex_typesets_every_formula_of_the_seed(page, live_server, released_seed, seed_text):
    _open(page, live_server, released_seed.get_absolute_url())
    typeset(page)
    body = page.page.locator(".article-body")
    expected = seed_formulas(seed_text)
    _assert_seed_formulas(page, seed_text)

    assert body.locator(".katex").count() == SEED_FORMULAS
    assert body.locator(".katex-display").count() == SEED_DISPLAY_FORMULAS
    assert body.locator(".katex-display .katex").count() == SEED_DISPLAY_FORMULAS
    assert page.page.locator(".katex-error, .math-error").count() == 0
    # KaTeX keeps the TeX it typeset in its MathML annotation: the author's formulas, in order.
    annotations = body.locator(".katex annotation[encoding='application/x-tex']")
    assert [_squash(tex) for tex in annotations.all_text_contents()] == [t for t, _ in expected]
    display = body.locator(".katex-display annotation[encoding='application/x-tex']")
    assert [_squash(tex) for tex in display.all_text_contents()] == [
        tex for tex, is_display in expected if is_display
    ]
    # Typeset, not just wrapped: KaTeX's own fonts were fetched from our static files.
    page.page.wait_for_load_state("networkidle")
    assert any("/static/katex/fonts/" in url for url in page.requests)
    _assert_clean(page)


def test_drafts_in_html_comments_reach_no_reader(page, live_server, released_seed, seed_text):
    _open(page, live_server, released_seed.get_absolute_url())
    fragments = seed_comment_fragments(seed_text)
    assert fragments
    # The serialized DOM holds text, attributes and any surviving comment nodes alike.
    dom = _squash(page.page.evaluate("document.documentElement.outerHTML"))
    text = _squash(page.page.evaluate("document.body.textContent"))
    assert [f for f in fragments if f in dom or f in text] == []
    comments = page.page.evaluate(
        """() => {
          const walker = document.createTreeWalker(document, NodeFilter.SHOW_COMMENT);
          const found = [];
          while (walker.nextNode()) found.push(walker.currentNode.data);
          return found;
        }"""
    )
    assert [c for c in comments if any(f in _squash(c) for f in fragments)] == []
    _assert_clean(page)


def test_the_seed_fits_a_phone_and_its_tables_scroll(page, live_server, released_seed):
    _open(page, live_server, released_seed.get_absolute_url(), width=PHONE, height=740)
    typeset(page)
    images = _load_every_image(page)
    assert len(images) >= 2  # the cover and the square image in the body
    assert all(image["width"] > 0 for image in images), images

    # The page never scrolls sideways: not by its width, not when asked to.
    assert page.page.evaluate("document.documentElement.scrollWidth") <= PHONE
    assert page.page.evaluate("window.scrollTo(200, window.scrollY); window.scrollX") == 0

    containers = page.page.locator(".article-body .table-container")
    assert containers.count() == 2  # the seed's two house tables
    for i in range(containers.count()):
        box = containers.nth(i)
        box.scroll_into_view_if_needed()
        state = box.evaluate(
            """el => {
              const before = [el.scrollWidth, el.clientWidth];
              el.scrollLeft = 60;
              const scrolled = el.scrollLeft;
              el.scrollLeft = 0;
              const table = el.querySelector("table");
              const th = table.querySelector("thead th");
              const cs = getComputedStyle(el), ts = getComputedStyle(table);
              const hs = getComputedStyle(th);
              return {
                scrollWidth: before[0], clientWidth: before[1], scrolled,
                overflowX: cs.overflowX, boxBorder: cs.borderTopWidth,
                tableRight: table.getBoundingClientRect().right,
                spacing: ts.borderSpacing, thAlign: hs.textAlign, thWeight: hs.fontWeight,
                thPosition: hs.position, thBottom: hs.borderBottomWidth,
                thBackground: hs.backgroundColor,
              };
            }"""
        )
        # Wider than the phone, scrolled inside the box, and the box stays within the page.
        assert state["scrollWidth"] > state["clientWidth"], state
        assert state["scrolled"] == 60, state
        assert state["clientWidth"] <= PHONE
        assert state["tableRight"] > PHONE, state
        # content.css, not the browser's defaults (separate 2px spacing, centred bold th,
        # transparent background).
        assert state["overflowX"] == "auto", state
        assert state["boxBorder"] == "1px", state
        assert state["spacing"] == "0px", state
        assert state["thAlign"] == "left", state
        assert state["thWeight"] == "600", state
        assert state["thPosition"] == "sticky", state
        assert state["thBottom"] == "2px", state
        assert state["thBackground"] not in {"rgba(0, 0, 0, 0)", "transparent"}, state
    # A display formula wider than the phone (the seed's L(N, D, C) = …) scrolls in its own
    # box: the renderer's div.math-display (KaTeX's .katex-display inside is no scroll box).
    formulas = page.page.eval_on_selector_all(
        ".article-body .math-display",
        """els => els.map(el => {
          const boxes = [el];
          const wide = boxes.filter(box => box.scrollWidth > box.clientWidth);
          const scrolled = wide.map(box => {
            box.scrollLeft = 30;
            const left = box.scrollLeft;
            box.scrollLeft = 0;
            return left;
          });
          return {wide: wide.length, scrolled, width: el.getBoundingClientRect().width};
        })""",
    )
    assert len(formulas) == SEED_DISPLAY_FORMULAS
    assert any(f["wide"] for f in formulas), formulas
    assert all(left > 0 for f in formulas for left in f["scrolled"]), formulas
    assert all(f["width"] <= PHONE for f in formulas), formulas
    # Scrolling the tables and formulas did not make the page any wider.
    assert page.page.evaluate("document.documentElement.scrollWidth") <= PHONE
    _assert_clean(page)

"""Hostile content in a real browser: nothing an author, an imported file or a search query
writes may run script for a reader or an editor.

The payloads (tests/e2e/xss_payloads.py, from public filter-evasion lists) each call a canary
with their own number. Before any page script runs, an init script hooks alert/confirm/prompt/
print/open and defines the canary; Playwright also records dialogs (from any frame), popups and
navigations. Each page is then worked a little (every element gets the events inline handlers
listen for, links with a non-web scheme are clicked, the page is scrolled, math is typeset) and
the test asserts that nothing fired, nothing navigated, nothing left 127.0.0.1, the live DOM
holds nothing executable (so a payload that is merely waiting for a user is caught too), and the
page really rendered: the text around every payload is on it, so an empty page cannot pass.

Every check runs twice: under the site's Content-Security-Policy (what a reader gets; any
violation means hostile markup reached the page) and with the policy bypassed, which proves the
sanitizer alone holds: CSP would otherwise hide a sanitizer hole from the canary.
`test_the_harness_catches_markup_that_runs` proves the harness sees a payload that does run.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import quote, urldefrag

import pytest
import yaml
from django.utils import timezone
from PIL import Image

from articles.importing import Importer
from articles.models import Article, Author, Tag
from tests.e2e.conftest import RecordingPage, log_in_editor
from tests.e2e.xss_payloads import (
    Payload,
    body_payloads,
    frontmatter_payloads,
    query_payloads,
)

pytestmark = pytest.mark.django_db(transaction=True)

HOOKS = """
(() => {
  // Reported to the test at once (an exposed binding, in every frame), so a hit survives the
  // page navigating away or a frame going away.
  const report = (what) => { if (window.__cikkReport) { window.__cikkReport(what); } };
  Object.defineProperty(window, "__xss", { value: (n) => report("canary " + n) });
  for (const name of ["alert", "confirm", "prompt", "print"]) {
    window[name] = function (message) { report(name + " " + message); return null; };
  }
  window.open = function (url) { report("open " + url); return null; };
  document.addEventListener("securitypolicyviolation", (event) => {
    report("csp " + event.violatedDirective + " " + (event.blockedURI || "inline") + " "
      + (event.sample || ""));
  });
})();
"""

# Every event an inline handler in the payloads (or their relatives) listens for. Plain Events
# that do not bubble: an inline handler fires, but no link is followed (only a MouseEvent
# "click" has activation behaviour).
POKE = """
({ selector, content }) => {
  const types = ["mouseover", "mouseenter", "mousemove", "mousedown", "mouseup", "mouseout",
    "mouseleave", "click", "dblclick", "contextmenu", "pointerover", "pointerenter",
    "pointerdown", "pointerup", "focus", "focusin", "blur", "focusout", "keydown", "keyup",
    "keypress", "input", "change", "toggle", "close", "load", "error", "loadstart", "begin",
    "animationstart", "animationend", "transitionend", "scroll", "wheel", "copy", "paste",
    "drag", "dragstart", "drop", "touchstart", "select", "submit", "reset", "invalid",
    "pageshow", "start"];
  let poked = 0;
  for (const root of document.querySelectorAll(selector)) {
    for (const el of [root, ...root.querySelectorAll("*")]) {
      for (const type of types) { el.dispatchEvent(new Event(type, { bubbles: false })); }
      if (typeof el.focus === "function") { el.focus({ preventScroll: true }); }
      poked += 1;
    }
    // A link whose URL is not a web or mail address: a reader would click it, so do it.
    for (const link of root.querySelectorAll("a[href], area[href]")) {
      const protocol = new URL(link.href, location.href).protocol;
      if (!["http:", "https:", "mailto:"].includes(protocol)) { link.click(); }
    }
    // A form in the content would be the author's: send it (never the admin's own forms).
    if (content) { for (const form of root.querySelectorAll("form")) { form.requestSubmit(); } }
  }
  return poked;
}
"""

# What the live DOM must not hold, as the browser parsed it: event-handler attributes and
# script URLs anywhere; in the content itself, elements that run, embed, load or take input.
AUDIT = """
({ selector, content }) => {
  const findings = [];
  const describe = (el) => "<" + el.localName + "> " + el.outerHTML.slice(0, 160);
  const URL_ATTRIBUTES = ["href", "xlink:href", "src", "action", "formaction", "poster",
    "data", "background", "lowsrc", "dynsrc", "codebase", "srcdoc", "values", "to", "from"];
  const isKatex = (el) => el.closest(".katex") !== null;
  for (const el of document.querySelectorAll("*")) {
    for (const attr of el.attributes) {
      const name = attr.name.toLowerCase();
      if (name.startsWith("on")) { findings.push("handler " + name + " on " + describe(el)); }
      if (name === "srcdoc") { findings.push("srcdoc on " + describe(el)); }
      if (URL_ATTRIBUTES.includes(name)) {
        const value = attr.value.replace(/[\\u0000-\\u0020\\u007f-\\u00a0]/g, "").toLowerCase();
        if (/^(javascript|vbscript|data|livescript):/.test(value)) {
          findings.push("script URL " + name + " on " + describe(el));
        }
      }
    }
    if (el.localName === "script") {
      const src = el.getAttribute("src");
      const type = (el.getAttribute("type") || "").toLowerCase();
      if (src !== null) {
        if (new URL(src, location.href).origin !== location.origin) {
          findings.push("foreign script " + describe(el));
        }
      } else if (type === "application/ld+json" || type === "application/json") {
        try { JSON.parse(el.textContent); }
        catch (error) { findings.push("JSON script that is not JSON " + describe(el)); }
      } else {
        findings.push("inline script " + describe(el));
      }
    }
    if (el.localName === "meta" && el.hasAttribute("http-equiv")) {
      findings.push("meta http-equiv " + describe(el));
    }
    if (["base", "iframe", "frame", "frameset", "object", "embed", "applet", "portal"]
        .includes(el.localName)) {
      findings.push("embedding element " + describe(el));
    }
  }
  // Our own responsive images (articles/body_images.py) are the only srcsets in content.
  const ours = (el) => (el.getAttribute("srcset") || "").startsWith("/media/");
  const CONTENT_FORBIDDEN = "script, style, link, meta, svg, math, form, input, button, "
    + "textarea, select, video, audio, source, details, dialog, template, noscript, marquee, "
    + "[contenteditable], [autofocus], [tabindex], [srcset]";
  for (const root of content ? document.querySelectorAll(selector) : []) {
    for (const el of root.querySelectorAll(CONTENT_FORBIDDEN)) {
      if (isKatex(el)) { continue; }  // KaTeX's own MathML and SVG
      if (["source", "img"].includes(el.localName) && ours(el)) { continue; }
      // A scrolling table or formula box made keyboard-reachable by our own scripts
      // (scroll-regions.js, admin-editor.js): the sanitizer lets no author write either mark.
      if (el.matches("div[data-scroll-region='1'][tabindex='0']:not([contenteditable], "
          + "[autofocus], [srcset])")) { continue; }
      findings.push("forbidden in content " + describe(el));
    }
    for (const el of root.querySelectorAll("[style]")) {
      const style = el.getAttribute("style").toLowerCase();
      if (/url\\(|expression|javascript:|behavior|binding|image-set/.test(style)) {
        findings.push("dangerous style " + describe(el));
      }
    }
  }
  return findings;
}
"""

SETTLE = """() => new Promise((resolve) => requestAnimationFrame(() =>
  requestAnimationFrame(() => setTimeout(resolve, 0))))"""

# Formulas arrive typeset from the server: wait for KaTeX's web fonts only. (A payload may
# itself carry class="math", so "every .math is typeset" is no condition to wait for.)
TYPESET = "(selector) => document.fonts.status === 'loaded'"

GOOD_FORMULA = "$$ a^2 + b^2 = c^2 $$"


@dataclass
class Watched:
    """A page plus everything that would betray a payload that ran."""

    recording: RecordingPage
    csp: bool
    dialogs: list[str] = field(default_factory=list)
    popups: list[str] = field(default_factory=list)
    navigations: list[str] = field(default_factory=list)
    reports: list[str] = field(default_factory=list)

    @property
    def page(self):
        return self.recording.page

    def open(self, url: str, selector: str, content: bool = True) -> None:
        """Load a page, let math typeset and images settle, then work every element under
        `selector` (`content`: it is authored content, see POKE and AUDIT)."""
        response = self.page.goto(url)
        assert response is not None and response.status == 200, url
        self.page.wait_for_load_state("load")
        self.navigations.clear()
        self.page.wait_for_function(TYPESET, arg=selector, timeout=15_000)
        self.work(selector, content)

    def work(self, selector: str, content: bool = True) -> None:
        page = self.page
        poked = page.evaluate(POKE, {"selector": selector, "content": content})
        assert poked > 0, f"nothing to work on in {selector}"
        page.evaluate("() => window.scrollTo(0, document.body.scrollHeight)")
        page.mouse.move(200, 200)
        page.mouse.wheel(0, -400)
        for _ in range(3):
            page.keyboard.press("Tab")
        page.evaluate(SETTLE)

    def hits(self) -> list[str]:
        """Canary calls, hooked dialogs and window.open calls, from any frame."""
        return [r for r in self.reports if not r.startswith("csp ")]

    def csp_violations(self) -> list[str]:
        return [r for r in self.reports if r.startswith("csp ")]

    def assert_inert(self, selector: str, expected: list[str], content: bool = True) -> None:
        page = self.page
        url = urldefrag(page.url).url
        assert self.hits() == [], "a payload ran"
        assert self.dialogs == [], "a dialog opened"
        assert self.popups == [], "a window opened"
        assert [u for u in self.navigations if urldefrag(u).url != url] == [], "navigated away"
        assert len(page.frames) == 1, [frame.url for frame in page.frames]
        assert self.recording.foreign_requests() == []
        assert page.evaluate(AUDIT, {"selector": selector, "content": content}) == []
        if self.csp:
            # Under the policy a sanitizer hole shows as a refused inline handler or script.
            assert self.csp_violations() == []
        assert self.recording.page_errors == []
        # The page really rendered: the text around every payload is on it.
        text = " ".join(page.locator(selector).all_inner_texts())
        missing = [piece for piece in expected if piece not in text]
        assert missing == [], f"missing from {url}: {missing[:10]}"


@pytest.fixture(params=["csp", "no-csp"])
def watched(request, browser, live_server) -> Iterator[Watched]:
    """A fresh context with the hooks installed; once with the site's CSP, once bypassing it."""
    csp = request.param == "csp"
    context = browser.new_context(base_url=live_server.url, bypass_csp=not csp)
    context.add_init_script(HOOKS)
    page = context.new_page()
    watched = Watched(RecordingPage(page), csp=csp)
    context.expose_binding("__cikkReport", lambda source, what: watched.reports.append(what))

    def on_dialog(dialog) -> None:
        watched.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", on_dialog)
    context.on("page", lambda popup: watched.popups.append(popup.url))
    page.on(
        "framenavigated",
        lambda frame: watched.navigations.append(frame.url) if frame == page.main_frame else None,
    )
    yield watched
    context.close()


def assert_math_processed(page, selector: str) -> None:
    """Every formula (hostile ones included) is KaTeX's output or its TeX, and the good one is
    typeset."""
    formulas = page.locator(f"{selector} .math")
    assert formulas.count() > 10
    assert page.evaluate(TYPESET, selector)
    assert page.locator(f"{selector} .katex").count() >= 1
    good = formulas.first
    assert good.locator(".katex").count() == 1 and "math-error" not in good.get_attribute("class")


def markers(payload: Payload) -> list[str]:
    before = f"Jel {payload.number} előtte."
    return [before] if payload.alone else [before, f"Jel {payload.number} utána."]


def hostile_body(payloads: list[Payload]) -> str:
    """Each payload as its own block, with plain text before and after it."""
    parts = [f"Jel {p.number} előtte.\n\n{p.source}\n\nJel {p.number} utána." for p in payloads]
    return f"Egy jó képlet: {GOOD_FORMULA}.\n\n" + "\n\n".join(parts) + "\n"


def stored_image_url() -> str:
    """One of the site's own stored images, so the body-image rewriter (which runs after the
    sanitizer) sees hostile alt and title text too."""
    from django.core.files.storage import default_storage

    from articles.images import check_image, store_image
    from tests.factories import jpeg_bytes

    return default_storage.url(store_image(check_image(jpeg_bytes(640, 480))))


@dataclass
class Hostile:
    main: Article
    payloads: list[Payload]
    alone: list[tuple[Article, Payload]]


@pytest.fixture
def hostile() -> Hostile:
    """The big hostile article, and one article per payload that must stand alone."""
    payloads = body_payloads(stored=stored_image_url())
    together = [p for p in payloads if not p.alone]
    yesterday = timezone.now() - dt.timedelta(days=1)
    main = Article.objects.create(
        title="Ártalmatlan marad",
        slug="artalmatlan-marad",
        description="Minden ismert trükk egy cikkben.",
        body=hostile_body(together),
        released=True,
        date=yesterday,
    )
    alone = []
    for p in payloads:
        if p.alone:
            article = Article.objects.create(
                title=f"Egyedül {p.number}",
                slug=f"egyedul-{p.number}",
                body=hostile_body([p]),
                released=True,
                date=yesterday - dt.timedelta(minutes=p.number),
            )
            alone.append((article, p))
    return Hostile(main, payloads, alone)


def test_there_are_enough_payloads_from_the_public_lists():
    payloads = body_payloads()
    assert len(payloads) >= 50
    assert len({p.source for p in payloads}) == len(payloads)
    assert {p.origin for p in payloads} >= {"OWASP", "PortSwigger", "HTML5Sec", "KaTeX"}
    numbers = [p.number for p in [*payloads, *frontmatter_payloads(), *query_payloads()]]
    assert len(set(numbers)) == len(numbers)  # so a hit names its payload


def test_the_rewriter_after_the_sanitizer_sees_hostile_images(hostile):
    """The stored-image payloads reach articles/body_images.py (it makes a <picture>)."""
    assert "srcset=" in hostile.main.body_html


def test_article_body(watched, live_server, hostile):
    watched.open(live_server.url + hostile.main.get_absolute_url(), ".article-body")
    page = watched.page
    assert page.locator("h1").inner_text() == "Ártalmatlan marad"
    assert_math_processed(page, ".article-body")
    expected = [m for p in hostile.payloads if not p.alone for m in markers(p)]
    watched.assert_inert(".article-body", expected)


def test_payloads_that_must_stand_alone(watched, live_server, hostile):
    assert len(hostile.alone) >= 5
    for article, payload in hostile.alone:
        watched.open(live_server.url + article.get_absolute_url(), ".article-body")
        watched.assert_inert(".article-body", [*markers(payload), "Egy jó képlet"])


def test_admin_live_preview(watched, live_server, hostile):
    """The same payloads typed into the Markdown editor: the live preview renders them."""
    log_in_editor(watched.page, live_server.url, "e2e-kiskapu")
    page = watched.page
    response = page.goto(live_server.url + "/admin/articles/article/add/")
    assert response is not None and response.status == 200
    together = [p for p in hostile.payloads if not p.alone]
    editor = page.locator("textarea.markdownx-editor")
    editor.fill(hostile_body(together))
    editor.dispatch_event("keyup")  # markdownx listens to input/keyup
    last = markers(together[-1])[-1]
    preview = ".markdownx-preview"
    page.locator(preview).get_by_text(last).wait_for(timeout=15_000)
    page.wait_for_function(
        "(selector) => document.querySelectorAll(selector + ' .math').length > 0 "
        f"&& ({TYPESET})(selector)",
        arg=preview,
        timeout=15_000,
    )
    watched.navigations.clear()
    watched.work(preview)
    assert_math_processed(page, preview)
    watched.assert_inert(preview, [m for p in together for m in markers(p)])


def test_admin_pages_of_a_hostile_article(watched, live_server, hostile):
    """The change form (its editor preview, the findings listing what was removed) and the
    list. Only the parts that show authored content are worked: the admin's own buttons open
    popups and send forms by design."""
    log_in_editor(watched.page, live_server.url, "e2e-kiskapu")
    change = f"/admin/articles/article/{hostile.main.pk}/change/"
    watched.open(live_server.url + change, ".markdownx-preview")
    watched.page.locator(".markdownx-preview .katex").first.wait_for(timeout=15_000)
    watched.work(".markdownx-preview")
    watched.work(".readonly", content=False)
    watched.assert_inert(".markdownx-preview", ["Jel 1 előtte.", "Egy jó képlet"])
    # The findings name what the sanitizer removed, as text.
    removed = "A biztonsági szűrő eltávolított nyers HTML-t: <script>"
    watched.assert_inert(".readonly", [removed], content=False)
    watched.open(live_server.url + "/admin/articles/article/", "#result_list", content=False)
    watched.assert_inert("#result_list", ["Ártalmatlan marad"], content=False)


# --- frontmatter: titles, descriptions, authors and tags -------------------------------------


@pytest.fixture
def hostile_frontmatter(tmp_path) -> dict[str, list[Payload]]:
    """Articles imported by the real importer from files whose frontmatter is hostile."""
    by_field: dict[str, list[Payload]] = {}
    for p in frontmatter_payloads():
        by_field.setdefault(p.group, []).append(p)
    titles, descriptions = by_field["title"], by_field["description"]
    authors, tags = by_field["author"], by_field["tag"]
    folder = tmp_path / "kiskapu"
    folder.mkdir()
    # A cover with alt text: what release asks for, so the gate publishes every file.
    Image.new("RGB", (8, 6), "navy").save(folder / "borito.png")
    for index, title in enumerate(titles):
        meta = {
            "title": title.source,
            "slug": f"kiskapu-{index}",
            "date": (timezone.localdate() - dt.timedelta(days=index + 2)).isoformat(),
            "released": "igen",
            "description": descriptions[index % len(descriptions)].source,
            "author": [a.source for a in authors][: index + 1],
            "tags": [t.source for t in tags],
            "image": "borito.png",
            "image_alt": "Sötétkék téglalap",
        }
        front = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False)
        body = f"## Kiskapu fejezet {index}\n\nKiskapu törzsszöveg {index}, {GOOD_FORMULA}.\n"
        (folder / f"kiskapu-{index}.md").write_text(f"---\n{front}---\n\n{body}", "utf-8")
    outcomes = list(Importer().run([folder]))
    assert [o.status for o in outcomes] == ["created"] * len(titles), [o.line() for o in outcomes]
    return by_field


def test_frontmatter_on_reader_pages(watched, live_server, hostile_frontmatter):
    """<title>, meta tags, JSON-LD, h1, lede, byline, tags; home, author, tag and search pages."""
    titles = hostile_frontmatter["title"]
    articles = list(Article.objects.filter(slug__startswith="kiskapu-").order_by("slug"))
    assert len(articles) == len(titles)
    for article, title in zip(articles, titles, strict=True):
        watched.open(live_server.url + article.get_absolute_url(), ".article")
        # The title is shown as text, exactly as written, in the heading and the tab title.
        assert watched.page.locator("h1").inner_text() == title.source
        assert watched.page.title().startswith(title.source)
        watched.assert_inert(".article", [title.source, f"Kiskapu törzsszöveg {article.slug[-1]}"])
    every_title = [t.source for t in titles]
    watched.open(live_server.url + "/", ".page")
    watched.assert_inert(".page", every_title)
    for author in Author.objects.filter(slug__contains="kiskapu"):
        watched.open(live_server.url + author.get_absolute_url(), ".page")
        watched.assert_inert(".page", [author.name, *(a.title for a in author.articles.all())])
    tag = Tag.objects.get(slug__contains="kiskapu")
    watched.open(live_server.url + tag.get_absolute_url(), ".page")
    watched.assert_inert(".page", [tag.name, *every_title])
    # Search highlights matches inside the hostile titles and cuts snippets from the bodies.
    watched.open(live_server.url + "/kereses/?q=kiskapu", ".card-list")
    assert watched.page.locator(".card-list mark").count() > 0
    watched.assert_inert(".card-list", every_title)


def test_frontmatter_in_the_admin(watched, live_server, hostile_frontmatter):
    log_in_editor(watched.page, live_server.url, "e2e-kiskapu")
    titles = [t.source for t in hostile_frontmatter["title"]]
    watched.open(live_server.url + "/admin/articles/article/", "#result_list", content=False)
    watched.assert_inert("#result_list", titles, content=False)
    article = Article.objects.get(slug="kiskapu-0")
    watched.open(
        live_server.url + f"/admin/articles/article/{article.pk}/change/",
        ".readonly",
        content=False,
    )
    assert watched.page.input_value("#id_title") == titles[0]
    watched.assert_inert("#content", [], content=False)
    for author in Author.objects.filter(slug__contains="kiskapu"):
        url = f"/admin/articles/author/{author.pk}/change/"
        watched.open(live_server.url + url, ".readonly", content=False)
        titles_of_author = [a.title for a in author.articles.all()]
        watched.assert_inert(".readonly", titles_of_author, content=False)


def test_search_query_is_reflected_as_text(watched, live_server, hostile_frontmatter):
    for p in query_payloads():
        watched.open(live_server.url + "/kereses/?q=" + quote(p.source), "[role=status]")
        assert watched.page.input_value("#search-q") == p.source
        watched.assert_inert("[role=status]", [p.source])


# --- the harness itself ---------------------------------------------------------------------


KNOWN_BAD = '<p>Előtte.</p><img src="/nincs-x.png" onerror="__xss(0)"><p>Utána.</p>'


def test_the_harness_catches_markup_that_runs(watched, live_server):
    """A body that skipped the sanitizer (written straight into body_html) is caught: by the
    canary without CSP, by the policy's violation report with it, and by the DOM audit always.
    Without this the tests above could pass with hooks that see nothing."""
    article = Article.objects.create(
        title="Rossz", slug="rossz", body="x", released=True, date=timezone.now()
    )
    Article.objects.filter(pk=article.pk).update(body_html=KNOWN_BAD)
    watched.open(live_server.url + article.get_absolute_url(), ".article-body")
    with pytest.raises(AssertionError):
        watched.assert_inert(".article-body", ["Előtte.", "Utána."])
    if watched.csp:
        violations = watched.csp_violations()
        assert any(v.startswith("csp script-src") for v in violations), violations
    else:
        assert "canary 0" in watched.hits()
    findings = watched.page.evaluate(AUDIT, {"selector": ".article-body", "content": True})
    assert any("handler onerror" in f for f in findings), findings

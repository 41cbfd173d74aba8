# ruff: noqa: E501  (the article bodies below are long lines on purpose)
"""The reader site in a real Chromium: every formula arrives typeset by KaTeX on the server
(and a broken one stays contained), nothing overflows a 375 px phone, no request leaves 127.0.0.1, no console errors,
and the skip link works from the keyboard."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import make_article

pytestmark = pytest.mark.django_db(transaction=True)

# Three inline and two display formulas, all valid.
MATH_BODY = r"""## Képletek

Az összeg $$ a^2 + b^2 = c^2 $$ és a határérték $$\lim_{n \to \infty} \frac{1}{n} = 0$$ a
szövegben, valamint $$e^{i\pi} + 1 = 0$$ is.

$$
\sup_{x \in K} \left| f(x) - \hat{f}(x) \right| < \varepsilon
$$

Egy hosszú kijelzett képlet, ami egy telefonon nem fér ki:

$$ L(N, D, C) = a N^{-\alpha} + b D^{-\beta} + c C^{-\gamma} + d + a N^{-\alpha} + b D^{-\beta} + c C^{-\gamma} + d $$

## Táblázat

<div class="table-container">
  <table class="custom-table">
    <thead><tr><th>Kategória</th><th>Vállalat</th><th>Szerep és fókusz, hosszan leírva</th><th>Megjegyzés</th></tr></thead>
    <tbody>
      <tr><td><b>Félvezető Berendezésgyártók</b></td><td>ASML</td><td>Fotolitográfiai gépek gyártása EUV technológiával a csúcstechnológiás chipgyártáshoz.</td><td>Egyetlen szállító</td></tr>
      <tr><td><b>Chipgyártók</b></td><td>TSMC</td><td>Világelső szerződéses chipgyártó; sok vállalat számára gyárt félvezetőket.</td><td>Tajvan</td></tr>
    </tbody>
  </table>
</div>

## Vége

Egy nagyon-nagyon-hosszú-összetett-szó-ami-nem-törhető-de-mégsem-lóghat-ki-a-képernyőről-soha.
"""
GOOD_FORMULAS = 5

BROKEN_BODY = r"""Jó: $$ x^2 $$ és rossz: $$ \frac{1} $$ majd megint jó: $$ y_1 $$, végül
nyitott kapcsos zárójel: $$ \sqrt{2 $$.

$$
\sum_{i=1}^{n} i = \frac{n(n+1)}{2}
$$
"""


def _open(page, live_server, path, width=1280, height=900):
    page.page.set_viewport_size({"width": width, "height": height})
    response = page.page.goto(live_server.url + path)
    assert response.status == 200
    page.page.wait_for_load_state("load")
    return response


def _typeset(page):
    """The formulas come typeset from the server: wait only for KaTeX's web fonts."""
    # A function, not a bare expression: Playwright re-polls a bare expression through eval(),
    # which the site's CSP refuses, so a second poll would fail instead of waiting.
    page.page.wait_for_function("() => document.fonts.status === 'loaded'")
    assert page.page.locator(".article-body .math").count() > 0


def _clean(page):
    assert page.foreign_requests() == []
    assert page.console_errors == []
    assert page.page_errors == []


def test_katex_typesets_every_formula(page, live_server):
    make_article("Képletes cikk", body=MATH_BODY)
    _open(page, live_server, "/cikk/kepletes-cikk/")
    _typeset(page)
    assert page.page.locator(".article-body .katex").count() == GOOD_FORMULAS
    assert page.page.locator(".article-body .katex-display").count() == 2
    assert page.page.locator(".article-body .katex-error").count() == 0
    _clean(page)


def test_broken_formula_is_contained(page, live_server):
    make_article("Hibás képlet", body=BROKEN_BODY)
    _open(page, live_server, "/cikk/hibas-keplet/")
    _typeset(page)
    assert page.page.locator(".article-body .katex").count() == 3
    errors = page.page.locator(".article-body .math-error")
    assert errors.count() == 2
    assert "frac" in errors.nth(0).text_content()
    # Unbalanced braces: KaTeX refuses it; its TeX stays, styled as an error.
    assert "\\sqrt{2" in errors.nth(1).text_content()
    _clean(page)


@pytest.mark.parametrize("path", ["/", "/cikk/kepletes-cikk/", "/kereses/?q=gyartas", "/nincs/"])
def test_nothing_overflows_a_phone(page, live_server, path):
    now = timezone.now()
    make_article("Képletes cikk", body=MATH_BODY, date=now - timedelta(hours=1))
    for i in range(3):
        make_article(
            f"Gyártási kihozatal és egy nagyon hosszú cím, ami több sorba törik {i}",
            description="Egy hosszabb leírás, amely a kártyán is megjelenik, és tördelődik.",
            authors=["Egri Máté", "Takáts Bálint"],
            date=now - timedelta(days=i + 1),
        )
    page.page.set_viewport_size({"width": 375, "height": 740})
    page.page.goto(live_server.url + path)
    page.page.wait_for_load_state("load")
    if path.startswith("/cikk/"):
        _typeset(page)
        # The table is wider than the phone and scrolls inside its container.
        scroll = page.page.eval_on_selector(
            ".table-container", "el => [el.scrollWidth, el.clientWidth]"
        )
        assert scroll[0] > scroll[1]
    width = page.page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375
    assert page.foreign_requests() == []
    assert page.page_errors == []
    # The 404 page logs its own status as a console error in Chromium; nothing else may.
    assert [e for e in page.console_errors if "404" not in e] == []


def test_skip_link_reaches_main_content(page, live_server):
    make_article("Billentyűzettel")
    _open(page, live_server, "/cikk/billentyuzettel/")
    page.page.keyboard.press("Tab")
    focused = page.page.evaluate("document.activeElement.className")
    assert focused == "skip-link"
    assert page.page.locator(".skip-link").is_visible()
    page.page.keyboard.press("Enter")
    assert page.page.evaluate("location.hash") == "#tartalom"
    _clean(page)


def test_dark_mode_follows_the_system(page, live_server):
    make_article("Sötétben")
    page.page.emulate_media(color_scheme="dark")
    _open(page, live_server, "/cikk/sotetben/")
    background = page.page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(18, 19, 22)"
    page.page.emulate_media(color_scheme="light")
    background = page.page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(251, 250, 247)"
    _clean(page)

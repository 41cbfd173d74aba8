"""The Content-Security-Policy is enforced, and the site, KaTeX and the admin still work under it.

Violations are caught two ways: Chromium's console errors ("Refused to … because it violates
the following Content Security Policy directive") and the page's securitypolicyviolation events,
recorded by a script Playwright injects (init scripts are not subject to the page's CSP).
"""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from articles.models import Article

pytestmark = pytest.mark.django_db(transaction=True)

RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(event.violatedDirective + " " + (event.blockedURI || "inline"));
});
"""

MATH_BODY = """A Pitagorasz-tétel: $$ a^2 + b^2 = c^2 $$, egy sorban.

$$
\\sup_{x \\in K} \\left| f(x) - \\hat{f}(x) \\right| < \\varepsilon
$$

Egy **félkövér** szó és egy [hivatkozás](https://example.com/).

<div class="custom-text-box" style="text-align: right; padding-left: 37px">
    <p>Jobbra zárt doboz, ahogy a szerző kérte.</p>
</div>
"""


def csp_violations(recording) -> list[str]:
    events = recording.page.evaluate("window.__cspViolations || []")
    console = [text for text in recording.console_errors if "Content Security Policy" in text]
    return events + console


@pytest.fixture
def csp_page(page):
    page.page.add_init_script(RECORD_VIOLATIONS)
    return page


@pytest.fixture
def math_article():
    return Article.objects.create(
        title="Skálázási törvények",
        slug="skalazasi-torvenyek",
        description="Képletek KaTeX-szel.",
        body=MATH_BODY,
        released=True,
        date=timezone.now() - dt.timedelta(days=1),
    )


def test_the_policy_is_enforced_and_an_inline_script_is_refused(csp_page, live_server):
    """Without this, the tests below could pass with no policy at all."""
    response = csp_page.page.goto(live_server.url + "/")
    assert response.status == 200
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy
    from playwright.sync_api import Error as PlaywrightError

    with pytest.raises(PlaywrightError):
        csp_page.page.add_script_tag(content="window.__injected = true;")
    assert csp_page.page.evaluate("window.__injected === undefined")
    assert any(v.startswith("script-src") for v in csp_violations(csp_page))


def test_home_page_has_no_violation(csp_page, live_server, math_article):
    response = csp_page.page.goto(live_server.url + "/")
    assert response.status == 200
    csp_page.page.wait_for_load_state("networkidle")
    assert csp_page.page.get_by_role("link", name="Skálázási törvények").count() >= 1
    assert csp_violations(csp_page) == []
    assert csp_page.page_errors == []
    assert csp_page.foreign_requests() == []


def test_math_is_typeset_by_katex_under_the_policy(csp_page, live_server, math_article):
    response = csp_page.page.goto(live_server.url + math_article.get_absolute_url())
    assert response.status == 200
    page = csp_page.page
    page.wait_for_selector(".article-body .katex", timeout=10_000)
    assert page.locator(".article-body .math-inline .katex").count() == 1
    assert page.locator(".article-body .katex-display").count() == 1
    assert page.locator(".math-error").count() == 0
    # The sanitized style attribute an author wrote is applied (style-src-attr), not refused.
    box = page.locator(".custom-text-box")
    assert box.evaluate("el => getComputedStyle(el).textAlign") == "right"
    assert box.evaluate("el => getComputedStyle(el).paddingLeft") == "37px"
    # KaTeX's fonts came from our static files and were accepted by font-src 'self'.
    page.wait_for_load_state("networkidle")
    fonts = [url for url in csp_page.requests if "/static/katex/fonts/" in url]
    assert fonts, "KaTeX loaded no font"
    assert csp_violations(csp_page) == []
    assert csp_page.page_errors == []
    assert csp_page.foreign_requests() == []


def test_admin_editor_works_under_the_policy(csp_page, live_server):
    editor = get_user_model().objects.create_superuser(
        "szerkeszto", "szerkeszto@example.com", "jelszo-ami-eleg-hosszu"
    )
    client = Client()
    client.force_login(editor)
    session = client.cookies["sessionid"].value
    page = csp_page.page
    page.context.add_cookies([{"name": "sessionid", "value": session, "url": live_server.url}])

    response = page.goto(live_server.url + "/admin/articles/article/add/")
    assert response.status == 200
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.locator("#id_title").press_sequentially("Gyártási kihozatal")
    # The admin's own script (prepopulate.js) fills the slug from the title.
    assert page.input_value("#id_slug") == "gyartasi-kihozatal"
    # The Markdown editor asks the server for a preview (connect-src 'self') and the preview
    # typesets math with KaTeX.
    page.fill("#id_body", "Egy képlet: $$ E = mc^2 $$ és **félkövér** szöveg.")
    page.wait_for_selector(".markdownx-preview strong", timeout=10_000)
    page.wait_for_selector(".markdownx-preview .katex", timeout=10_000)
    assert csp_violations(csp_page) == []
    assert csp_page.page_errors == []
    assert csp_page.foreign_requests() == []

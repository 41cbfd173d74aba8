"""axe-core finds no serious or critical accessibility problem on the reader pages, in the light
and in the dark color scheme (contrast is checked against the colors the reader really gets),
on a desktop and on a phone.

How axe gets into the page: the site's Content-Security-Policy allows no inline script, so
`page.add_script_tag()` (which inserts the file's text as an inline <script>) is refused, and
`bypass_csp=True` would audit a page no reader sees (styles and scripts the policy blocks would
apply). Playwright's `page.evaluate()` runs through the DevTools protocol, which the page's CSP
does not govern, so the audited page keeps its real policy and axe still runs in it.
"""

import warnings

import pytest

pytestmark = pytest.mark.django_db(transaction=True)

FAILING_IMPACTS = {"serious", "critical"}

# Formulas come typeset from the server; wait for KaTeX's web fonts, so that contrast and
# sizes are checked on the glyphs a reader sees. A function, not a bare expression: Playwright
# re-polls an expression through eval, which the page's CSP refuses.
TYPESET = "() => document.fonts.status === 'loaded'"

RUN_AXE = """async () => {
  const results = await axe.run(document, {resultTypes: ["violations"]});
  return {
    checked: [...results.passes, ...results.violations, ...results.incomplete].map((r) => r.id),
    violations: results.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => ({target: n.target.join(" "), summary: n.failureSummary})),
    })),
  };
}"""


def describe(page_name: str, violation: dict) -> str:
    """A violation with the first few elements it was found on and axe's advice for each."""
    lines = [f"{page_name}: [{violation['impact']}] {violation['id']}: {violation['help']}"]
    for node in violation["nodes"][:5]:
        summary = " ".join((node["summary"] or "").split())
        lines.append(f"    {node['target']}: {summary}")
    if len(violation["nodes"]) > 5:
        lines.append(f"    … and {len(violation['nodes']) - 5} more elements")
    return "\n".join(lines)


@pytest.mark.parametrize(
    ("scheme", "width"),
    # A phone too: there wide tables and formulas scroll in boxes, which must be reachable by
    # keyboard (scrollable-region-focusable; static/js/scroll-regions.js).
    [("light", 1280), ("dark", 1280), ("dark", 375)],
)
def test_reader_pages_have_no_serious_violation(axe_source, page, reader_pages, scheme, width):
    page.page.set_viewport_size({"width": width, "height": 800})
    page.page.emulate_media(color_scheme=scheme)
    serious: list[str] = []
    other: list[str] = []
    for name, (path, status) in reader_pages.items():
        response = page.page.goto(path)
        assert response.status == status, (name, path, response.status)
        page.page.wait_for_load_state("load")
        page.page.wait_for_function(TYPESET)
        assert page.page.evaluate(f"matchMedia('(prefers-color-scheme: {scheme})').matches")
        # Shown, the skip link is checked too (off-screen it is nothing to contrast).
        page.page.focus(".skip-link")
        page.page.evaluate(axe_source)
        results = page.page.evaluate(RUN_AXE)
        # axe really looked at the page's text and colours (a blank page passes everything).
        assert "color-contrast" in results["checked"], (name, results["checked"])
        for violation in results["violations"]:
            bucket = serious if violation["impact"] in FAILING_IMPACTS else other
            bucket.append(describe(name, violation))
    assert page.foreign_requests() == []
    assert page.page_errors == []
    assert serious == [], (
        f"axe-core ({scheme}): serious or critical violations:\n"
        + "\n".join(serious)
        + "\n\nmoderate and minor:\n"
        + ("\n".join(other) or "none")
    )
    if other:
        warnings.warn(
            f"axe-core ({scheme}), moderate and minor:\n" + "\n".join(other), stacklevel=1
        )

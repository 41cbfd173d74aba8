"""Server-typeset math where readers and editors meet it: stored HTML, the editorial checks,
check_articles, feeds, search snippets, the search text, the admin preview and the export."""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError

from articles.checks import check_article
from articles.models import Article
from articles.render import render
from articles.text import mathml_only, visible_text
from tests.factories import make_article
from tests.html_tree import assert_inert, parse
from tests.math_view import formulas

pytestmark = pytest.mark.django_db

BODY = (
    "## Kamat\n\n"
    "Ha $$ P $$ forintot fektetünk be évi $$r$$ kamatra, akkor $$n$$ év múlva:\n\n"
    "$$\nP (1 + r)^n\n$$\n\n"
    "Ez a képlet hibás: $$\\frac{a}{b$$ marad.\n"
)
NS = {"content": "http://purl.org/rss/1.0/modules/content/", "atom": "http://www.w3.org/2005/Atom"}


def test_stored_html_has_katex_output_and_the_broken_formula_as_quiet_tex():
    article = make_article("Kamatos kamat", body=BODY)
    html = article.body_html
    found = formulas(html)
    assert [(kind, tex) for kind, tex, _ in found] == [
        ("inline", " P "),
        ("inline", "r"),
        ("inline", "n"),
        ("display", "\nP (1 + r)^n\n"),
        ("inline", "\\frac{a}{b"),
    ]
    assert html.count('<span class="katex">') == 4
    assert html.count('<math xmlns="http://www.w3.org/1998/Math/MathML"') == 4
    assert '<span class="math math-inline math-error">\\frac{a}{b</span>' in html
    assert "\\(" not in html and "\\[" not in html
    assert_inert(html)


def test_a_broken_formula_is_an_editorial_error_with_line_tex_and_katexs_message():
    article = make_article("Hibás képlet", body=BODY)
    findings = [f for f in check_article(article) if f.code == "math_katex"]
    assert len(findings) == 1
    finding = findings[0]
    assert finding.level == "error"
    assert finding.message.startswith("A(z) 9. sor képlete nem szedhető (\\frac{a}{b): ")
    katex_message = "KaTeX parse error: Unexpected end of input in a macro argument"
    assert katex_message in finding.message


def test_untrusted_command_in_a_formula_is_an_error_and_inert():
    article = make_article("Link", body="Kattints: $$\\href{javascript:alert(1)}{x}$$.")
    assert "javascript" not in article.body_html.replace("\\href{javascript:alert(1)}{x}", "")
    assert '<span class="math math-inline math-error">' in article.body_html
    assert_inert(article.body_html)
    (finding,) = [f for f in check_article(article) if f.code == "math_katex"]
    assert "\\href is not allowed" in finding.message


def test_check_articles_names_the_formula_and_exits_1():
    make_article("Hibás képlet", body=BODY, slug="hibas-keplet")
    out = io.StringIO()
    with pytest.raises(CommandError) as raised:
        call_command("check_articles", stdout=out, no_color=True)
    assert raised.value.returncode == 1
    output = out.getvalue()
    assert "error [math_katex] A(z) 9. sor képlete nem szedhető (\\frac{a}{b)" in output
    assert "KaTeX parse error" in output


@pytest.mark.parametrize("url", ["/feed/rss/", "/feed/atom/"])
def test_feeds_carry_mathml_without_katex_spans_or_delimiters(client, settings, url):
    settings.CIKK_SITE_URL = "https://cikk.example"
    make_article("Kamatos kamat", body=BODY)
    root = ET.fromstring(client.get(url).content)
    if url.endswith("rss/"):
        content = root.find("channel/item").findtext("content:encoded", namespaces=NS)
    else:
        content = root.find("atom:entry", NS).findtext("atom:content", namespaces=NS)
    assert content.count("<math xmlns=") == 4
    assert 'display="block"' in content
    assert "katex-html" not in content and "katex-mathml" not in content
    assert "mord" not in content and "vlist" not in content  # no glyph spans
    assert "\\(" not in content and "\\[" not in content and "$$" not in content
    assert '<annotation encoding="application/x-tex">\nP (1 + r)^n\n</annotation>' in content
    assert "\\frac{a}{b" in content  # the broken one, as its TeX
    tree = parse(content)
    assert len(tree.find_all("math")) == 4
    assert not tree.find_all("span", "katex-html")


def test_mathml_only_keeps_the_rest_of_the_html_as_it_is():
    html = render("A $$x$$ és **vastag** [link](/cikk/a/).\n\n$$\ny\n$$").html
    slim = mathml_only(html)
    assert "<strong>vastag</strong>" in slim and 'href="/cikk/a/"' in slim
    assert slim.count("<math") == 2
    # Every element is closed where it was opened: the spans that remain balance.
    assert slim.count("<span") == slim.count("</span>")
    assert mathml_only("<p>nincs képlet</p>") == "<p>nincs képlet</p>"


def test_search_snippet_shows_formulas_as_their_tex(client):
    make_article("Befektetés", body=BODY)
    html = client.get("/kereses/", {"q": "forintot"}).content.decode()
    raw = html.split('class="card__snippet">')[1].split("</p>")[0]
    assert "Ha P <mark>forintot</mark> fektetünk be évi r kamatra, akkor n év múlva:" in raw
    assert "\\(" not in raw and "mord" not in raw and "katex" not in raw


def test_search_text_and_visible_text_have_tex_without_delimiters():
    article = make_article("Befektetés", body=BODY)
    assert "ha p forintot fektetunk be evi r kamatra" in " ".join(article.search_text.split())
    assert "p (1 + r)^n" in article.search_text
    assert "\\(" not in article.search_text and "\\[" not in article.search_text
    text = " ".join(visible_text(article.body_html).split())
    assert "Ha P forintot fektetünk be évi r kamatra, akkor n év múlva: P (1 + r)^n" in text
    assert text == " ".join(render(BODY).text.split())


def test_visible_text_is_linear_on_hostile_markup():
    # An author may write class="katex-mathml" in raw HTML: no formula shape, no rescans.
    hostile = '<span class="katex-mathml">x</span>' * 20_000
    assert visible_text(hostile) == "x" * 20_000


def test_admin_preview_is_the_server_render_byte_for_byte(client):
    editor = User.objects.create_superuser("szerk", password="x")
    client.force_login(editor)
    response = client.post(
        "/markdownx/markdownify/", {"content": BODY}, HTTP_X_REQUESTED_WITH="XMLHttpRequest"
    )
    assert response.status_code == 200
    preview = response.content.decode()
    assert preview == render(BODY).html
    assert preview.count("<math") == 4


def test_export_writes_the_authors_dollar_source(tmp_path):
    make_article("Kamatos kamat", body=BODY, slug="kamatos-kamat")
    call_command("export_articles", str(tmp_path), stdout=io.StringIO())
    exported = (tmp_path / "kamatos-kamat.md").read_text(encoding="utf-8")
    assert BODY.strip() in exported
    assert "katex" not in exported and "<math" not in exported


def test_formula_report_lists_tex_display_line_and_error():
    rendered = render(BODY)
    assert [(f.tex, f.display, f.line, bool(f.error)) for f in rendered.formulas] == [
        (" P ", False, 3, False),
        ("r", False, 3, False),
        ("n", False, 3, False),
        ("\nP (1 + r)^n\n", True, 5, False),
        ("\\frac{a}{b", False, 9, True),
    ]
    assert re.match(r"KaTeX parse error: ", rendered.formulas[-1].error)


def test_saving_again_typesets_from_the_cache():
    from articles import katex

    article = make_article("Gyorsítótár", body="Lásd $$\\int_0^1 x\\,dx = \\tfrac12$$ itt.")
    setter = katex.typesetter()
    key = (katex.katex_version(), False, "\\int_0^1 x\\,dx = \\tfrac12")
    cached = setter.cache.get(key)
    assert cached is not None and cached.error is None
    article.save()
    assert cached.html in article.body_html


def test_renderer_version_names_katex_and_is_stored_with_the_article():
    from articles import katex
    from articles.render import renderer_version

    assert renderer_version().endswith(f"+katex-{katex.katex_version()}")
    article = make_article("Verzió", body="$$x$$")
    assert article.render_report["renderer"] == renderer_version()
    assert not [f for f in check_article(article) if f.code == "render_stale"]


def test_html_older_than_the_renderer_is_flagged_and_rerender_upgrades_it():
    from articles.render import renderer_version

    article = make_article("Régi", body="Képlet: $$a^2$$.", slug="regi")
    old_report = {**article.render_report, "renderer": "cikk-1+katex-0.16.9"}
    # What a KaTeX-in-the-browser era row looked like: TeX for a script to typeset.
    Article.objects.filter(pk=article.pk).update(
        body_html='<p>Képlet: <span class="math math-inline">\\(a^2\\)</span>.</p>',
        render_report=old_report,
    )
    article.refresh_from_db()
    (stale,) = [f for f in check_article(article) if f.code == "render_stale"]
    assert stale.level == "warning"
    assert "cikk-1+katex-0.16.9" in stale.message and renderer_version() in stale.message
    assert "rerender_articles" in stale.message
    out = io.StringIO()
    with pytest.raises(CommandError):  # the factory's article has no cover: an error too
        call_command("check_articles", stdout=out, no_color=True)
    assert "warning [render_stale]" in out.getvalue()

    out = io.StringIO()
    call_command("rerender_articles", stdout=out, verbosity=2)
    assert "changed  regi" in out.getvalue()
    article.refresh_from_db()
    assert article.render_report["renderer"] == renderer_version()
    assert formulas(article.body_html)[0][:2] == ("inline", "a^2")
    assert "\\(" not in article.body_html
    assert not [f for f in check_article(article) if f.code == "render_stale"]


def _readme_macro_table() -> list[tuple[str, str]]:
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("Written for MathJax?", 1)[1].split("\n\n", 2)[1]
    rows = []
    for line in section.splitlines()[2:]:
        mathjax, spelling = line.strip("|").split(" | ")
        rows.append((re.search(r"`([^`]+)`", mathjax)[1], re.search(r"`([^`]+)`", spelling)[1]))
    return rows


def test_readme_writing_guide_macros_fail_in_katex_and_their_spelling_works():
    from articles import katex

    rows = _readme_macro_table()
    assert len(rows) >= 15
    for mathjax, spelling in rows:
        display = "begin{" in mathjax or "tag" in spelling
        assert katex.typeset(mathjax, display=display).error, mathjax
        assert katex.typeset(spelling, display=display).error is None, spelling

"""No author's text is lost, and ordinary Markdown is never math (issue 12, part 3).

Each row of the issue's table is a test with the HTML a reader gets.
"""

from __future__ import annotations

import time

import pytest

from articles.render import Formula, render
from articles.render_limits import RenderRefused
from tests.math_view import tex_view

LINK = 'rel="noopener noreferrer"'


@pytest.mark.parametrize(
    ("source", "html"),
    [
        ("Ha x<y és z>w, akkor…", "<p>Ha x&lt;y és z&gt;w, akkor…</p>"),
        ("If a<b and c>d then", "<p>If a&lt;b and c&gt;d then</p>"),
        (
            "Ha r<g, akkor a vagyon nő; ha r>g, akkor csökken.",
            "<p>Ha r&lt;g, akkor a vagyon nő; ha r&gt;g, akkor csökken.</p>",
        ),
        (
            "Ha a hozam<infláció és a kamat>0, …",
            "<p>Ha a hozam&lt;infláció és a kamat&gt;0, …</p>",
        ),
        (
            "[cikk](https://doi.org/S1364\\(19\\)30-0)",
            f'<p><a href="https://doi.org/S1364(19)30-0" {LINK}>cikk</a></p>',
        ),
        ("Lásd \\[1\\] és \\[2\\].", "<p>Lásd [1] és [2].</p>"),
        (
            "- $$\n  \\begin{align*}a&=b\\\\\n  c&=d\\end{align*}\n  $$\n- más",
            '<ul>\n<li><div class="math math-display">\\[\n  \\begin{align*}a&amp;=b\\\\\n'
            "  c&amp;=d\\end{align*}\n  \\]</div></li>\n<li>más</li>\n</ul>",
        ),
        (
            "- Tétel:\n\n  $$\n  x^2\n  $$\n\n- Másik",
            '<ul>\n<li>\n<p>Tétel:</p>\n<div class="math math-display">\\[\n  x^2\n  \\]</div>\n'
            "</li>\n<li>\n<p>Másik</p>\n</li>\n</ul>",
        ),
        (
            "$$\n\\begin{aligned}\na_1 &= b_1 \\\\\n\nc_2 &= d_2\n\\end{aligned}\n$$",
            '<div class="math math-display">\\[\n\\begin{aligned}\na_1 &amp;= b_1 \\\\\n\n'
            "c_2 &amp;= d_2\n\\end{aligned}\n\\]</div>",
        ),
    ],
)
def test_the_issue_table(source, html):
    # Formulas compared as their TeX (tests/math_view.py): KaTeX's own markup is tested apart.
    assert tex_view(render(source).html) == html


def test_a_display_block_with_a_blank_line_is_one_formula_with_its_tex_intact():
    tex = "\n\\begin{aligned}\nx_1 &= a_1 \\\\\n\ny_2 &= \\{b\\}_2\n\\end{aligned}\n"
    rendered = render(f"Előtte:\n\n$${tex}$$\n\nUtána.")
    assert rendered.formulas == [Formula(tex=tex, display=True, line=3)]
    assert rendered.html.startswith("<p>Előtte:</p>\n<div")
    assert rendered.html.endswith("</div>\n<p>Utána.</p>")
    assert "<em>" not in rendered.html


def test_an_unclosed_display_opener_does_not_swallow_a_later_inline_formula():
    rendered = render("$$\nx_1\n\nSzöveg $$y$$ itt.")
    assert rendered.formulas == [Formula("y", False, 4)]
    assert rendered.html.startswith("<p>$$\nx_1</p>")
    assert any("$$" in warning for warning in rendered.warnings)


def test_the_formula_report_names_tex_kind_and_line():
    rendered = render("Cím\n\nSzöveg $$a_1$$ és\n\n$$\nb^2\n$$\n\n- $$\n  c\n  $$\n")
    assert rendered.formulas == [
        Formula("a_1", False, 3),
        Formula("\nb^2\n", True, 5),
        Formula("\n  c\n  ", True, 9),
    ]
    assert (rendered.math_inline, rendered.math_display) == (1, 2)


@pytest.mark.parametrize(
    "source",
    [
        "[a](https://example.com/$$x$$)",
        '[a](https://example.com/ "cím $$x$$")',
        "![kép](/media/$$a$$.png)",
        "[a][r]\n\n[r]: https://example.com/$$x$$",
        "<https://example.com/$$x$$>",
        "`$$x$$`",
        "```\n$$x$$\n```",
        '<abbr title="$$x$$">ÁFA</abbr>',
        '<span title="a<b $$x$$">t</span>',
    ],
)
def test_link_destinations_autolinks_code_and_attribute_values_are_never_math(source):
    rendered = render(source)
    assert rendered.formulas == []
    assert "$$x$$" in rendered.html or "$$a$$" in rendered.html


def test_escaped_dollar_and_parentheses_are_markdown_escapes():
    assert render("Ár: \\$5, \\(nem képlet\\), \\[1\\]").html == (
        "<p>Ár: $5, (nem képlet), [1]</p>"
    )


def test_removed_elements_keep_their_text_and_are_reported():
    rendered = render("A <font color=red>piros</font> és <marquee>futó</marquee> szöveg.")
    assert rendered.html == "<p>A piros és futó szöveg.</p>"
    assert rendered.removed == ["<font>", "<marquee>"]


def test_script_and_style_text_is_not_prose():
    rendered = render("Előtte <script>alert(1)</script> utána <style>p{}</style>.")
    assert "alert" not in rendered.html and "p{}" not in rendered.html
    assert rendered.removed == ["<script>", "<style>"]


def test_a_tag_shaped_prose_lt_is_text_but_real_tags_stay_tags():
    rendered = render("<b>félkövér</b>, de a<b and c>d és <i class=x>dőlt</i> <x-y>")
    assert rendered.html == (
        '<p><b>félkövér</b>, de a&lt;b and c&gt;d és <i class="x">dőlt</i> &lt;x-y&gt;</p>'
    )


def test_lt_inside_code_stays_code():
    rendered = render("`a<b>c` és\n\n    x<y\n")
    assert "<code>a&lt;b&gt;c</code>" in rendered.html
    assert "x&lt;y" in rendered.html
    assert "&amp;lt;" not in rendered.html


@pytest.mark.parametrize(
    "hostile",
    [
        "<a b" * 20000,
        '<a b="' * 20000,
        "](" * 40000,
        "[x](" + "(" * 40000,
        "$$\n" * 20000,
        "- $$\n" * 20000,
        "<" * 80000,
        "a<b " * 10000,
        "x `" * 20000,
        "```a\n" * 20000,
        "```\n~~~\n````\n" * 5000,
    ],
)
def test_every_step_stays_linear_on_hostile_input(hostile):
    """~80 kB of hostile text renders in about a second or two (plain Python-Markdown spends
    over a minute on "<a b" * 20000: the escaped prose "<" never reaches its HTML pattern)."""
    start = time.process_time()
    try:
        render(hostile)
    except RenderRefused as refused:  # the cost check refused it up front, naming it
        assert refused.line >= 1 and str(refused)
    assert time.process_time() - start < 8

"""Math rules, one test each: kramdown-style $$ (\\( and \\[ are escapes), money, code."""

from __future__ import annotations

from html import unescape

import pytest

from articles.render import render
from tests.html_tree import parse


def inline(html: str) -> list[str]:
    """TeX of every inline formula (delimiters stripped), as a reader's browser gets it."""
    return [s.text()[2:-2] for s in parse(html).find_all("span", "math-inline")]


def display(html: str) -> list[str]:
    return [d.text()[2:-2] for d in parse(html).find_all("div", "math-display")]


def test_double_dollars_in_running_text_are_inline():
    rendered = render(r"Közelíteni $$\mathbb{R}^n$$ egy kompakt részhalmazán.")
    assert rendered.html == (
        '<p>Közelíteni <span class="math math-inline">\\(\\mathbb{R}^n\\)</span>'
        " egy kompakt részhalmazán.</p>"
    )
    assert (rendered.math_inline, rendered.math_display) == (1, 0)


def test_double_dollars_as_a_paragraph_of_their_own_are_display():
    rendered = render("Előtte.\n\n$$ E = mc^2 $$\n\nUtána.")
    assert rendered.html == (
        '<p>Előtte.</p>\n<div class="math math-display">\\[ E = mc^2 \\]</div>\n<p>Utána.</p>'
    )
    assert (rendered.math_inline, rendered.math_display) == (0, 1)


def test_multiline_display_directly_after_a_text_line():
    source = "amelyre:\n$$\n\\sup_{x \\in K} \\left| f(x) \\right| < \\varepsilon,\n$$\n\nahol"
    rendered = render(source)
    assert display(rendered.html) == ["\n\\sup_{x \\in K} \\left| f(x) \\right| < \\varepsilon,\n"]
    assert rendered.html.startswith('<p>amelyre:</p>\n<div class="math math-display">')
    assert rendered.html.endswith("</div>\n<p>ahol</p>")


def test_multiline_display_followed_directly_by_text():
    rendered = render("Legyen\n$$\na_1 \\\\ b_2\n$$\nahol a szöveg folytatódik.")
    assert display(rendered.html) == ["\na_1 \\\\ b_2\n"]
    assert rendered.html.endswith("<p>ahol a szöveg folytatódik.</p>")


def test_display_inside_a_list_item_stays_in_the_item():
    html = render("- Tétel:\n\n    $$\n    x^2\n    $$\n\n- Másik").html
    first_item = parse(html).find("li")
    assert "math-display" in first_item.find("div").classes


@pytest.mark.parametrize(
    ("source", "tex"),
    [
        # Own lines inside the quote, with quote-blank lines around.
        ("> Idézet:\n>\n> $$\n> a^2+b^2\n> $$\n>\n> vége", "\na^2+b^2\n"),
        # Directly between two quoted text lines.
        ("> Előtte\n> $$\n> y_1\n> $$\n> utána", "\ny_1\n"),
        # A quoted paragraph of its own.
        ("> Előtte\n>\n> $$ x^2 $$\n>\n> utána", " x^2 "),
        # Nested quotes: every level's markers are left out of the TeX.
        ("> > $$\n> > z_1 \\\\\n> > z_2\n> > $$", "\nz_1 \\\\\nz_2\n"),
    ],
)
def test_display_math_in_a_blockquote_stays_display_in_the_quote(source, tex):
    """The quote markers of each line are not TeX, and the formula stays inside the quote."""
    rendered = render(source)
    quote = parse(rendered.html).find("blockquote")
    formulas = [d.text()[2:-2] for d in quote.find_all("div", "math-display")]
    assert formulas == [tex]
    assert ">" not in unescape(formulas[0])
    assert rendered.html.count("<blockquote>") == source.split("\n")[0].count(">")
    # The quote's text is still in the same quote, not split into a second one.
    text = " ".join(parse(rendered.html).find("blockquote").text().split())
    for word in ("Idézet", "Előtte", "utána", "vége"):
        if word in source:
            assert word in text


def test_inline_math_over_two_quoted_lines_loses_the_markers():
    rendered = render("> Inline $$ a +\n> b $$ itt.")
    assert inline(rendered.html) == [" a +\nb "]
    assert rendered.html.count("<blockquote>") == 1


def test_single_dollar_is_money_never_math():
    source = "Az ár $5, a céltár $10, és 10 $-ért vettük; 3$ és $ 4."
    rendered = render(source)
    assert rendered.html == f"<p>{source}</p>"
    assert rendered.math_inline == rendered.math_display == 0


def test_escaped_dollars_are_literal_dollars():
    rendered = render(r"Ára \$5, és ez sem képlet: \$\$x_1\$\$.")
    assert rendered.html == "<p>Ára $5, és ez sem képlet: $$x_1$$.</p>"
    assert rendered.math_inline == 0


def test_escaped_dollar_inside_math_does_not_close_it():
    assert inline(render(r"Ár: $$\$5 + x$$ összesen.").html) == [r"\$5 + x"]


def test_math_in_a_code_span_stays_code():
    rendered = render("Írd így: `$$x_1$$` vagy `\\(a\\)`.")
    assert "<code>$$x_1$$</code>" in rendered.html
    assert "<code>\\(a\\)</code>" in rendered.html
    assert rendered.math_inline == 0


def test_math_in_a_fenced_code_block_stays_code():
    rendered = render("```latex\n$$\nx_1\n$$\n```\n\nUtána $$y$$.")
    assert rendered.math_display == 0 and rendered.math_inline == 1
    code = parse(rendered.html).find("code")
    assert unescape(code.text()) == "$$\nx_1\n$$\n"


def test_math_in_an_indented_code_block_stays_code():
    rendered = render("Példa:\n\n    $$a_b$$ és \\(c\\)\n\nVége.")
    assert rendered.math_inline == rendered.math_display == 0
    assert "$$a_b$$ és \\(c\\)" in unescape(parse(rendered.html).find("code").text())


def test_pipe_inside_math_does_not_split_a_table_cell():
    source = "| Képlet | Jelentés |\n|---|---|\n| $$\\left| x \\right|$$ | abszolút érték |\n"
    tree = parse(render(source).html)
    cells = [td.text() for td in tree.find_all("td")]
    assert cells == ["\\(\\left| x \\right|\\)", "abszolút érték"]


def test_unclosed_double_dollar_stays_text_and_warns():
    rendered = render("Az ár $$5 millió, semmi több.\n\nÚj bekezdés $$x$$.")
    assert "<p>Az ár $$5 millió, semmi több.</p>" in rendered.html
    assert inline(rendered.html) == ["x"]  # a blank line ends the search for a closing $$
    assert any("$$" in w and "1. sor" in w for w in rendered.warnings)


def test_math_never_spans_a_blank_line():
    rendered = render("Első $$a\n\nb$$ második.")
    assert rendered.math_inline == rendered.math_display == 0


def test_backslash_paren_is_a_markdown_escape_not_math():
    """kramdown: math is $$ only; \\( is an escaped parenthesis."""
    rendered = render(r"Legyen \(f(x) = x_1^2\) adott.")
    assert rendered.html == "<p>Legyen (f(x) = x_1^2) adott.</p>"
    assert rendered.formulas == []


def test_backslash_bracket_is_a_markdown_escape_not_math():
    rendered = render("Legyen\n\\[\n\\int_0^1 x\\,dx\n\\]\nvége.")
    assert rendered.math_display == rendered.math_inline == 0
    assert rendered.html == "<p>Legyen\n[\n\\int_0^1 x\\,dx\n]\nvége.</p>"


def test_escaped_backslash_before_paren_is_not_math():
    rendered = render(r"Útvonal: C:\\(mappa).")
    assert rendered.math_inline == 0


def test_html_special_characters_are_escaped_not_stripped():
    rendered = render("Ha $$a<b$$ és $$c > d \\& e$$ akkor.")
    assert '<span class="math math-inline">\\(a&lt;b\\)</span>' in rendered.html
    assert inline(rendered.html) == ["a<b", "c > d \\& e"]


@pytest.mark.parametrize(
    "tex",
    [
        r"x_1 + y_2 = z_{i_j}",  # underscores: no <em>
        r"\{ x \mid x > 0 \}",  # \{ and \} kept
        r"a \\ b",  # a TeX line break
        r"\_ \* \# \`",  # Markdown escapes are not processed inside math
        r'"idézet" -- ``x\'\'',  # no smart quotes or dashes
        r"**nem félkövér** [nem link](x)",
        r"\text{<!-- nem megjegyzés -->}",
        r"\left| x \right|",
        r"\begin{pmatrix} a & b \\ c & d \end{pmatrix}",
        r"\sum_{i=1}^{n} i^2 ~ \approx",
    ],
)
def test_tex_reaches_the_page_byte_for_byte(tex):
    html = render(f"Képlet: $$ {tex} $$ vége.").html
    assert inline(html) == [f" {tex} "]


def test_math_in_a_heading_keeps_a_clean_id():
    rendered = render("## Az $$x_1$$ tétel")
    assert rendered.headings[0].id == "az-x_1-tetel"
    assert inline(rendered.html) == ["x_1"]


def test_math_inside_a_raw_html_block():
    html = render(
        '<div class="custom-text-box">\n<h2>Doboz</h2>\n<p>Ha $$x_1$$ igaz.</p>\n</div>'
    ).html
    assert inline(html) == ["x_1"]


def test_math_in_a_comment_is_removed_with_the_comment():
    rendered = render("Látható.\n\n<!-- $$titok$$ -->\n\nTovább.")
    assert "titok" not in rendered.html
    assert rendered.math_inline == 0


def test_several_formulas_on_one_line_and_emphasis_around_them():
    html = render("*Ha* $$a_1$$ és $$b_2$$, _akkor_ $$c_3$$.").html
    assert inline(html) == ["a_1", "b_2", "c_3"]
    assert "<em>Ha</em>" in html and "<em>akkor</em>" in html


def test_empty_double_dollars_are_not_math():
    rendered = render("Üres: $$$$ és $$ $$.")
    assert rendered.math_inline == rendered.math_display == 0
    assert "$$$$" in rendered.html

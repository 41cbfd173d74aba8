"""Property-based tests: whatever the text, render() does not raise and emits nothing that runs.

Two generators: arbitrary Unicode text, and text assembled from the fragments hostile input is
made of (angle brackets, math delimiters, comment markers, URL schemes, handler names, quotes),
which reaches the interesting parser states far more often than random characters do.
"""

from __future__ import annotations

from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from articles.render import Rendered, render
from tests.html_tree import assert_inert, parse

FRAGMENTS = [
    "<", ">", "</", "/>", "<!--", "-->", "--!>", "<!", "$$", "$", "\\(", "\\)", "\\[", "\\]",
    "\\", "\\$", "`", "```", "~~", "*", "_", "|", "---", "\n", "\n\n", "    ", " ", "- ", "1. ",
    "# ", "> ", "[", "]", "(", ")", "![", "{:", "}", "#", "=", '"', "'", "&", "&#", ";", ":",
    "javascript:", "JaVaScRiPt:", "vbscript:", "data:", "jav&#x09;ascript:", "&#106;", "on",
    "onerror", "onload", "onclick=", "alert(1)", "script", "<script>", "</script>", "img",
    "<img src=x onerror=alert(1)>", "svg", "<svg", "math", "<math>", "iframe", "style",
    "style=", "url(", "expression(", "position:fixed", "href=", "src=", "a", "div", "span",
    '<a href="', '<div class="custom-text-box">', "</div>", "<p>", "x", "Ár", "ő", "\t", "\x00",
]  # fmt: skip

hostile_text = st.lists(st.sampled_from(FRAGMENTS), max_size=40).map("".join)


def check(rendered: Rendered) -> None:
    assert isinstance(rendered, Rendered)
    assert_inert(rendered.html)
    assert rendered.math_inline >= 0 and rendered.math_display >= 0
    assert rendered.word_count >= 0


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=300))
@example("$$")
@example("<!--")
@example("\\(")
@example("```\n$$")
def test_arbitrary_text_renders_inert(text):
    check(render(text))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hostile_text)
@example('<a href="jav&#x09;ascript:alert(1)">x</a>')
@example("$$</span><script>alert(1)</script>$$")
@example("<!--><script>alert(1)</script>-->")
def test_markup_fragments_render_inert(text):
    check(render(text))


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=80))
def test_tex_inside_double_dollars_survives_exactly(tex):
    """Any TeX without the delimiter, a backslash, a blank line or a control character comes
    out of an inline formula exactly as written."""
    assume(tex.strip() and "$" not in tex and "\\" not in tex and "\n" not in tex)
    assume(all(ch >= " " and ch not in "\x7f\r\x0b\x0c" for ch in tex))
    assume(not any(0x80 <= ord(ch) <= 0x9F or 0xFDD0 <= ord(ch) <= 0xFDEF for ch in tex))
    assume(not any((ord(ch) & 0xFFFE) == 0xFFFE for ch in tex))
    assume("\t" not in tex)
    spans = parse(render(f"Képlet: $${tex}$$ itt.").html).find_all("span", "math-inline")
    assert [span.text() for span in spans] == [f"\\({tex}\\)"]


# Words no HTML element is named after, and the Markdown syntax they are mixed with. Left out on
# purpose, because there the author's text is not prose: link destinations ("(" and ")"), link
# reference definitions (":"), footnotes ("^"), attribute lists ("{"), comments and entities.
WORDS = ["ár", "kamat", "hozam", "infláció", "tőke", "részvény", "piac", "x", "y", "nő"]
SYNTAX = [
    " ", " ", "\n", "\n\n", "    ", "*", "**", "_", "__", "`", "```", "~~", "# ", "## ", "- ",
    "1. ", "> ", "|", "---", "===", "[", "]", "<", ">", "</", "$$", "$", "\\", "\\(", "\\)",
    "\\[", "\\]", "\\$", "<b>", "</b>", "<em>", "<div>", "</div>", "<span>", "<font>", "!",
    "[link](/cikk/l/)", "![kép](/media/a.png)", "<https://example.com/>", "=", '"', "'",
]  # fmt: skip

markdownish = st.lists(st.one_of(st.sampled_from(WORDS), st.sampled_from(SYNTAX)), max_size=60)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(markdownish)
@example(["x", "<", "y", " és z>w, akkor ", "ár"])
@example(["If a", "<", "b and c>d then ", "kamat"])
@example(["- $$\n  ", "x", "\n\n  ", "y", "\n  $$\n- ", "piac"])
def test_every_visible_word_reaches_the_reader_and_nothing_runs(tokens):
    """Whatever Markdown-ish text an author writes, each of its words is in the text a reader
    gets (markup syntax aside), and the HTML is inert."""
    text = "".join(tokens)
    assume("<!--" not in text)  # an HTML comment is the author's draft note: hidden on purpose
    rendered = render(text)
    assert_inert(rendered.html)
    shown = parse(rendered.html).text()
    for word in dict.fromkeys(token for token in tokens if token in WORDS):
        assert word in shown, f"{word!r} lost from {text!r}: {rendered.html!r}"

"""The renderer's shortcuts give exactly what the code they shortcut gives.

Three places were made cheaper for the import's sake (bench/README.md, "Import"): the Markdown
inline pass skips patterns that cannot match, the sanitizer's tokenizer reads a well-formed tag
in one step, and accent folding is one translate table. Each is compared here with the stock
code it replaces, on the magazine's article, the sample content, the hostile inputs and
generated soups that reach the edge cases (parse errors, odd quoting, combining marks).
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
from bleach import html5lib_shim
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown.treeprocessors import InlineProcessor

from articles import html_tokenizer
from articles.html_tokenizer import FastTagHTMLParser, FastTagTokenizer
from articles.rendering import (
    QUICK_INLINE,
    _build_markdown,
    _needed_characters,
    _QuickInlineProcessor,
)
from articles.sanitize import Sanitizer, walk_tokens
from articles.text import fold_accents
from tests.test_sanitizer import HOSTILE, WALKER_CASES

CONTENT = Path(__file__).resolve().parent.parent / "content"

# --------------------------------------------------------------------------- Markdown inline pass

_INLINE = [
    "**", "__", "*", "_", "*a*", "_b_", "***c***", "[a](b)", "[a](<b c>)", "![i](x.png)",
    '![i](x.png "t")', "<http://x.hu>", "<a@b.c>", "  \n", "\n", "\n\n", "&copy;", "&amp;",
    "&#169;", "\\*", "\\_", "\\[", "~~x~~", "~", "~~", "[^1]", "\n\n[^1]: láb\n\n", "[ref]",
    "[ref][]", "[x][ref]", '\n\n[ref]: http://x.hu "T"\n\n', "`code`", "``co`de``", " ", "szó",
    "<b>", "</b>", '<span class="x">', "</span>", "$$x^2$$", "\\(a\\)", "\n\n# Cím *em*\n\n",
    "\n\n## Alcím {#sajat}\n\n", "{: .cls }", "\n\n- elem\n- elem2\n\n", "\n\n> idézet\n\n",
    "\n\n| a | b |\n|---|---|\n| 1 | *2* |\n\n", "\n\n```\nx = 1\n```\n\n", "[TOC]",
    '\n\n<div markdown="1">\n\n', "\n\n</div>\n\n", "'", '"', "’", "—",
]  # fmt: skip


def _stock_markdown():
    md = _build_markdown()
    md.treeprocessors.register(InlineProcessor(md), "inline", 20)
    return md


_QUICK = _build_markdown()
_STOCK = _stock_markdown()


def _convert(md, text: str) -> tuple[str, list]:
    md.reset()
    html = md.convert(text)
    return html, getattr(md, "toc_tokens", [])


def test_the_renderer_uses_the_quick_inline_pass():
    # False would mean Python-Markdown's private inline methods changed (an upgrade): the
    # renderer then falls back to the stock pass; re-check _QuickInlineProcessor against the
    # new code before updating the fingerprint.
    assert QUICK_INLINE
    assert isinstance(_QUICK.treeprocessors["inline"], _QuickInlineProcessor)
    assert type(_STOCK.treeprocessors["inline"]) is InlineProcessor
    # Every pattern has its needed characters (a regex changed by an upgrade loses them).
    assert all(_needed_characters(p) for p in _QUICK.inlinePatterns)


def _sources(seed_text: str) -> list[str]:
    return [seed_text, *(p.read_text(encoding="utf-8") for p in sorted(CONTENT.glob("*.md")))]


def test_quick_inline_pass_equals_the_stock_one_on_real_articles(seed_text):
    for text in _sources(seed_text):
        assert _convert(_QUICK, text) == _convert(_STOCK, text)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_INLINE) | st.text(max_size=4), max_size=40).map("".join))
def test_quick_inline_pass_equals_the_stock_one_on_inline_soup(text):
    assert _convert(_QUICK, text) == _convert(_STOCK, text)


# --------------------------------------------------------------------------- tokenizer


def _tokens(tokenizer_class, html: str) -> tuple[list[dict], str]:
    """The token stream as the sanitizer's parser would read it, and the stream's memory of
    the last tag (bleach reads it back at the end of a broken document)."""
    parser = html5lib_shim.BleachHTMLParser(
        tags=None, strip=True, consume_entities=False, namespaceHTMLElements=False
    )
    parser.innerHTMLMode, parser.container, parser.scripting = True, "div", True
    tokenizer = tokenizer_class(stream=html, consume_entities=False, parser=parser)
    return list(tokenizer), tokenizer.stream.get_tag()


def _assert_same_tokens(html: str) -> None:
    assert _tokens(FastTagTokenizer, html) == _tokens(html5lib_shim.BleachHTMLTokenizer, html)


@pytest.mark.parametrize("source", [*HOSTILE, *WALKER_CASES[len(HOSTILE) :]])
def test_fast_tokenizer_equals_bleachs_on_hostile_input(source):
    _assert_same_tokens(source)
    _assert_same_tokens(_STOCK.convert(source))


def test_fast_tokenizer_equals_bleachs_on_rendered_articles(seed_text):
    for text in _sources(seed_text):
        _STOCK.reset()
        _assert_same_tokens(_STOCK.convert(text))


_TAG_PIECES = [
    "<", ">", "</", "/>", "/", " ", "\t", "\n", "\r", "\r\n", "\x0c", "=", '"', "'", "`", "&",
    "&amp;", "\x00", "a", "A", "p", "img", "dIv", "x", "-", "é", "<a ", ' href="', "src=x",
    " CLASS='k'", " class=", " title=\"a>b\"", "<br/>", "<br />", "<!--", "-->", "<script>",
    "</script>", "<style>", "<textarea>", "<title>", "<svg>", "<math>", "<![CDATA[", "]]>",
    "<?", "<!x>", "<p", "</p >", "</P x>", " a=1 a=2", " A=1 a=2", "\ud800", "\x01", "\ufffe",
    "\U0010ffff",
]  # fmt: skip


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(_TAG_PIECES) | st.text(max_size=3), max_size=40).map("".join))
def test_fast_tokenizer_equals_bleachs_on_tag_soup(html):
    _assert_same_tokens(html)


@settings(max_examples=50, deadline=None)
@given(
    st.integers(min_value=0, max_value=40),
    st.lists(st.sampled_from(_TAG_PIECES), min_size=5, max_size=40).map("".join),
)
def test_fast_tokenizer_equals_bleachs_across_the_streams_chunk_boundary(shift, tail):
    # html5lib reads its input in 10,240-character chunks; a tag cut by the boundary is read
    # by the slow path, one at the boundary's edge by the fast one.
    _assert_same_tokens("x" * (10240 - shift) + tail * 3)


def _stock_sanitizer() -> Sanitizer:
    sanitizer = Sanitizer()
    sanitizer.parser = html5lib_shim.BleachHTMLParser(
        tags=None, strip=True, consume_entities=False, namespaceHTMLElements=False
    )
    return sanitizer


_FAST_SANITIZER, _STOCK_SANITIZER = Sanitizer(), _stock_sanitizer()


def test_the_sanitizer_parses_with_the_fast_tokenizer():
    # False would mean bleach's or html5lib's internals changed (an upgrade): the sanitizer
    # then uses bleach's own parser; re-check html_tokenizer against the new code first.
    assert html_tokenizer.FAST_TAGS
    assert isinstance(_FAST_SANITIZER.parser, FastTagHTMLParser)


def test_changed_bleach_internals_get_bleachs_own_parser(monkeypatch):
    import articles.sanitize as sanitize

    monkeypatch.setattr(sanitize, "FAST_TAGS", False)
    fallback = Sanitizer()
    assert type(fallback.parser) is html5lib_shim.BleachHTMLParser
    html = '<p class="x">a <a href="https://example.org" onclick="x()">b</a><script>c</script></p>'
    assert fallback.clean(html) == _FAST_SANITIZER.clean(html)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_TAG_PIECES) | st.text(max_size=3), max_size=40).map("".join))
def test_sanitizer_output_equals_the_stock_parsers_on_tag_soup(html):
    """End to end through the parser, which also skips html5lib's invalid-code-point scan
    when a quick superset scan finds none: same tree, same parse errors, same output."""
    fast, stock = _FAST_SANITIZER.parser, _STOCK_SANITIZER.parser
    assert list(walk_tokens(fast.parseFragment(html))) == list(
        walk_tokens(stock.parseFragment(html))
    )
    assert fast.errors == stock.errors
    assert _FAST_SANITIZER.clean(html) == _STOCK_SANITIZER.clean(html)


def test_sanitizer_output_equals_the_stock_parsers_on_hostile_input_and_articles(seed_text):
    sources = [*HOSTILE, *WALKER_CASES, "\x01<p a=\ufffe>x\U0002fffe</p>", "<p>\ud800</p>"]
    for text in _sources(seed_text):
        _STOCK.reset()
        sources.append(_STOCK.convert(text))
    for html in sources:
        assert _FAST_SANITIZER.clean(html) == _STOCK_SANITIZER.clean(html)


def test_fast_tokenizer_reads_well_formed_tags_in_one_step(monkeypatch):
    """The shortcut is taken (not silently bypassed): html5lib's per-character tag-name state
    never runs for Markdown-shaped tags, and does for a tag with a parse error."""
    calls = []
    original = html5lib_shim.BleachHTMLTokenizer.tagNameState

    def counting(self):
        calls.append(1)
        return original(self)

    monkeypatch.setattr(html5lib_shim.BleachHTMLTokenizer, "tagNameState", counting)
    tokens, _ = _tokens(
        FastTagTokenizer,
        '<p class="x">a <a href="/b?c=1&amp;d=2" title=\'t\'>b</a><br/><img src=y alt=""></p>',
    )
    assert calls == []
    assert [t.get("name") for t in tokens if t["type"] in (3, 4)] == [
        "p",
        "a",
        "a",
        "br",
        "img",
        "p",
    ]
    _tokens(FastTagTokenizer, '<a href="x"title="y">')  # no space between attributes: an error
    assert calls


def test_fast_tokenizer_leaves_entity_consuming_parsers_to_html5lib(monkeypatch):
    monkeypatch.setattr(html_tokenizer, "_TAG", None)  # any use would raise
    parser = html5lib_shim.BleachHTMLParser(tags=None, strip=True, consume_entities=True)
    parser.innerHTMLMode, parser.container, parser.scripting = True, "div", True
    tokens = list(
        FastTagTokenizer(stream='<a href="?a=1&amp;b">', consume_entities=True, parser=parser)
    )
    assert tokens[0]["data"] == {"href": "?a=1&b"}  # the entity consumed: html5lib did it


# --------------------------------------------------------------------------- accent folding


def _fold_by_definition(text: str) -> str:
    """The original fold_accents: NFKD of the whole text, combining marks dropped."""
    table = str.maketrans(
        {"ß": "ss", "æ": "ae", "ø": "o", "đ": "d", "ł": "l", "Æ": "AE", "Ø": "O", "Ł": "L"}
    )
    decomposed = unicodedata.normalize("NFKD", text.translate(table))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


_MARKS = [chr(c) for c in range(0x300, 0x370)] + ["\u0f71", "\u0f73", "\u0345", "\u05b0", "\u1dc0"]


@settings(max_examples=500, deadline=None)
@given(
    st.lists(
        st.sampled_from([*_MARKS, "a", "ő", "É", "ß", "ﬁ", "①", "한", " "]) | st.characters(),
        max_size=30,
    ).map("".join)
)
def test_fold_accents_equals_its_definition(text):
    assert fold_accents(text) == _fold_by_definition(text)


def test_fold_accents_equals_its_definition_on_every_code_point_and_real_text(seed_text):
    for code in range(0x110000):
        ch = chr(code)
        assert fold_accents(f"e{ch}\u0301") == _fold_by_definition(f"e{ch}\u0301"), hex(code)
    for text in _sources(seed_text):
        assert fold_accents(text) == _fold_by_definition(text)


def test_a_changed_stock_inline_pass_gets_the_stock_processor(monkeypatch):
    """The guard: with the fingerprint not matching, the renderer builds the stock pass, and
    its output is the same."""
    import articles.rendering as rendering

    monkeypatch.setattr(rendering, "QUICK_INLINE", False)
    fallback = _build_markdown()
    assert type(fallback.treeprocessors["inline"]) is InlineProcessor
    text = "Egy **vastag** és *dőlt* [link](https://example.org) `kód` ~~törölt~~ szöveg."
    assert _convert(fallback, text) == _convert(_QUICK, text)

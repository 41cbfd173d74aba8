"""The renderer's shortcuts give exactly what the long way gives.

Each cheaper path in the render workers' work (the inline gate, the report built by hand, the
accent folding by replacement) is checked here against the plain way on the magazine's own
texts and on inputs made to hit its edges."""

from __future__ import annotations

from pathlib import Path

import frontmatter
import pytest

from articles.render import markdown as render_markdown
from articles.render import render

CONTENT = Path(__file__).resolve().parent.parent / "content"

# Every inline construct, alone in a node and among others: a table cell, a heading, list
# items, a footnote, raw HTML, math slots next to emphasis.
EDGES = [
    "Csak szöveg, semmi jelölés.",
    "# Cím *kiemelve*\n\n## Sima cím\n\nBekezdés [link](/a/) és `kód`.",
    "| a | *b* | `c` |\n|---|---|---|\n| 1 | [x](/y) | 3 &amp; 4 |\n| sima | cella | itt |",
    "- egy\n- **kettő**\n- három  \n  sortöréssel\n\n1. a\n2. _b_",
    "Szöveg[^1] és még[^2].\n\n[^1]: Első *láb*.\n[^2]: Második.",
    '<div class="custom-text-box">\n<h2>Doboz</h2>\n<p>Benne *nem* Markdown.</p>\n</div>\n\n'
    "Utána *igen*.",
    "Képlet $$x_1 * y_2$$ és *kiemelés* $$a_b$$ után.\n\n$$\n\\sum_i x_i\n$$\n\nVége.",
    "a\\*b\\* és <https://x.hu> meg <a@b.hu>, ~~áthúzva~~ és x < y > z.",
    '[ref][r] és [r]\n\n[r]: /r/ "Cím"\n\n![kép](/k.png) ![ref kép][r]',
    "```python\nprint('*nem*')\n```\n\n    behúzott *kód*\n\nSzöveg {: .osztaly}",
    "> idézet *benne*\n> sima sor\n\n***\n\nVége.",
]


def _texts(seed_text: str) -> list[str]:
    texts = [frontmatter.loads(seed_text).content]
    for path in sorted(CONTENT.glob("*.md")):
        texts.append(frontmatter.loads(path.read_text(encoding="utf-8")).content)
    texts.append("\n\n".join(texts))
    return texts + EDGES


def test_inline_gate_changes_no_output(seed_text, monkeypatch):
    """Text the gate marks as needing no inline pass is exactly what the pass would give."""
    texts = _texts(seed_text)
    gated = [render(text) for text in texts]
    monkeypatch.setattr(render_markdown._InlineGate, "run", lambda self, root: None)
    for text, fast in zip(texts, gated, strict=True):
        slow = render(text)
        assert fast.html == slow.html, text
        assert fast.headings == slow.headings and fast.text == slow.text


def test_inline_gate_marks_only_text_no_pattern_can_match():
    md, cikk = render_markdown._build()
    md.convert("Sima *kiemelt* [link](/a) bekezdés.")  # selects emphasis and link patterns
    gate = cikk.source.gate
    assert gate is not None and gate.gate is not None
    assert not gate.gate.search("Sima cella szöveggel, 3,5%")
    for needs_the_pass in ("a *b*", "[x](y)", "a_b", "x\x02klzzwxh:0\x03"):
        assert gate.gate.search(needs_the_pass), needs_the_pass


def test_inline_gate_is_off_when_a_pattern_is_unknown():
    from markdown.inlinepatterns import SimpleTagInlineProcessor

    md, cikk = render_markdown._build()
    md.inlinePatterns.register(SimpleTagInlineProcessor(r"(\+\+)(.+?)\+\+", "ins"), "ins", 5)
    cikk.source.gate.select(md.inlinePatterns)
    assert cikk.source.gate.gate is None
    # Without the gate every text goes through the pass, the unknown pattern included.
    assert "<ins>új</ins>" in md.convert("Sima ++új++ szöveg.")


@pytest.mark.parametrize(
    "source, html",
    [
        ("| a |\n|---|\n| sima |", "<td>sima</td>"),
        ("| a |\n|---|\n| *b* |", "<td><em>b</em></td>"),
        ("## Cím\n\n*x*", '<h2 id="cim">Cím</h2>'),
    ],
)
def test_gated_and_processed_nodes_side_by_side(source, html):
    assert html in render(source).html


def test_report_is_what_asdict_gives(seed_text):
    """report() builds the dict by hand: the same keys, order and values as asdict."""
    from dataclasses import asdict

    from articles.render import report

    texts = [
        *_texts(seed_text),
        "Nyitott $$ képlet és <!-- megjegyzés\n\n![](/nincs-alt.png) $$\\frac{1$$",
        '<script>x</script> <a href="javascript:alert(1)">a</a> <img src=x onerror=y>',
    ]
    for text in texts:
        rendered = render(text)
        expected = asdict(rendered)
        del expected["html"], expected["text"]
        got = report(rendered)
        assert list(got)[: len(expected)] == list(expected)
        assert {key: got[key] for key in expected} == expected
        assert set(got) - set(expected) == {"version", "renderer"}


@pytest.mark.parametrize(
    "source",
    [
        "```\n*kód*\n```",
        "~~~\n*kód*\n~~~",
        "``\x02`\n*kód*\n``\x03`",  # STX/ETX are deleted before fences are looked for
        "Nincs kerítés, csak ``két`` backtick.",
    ],
)
def test_fenced_code_preprocessor_left_out_only_without_a_fence(source, monkeypatch):
    fast = render(source).html
    monkeypatch.setattr(render_markdown._Selection, "select", lambda self, text: None)
    render_markdown._per_thread.built = None  # a fresh instance: every processor registered
    try:
        assert render(source).html == fast
    finally:
        render_markdown._per_thread.built = None


def test_fenced_code_is_still_code_after_a_document_without_fences():
    assert "<em>" in render("Sima *szöveg*.").html
    html = render("```\n*kód*\n```").html
    assert "<em>" not in html and "*kód*" in html


STRUCTURES = [
    "sor  \nsortörés  \n  és még egy",
    "    behúzott kód\n\n\n    üres sorral\n\n\n",
    "```\nkód\n\n\n```\n\nutána",
    "- a\n    - b\n        - c\n\n  folytatás\n\n1. x\n\n   > idézet  \n   > sor",
    "| a | b |\n|:--|--:|\n| 1 | 2 \\| 3 |",
    "| egy |\n|---|\n| oszlop |",
    "a | b\n---|---\n1 | 2",
    "Nem | tábla, csak | jel.\n\nSem ez |",
    "<div>\n<p>nyers</p>\n</div>\n\n<br>\n\nszöveg<br>után",
    "> > mély\n> > idézet\n\n***\n\n# Cím\n\n## Al\n\nVége.",
    "Szöveg[^1]\n\n[^1]: Láb  \n    több sor\n\n        kód a lábban",
    "  \n \n   \nsor\r\n  \r\n\tbehúzva\ttabbal\n \n \n\x02vége\x03 \n  ",
    "- lista\n   \n  folytatás\n    \n\n    kód\n \n    még\n",
    "Cím\n===\n\nAlcím\n---\n\nSzöveg\n- lista?\n\nEgy\n=nem cím\n\n#címke nem cím\n\n###### Hat",
    "sor\n> idézet a bekezdésben\n\n   > behúzott\n\na > b és #1 | cső\n\n> > > mély",
]


def test_own_processors_give_the_stock_output(seed_text, monkeypatch):
    """Our whitespace normaliser, prettify and the block tests behind their quick checks,
    against Python-Markdown's own, on every text above and the magazine's."""
    texts = _texts(seed_text) + STRUCTURES
    ours = [render(text).html for text in texts]
    monkeypatch.setattr(render_markdown, "_Needs", lambda inner, needles: inner)
    monkeypatch.setattr(
        render_markdown, "_PrettifyTreeprocessor", lambda md: md.treeprocessors["prettify"]
    )
    monkeypatch.setattr(
        render_markdown, "_NormalizeWhitespace", lambda md: md.preprocessors["normalize_whitespace"]
    )
    render_markdown._per_thread.built = None
    try:
        md, _cikk = render_markdown._build()
        assert type(md.treeprocessors["prettify"]).__module__ == "markdown.treeprocessors"
        stock = type(md.preprocessors["normalize_whitespace"])
        assert stock.__module__ == "markdown.preprocessors"
        for text, html in zip(texts, ours, strict=True):
            assert render(text).html == html, text
    finally:
        render_markdown._per_thread.built = None


def test_own_processors_are_in_place():
    md, _cikk = render_markdown._build()
    normalize = md.preprocessors["normalize_whitespace"]
    assert isinstance(normalize, render_markdown._NormalizeWhitespace)
    assert md.preprocessors.get_index_for_name("normalize_whitespace") == 0
    assert isinstance(md.treeprocessors["prettify"], render_markdown._PrettifyTreeprocessor)
    for name in ("table", "hashheader", "quote", "setextheader"):
        assert isinstance(md.parser.blockprocessors[name], render_markdown._Needs), name
    index = md.treeprocessors.get_index_for_name  # in its place: after inline, before headings
    assert index("inline") < index("prettify") < index("cikk_headings")


def test_whitespace_normaliser_is_the_stock_one_on_generated_text():
    import random

    import markdown
    from markdown.preprocessors import NormalizeWhitespace

    md = markdown.Markdown()
    stock, ours = NormalizeWhitespace(md), render_markdown._NormalizeWhitespace(md)
    rng = random.Random(13)
    pieces = [" ", "  ", "\n", "\r", "\r\n", "\t", "x", "\x02", "\x03", " \n", "\n "]
    for _ in range(3000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 30)))
        lines = text.split("\n")
        assert ours.run(list(lines)) == stock.run(list(lines)), repr(text)


@pytest.mark.parametrize("tag", ["span", "div"])
@pytest.mark.parametrize("kind", ["inline", "display"])
def test_slot_shaped_tags_skip_the_verdict_only_when_the_verdict_is_nothing_removed(tag, kind):
    from articles.render.sanitize import _SLOT_ATTRIBUTES, _tag_removes, sanitize

    attributes = f' class="math math-{kind} cikkmath-0123456789abcdef-12"'
    assert _SLOT_ATTRIBUTES.fullmatch(attributes)
    assert _tag_removes(tag, attributes) == ()
    # Anything more on the tag is judged as usual.
    html = f'<p><{tag}{attributes} onclick="x">a</{tag}><{tag}{attributes}>b</{tag}></p>'
    assert sanitize(html).removed == ["onclick attribute"]

"""Reading server-typeset math in rendered HTML, for tests.

Formulas reach the page as KaTeX's HTML + MathML inside `span.math.math-inline` /
`div.math.math-display`. Tests about *where* formulas are (Markdown rules) compare HTML with
each typeset formula shown as its TeX (`tex_view`), read from KaTeX's own annotation, which
holds the TeX exactly as given. Tests about hostile input first check that every typeset formula
holds only KaTeX's drawing markup (`assert_katex_inert`), then look at the rest.
"""

from __future__ import annotations

import re
from html import escape, unescape

_OPEN = re.compile(r'<(span|div) class="math math-(inline|display)( math-error)?">')
_TAG = re.compile(r"<(/?)([a-zA-Z][\w:-]*)([^>]*)>")
_ANNOTATION = re.compile(r'<annotation encoding="application/x-tex">(.*?)</annotation>', re.S)
_ATTRIBUTE = re.compile(r'([\w:-]+)="([^"]*)"')

# Everything KaTeX 0.19 emits with trust off: its spans, MathML, and SVG for stretchy glyphs.
KATEX_TAGS = {"span", "math", "semantics", "annotation", "mrow", "mi", "mo", "mn", "ms",
              "mtext", "mspace", "msup", "msub", "msubsup", "mfrac", "msqrt", "mroot", "mover",
              "munder", "munderover", "mtable", "mtr", "mtd", "mstyle", "mpadded", "mphantom",
              "menclose", "mlabeledtr", "svg", "path", "line", "rect", "g"}  # fmt: skip
KATEX_ATTRIBUTES = {"class", "style", "aria-hidden", "xmlns", "encoding", "mathvariant",
                    "stretchy", "fence", "separator", "lspace", "rspace", "width", "height",
                    "depth", "voffset", "viewbox", "preserveaspectratio", "d", "x1", "y1", "x2",
                    "y2", "x", "y", "rx", "ry", "stroke-width", "display", "columnalign",
                    "rowalign", "rowspacing", "columnspacing", "columnlines", "rowlines",
                    "minsize", "maxsize", "accent", "accentunder", "notation", "mathcolor",
                    "mathbackground", "scriptlevel", "displaystyle", "linethickness",
                    "movablelimits", "symmetric", "largeop", "mathsize", "lquote", "rquote",
                    "frame", "framespacing", "side", "fill", "stroke"}  # fmt: skip
_BAD_CSS = ("url(", "expression", "javascript:", "@import", "behavior", "-moz-binding", "position")


def _element_end(html: str, start: int, tag: str) -> int:
    """Index just after the end tag matching the element whose start tag ends at `start`."""
    depth = 1
    for match in _TAG.finditer(html, start):
        if match.group(2).lower() != tag:
            continue
        if match.group(1):
            depth -= 1
            if depth == 0:
                return match.end()
        elif not match.group(3).rstrip().endswith("/"):
            depth += 1
    raise AssertionError(f"unclosed <{tag}> at {start}")


def formulas(html: str) -> list[tuple[str, str, str]]:
    """(kind, TeX, inner HTML) of every formula, in order; a formula KaTeX refused is its TeX
    as text (kind "inline" or "display" all the same)."""
    found = []
    position = 0
    while match := _OPEN.search(html, position):
        end = _element_end(html, match.end(), match.group(1))
        inner = html[match.end() : end - len(f"</{match.group(1)}>")]
        if match.group(3):
            assert "<" not in inner, f"markup inside a formula KaTeX refused: {inner!r}"
            found.append((match.group(2), unescape(inner), ""))
            position = end
            continue
        annotation = _ANNOTATION.search(inner)
        assert annotation, f"a math element without KaTeX output: {inner[:200]!r}"
        found.append((match.group(2), unescape(annotation.group(1)), inner))
        position = end
    return found


def tex_view(html: str) -> str:
    """`html` with each typeset formula replaced by its TeX as `\\(…\\)` or `\\[…\\]`
    (a formula KaTeX refused stays as it is: its TeX, in an element marked .math-error)."""
    out: list[str] = []
    position = 0
    while match := _OPEN.search(html, position):
        end = _element_end(html, match.end(), match.group(1))
        inner = html[match.end() : end - len(f"</{match.group(1)}>")]
        if match.group(3):
            assert "<" not in inner, f"markup inside a formula KaTeX refused: {inner!r}"
            out.append(html[position:end])
            position = end
            continue
        annotation = _ANNOTATION.search(inner)
        assert annotation, f"a math element without KaTeX output: {inner[:200]!r}"
        tex = escape(unescape(annotation.group(1)), quote=False)
        delimited = f"\\[{tex}\\]" if match.group(2) == "display" else f"\\({tex}\\)"
        out.append(html[position : match.end()] + delimited + f"</{match.group(1)}>")
        position = end
    out.append(html[position:])
    return "".join(out)


def assert_katex_inert(inner: str) -> None:
    """One formula's typeset HTML holds only KaTeX's drawing markup: no links, URLs, scripts."""
    for match in _TAG.finditer(inner):
        tag = match.group(2).lower()
        assert tag in KATEX_TAGS, f"<{tag}> inside a typeset formula: {inner[:300]!r}"
        for name, value in _ATTRIBUTE.findall(match.group(3)):
            name = name.lower()
            assert name in KATEX_ATTRIBUTES, f"{name}= inside a typeset formula"
            if name == "style":
                css = unescape(value).lower().replace(" ", "")
                assert not any(bad in css for bad in _BAD_CSS), f"style {value!r} in a formula"
        assert "=" not in _ATTRIBUTE.sub("", match.group(3)), match.group(0)  # all quoted


def without_formulas(html: str) -> str:
    """`html` with every typeset formula checked (assert_katex_inert) and then removed."""
    for _kind, _tex, inner in formulas(html):  # a refused formula's inner is ""
        assert_katex_inert(inner)
    return tex_view(html)

"""Math: the one place a formula's TeX becomes HTML, and the slots that carry it there.

Why slots: the typeset HTML of a formula is ours, not the author's, and must not pass the
sanitizer (which would have to allow everything a typesetter emits); its TeX must not pass
Markdown (which would eat `_` and backslashes). So preprocessing cuts the TeX out and puts a
slot in its place: an element with the escaped TeX as text (headings' table-of-contents names
and the plain text read it) and a class naming the formula with a per-render nonce that an
author cannot guess. The slot survives Markdown and the sanitizer as ordinary allowed markup;
`fill()` then swaps every slot for `typeset()`'s HTML, after sanitizing.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from html import escape

from articles import katex


@dataclass(frozen=True)
class Typeset:
    html: str
    error: str | None = None


@dataclass(frozen=True)
class Formula:
    """One formula as the author wrote it, for the report and the editorial checks."""

    tex: str
    display: bool
    line: int  # 1-based line of the Markdown body where it opens
    error: str | None = None


def typeset(tex: str, *, display: bool) -> Typeset:
    """HTML for one formula: KaTeX's HTML + MathML (articles.katex, run on the server) in
    `span.math.math-inline` or `div.math.math-display`. A formula KaTeX cannot typeset is its
    TeX in the same element with `.math-error` (a quiet style in content.css), and KaTeX's
    message in `error` for the editorial checks. Readers never need a script."""
    return _wrap(tex, display, katex.typeset(tex, display=display))


def typeset_many(items: list[tuple[str, bool]]) -> list[Typeset]:
    """`typeset` for every (TeX, display) of a document, with one call into KaTeX for all."""
    outputs = katex.typeset_many(items)
    return [_wrap(tex, display, out) for (tex, display), out in zip(items, outputs, strict=True)]


def _wrap(tex: str, display: bool, result: katex.Output) -> Typeset:
    tag, kind = ("div", "display") if display else ("span", "inline")
    if result.error is None:
        return Typeset(f'<{tag} class="math math-{kind}">{result.html}</{tag}>')
    return Typeset(
        f'<{tag} class="math math-{kind} math-error">{escape(tex, quote=False)}</{tag}>',
        result.error,
    )


# A slot of any render; fill() swaps only those carrying its own render's nonce. (One
# pattern for all renders: compiling one per render cost more than the swap itself.)
_SLOT = re.compile(
    r'<(span|div) class="math math-(?:inline|display) cikkmath-([0-9a-f]{16})-(\d+)">[^<]*</\1>'
)


class MathSlots:
    """The formulas of one render, in source order, and their slots."""

    def __init__(self) -> None:
        self.nonce = secrets.token_hex(8)
        self._pending: list[tuple[str, bool, int]] = []
        self._formulas: list[Formula] | None = None
        self._html: list[str] = []

    def slot(self, tex: str, display: bool, line: int) -> str:
        """Record a formula; return its slot element (HTML for Markdown's raw-HTML stash)."""
        index = len(self._pending)
        self._pending.append((tex, display, line))
        self._formulas = None
        tag, kind = ("div", "display") if display else ("span", "inline")
        # The text is the bare TeX: what the plain text (search) and heading names read.
        return (
            f'<{tag} class="math math-{kind} cikkmath-{self.nonce}-{index}">'
            f"{escape(tex, quote=False)}</{tag}>"
        )

    @property
    def formulas(self) -> list[Formula]:
        """Every formula with KaTeX's verdict: all typeset together, on first use."""
        if self._formulas is None:
            results = typeset_many([(tex, display) for tex, display, _ in self._pending])
            self._html = [result.html for result in results]
            self._formulas = [
                Formula(tex, display, line, result.error)
                for (tex, display, line), result in zip(self._pending, results, strict=True)
            ]
        return self._formulas

    def fill(self, html: str) -> str:
        """Swap every slot left in sanitized HTML for its typeset formula (one regex pass)."""
        if not self.formulas:
            return html
        nonce, typeset_html = self.nonce, self._html

        def swap(m: re.Match[str]) -> str:
            return typeset_html[int(m.group(3))] if m.group(2) == nonce else m.group(0)

        return _SLOT.sub(swap, html)

    @property
    def inline_count(self) -> int:
        return sum(1 for f in self.formulas if not f.display)

    @property
    def display_count(self) -> int:
        return sum(1 for f in self.formulas if f.display)

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
    result = katex.typeset(tex, display=display)
    tag, kind = ("div", "display") if display else ("span", "inline")
    if result.error is None:
        return Typeset(f'<{tag} class="math math-{kind}">{result.html}</{tag}>')
    return Typeset(
        f'<{tag} class="math math-{kind} math-error">{escape(tex, quote=False)}</{tag}>',
        result.error,
    )


class MathSlots:
    """The formulas of one render, in source order, and their slots."""

    def __init__(self) -> None:
        self.nonce = secrets.token_hex(8)
        self.formulas: list[Formula] = []
        self._html: list[str] = []
        self._slot = re.compile(
            rf'<(span|div) class="math math-(?:inline|display) cikkmath-{self.nonce}-(\d+)">'
            rf"[^<]*</\1>"
        )

    def slot(self, tex: str, display: bool, line: int) -> str:
        """Record a formula; return its slot element (HTML for Markdown's raw-HTML stash)."""
        index = len(self.formulas)
        result = typeset(tex, display=display)
        self.formulas.append(Formula(tex, display, line, result.error))
        self._html.append(result.html)
        tag, kind = ("div", "display") if display else ("span", "inline")
        # The text is the bare TeX: what the plain text (search) and heading names read.
        return (
            f'<{tag} class="math math-{kind} cikkmath-{self.nonce}-{index}">'
            f"{escape(tex, quote=False)}</{tag}>"
        )

    def fill(self, html: str) -> str:
        """Swap every slot left in sanitized HTML for its typeset formula (one regex pass)."""
        if not self.formulas:
            return html
        return self._slot.sub(lambda m: self._html[int(m.group(2))], html)

    @property
    def inline_count(self) -> int:
        return sum(1 for f in self.formulas if not f.display)

    @property
    def display_count(self) -> int:
        return sum(1 for f in self.formulas if f.display)

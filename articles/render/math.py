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
    """HTML for one formula. Today: the escaped TeX in `span.math.math-inline` (`\\(…\\)`) or
    `div.math.math-display` (`\\[…\\]`), typeset in the browser by static/js/katex-init.js."""
    if display:
        return Typeset(f'<div class="math math-display">\\[{escape(tex, quote=False)}\\]</div>')
    return Typeset(f'<span class="math math-inline">\\({escape(tex, quote=False)}\\)</span>')


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
        tag, kind, open_, close = (
            ("div", "display", "\\[", "\\]") if display else ("span", "inline", "\\(", "\\)")
        )
        return (
            f'<{tag} class="math math-{kind} cikkmath-{self.nonce}-{index}">'
            f"{open_}{escape(tex, quote=False)}{close}</{tag}>"
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

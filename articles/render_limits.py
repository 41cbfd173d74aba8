"""Bounded cost of rendering: refuse Markdown whose shape would make a render superlinear, and
give every interactive render (admin save, live preview) a hard time limit.

Some steps of the renderer cost more than linear time on some shapes, inside libraries we do not
patch: Python-Markdown looks for the closing `]` (and `)`) of every `[` up to the end of its
paragraph, Python's html.parser looks for the `>` of every unterminated start tag up to the next
`>` of the document, the math pre-pass looks for the closing `$$` of every empty or unclosed one,
and the sanitizer's cost grows with how deeply raw HTML is nested. `check_render_cost()` measures
exactly those scans in one linear pass over the source and refuses the text when their total is
out of proportion (see the limits below), naming the construct and the line where it is worst.
Real articles are far below every limit (the magazine's own article: under 1 % of each).

What no estimate foresees is cut by time: `render_bounded()` renders in a worker process and
stops it after `CIKK_RENDER_TIMEOUT` seconds, so a pathological input can never hold an admin
request (or a gunicorn worker) longer than that.
"""

from __future__ import annotations

import atexit
import logging
import multiprocessing
import re
import threading
from dataclasses import dataclass
from html import escape
from itertools import islice
from multiprocessing.pool import Pool
from typing import TYPE_CHECKING

from django.conf import settings
from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from articles.render import Rendered

logger = logging.getLogger(__name__)

# Characters the scans may step over, at most, on top of the text's own length. A scan step is
# one character examined again by a search that started earlier: ~0.1-1 µs each in the
# libraries involved, so 2 million steps are well under a second.
SCAN_BUDGET = 2_000_000
# Characters the inline processor may copy again (see _inline_cost).
INLINE_BUDGET = 3_000_000_000
# Raw HTML nested deeper than this is refused (the house blocks nest 3 deep).
MAX_HTML_DEPTH = 100
# HTML elements that never nest (void) or close themselves implicitly: not counted as depth.
_NO_DEPTH = frozenset(
    [
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "source",
        "track",
        "wbr",
        "p",
        "li",
        "dt",
        "dd",
        "tr",
        "td",
        "th",
        "thead",
        "tbody",
        "tfoot",
        "option",
        "optgroup",
        "rp",
        "rt",
        "colgroup",
        "caption",
    ]
)
# A complete tag (its ">" before any other "<"): what a parser nests. "<a b<a b" is text.
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)(?=[\s/>])[^<>]*>")
_BLANK_LINE = re.compile(r"\n[ \t]*(?=\n)")
_BRACKETS = re.compile(r"[\\\[\]()]")
_INLINE = re.compile(r"<[A-Za-z/!?]|[&`*_\\]")


# What each refusal names: (English for operators and logs, Hungarian for editors).
CONSTRUCTS = {
    "brackets": ('unclosed "[" or "]("', "lezáratlan „[” vagy „](”"),
    "dollars": ('empty or unclosed "$$"', "üres vagy lezáratlan „$$”"),
    "inline": (
        "inline markup (<tag, &, `, *, _, \\) too dense in one paragraph",
        "túl sűrű soron belüli jelölés („<”, „&”, „`”, „*”, „_”, „\\”) egy bekezdésben",
    ),
    "depth": ("raw HTML nested too deep", "túl mélyen egymásba ágyazott HTML-elem"),
}


@dataclass(frozen=True)
class _Cost:
    construct: str  # a key of CONSTRUCTS
    steps: int
    line: int


class RenderRefused(ValueError):
    """The text is refused before rendering: the message names the construct and its line.

    `str()` is English (operators, import logs); `user_message` is for editors."""

    def __init__(self, construct: str, line: int, detail: str) -> None:
        self.construct, self.line, self.detail = construct, line, detail
        english = CONSTRUCTS[construct][0]
        super().__init__(
            f"{english} from line {line}: {detail}; rendering would take time out of "
            "proportion to the text's length (close or remove them, or split the paragraph)"
        )

    @property
    def user_message(self) -> str:
        return _(
            "A szöveg nem jeleníthető meg a %(line)d. sortól: %(construct)s (%(detail)s). "
            "A megjelenítése aránytalanul sokáig tartana; zárja le vagy törölje ezeket, vagy "
            "bontsa bekezdésekre a szöveget."
        ) % {"line": self.line, "construct": CONSTRUCTS[self.construct][1], "detail": self.detail}


class RenderTimeout(RenderRefused):
    """The render did not finish within the hard time limit."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        ValueError.__init__(
            self,
            f"rendering took longer than {seconds:g} s and was stopped; the text has a shape "
            "the renderer cannot handle quickly (long runs of unclosed brackets, tags or $$)",
        )
        self.construct, self.line, self.detail = "", 0, ""

    @property
    def user_message(self) -> str:
        return _(
            "A szöveg megjelenítése %(seconds)g másodpercnél tovább tartott, ezért leállítottuk. "
            "Valószínűleg sok lezáratlan zárójel, HTML-címke vagy $$ van benne."
        ) % {"seconds": self.seconds}


def check_render_cost(text: str) -> None:
    """Raise RenderRefused when rendering `text` would cost more than linear time. Linear.

    Each measure first takes an upper bound from character counts (C speed: no construct can
    cost more than the whole text once per delimiter); only a text whose bound is over the
    limit is measured paragraph by paragraph. Real articles stop at the bounds."""
    budget = SCAN_BUDGET + len(text)
    n = len(text)
    bounds = {
        _bracket_cost: (text.count("[") + text.count("](")) * n,
        _dollar_cost: text.count("$$") * n,
        _inline_cost: sum(text.count(char) for char in "<&`*_\\") * n,
    }
    blocks: list[tuple[int, int]] | None = None
    for measure, limit in (
        (_bracket_cost, budget),
        (_dollar_cost, budget),
        (_inline_cost, INLINE_BUDGET),
    ):
        if bounds[measure] <= limit:
            continue
        if blocks is None:
            blocks = _blocks(text)  # found once, read by every measure
        cost = measure(text, blocks, limit)
        if cost.steps > limit:
            raise RenderRefused(
                cost.construct,
                cost.line,
                f"over {cost.steps:,} characters would be searched or copied again, "
                f"the limit is {limit:,}",
            )
    depth, line = _html_depth(text)
    if depth > MAX_HTML_DEPTH:
        raise RenderRefused(
            "depth", line, f"more than {MAX_HTML_DEPTH} elements deep (<div> in <div> …)"
        )


def _blocks(text: str) -> list[tuple[int, int]]:
    """(start, end) of each run of non-blank lines. Its line number, needed only for the worst
    one, is `_line_of(text, start)` (counting lines per block cost more than the scans)."""
    blocks = []
    start = 0
    for match in _BLANK_LINE.finditer(text):
        blocks.append((start, match.start()))
        start = match.end()
        while start < len(text) and text[start] == "\n":  # the blank line's own newline(s)
            start += 1
    blocks.append((start, len(text)))
    return blocks


def _bracket_cost(text: str, blocks: list[tuple[int, int]], budget: int) -> _Cost:
    """Python-Markdown scans from each `[` to its `]`, and from each `](` to its `)`, up to the
    end of the paragraph: an unmatched one costs the rest of the paragraph."""
    total, worst, worst_start = 0, 0, 0
    for start, end in blocks:
        if text.find("[", start, end) < 0:
            continue
        open_brackets = 0
        parens: list[int] = []  # for each "(" right after "]": its nesting count
        skip_to = -1
        for match in _BRACKETS.finditer(text, start, end):
            i = match.start()
            if i < skip_to:
                continue
            ch = match.group()
            if ch == "\\":
                skip_to = i + 2
            elif ch == "[":
                open_brackets += 1
                if open_brackets * (end - start) + total > budget:  # refused already: stop
                    steps = open_brackets * (end - start) + total
                    return _Cost("brackets", steps, _line_of(text, start))
            elif ch == "]":
                closed_one = open_brackets > 0
                open_brackets = max(0, open_brackets - 1)
                if closed_one and text.startswith("(", i + 1):  # a link's "(": scanned to ")"
                    parens.append(1)
                    skip_to = i + 2
            elif parens:
                parens[-1] += 1 if ch == "(" else -1
                if parens[-1] == 0:
                    parens.pop()
        steps = (open_brackets + len(parens)) * (end - start)
        total += steps
        if steps > worst:
            worst, worst_start = steps, start
        if total > budget:
            break
    return _Cost("brackets", total, _line_of(text, worst_start))


def _dollar_cost(text: str, blocks: list[tuple[int, int]], budget: int) -> _Cost:
    """The math pre-pass looks for the closing `$$` of each opening one; an empty formula
    (`$$$$`, a run of dollars) or an unclosed one costs the rest of the paragraph."""
    total, worst, worst_start = 0, 0, 0
    for start, end in blocks:
        if text.find("$$", start, end) < 0:
            continue
        block = text[start:end]
        parts = block.split("$$")
        inner = parts[1::2]  # the text between an opening $$ and the next one
        bad = sum(1 for part in inner if not part) + (len(parts) - 1) % 2
        steps = bad * len(block)
        total += steps
        if steps > worst:
            worst, worst_start = steps, start
        if total > budget:
            break
    return _Cost("dollars", total, _line_of(text, worst_start))


def _inline_cost(text: str, blocks: list[tuple[int, int]], budget: int) -> _Cost:
    """Python-Markdown's inline processor rebuilds a paragraph's whole text for every inline
    construct it replaces by a placeholder (an escaped `<`, an entity, a code span, emphasis,
    a backslash escape, an HTML tag): k constructs in a paragraph of n characters cost k × n
    characters copied. Counted per paragraph, against INLINE_BUDGET (copying is ~1 ns a
    character, so the budget is about the same seconds as the scan budget)."""
    total, worst, worst_start = 0, 0, 0
    for start, end in blocks:
        constructs = len(_INLINE.findall(text, start, end))
        steps = constructs * (end - start)
        total += steps
        if steps > worst:
            worst, worst_start = steps, start
        if total > budget:
            break
    return _Cost("inline", total, _line_of(text, worst_start))


def _html_depth(text: str) -> tuple[int, int]:
    """The deepest nesting of raw HTML elements (counted up to just past the limit), and the
    line where it is reached (only looked up when over the limit)."""
    depth = deepest = 0
    for index, (closing, name) in enumerate(_TAG.findall(text)):
        name = name.lower()
        if name in _NO_DEPTH:
            continue
        if closing:
            depth = max(0, depth - 1)
        else:
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > MAX_HTML_DEPTH:  # refused already: stop counting, find the line
                    where = next(islice(_TAG.finditer(text), index, None)).start()
                    return deepest, _line_of(text, where)
    return deepest, 0


def _line_of(text: str, index: int) -> int:
    return text.count("\n", 0, index) + 1


# -- the hard time limit ------------------------------------------------------------------

_pool: Pool | None = None
_pool_lock = threading.Lock()


def _render_in_worker(text: str) -> Rendered:
    from articles.render import render

    return render(text)


def _get_pool() -> Pool:
    global _pool
    with _pool_lock:
        if _pool is None:
            # forkserver: the worker starts from a clean process (no database connection, no
            # threads of this one), with Django and the renderer imported once by the server.
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(["articles.render_worker"])
            _pool = context.Pool(processes=1, initializer=_setup_django)
            atexit.register(_discard_pool)
        return _pool


def _setup_django() -> None:
    import django

    django.setup()


def _discard_pool() -> None:
    global _pool
    with _pool_lock:
        if _pool is not None:
            _pool.terminate()  # stops the render that ran over time
            _pool.join()
            _pool = None


def render_bounded(text: str, timeout: float | None = None) -> Rendered:
    """Render `text` like articles.render.render, refusing pathological shapes up front and
    stopping the render after `timeout` seconds (default settings.CIKK_RENDER_TIMEOUT).

    Raises RenderRefused (RenderTimeout for the time limit). With a timeout of 0 the render
    runs in this process, unbounded (for tests and for tools that have their own limits).
    """
    from articles.render import render

    check_render_cost(text)
    seconds = settings.CIKK_RENDER_TIMEOUT if timeout is None else timeout
    if not seconds:
        return render(text)
    pool = _get_pool()
    result = pool.apply_async(_render_in_worker, (text,))
    try:
        return result.get(timeout=seconds)
    except multiprocessing.TimeoutError:
        logger.warning("render stopped after %s s (%d characters)", seconds, len(text))
        _discard_pool()
        raise RenderTimeout(seconds) from None


def markdownify(text: str) -> str:
    """The admin's live preview (django-markdownx's MARKDOWNX_MARKDOWNIFY_FUNCTION): the one
    renderer within the hard time limit; a refused text gets a notice instead of a 500."""
    try:
        return render_bounded(text).html
    except RenderRefused as exc:
        return f'<p class="render-refused" role="alert">{escape(exc.user_message)}</p>'

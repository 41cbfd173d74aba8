"""Source-level work done before Markdown sees the text: math, HTML comments, block fixes.

Why before Markdown: TeX must reach the page byte for byte, but Markdown would turn `_` into
<em>, eat the backslashes of `\\{` and `\\\\`, and split table cells on the `|` of
`\\left| x \\right|`. So every formula is cut out here and replaced by a placeholder from
Python-Markdown's html stash (restored, HTML-escaped, after Markdown). Draft text in HTML comments
must never reach a reader, so comments are cut out here too. Both are skipped inside code (fenced,
indented, and code spans), where they stay code.

The same pass makes the magazine's habits render the way the authors meant (CommonMark rules that
Python-Markdown lacks): a bullet list, or an ordered list starting at 1, may interrupt a paragraph;
a paragraph starting "2012. december" is a date, not an ordered list starting at 2012.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

# Characters the inline scanner stops at; everything else is copied in bulk.
_SPECIAL = re.compile(r"[\\`<$\n]")
# Every newline that ends a text line followed by a blank one (overlapping, so all are found).
_BLANK_LINE = re.compile(r"\n(?=[ \t]*\n)")
_LEADING_SPACE = re.compile(r"[ \t]*")
# A blockquote line's markers ("> ", "> > "): like indentation, not part of the text.
_QUOTE_PREFIX = re.compile(r"(?:[ ]{0,3}>)+[ \t]*")
# The markers at the start of a formula's continuation lines inside a blockquote.
_QUOTE_CONTINUATION = re.compile(r"\n(?:[ ]{0,3}>)+[ ]?")
_FENCE_OPEN = re.compile(r"(~{3,}|`{3,})[^\n]*")
_LIST_ITEM = re.compile(r" {0,3}(?:[-*+]|1\.)[ \t]+\S")
_ANY_LIST_ITEM = re.compile(r" {0,3}(?:[-*+]|\d{1,9}\.)[ \t]+\S")
_HUNGARIAN_DATE = re.compile(
    r"( {0,3}\d{4})\.([ \t]+(?:január|február|március|április|május|június|július|augusztus"
    r"|szeptember|október|november|december)\b)",
    re.IGNORECASE,
)
_HTML_BLOCK_OPEN = re.compile(
    r" {0,3}<(address|article|aside|blockquote|details|div|dl|figure|footer|form|header|ol"
    r"|p|pre|script|section|style|table|textarea|ul)\b",
    re.IGNORECASE,
)
# Inside these raw blocks nothing is touched (no math, no comment stripping).
_VERBATIM_HTML = {"pre", "script", "style", "textarea"}
_COMMENT_END = re.compile(r"--!?>")

MAX_WARNINGS = 20


# (tex, display, source line) -> the text that stands for the formula in the Markdown source.
MathHook = Callable[[str, bool, int], str]


@dataclass
class Preprocessed:
    text: str
    warnings: list[str] = field(default_factory=list)


def _indent_width(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


class _Scanner:
    """One left-to-right pass; output is built from slices of the input plus replacements."""

    def __init__(self, text: str, math: MathHook) -> None:
        self.text = text
        self.math = math
        self.out: list[str] = []
        self.flushed = 0  # text[flushed:pos] is pending, copied verbatim on the next flush
        self.result = Preprocessed(text="")
        # Block state, updated at each line start.
        self.prev_blank = True
        self.block_kind = "none"  # para, list, html, code, heading, table, quote, fence
        self.in_list = False
        self.html_tag = ""
        self.html_depth = 0
        # Positions precomputed once, so that no lookup rescans the text: the renderer stays
        # linear even on hostile input (one huge line, thousands of unclosed delimiters).
        self.newlines = [m.start() for m in re.finditer("\n", text)]
        self.blank_lines = [m.start() for m in _BLANK_LINE.finditer(text)]
        self.no_close: dict[str, int] = {}
        self.warned: set[tuple[str, int]] = set()  # delimiter -> paragraph end known to hold none

    # -- output helpers ---------------------------------------------------------------------

    def flush(self, upto: int) -> None:
        if upto > self.flushed:
            self.out.append(self.text[self.flushed : upto])
        self.flushed = max(self.flushed, upto)

    def skip(self, to: int) -> None:
        """Drop text[flushed:to] from the output (it was replaced or removed)."""
        self.flushed = to

    def line_no(self, pos: int) -> int:
        return bisect_left(self.newlines, pos) + 1

    def warn_unclosed(self, delimiter: str, pos: int) -> None:
        """One warning per delimiter and line, at most MAX_WARNINGS in all."""
        line = self.line_no(pos)
        if (delimiter, line) in self.warned or len(self.warned) >= MAX_WARNINGS:
            return
        self.warned.add((delimiter, line))
        if delimiter == "<!--":
            message = _(
                "Lezáratlan HTML-megjegyzés a(z) %(line)d. sorban: a szöveg vége nem jelenik meg."
            )
        else:
            message = _("Lezáratlan %(delim)s a(z) %(line)d. sorban: szövegként jelenik meg.")
        self.result.warnings.append(message % {"delim": delimiter, "line": line})

    def output_ends_with_blank_line(self) -> bool:
        tail = "".join(self.out[-3:])
        return not tail or tail.endswith("\n\n")

    # -- the pass ---------------------------------------------------------------------------

    def run(self) -> Preprocessed:
        text = self.text
        n = len(text)
        pos = 0
        while pos < n:
            pos, scan = self.line_start(pos)
            if scan:
                pos = self.scan_inline(pos)
        self.flush(n)
        self.result.text = "".join(self.out)
        return self.result

    def line_end(self, pos: int) -> int:
        k = bisect_left(self.newlines, pos)
        return self.newlines[k] if k < len(self.newlines) else len(self.text)

    def bol(self, pos: int) -> int:
        """Start of the line holding pos."""
        k = bisect_left(self.newlines, pos)
        return self.newlines[k - 1] + 1 if k else 0

    def paragraph_end(self, pos: int) -> int:
        """Where the paragraph holding pos ends (its last newline before a blank line)."""
        k = bisect_left(self.blank_lines, pos)
        return self.blank_lines[k] if k < len(self.blank_lines) else len(self.text)

    def prefix_end(self, bol: int) -> int:
        """End of a line's indentation, or of its blockquote markers and the space after."""
        quote = _QUOTE_PREFIX.match(self.text, bol)
        if quote:
            return quote.end()
        return _LEADING_SPACE.match(self.text, bol).end()

    def quote_marks(self, bol: int) -> str:
        """The line's blockquote markers without trailing space (">", "> >"), or ""."""
        quote = _QUOTE_PREFIX.match(self.text, bol)
        return quote.group(0).rstrip() if quote else ""

    def only_space_before(self, pos: int) -> bool:
        return self.prefix_end(self.bol(pos)) >= pos

    def only_space_after(self, pos: int) -> bool:
        text = self.text
        k = self.line_end(pos)
        while k > pos and text[k - 1] in " \t":
            k -= 1
        return k <= pos

    def line_start(self, pos: int) -> tuple[int, bool]:
        """Block-level decisions for the line at pos. Returns (position, scan): scan is False
        when the line (or a whole fenced block) was consumed here and position is the start
        of the next line to look at."""
        text = self.text
        eol = self.line_end(pos)
        line = text[pos:eol]
        stripped = line.strip()
        nxt = min(eol + 1, len(text))

        if not stripped:
            self.prev_blank = True
            if self.block_kind in ("para", "heading", "table", "quote"):
                self.block_kind = "none"
            return nxt, False

        # Raw HTML block (tracked so that indentation inside it is not taken for code).
        if self.block_kind == "html":
            return self.html_line(line, pos, nxt)

        # Fenced code (Python-Markdown: fence at column 0, closed by the same fence).
        m = _FENCE_OPEN.match(line)
        if m and not (m.group(1)[0] == "`" and "`" in line[len(m.group(1)) :]):
            close = re.compile(rf"^{re.escape(m.group(1))}[ ]*$", re.MULTILINE).search(text, nxt)
            if close:
                self.prev_blank = False
                self.block_kind = "fence"
                end = close.end()
                return min(end + 1, len(text)), False

        indent = _indent_width(line)
        # Indented code: after a blank line (or more code), 4 spaces; 8 inside a list.
        code_indent = 8 if self.in_list else 4
        if indent >= code_indent and (self.prev_blank or self.block_kind == "code"):
            self.block_kind = "code"
            self.prev_blank = False
            return nxt, False
        if self.block_kind == "code" and not self.prev_blank and indent < 4:
            self.block_kind = "none"

        starts_block = self.prev_blank or self.block_kind in ("none", "heading", "fence", "code")
        is_list_item = bool(_ANY_LIST_ITEM.match(line))

        if starts_block:
            html = _HTML_BLOCK_OPEN.match(line)
            if html:
                self.block_kind = "html"
                self.html_tag = html.group(1).lower()
                self.html_depth = 0
                return self.html_line(line, pos, nxt)
            date = _HUNGARIAN_DATE.match(line)
            if date:
                # "2012. december 5-én…" opens a paragraph, not a list numbered from 2012.
                self.flush(pos)
                self.out.append(f"{date.group(1)}\\.")
                self.skip(pos + date.end(1) + 1)
                self.block_kind = "para"
                self.in_list = False
            elif is_list_item:
                self.block_kind = "list"
                self.in_list = True
            elif stripped.startswith("#"):
                self.block_kind = "heading"
            elif stripped.startswith("|"):
                self.block_kind = "table"
            elif stripped.startswith(">"):
                self.block_kind = "quote"
            elif indent >= 4 and self.in_list:
                self.block_kind = "list"
            else:
                self.block_kind = "para"
                if indent == 0:
                    self.in_list = False
        elif self.block_kind == "para" and _LIST_ITEM.match(line):
            # CommonMark: a bullet list, or an ordered list from 1, interrupts a paragraph.
            self.flush(pos)
            self.out.append("\n")
            self.block_kind = "list"
            self.in_list = True
        elif stripped.startswith("#") and self.block_kind != "list":
            self.block_kind = "heading"

        self.prev_blank = False
        return pos, True

    def html_line(self, line: str, pos: int, nxt: int) -> tuple[int, bool]:
        """A line of a raw HTML block: the block ends where its tag's depth returns to 0.
        Verbatim blocks (pre, script, style, textarea) are skipped whole; others are scanned
        (comments and math inside a <div> are handled)."""
        self.track_html(line)
        self.prev_blank = False
        if self.html_depth <= 0:
            self.block_kind = "none"
        if self.html_tag in _VERBATIM_HTML:
            return nxt, False
        return pos, True

    def track_html(self, line: str) -> None:
        tag = self.html_tag
        opens = len(re.findall(rf"<{tag}\b", line, re.IGNORECASE))
        closes = len(re.findall(rf"</{tag}\s*>", line, re.IGNORECASE))
        self.html_depth += opens - closes

    def scan_inline(self, pos: int) -> int:
        """Scan from pos to the end of the line (or beyond, for multi-line constructs);
        returns the start of the next line to process."""
        text = self.text
        n = len(text)
        while pos < n:
            m = _SPECIAL.search(text, pos)
            if not m:
                return n
            i = m.start()
            ch = text[i]
            if ch == "\n":
                return i + 1
            if ch == "\\":
                pos = self.backslash(i)
            elif ch == "`":
                pos = self.code_span(i)
            elif ch == "<":
                pos = self.comment(i) if text.startswith("<!--", i) else i + 1
            else:  # "$"
                pos = self.dollars(i) if text.startswith("$$", i) else i + 1
            if pos > n:
                return n
            # A construct that consumed whole lines hands back a line start.
            if pos > 0 and text[pos - 1] == "\n" and pos > i + 1:
                return pos
        return pos

    # -- inline constructs ------------------------------------------------------------------

    def backslash(self, i: int) -> int:
        text = self.text
        nxt = text[i + 1 : i + 2]
        if nxt == "$":
            # \$ is a literal dollar: Markdown would print the backslash, so drop it here.
            self.flush(i)
            self.out.append("$")
            self.skip(i + 2)
            return i + 2
        if nxt in ("(", "["):
            return self.bracket_math(i, display=nxt == "[")
        if nxt in ("\\", "`"):
            return i + 2  # an escaped backslash or backtick: Markdown handles it
        return i + 1

    def find_close(self, start: int, delimiter: str) -> int:
        """Index of the closing delimiter after start within the paragraph, or -1.
        A backslash escapes the character after it, so `\\$` inside TeX does not close."""
        text = self.text
        limit = self.paragraph_end(start)
        if self.no_close.get(delimiter) == limit:
            return -1  # an earlier search in this paragraph already ran to its end
        j = start
        while True:
            j = text.find(delimiter, j, limit)
            if j < 0:
                self.no_close[delimiter] = limit
                return -1
            backslashes = 0
            k = j - 1
            while k >= start and text[k] == "\\":
                backslashes += 1
                k -= 1
            if delimiter.startswith("\\"):
                # "\)" is itself a backslash sequence: it closes unless that backslash is
                # escaped by an odd number of further backslashes.
                if backslashes % 2 == 0:
                    return j
            elif backslashes % 2 == 0:
                return j
            j += 1

    def alone_on_line(self, start: int, end: int) -> bool:
        """True when text[start:end] has only whitespace around it on its line(s)."""
        return self.only_space_before(start) and self.only_space_after(end)

    def emit_display(self, open_pos: int, close_end: int, tex: str) -> int:
        """Replace text[open_pos:close_end] by a display-math placeholder that stands as a
        block of its own (blank lines around it, the opening line's indentation kept)."""
        text = self.text
        bol = self.bol(open_pos)
        # Inside a blockquote the blank lines around the formula are quote lines (">"): a truly
        # blank line would end the quote.
        quote = self.quote_marks(bol)
        blank = quote + "\n"
        if not self.only_space_before(open_pos):
            # Display math in the middle of a line: split the paragraph around it.
            indent = (
                text[bol : self.prefix_end(bol)]
                if quote
                else " " * (_LEADING_SPACE.match(text, bol).end() - bol)
            )
            self.flush(open_pos)
            self.out.append("\n" + blank)
        else:
            indent = text[bol:open_pos]
            self.flush(bol)
            if not self.output_ends_with_blank_line() and not self.prev_blank_before(bol):
                self.out.append(blank)
        self.out.append(indent + self.math(_unquote(tex, quote), True, self.line_no(open_pos)))
        eol = self.line_end(close_end)
        if not self.only_space_after(close_end):
            # Text after the formula on the same line becomes a paragraph of its own.
            self.out.append("\n" + blank + indent)
            after = _LEADING_SPACE.match(text, close_end).end()
            self.skip(after)
            self.prev_blank = False
            self.block_kind = "para"
            return after
        self.out.append("\n")
        following = eol + 1
        if following < len(text) and not _blank(text[following : self.line_end(following)], quote):
            self.out.append(blank)
        self.skip(min(following, len(text)))
        self.prev_blank = True
        self.block_kind = "none"
        return min(following, len(text)) if following <= len(text) else len(text)

    def prev_blank_before(self, bol: int) -> bool:
        if bol == 0:
            return True
        prev_bol = self.text.rfind("\n", 0, bol - 1) + 1
        return _blank(self.text[prev_bol : bol - 1], self.quote_marks(bol))

    def bracket_math(self, i: int, display: bool) -> int:
        text = self.text
        close_delim = "\\]" if display else "\\)"
        j = self.find_close(i + 2, close_delim)
        if j < 0 or not text[i + 2 : j].strip():
            kind = "\\[" if display else "\\("
            self.warn_unclosed(kind, i)
            # Keep the backslash visible: Markdown would otherwise print just "(".
            self.flush(i)
            self.out.append("\\")
            return i + 1
        tex = text[i + 2 : j]
        if display:
            bol = self.bol(i)
            if "|" in text[max(bol, i - 200) : i] and not self.alone_on_line(i, j + 2):
                # Inside a table cell: a block element in a <td> is fine, no paragraph split.
                self.flush(i)
                self.out.append(self.math(tex, True, self.line_no(i)))
                self.skip(j + 2)
                return j + 2
            return self.emit_display(i, j + 2, tex)
        self.flush(i)
        tex = _unquote(tex, self.quote_marks(self.bol(i)))
        self.out.append(self.math(tex, False, self.line_no(i)))
        self.skip(j + 2)
        return j + 2

    def dollars(self, i: int) -> int:
        text = self.text
        j = self.find_close(i + 2, "$$")
        if j < 0 or not text[i + 2 : j].strip():
            if j < 0:
                self.warn_unclosed("$$", i)
            # Skip the whole run of dollars so "$$$$" is not re-read as an opener.
            end = i
            while end < len(text) and text[end] == "$":
                end += 1
            return end if j < 0 else j + 2
        tex = text[i + 2 : j]
        open_alone = self.only_space_before(i) and self.only_space_after(i + 2)
        close_alone = self.only_space_before(j) and self.only_space_after(j + 2)
        own_paragraph = False
        if not open_alone and self.alone_on_line(i, j + 2):
            bol = self.bol(i)
            eol = self.line_end(j + 2)
            next_line = text[eol + 1 : self.line_end(eol + 1)] if eol < len(text) else ""
            own_paragraph = self.prev_blank_before(bol) and _blank(next_line, self.quote_marks(bol))
        if (open_alone and close_alone) or own_paragraph:
            return self.emit_display(i, j + 2, tex)
        self.flush(i)
        tex = _unquote(tex, self.quote_marks(self.bol(i)))
        self.out.append(self.math(tex, False, self.line_no(i)))
        self.skip(j + 2)
        return j + 2

    def code_span(self, i: int) -> int:
        text = self.text
        run_end = i
        while run_end < len(text) and text[run_end] == "`":
            run_end += 1
        ticks = run_end - i
        limit = self.paragraph_end(run_end)
        j = run_end
        while True:
            j = text.find("`" * ticks, j, limit)
            if j < 0:
                return run_end  # no closing run: the backticks are literal
            k = j + ticks
            if (k < len(text) and text[k] == "`") or text[j - 1] == "`":
                # Part of a longer run: skip the whole run.
                while k < len(text) and text[k] == "`":
                    k += 1
                j = k
                continue
            return k  # copied verbatim: math and comments inside stay code

    def comment(self, i: int) -> int:
        text = self.text
        body = i + 4
        if text.startswith(">", body):
            end = body + 1  # "<!-->" is a complete (empty) comment in HTML
        elif text.startswith("->", body):
            end = body + 2
        else:
            m = _COMMENT_END.search(text, body)
            if m:
                end = m.end()
            else:
                self.warn_unclosed("<!--", i)
                end = len(text)
        bol = self.bol(i)
        eol = self.line_end(end)
        if self.only_space_before(i) and self.only_space_after(end):
            # The comment fills its lines: remove the lines, leave no stray whitespace.
            self.flush(bol)
            nxt = min(eol + 1, len(text))
            self.skip(nxt)
            return nxt if eol < len(text) else len(text)
        self.flush(i)
        self.skip(end)
        return end


def _blank(line: str, quote: str) -> bool:
    """A blank line; inside a blockquote (`quote` = its markers) a line of markers only too."""
    return not (line.strip(" \t>") if quote else line.strip())


def _unquote(tex: str, quote: str) -> str:
    """TeX that runs over several lines of a blockquote, without the lines' quote markers."""
    return _QUOTE_CONTINUATION.sub("\n", tex) if quote and "\n" in tex else tex


def preprocess(text: str, math: MathHook) -> Preprocessed:
    """Cut math and HTML comments out of Markdown source (outside code), fix list starts.

    `math(tex, display, line)` records a formula and returns what stands for it in the source:
    a placeholder that survives Markdown (articles.render.math).
    """
    return _Scanner(text, math).run()

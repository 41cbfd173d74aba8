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
from functools import lru_cache

from django.utils.translation import gettext as _

# Characters the inline scanner stops at; everything else is copied in bulk.
_SPECIAL = re.compile(r"[\\`<$\]\n]")
# Every newline that ends a text line followed by a blank one (overlapping, so all are found).
_BLANK_LINE = re.compile(r"\n(?=[ \t]*\n)")
_LEADING_SPACE = re.compile(r"[ \t]*")
# A blockquote line's markers ("> ", "> > "): like indentation, not part of the text.
_QUOTE_PREFIX = re.compile(r"(?:[ ]{0,3}>)+[ \t]*")
# The markers at the start of a formula's continuation lines inside a blockquote.
_QUOTE_CONTINUATION = re.compile(r"\n(?:[ ]{0,3}>)+[ ]?")
_FENCE_OPEN = re.compile(r"(~{3,}|`{3,})[^\n]*")
_LIST_MARKER = re.compile(r"[ ]*(?:[-*+]|\d{1,9}\.)[ \t]+")
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
# A reference-style link definition ("[id]: https://…"): its destination is never math.
_LINK_DEFINITION = re.compile(r" {0,3}\[[^\]\n]+\]:[ \t]*\S")
# An HTML tag as a browser would read it: name, attributes (values quoted or bare), end.
# Bounded (_TAG_LIMIT characters), so an unclosed "<a a a a …" costs nothing per "<".
_TAG = re.compile(
    r"<(/?)([A-Za-z][A-Za-z0-9-]*)((?:\s+[^\s\"'<>/=]+(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'"
    r"|[^\s\"'=<>`]+))?)*)\s*/?>"
)
_ATTRIBUTE = re.compile(r"\s+([^\s\"'<>/=]+)(\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s\"'=<>`]+))?")
_TAG_LIMIT = 2048
_MARKUP_FIRST = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz/!?")
# Python-Markdown's autolinks (<http…://…>, <ftp://…>) and automail links (<a@b>).
_AUTOLINK = re.compile(r"<(?:(?:[Ff]|[Hh][Tt])[Tt][Pp][Ss]?://[^<>]*|[^<> !]+@[^@<> ]+)>")
# "](destination "title")" as Python-Markdown reads it: <…> or text without spaces (escapes and
# one level of balanced parentheses allowed), then an optional title. One regex, no nested
# repetition over the same characters, and bounded: the scan stays linear.
_DESTINATION = re.compile(
    r"""\]\(\s*(?:<[^<>\n]*>|(?:[^\s()\\]|\\.|\((?:[^\s()\\]|\\.)*\))*)"""
    r"""(?:\s+(?:"[^"\n]*"|'[^'\n]*'|\([^()\n]*\)))?\s*\)"""
)
_DESTINATION_LIMIT = 2048
# Every element name of HTML (current and obsolete) and the SVG/MathML roots: only these open an
# element. "a<b and c>d" or "x<y és z>w" is prose, not a <b> or <y> tag; see _opens_element.
HTML_ELEMENTS = frozenset(
    {
        "a", "abbr", "acronym", "address", "applet", "area", "article", "aside", "audio", "b",
        "base", "basefont", "bdi", "bdo", "bgsound", "big", "blink", "blockquote", "body", "br",
        "button", "canvas", "caption", "center", "cite", "code", "col", "colgroup", "data",
        "datalist", "dd", "del", "details", "dfn", "dialog", "dir", "div", "dl", "dt", "em",
        "embed", "fieldset", "figcaption", "figure", "font", "footer", "form", "frame", "frameset",
        "h1", "h2", "h3", "h4", "h5", "h6", "head", "header", "hgroup", "hr", "html", "i", "iframe",
        "image", "img", "input", "ins", "isindex", "kbd", "keygen", "label", "legend", "li", "link",
        "listing", "main", "map", "mark", "marquee", "math", "menu", "menuitem", "meta", "meter",
        "multicol", "nav", "nextid", "nobr", "noembed", "noframes", "noscript", "object", "ol",
        "optgroup", "option", "output", "p", "param", "picture", "plaintext", "portal", "pre",
        "progress", "q", "rb", "rp", "rt", "rtc", "ruby", "s", "samp", "script", "search",
        "section", "select", "slot", "small", "source", "spacer", "span", "strike", "strong",
        "style", "sub", "summary", "sup", "svg", "table", "tbody", "td", "template", "textarea",
        "tfoot", "th", "thead", "time", "title", "tr", "track", "tt", "u", "ul", "var", "video",
        "wbr", "xmp",
    }
)  # fmt: skip
# Attributes that mean something without a value; any other bare word makes "<b and c>" prose.
_BOOLEAN_ATTRIBUTES = frozenset(
    {
        "allowfullscreen", "async", "autofocus", "autoplay", "checked", "controls", "default",
        "defer", "disabled", "formnovalidate", "hidden", "inert", "ismap", "itemscope", "loop",
        "markdown", "multiple", "muted", "nomodule", "novalidate", "open", "playsinline",
        "readonly", "required", "reversed", "selected",
    }
)  # fmt: skip

MAX_WARNINGS = 20
# Block kinds a blank line ends, and those after which the next line starts a block anyway.
_ENDS_AT_BLANK_LINE = frozenset({"para", "heading", "table", "quote"})
_BLOCK_ENDED = frozenset({"none", "heading", "fence", "code"})


# (tex, display, source line) -> the text that stands for the formula in the Markdown source.
MathHook = Callable[[str, bool, int], str]


@dataclass
class Preprocessed:
    text: str
    warnings: list[str] = field(default_factory=list)
    # (delimiter, line) of every opener left unclosed ("$$", "<!--"), for the checks.
    unclosed: list[tuple[str, int]] = field(default_factory=list)


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
        self.html_patterns = _tag_patterns("div")  # set with html_tag
        self.html_depth = 0
        self.raw_html_line = False  # the current line belongs to a raw HTML block
        self.unclosed_fences: set[str] = set()
        self.no_code_close: dict[int, int] = {}  # backtick count -> paragraph end without one
        # Positions precomputed once, so that no lookup rescans the text: the renderer stays
        # linear even on hostile input (one huge line, thousands of unclosed delimiters).
        self.newlines = [m.start() for m in re.finditer("\n", text)]
        self.blank_lines = [m.start() for m in _BLANK_LINE.finditer(text)]
        self.no_close: dict[str, int] = {}
        # Every unescaped "$$", for display blocks that hold a blank line.
        self.dollar_pairs = [
            m.start() for m in re.finditer(r"\$\$", text) if not _escaped(text, m.start())
        ]
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
        self.result.unclosed.append((delimiter, line))
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
        eol = text.find("\n", pos)  # once per line start: linear in all
        if eol < 0:
            eol = nxt = len(text)
        else:
            nxt = eol + 1
        line = text[pos:eol]
        stripped = line.strip()
        self.raw_html_line = False

        if not stripped:
            self.prev_blank = True
            if self.block_kind in _ENDS_AT_BLANK_LINE:
                self.block_kind = "none"
            return nxt, False

        # Raw HTML block (tracked so that indentation inside it is not taken for code).
        if self.block_kind == "html":
            return self.html_line(line, pos, nxt)

        # Fenced code (Python-Markdown: fence at column 0, closed by the same fence).
        first = stripped[0]
        scan_from = pos
        m = _FENCE_OPEN.match(line) if line[0] in "`~" else None
        if m and not (m.group(1)[0] == "`" and "`" in line[len(m.group(1)) :]):
            close = self.fence_close(m.group(1), nxt)
            if close:
                self.prev_blank = False
                self.block_kind = "fence"
                end = close.end()
                return min(end + 1, len(text)), False
            # Unclosed: Markdown shows the line as text. Its first character becomes an entity,
            # so Python-Markdown's fenced_code (one regex search to the end of the text per
            # opener) does not see an opener: many unclosed fences would cost it n² time.
            self.flush(pos)
            self.out.append("&#96;" if line[0] == "`" else "&#126;")
            self.skip(pos + 1)
            scan_from = pos + 1

        indent = len(line) - len(line.lstrip(" "))
        # Indented code: after a blank line (or more code), 4 spaces; 8 inside a list.
        code_indent = 8 if self.in_list else 4
        if indent >= code_indent and (self.prev_blank or self.block_kind == "code"):
            self.block_kind = "code"
            self.prev_blank = False
            return nxt, False
        if self.block_kind == "code" and not self.prev_blank and indent < 4:
            self.block_kind = "none"

        if first == "[" and _LINK_DEFINITION.match(line):
            # "[id]: https://…$$…": a link's destination and title are never math.
            self.prev_blank = False
            return nxt, False

        starts_block = self.prev_blank or self.block_kind in _BLOCK_ENDED
        maybe_list = first in "-*+" or first.isdigit()
        is_list_item = maybe_list and bool(_ANY_LIST_ITEM.match(line))

        # Python-Markdown takes a block tag at the start of a line for a raw HTML block even
        # right after a paragraph line.
        html = _HTML_BLOCK_OPEN.match(line) if first == "<" else None
        if html and (starts_block or line.startswith("<")):
            self.block_kind = "html"
            self.html_tag = html.group(1).lower()
            self.html_patterns = _tag_patterns(self.html_tag)
            self.html_depth = 0
            return self.html_line(line, pos, nxt)
        if starts_block:
            date = _HUNGARIAN_DATE.match(line) if first.isdigit() else None
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
        elif self.block_kind == "para" and maybe_list and _LIST_ITEM.match(line):
            # CommonMark: a bullet list, or an ordered list from 1, interrupts a paragraph.
            self.flush(pos)
            self.out.append("\n")
            self.block_kind = "list"
            self.in_list = True
        elif stripped.startswith("#") and self.block_kind != "list":
            self.block_kind = "heading"

        self.prev_blank = False
        return scan_from, True

    def fence_close(self, fence: str, start: int) -> re.Match[str] | None:
        """The line closing a fence opened before start. A fence that found no close once
        finds none later either: remembered, so unclosed fences cost one search each."""
        if fence in self.unclosed_fences:
            return None
        close = _fence_pattern(fence).search(self.text, start)
        if close is None:
            self.unclosed_fences.add(fence)
        return close

    def html_line(self, line: str, pos: int, nxt: int) -> tuple[int, bool]:
        """A line of a raw HTML block: the block ends where its tag's depth returns to 0.
        Verbatim blocks (pre, script, style, textarea) are skipped whole; others are scanned
        (comments and math inside a <div> are handled)."""
        opens, closes = self.html_patterns
        self.html_depth += len(opens.findall(line)) - len(closes.findall(line))
        self.raw_html_line = True
        self.prev_blank = False
        if self.html_depth <= 0:
            self.block_kind = "none"
        if self.html_tag in _VERBATIM_HTML:
            return nxt, False
        return pos, True

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
                # Markdown reads no code spans inside a raw HTML block: there "`" is a character.
                pos = i + 1 if self.raw_html_line else self.code_span(i)
            elif ch == "<":
                pos = self.comment(i) if text.startswith("<!--", i) else self.angle(i)
            elif ch == "]":
                pos = self.destination(i) if text.startswith("](", i) else i + 1
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
        if nxt in ("\\", "`", "(", "[", "]"):
            # A Markdown escape (kramdown: "\\(" and "\\[" are not math): Markdown handles it.
            return i + 2
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
            if self.in_list and not quote and 0 < len(indent) < 4:
                # A list item's continuation block, indented the CommonMark way (to the
                # item's text): Python-Markdown keeps only 4 spaces in the item.
                indent = " " * 4
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

    def dollars(self, i: int) -> int:
        text = self.text
        bol = self.bol(i)
        # Only what the decisions below need is looked up (most formulas sit inside a line of
        # prose: nothing but space before them is then known at once, and decides the rest).
        space_before = self.prefix_end(bol) >= i  # only_space_before(i)
        open_alone = space_before and self.only_space_after(i + 2)
        # "- $$" opening a display block as a list item's first line.
        after_marker = (
            not open_alone and self.after_list_marker(i, bol) and self.only_space_after(i + 2)
        )
        j = self.find_close(i + 2, "$$")
        if j < 0 and (open_alone or after_marker):
            j = self.display_close(i + 2)  # a display block may hold blank lines
        if j < 0 or not text[i + 2 : j].strip():
            if j < 0:
                self.warn_unclosed("$$", i)
            # Skip the whole run of dollars so "$$$$" is not re-read as an opener.
            end = i
            while end < len(text) and text[end] == "$":
                end += 1
            return end if j < 0 else j + 2
        tex = text[i + 2 : j]
        if open_alone or after_marker:
            close_alone = self.only_space_before(j) and self.only_space_after(j + 2)
            if after_marker and close_alone:
                return self.emit_item_display(i, j + 2, tex)
            if open_alone and close_alone:
                return self.emit_display(i, j + 2, tex)
        elif space_before and self.only_space_after(j + 2):  # alone_on_line(i, j + 2)
            eol = self.line_end(j + 2)
            next_line = text[eol + 1 : self.line_end(eol + 1)] if eol < len(text) else ""
            if self.prev_blank_before(bol) and _blank(next_line, self.quote_marks(bol)):
                return self.emit_display(i, j + 2, tex)  # a paragraph of its own
        self.flush(i)
        if "\n" in tex:
            tex = _unquote(tex, self.quote_marks(bol))
        self.out.append(self.math(tex, False, self.line_no(i)))
        self.skip(j + 2)
        return j + 2

    def after_list_marker(self, pos: int, bol: int) -> bool:
        marker = _LIST_MARKER.match(self.text, bol)
        return marker is not None and marker.end() == pos

    def display_close(self, start: int) -> int:
        """The "$$" closing a display block opened alone on its line, past blank lines: the
        next unescaped "$$", if it ends its own line. -1 otherwise."""
        k = bisect_left(self.dollar_pairs, start)
        if k == len(self.dollar_pairs):
            return -1
        j = self.dollar_pairs[k]
        return j if self.only_space_before(j) and self.only_space_after(j + 2) else -1

    def emit_item_display(self, open_pos: int, close_end: int, tex: str) -> int:
        """`- $$ … $$`: the formula is the list item's content, on the marker's line."""
        text = self.text
        self.flush(open_pos)  # the marker stays
        self.out.append(self.math(tex, True, self.line_no(open_pos)) + "\n")
        following = min(self.line_end(close_end) + 1, len(text))
        self.skip(following)
        self.prev_blank = False
        self.block_kind = "list"
        self.in_list = True
        return following

    def angle(self, i: int) -> int:
        """A "<": an autolink or a tag of an HTML element is kept whole (its attribute values
        are never math); any other "<" is prose, escaped so Markdown and the sanitizer show it."""
        text = self.text
        if text[i + 1 : i + 2] not in _MARKUP_FIRST:
            return i + 1  # "a < b": Markdown itself shows it as text
        end = i + _TAG_LIMIT  # (past the text's end reads as its end)
        m = _AUTOLINK.match(text, i, end) or _TAG.match(text, i, end)
        if m and (m.re is _AUTOLINK or _opens_element_cached(m)):
            return m.end()
        self.flush(i)
        self.out.append("&lt;")
        self.skip(i + 1)
        return i + 1

    def destination(self, i: int) -> int:
        """`](…)`: a link's or image's destination and title are copied as written (never
        math); when the `](` opens no destination, it is just text."""
        m = _DESTINATION.match(self.text, i, min(len(self.text), i + _DESTINATION_LIMIT))
        return m.end() if m else i + 2

    def code_span(self, i: int) -> int:
        text = self.text
        run_end = i
        while run_end < len(text) and text[run_end] == "`":
            run_end += 1
        ticks = run_end - i
        limit = self.paragraph_end(run_end)
        if self.no_code_close.get(ticks) == limit:
            return run_end  # an earlier run of this length found no close in this paragraph
        j = run_end
        while True:
            j = text.find("`" * ticks, j, limit)
            if j < 0:
                self.no_code_close[ticks] = limit
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


@lru_cache(maxsize=64)
def _fence_pattern(fence: str) -> re.Pattern[str]:
    return re.compile(rf"^{re.escape(fence)}[ ]*$", re.MULTILINE)


@lru_cache(maxsize=64)
def _tag_patterns(tag: str) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """(opening, closing) tag patterns of a raw HTML block's element."""
    return (
        re.compile(rf"<{tag}\b", re.IGNORECASE),
        re.compile(rf"</{tag}\s*>", re.IGNORECASE),
    )


def _escaped(text: str, pos: int) -> bool:
    """True when an odd number of backslashes stands right before pos."""
    k = pos
    while k > 0 and text[k - 1] == "\\":
        k -= 1
    return (pos - k) % 2 == 1


# Tag spellings already judged: an article repeats the same few (`<p>`, `</div>`) hundreds of
# times. Bounded: cleared when full.
_ELEMENT_TAGS: dict[str, bool] = {}
_ELEMENT_TAGS_LIMIT = 4096


def _opens_element_cached(tag: re.Match[str]) -> bool:
    spelling = tag.group(0)
    known = _ELEMENT_TAGS.get(spelling)
    if known is None:
        if len(_ELEMENT_TAGS) >= _ELEMENT_TAGS_LIMIT:
            _ELEMENT_TAGS.clear()
        known = _ELEMENT_TAGS[spelling] = _opens_element(tag)
    return known


def _opens_element(tag: re.Match[str]) -> bool:
    """Whether a tag-shaped match opens (or closes) an HTML element, as the author meant it:
    a known element name, and no bare word among its attributes that HTML would not know.
    "a<b and c>d" is prose; "<img src=x onerror=…>" is a tag (which the sanitizer cleans)."""
    if tag.group(2).lower() not in HTML_ELEMENTS:
        return False
    attributes = tag.group(3)
    if tag.group(1):
        return not attributes.strip()
    for attribute in _ATTRIBUTE.finditer(attributes):
        name = attribute.group(1).lower()
        if attribute.group(2) or name in _BOOLEAN_ATTRIBUTES or name.startswith(("data-", "aria-")):
            continue
        return False
    return True


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

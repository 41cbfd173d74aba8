"""Markdown to safe HTML: the one renderer (import, admin save, admin preview, feeds).

    source ─► preprocess (math and comments cut out, list fixes) ─► Python-Markdown
           ─► sanitize (bleach allowlist; math elements pass as escaped text) ─► Rendered

Math is kramdown-style: `$$…$$` in running text is inline, a `$$…$$` paragraph (or `$$` lines
around TeX) is display; `\\(…\\)` and `\\[…\\]` work too; a single `$` is money. The output
elements (`span.math.math-inline` with `\\(…\\)`, `div.math.math-display` with `\\[…\\]`) are
typeset in the browser by static/js/katex-init.js and styled by static/css/content.css.

The Markdown instance and the sanitizer are built once per thread (neither is thread-safe) and
reset between documents.
"""

from __future__ import annotations

import hashlib
import inspect
import math
import re
import threading
import xml.etree.ElementTree as etree
from dataclasses import dataclass, field
from html import unescape

import markdown
from django.utils.translation import gettext as _
from markdown.extensions import Extension
from markdown.extensions.codehilite import CodeHiliteExtension
from markdown.extensions.footnotes import FootnoteExtension
from markdown.extensions.toc import TocExtension
from markdown.inlinepatterns import InlineProcessor as InlinePattern
from markdown.preprocessors import Preprocessor
from markdown.treeprocessors import InlineProcessor, Treeprocessor
from markdown.util import AtomicString
from pymdownx.tilde import DeleteSubExtension

from articles.body_images import responsive_images
from articles.preprocess import Preprocessed, preprocess
from articles.sanitize import Sanitizer
from articles.text import make_slug

WORDS_PER_MINUTE = 200
_WORD = re.compile(r"\w+(?:[-'’]\w+)*")


@dataclass(frozen=True)
class Heading:
    level: int
    id: str
    text: str


@dataclass(frozen=True)
class Rendered:
    html: str
    headings: list[Heading] = field(default_factory=list)
    math_inline: int = 0
    math_display: int = 0
    images: list[str] = field(default_factory=list)  # src of every image, in order
    removed: list[str] = field(default_factory=list)  # what the sanitizer dropped
    warnings: list[str] = field(default_factory=list)
    word_count: int = 0
    reading_minutes: int = 0
    # The visible text of `html` (math TeX included, entities decoded), taken from the
    # sanitizer's one pass, for search indexes: cheaper than parsing the output again.
    text: str = ""


def heading_slug(value: str, separator: str = "-") -> str:
    """toc's slugify: accents folded like every other slug on the site."""
    return make_slug(value) or "szakasz"


class _SourcePreprocessor(Preprocessor):
    """Runs right after Python-Markdown normalises whitespace, before code blocks and raw
    HTML are stashed, so that it sees the author's text (see articles.preprocess)."""

    def run(self, lines: list[str]) -> list[str]:
        result = preprocess("\n".join(lines), self.md.htmlStash.store)
        self.md.cikk_source = result  # type: ignore[attr-defined]
        return result.text.split("\n")


class _TableTreeprocessor(Treeprocessor):
    """Markdown tables get the house look of the raw ones: div.table-container >
    table.custom-table (the wrapper scrolls sideways on a phone)."""

    def run(self, root: etree.Element) -> None:
        for parent in list(root.iter()):
            for index, child in enumerate(list(parent)):
                if child.tag != "table":
                    continue
                classes = child.get("class", "").split()
                if "custom-table" not in classes:
                    child.set("class", " ".join([*classes, "custom-table"]))
                wrapper = etree.Element("div", {"class": "table-container"})
                wrapper.tail = child.tail
                child.tail = "\n"
                parent.remove(child)
                wrapper.append(child)
                parent.insert(index, wrapper)


# Inline pattern regexes (exactly as Python-Markdown 3.x and pymdownx write them) and the
# characters one of which every match of each contains: without them in a text, the pattern
# cannot match there. A pattern whose regex is not listed here simply gets no such shortcut.
_HTML_RE = (
    r"""(<(\/?+[a-zA-Z][^\s"'<>@]*+(?:\s+[^\s"'=<>]++(?:\s*+=\s*+(?:"[^"]*+"|'[^']*+'"""
    r"""|[^\s"'=<>]++))?+)*+\s*+/?|!--(?:(?!<!--|-->).)*--|[?](?:(?!<[?]|[?]>).)*[?]"""
    r"""|!\[CDATA\[(?:(?!<!\[CDATA\[|\]\]>).)*\]\])>)"""
)
_NEEDED_CHARACTERS = {
    r"(?:(?<!\\)((?:\\{2})+)(?=`+)|(?<!\\)`)": "`",  # backtick
    r"\\(.)": "\\",  # escape
    r"\[\^([^\]]*)\]": "[",  # footnote
    r"(?<!\!)\[": "[",  # reference, link, short_reference
    r"\!\[": "!",  # image_link, image_reference, short_image_ref
    r"<([A-Za-z][A-Za-z0-9+.-]*://[^<>]*)>": "<",  # autolink
    r"<([^<> !]+@[^@<> ]+)>": "<",  # automail
    r"  \n": "\n",  # linebreak
    _HTML_RE: "<",  # html: one group that opens with "<"
    r"(&(?:\#[0-9]+|\#x[0-9a-fA-F]+|[a-zA-Z0-9]+);)": "&",  # entity
    r"((^|(?<=\s))(~+)(?=\s|$))": "~",  # not_tilde
    "~": "~",  # sub_del
    r"\*|_": "*_",  # em_strong
}
_TRIGGERS = "".join(sorted(set("".join(_NEEDED_CHARACTERS.values()))))


class _QuickInlineProcessor(InlineProcessor):
    """Python-Markdown's inline pass, minus the cost of patterns that cannot match.

    The stock pass tries each of ~17 inline patterns on every text node through a Python call
    (ancestor checks, a finditer generator) after indexing the pattern registry (a sort check
    per lookup): ~4,700 tries for a seed-sized article, nearly all of them misses. This loop is
    the stock `__handleInline` with three changes: the registry is read once per document into
    a list in the same (priority) order; a pattern none of whose needed characters is in the
    text counts as a miss at once; and one whose regex finds nothing from the start index
    counts as a miss without the call (the stock method returns exactly `(data, False, 0)`
    then). A possible match runs the stock `__applyPattern` unchanged. Matching only ever
    replaces text by placeholders (STX "klzzwxh:0000" ETX, none of them a needed character), so
    the characters seen at the start of a text are a superset of those left later.
    """

    def run(self, tree: etree.Element, ancestors: list[str] | None = None) -> etree.Element:
        patterns = list(self.md.inlinePatterns)  # the registry's own order, by priority
        self.inlinePatterns = patterns  # type: ignore[assignment]
        # Old-style patterns match on a slice with "^": no shortcut for them.
        self._searches = [
            p.getCompiledRegExp().search if isinstance(p, InlinePattern) else None for p in patterns
        ]
        self._needs = [_needed_characters(p) for p in patterns]
        return super().run(tree, ancestors)

    def _InlineProcessor__handleInline(
        self,
        data: str,
        patternIndex: int = 0,
    ) -> str:
        if isinstance(data, AtomicString):
            return data
        patterns, searches, needs = self.inlinePatterns, self._searches, self._needs
        present = frozenset(ch for ch in _TRIGGERS if ch in data)
        apply = self._InlineProcessor__applyPattern  # type: ignore[attr-defined]
        count = len(patterns)
        start = 0
        while patternIndex < count:
            needed = needs[patternIndex]
            search = searches[patternIndex]
            if (needed is not None and needed.isdisjoint(present)) or (
                search is not None and search(data, start) is None
            ):
                patternIndex += 1
                start = 0
                continue
            data, matched, start = apply(patterns[patternIndex], data, patternIndex, start)
            if not matched:
                patternIndex += 1
        return data


def _needed_characters(pattern: object) -> frozenset[str] | None:
    if not isinstance(pattern, InlinePattern):
        return None
    regex = pattern.getCompiledRegExp()
    if regex.flags & (re.IGNORECASE | re.VERBOSE):
        return None  # the listed readings assume neither
    needed = _NEEDED_CHARACTERS.get(regex.pattern)
    return frozenset(needed) if needed else None


# The private methods of Python-Markdown's inline pass that _QuickInlineProcessor copies and
# calls, as of the release it was checked against (Markdown 3.11). Another release that
# changes them gets the stock pass (slower, never wrong); test_rendering_speedups asserts the
# quick pass is active with the pinned version, so an upgrade that turns it off is noticed.
_STOCK_INLINE_FINGERPRINT = "7bb364a981d1d753117d7f8b210cc3de6fab253eae16d16bd9c597b7f11d50e9"


def _stock_inline_fingerprint() -> str | None:
    try:
        source = inspect.getsource(
            InlineProcessor._InlineProcessor__handleInline  # type: ignore[attr-defined]
        ) + inspect.getsource(
            InlineProcessor._InlineProcessor__applyPattern  # type: ignore[attr-defined]
        )
    except (AttributeError, OSError, TypeError):  # renamed, or no source shipped
        return None
    return hashlib.sha256(source.encode()).hexdigest()


QUICK_INLINE = _stock_inline_fingerprint() == _STOCK_INLINE_FINGERPRINT


class _CikkExtension(Extension):
    def extendMarkdown(self, md: markdown.Markdown) -> None:
        md.preprocessors.register(_SourcePreprocessor(md), "cikk_source", 29)
        md.treeprocessors.register(_TableTreeprocessor(md), "cikk_tables", 5)
        if QUICK_INLINE:
            # Same name and priority: replaces the stock inline pass.
            md.treeprocessors.register(_QuickInlineProcessor(md), "inline", 20)


def _build_markdown() -> markdown.Markdown:
    return markdown.Markdown(
        extensions=[
            "tables",
            "fenced_code",
            # Pygments CSS classes (styled in content.css), never inline styles; no guessing,
            # so prose indented by mistake is not coloured as some language.
            CodeHiliteExtension(guess_lang=False, use_pygments=True, noclasses=False),
            FootnoteExtension(BACKLINK_TITLE=_("Vissza a(z) %d. lábjegyzethez")),
            TocExtension(slugify=heading_slug, toc_depth="1-6"),
            "attr_list",
            "md_in_html",
            "sane_lists",
            # ~~strike~~ only: a finance text writes "~5 és ~10 millió", never subscripts.
            DeleteSubExtension(subscript=False),
            _CikkExtension(),
        ],
        output_format="html",
    )


class _Pipeline(threading.local):
    """One Markdown instance and one sanitizer per thread, built on first use."""

    md: markdown.Markdown | None = None
    sanitizer: Sanitizer | None = None

    def get(self) -> tuple[markdown.Markdown, Sanitizer]:
        if self.md is None or self.sanitizer is None:
            self.md = _build_markdown()
            self.sanitizer = Sanitizer()
        return self.md, self.sanitizer


_pipeline = _Pipeline()


def _flatten(tokens: list[dict]) -> list[Heading]:
    headings: list[Heading] = []
    for token in tokens:
        headings.append(Heading(int(token["level"]), token["id"], unescape(token["name"])))
        headings.extend(_flatten(token.get("children", [])))
    return headings


def render(text: str) -> Rendered:
    """Render an article's Markdown to sanitized HTML plus what templates and checks need."""
    md, sanitizer = _pipeline.get()
    md.reset()
    md.cikk_source = Preprocessed(text="")  # type: ignore[attr-defined]
    html = md.convert(text or "")
    source: Preprocessed = md.cikk_source  # type: ignore[attr-defined]
    headings = _flatten(getattr(md, "toc_tokens", []))
    md.reset()  # do not keep the last document alive in the thread's instance

    clean = sanitizer.clean(html)
    warnings = list(source.warnings)
    for src in clean.images_without_alt:
        warnings.append(_("Kép alternatív szöveg nélkül: %(src)s") % {"src": src})
    words = len(_WORD.findall(clean.text))
    return Rendered(
        html=responsive_images(clean.html),  # after sanitizing: only our own stored images
        headings=headings,
        math_inline=source.math_inline,
        math_display=source.math_display,
        images=clean.images,
        removed=clean.removed,
        warnings=warnings,
        word_count=words,
        reading_minutes=math.ceil(words / WORDS_PER_MINUTE) if words else 0,
        text=clean.plain,
    )


def markdownify(text: str) -> str:
    """django-markdownx's MARKDOWNX_MARKDOWNIFY_FUNCTION: the admin preview."""
    return render(text).html

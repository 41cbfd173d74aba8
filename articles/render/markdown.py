"""Step 2: Python-Markdown with the magazine's extensions, through public extension points only.

The source preprocessor (articles.render.preprocess) is registered as an ordinary
Preprocessor, right after Python-Markdown normalises whitespace and before code blocks and raw
HTML are stashed, so that it sees the author's text; math slots go into Markdown's raw-HTML stash.
It then picks, for this document, the inline patterns, block processors and tree processors its
text can trigger (_Selection: Python-Markdown would try every one on every text node and block).
Headings get their ids from our own tree processor (not toc: no `[TOC]` marker); `~~strike~~` is
one pattern of our own; Markdown inside raw HTML is not read (no md_in_html).
"""

from __future__ import annotations

import html
import re
import threading
import xml.etree.ElementTree as etree
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import markdown
from django.utils.translation import gettext as _
from markdown.blockprocessors import BlockProcessor
from markdown.extensions import Extension, toc
from markdown.extensions.codehilite import CodeHiliteExtension
from markdown.extensions.footnotes import FootnoteExtension
from markdown.inlinepatterns import InlineProcessor
from markdown.preprocessors import Preprocessor
from markdown.treeprocessors import Treeprocessor
from markdown.util import ETX, INLINE_PLACEHOLDER_PREFIX, STX, AtomicString, Registry
from pymdownx.tilde import NOT_TILDE, SMART_DEL

from articles.render.math import MathSlots
from articles.render.preprocess import Preprocessed, preprocess
from articles.text import make_slug


def heading_slug(value: str, separator: str = "-") -> str:
    """toc's slugify: accents folded like every other slug on the site."""
    return make_slug(value) or "szakasz"


# What each inline pattern needs to find in the text to ever match (any one of these). Every
# text node the inline pass reads is a piece of the preprocessed source (or a placeholder,
# which holds none of these characters), so a pattern whose trigger is absent from it never
# matches in that document (see _Selection).
_INLINE_TRIGGERS: dict[str, tuple[str, ...] | None] = {
    "backtick": ("`",),
    "escape": ("\\",),
    "footnote": ("[^",),
    "reference": ("[",),
    "link": ("[",),
    "image_link": ("![",),
    "image_reference": ("![",),
    "short_reference": ("[",),
    "short_image_ref": ("![",),
    "autolink": ("<",),
    "automail": ("@",),
    "linebreak": ("  \n",),
    "html": ("<",),
    "entity": ("&",),
    "not_strong": ("*", "_"),
    "strong_em": ("*",),
    "strong_em2": ("_",),
    "cikk_strike": ("~~",),
}


# The same for block processors: the table processor's test and the footnote and reference
# processors' runs are tried on every block; their markers are `|`, `[^…]:` and `[…]:`.
# None: always kept.
_BLOCK_TRIGGERS: dict[str, tuple[str, ...] | None] = {
    "empty": None,
    "indent": None,
    "code": None,
    "table": ("|",),
    "hashheader": None,
    "setextheader": None,
    "hr": None,
    "olist": None,
    "ulist": None,
    "quote": None,
    "footnote": ("[^",),
    "reference": ("]:",),
    "paragraph": None,
}


# Preprocessors, chosen on the source itself (their registry is read before ours runs):
# fenced_code joins the lines, searches them for a fence and splits them again. The whitespace
# normaliser deletes STX/ETX, which could join two runs of backticks into a fence.
_PRE_TRIGGERS: dict[str, tuple[str, ...] | None] = {
    "normalize_whitespace": None,
    "cikk_source": None,
    "fenced_code_block": ("```", "~~~", "\x02", "\x03"),
    "html_block": None,
}


# And tree processors that walk every element: attr_list looks for `{…}` in every text, the
# unescape pass restores backslash escapes (made only by the escape and backtick patterns),
# the footnote ones add and check footnotes.
_TREE_TRIGGERS: dict[str, tuple[str, ...] | None] = {
    "cikk_inline_gate": None,
    "inline": None,
    "prettify": None,
    "unescape": ("\\",),
    "hilite": None,
    "footnote": ("[^",),
    "footnote-duplicate": ("[^",),
    "attr_list": ("{",),
    "cikk_headings": None,
    "cikk_tables": None,
}


class _Selection:
    """Only the processors that can match in this document are tried.

    Python-Markdown tries every registered inline pattern on every text node (a Python call and a
    regex search each), and every block processor on every block: most of those tries are for
    patterns whose first character is nowhere in the text (no backtick, no link, no footnote, no
    `~~`). Through the registry's public register/deregister, each document gets the processors its
    text can trigger, in their usual order; the others are left out. If the registry holds a
    processor the table does not know, all stay, always."""

    def __init__(
        self,
        registry: Registry,
        triggers: dict[str, tuple[str, ...] | None],
        replacements: dict[str, Any] | None = None,
    ) -> None:
        self.registry = registry
        self.triggers = triggers
        names = sorted(
            (name for name in triggers if name in registry), key=registry.get_index_for_name
        )
        self.optional: list[tuple[str, Any, int]] = []
        if len(names) != len(registry):
            return  # one we cannot judge: select nothing
        # An equivalent of our own may take a processor's place (same name, same order).
        replacements = replacements or {}
        items = [(name, replacements.get(name, registry[name])) for name in names]
        for name in names:
            registry.deregister(name)
        # The same order, with priorities of our own (so that one can be added back in place).
        for rank, (name, item) in enumerate(items):
            priority = 10 * (len(items) - rank)
            registry.register(item, name, priority)
            if triggers[name] is not None:
                self.optional.append((name, item, priority))

    def select(self, text: str | _Found) -> None:
        registry = self.registry
        found = text if isinstance(text, _Found) else _Found(text)
        for name, item, priority in self.optional:
            needed = any(found[trigger] for trigger in self.triggers[name])
            if needed and name not in registry:
                registry.register(item, name, priority)
            elif not needed and name in registry:
                registry.deregister(name)


class _Found(dict[str, bool]):
    """Whether each trigger is in a text, looked up once per text (several processors share
    a trigger, and a missing one costs a scan of the whole text)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def __missing__(self, trigger: str) -> bool:
        found = self[trigger] = trigger in self.text
        return found


class _InlineGate(Treeprocessor):
    """Text in which none of the document's inline patterns can match skips the inline pass.

    Python-Markdown's inline pass tries every pattern of the document on every text node (a
    Python call and a regex search each), yet most nodes of an article (a table cell, a heading,
    a paragraph without a link or emphasis) hold no character any of them needs (the same
    `_INLINE_TRIGGERS` as for _Selection). Such a text is marked `AtomicString`, Python-Markdown's
    public "do not process" string, which the pass leaves exactly as it is: with no pattern
    matching and no inline placeholder in it, the pass would have returned it unchanged. When a
    pattern the table does not know is registered, nothing is marked."""

    def __init__(self, md: markdown.Markdown) -> None:
        super().__init__(md)
        self.gate: re.Pattern[str] | None = None

    def select(self, registry: Registry) -> None:
        """Set the gate for the inline patterns registered for this document."""
        names = [name for name in _INLINE_TRIGGERS if name in registry]
        if len(names) != len(registry):
            self.gate = None  # a pattern we cannot judge: every text goes through the pass
            return
        needed = {INLINE_PLACEHOLDER_PREFIX}
        for name in names:
            triggers = _INLINE_TRIGGERS[name]
            if triggers is None:
                self.gate = None
                return
            needed.update(triggers)
        self.gate = _trigger_pattern(frozenset(needed))

    def run(self, root: etree.Element) -> None:
        gate = self.gate
        if gate is None:
            return
        search = gate.search
        for element in root.iter():
            text = element.text
            if text and type(text) is str and not search(text):
                element.text = AtomicString(text)
            tail = element.tail
            if tail and type(tail) is str and not search(tail):
                element.tail = AtomicString(tail)


@lru_cache(maxsize=64)
def _trigger_pattern(triggers: frozenset[str]) -> re.Pattern[str]:
    return re.compile("|".join(re.escape(trigger) for trigger in sorted(triggers)))


class _SourcePreprocessor(Preprocessor):
    """articles.render.preprocess on the normalised source; formulas go to the slots. Then
    the inline patterns and block processors are chosen for the preprocessed text."""

    def __init__(self, md: markdown.Markdown) -> None:
        super().__init__(md)
        self.slots = MathSlots()
        self.result = Preprocessed(text="")
        self.selections: list[_Selection] = []
        self.gate: _InlineGate | None = None

    def run(self, lines: list[str]) -> list[str]:
        store = self.md.htmlStash.store

        def math(tex: str, display: bool, line: int) -> str:
            return store(self.slots.slot(tex, display, line))

        self.result = preprocess("\n".join(lines), math)
        found = _Found(self.result.text)
        for selection in self.selections:
            selection.select(found)
        if self.gate is not None:
            self.gate.select(self.md.inlinePatterns)
        return self.result.text.split("\n")


class _TableTreeprocessor(Treeprocessor):
    """Markdown tables get the house look of the raw ones: div.table-container >
    table.custom-table (the wrapper scrolls sideways on a phone)."""

    def run(self, root: etree.Element) -> None:
        if root.find(".//table") is None:
            return  # most articles: one C-level search instead of a walk in Python
        for parent in [element for element in root.iter() if element.find("table") is not None]:
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


_HEADING_LEVELS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
# Text that needs Markdown's own serializing to read: placeholders (raw HTML, escapes) and
# entities. Anything else reads as written.
_NEEDS_SERIALIZING = re.compile("[\x02\x03&]")


class _HeadingsTreeprocessor(Treeprocessor):
    """Every heading gets an id (our slugify, unique in the document; an id the author set
    with `{: #id}` is kept), and the heading list is collected, in one walk of the tree.

    Replaces Python-Markdown's toc extension, which also builds and serializes a table of
    contents for its `[TOC]` marker: the magazine does not use that (the reader page makes
    its own from these headings), and that work was a measurable share of a render (figures in
    bench/README.md, Rendering). The ids, names
    and their de-duplication are the same as toc's (its public helpers are used for headings
    with markup inside). Also notes the ids of headings that open an empty section: nothing
    but the next heading of the same or a higher level (or the end) after them; raw HTML (a
    house box's own <h2>) is not a section of the article."""

    def __init__(self, md: markdown.Markdown) -> None:
        super().__init__(md)
        self.headings: list[Heading] = []

    def run(self, root: etree.Element) -> None:
        # Two C-level searches instead of a Python loop over every element.
        used_ids = {element.get("id") for element in root.iterfind(".//*[@id]")}
        found = [element for element in root.iter() if element.tag in _HEADING_LEVELS]
        counters: dict[str, int] = {}
        names: dict[etree.Element, str] = {}
        for element in found:
            text = element.text or ""
            if len(element) or _NEEDS_SERIALIZING.search(text):
                name = html.unescape(
                    toc.strip_tags(toc.render_inner_html(toc.remove_fnrefs(element), self.md))
                )
            else:  # plain text: what toc's serializing, unescaping and strip_tags give back
                name = " ".join(text.split())
            if "id" not in element.attrib:
                element.attrib["id"] = toc.unique(heading_slug(name), used_ids, counters)
            if "data-toc-label" in element.attrib:  # the list shows the label (not the id)
                label = element.attrib.pop("data-toc-label")
                label = toc.run_postprocessors(toc.unescape(label), self.md)
                name = html.unescape(toc.escape_cdata(toc.strip_tags(label)))
            names[element] = name
        empty = self._empty_sections(root)
        self.headings = []
        for element in found:
            heading_id = element.attrib["id"]
            if "\x02" in heading_id:
                heading_id = toc.unescape(heading_id)
            self.headings.append(
                Heading(_HEADING_LEVELS[element.tag], heading_id, names[element], element in empty)
            )

    @staticmethod
    def _empty_sections(root: etree.Element) -> set[etree.Element]:
        empty: set[etree.Element] = set()
        children = list(root)
        for index, child in enumerate(children):
            level = _HEADING_LEVELS.get(child.tag)
            if level is None:
                continue
            following = children[index + 1] if index + 1 < len(children) else None
            next_level = _HEADING_LEVELS.get(following.tag) if following is not None else 0
            if following is None or (next_level is not None and next_level <= level):
                empty.add(child)
        return empty


class _PrettifyTreeprocessor(Treeprocessor):
    """Python-Markdown's prettify step (line breaks between block elements, after `<br>`, at the
    end of code blocks), the same rules in one pass: the stock one asks `md.is_block_level` (a
    scan of a ~60-name list) about every element and its first child, ~850 times an article.
    Here the names are a set, read from `md.block_level_elements` on each run."""

    def run(self, root: etree.Element) -> None:
        blocks = frozenset(self.md.block_level_elements)

        def block_level(tag: object) -> bool:
            return isinstance(tag, str) and tag.lower().rstrip("/") in blocks

        def prettify(element: etree.Element) -> None:
            if block_level(element.tag) and element.tag not in ("code", "pre"):
                text = element.text
                if (not text or not text.strip()) and len(element) and block_level(element[0].tag):
                    element.text = "\n"
                for child in element:
                    if block_level(child.tag):
                        prettify(child)
            tail = element.tail
            if not tail or not tail.strip():
                element.tail = "\n"

        prettify(root)
        for br in root.iter("br"):
            tail = br.tail
            br.tail = "\n" if not tail or not tail.strip() else f"\n{tail}"
        for pre in root.iter("pre"):
            if len(pre) and pre[0].tag == "code":
                code = pre[0]
                if not len(code) and code.text is not None:
                    code.text = AtomicString(code.text.rstrip() + "\n")


# A line of spaces only, after a newline: Python-Markdown's `(?<=\n) +\n` (which its regex
# engine tries at every position of the text) written to start at the newline.
_SPACES_LINE = re.compile(r"\n +(?=\n)")


class _NormalizeWhitespace(Preprocessor):
    """Python-Markdown's first preprocessor, the same steps: STX/ETX deleted, line ends and tabs
    normalised, two newlines added, lines of spaces emptied. Only the last regex differs in
    spelling: it deletes the same spaces, found from their newline instead of at every
    character (a tenth of the cost on an article)."""

    def run(self, lines: list[str]) -> list[str]:
        source = "\n".join(lines)
        source = source.replace(STX, "").replace(ETX, "")
        source = source.replace("\r\n", "\n").replace("\r", "\n") + "\n\n"
        source = source.expandtabs(self.md.tab_length)
        source = _SPACES_LINE.sub("\n", source)
        return source.split("\n")


class _Needs(BlockProcessor):
    """A stock block processor, tried only on blocks that hold one of the strings its test
    cannot succeed without. Python-Markdown tries every block processor's test on every block;
    these search the whole block with a regex (or, for tables, split its first lines into
    cells). The stock processor keeps its own state and does the work."""

    def __init__(self, inner: BlockProcessor, needles: tuple[str, ...]) -> None:
        super().__init__(inner.parser)
        self.inner = inner
        self.needles = needles

    def test(self, parent: etree.Element, block: str) -> bool:
        for needle in self.needles:
            if needle in block:
                return self.inner.test(parent, block)
        return False

    def run(self, parent: etree.Element, blocks: list[str]) -> bool | None:
        return self.inner.run(parent, blocks)


# What each of those tests needs in a block: a table's header row has a pipe (a row of more
# than one cell, or a one-cell row with a border); an ATX heading a "#"; a blockquote a ">"; a
# setext heading's underline starts the block's second line with "=" or "-".
_BLOCK_NEEDS: dict[str, tuple[str, ...]] = {
    "table": ("|",),
    "hashheader": ("#",),
    "quote": (">",),
    "setextheader": ("\n=", "\n-"),
}


# pymdownx.tilde's "smart" strike: `~~` at word boundaries, content not starting or ending
# with a space; a run of `~` between spaces is never a delimiter.
_SMART_DEL = re.compile(SMART_DEL, re.DOTALL | re.UNICODE)
_NOT_TILDE = re.compile(NOT_TILDE)


class _StrikeProcessor(InlineProcessor):
    """`~~text~~` → `<del>`, exactly as pymdownx.tilde (smart delete, no subscript) reads it,
    with one inline pattern instead of its two: Python-Markdown tries every inline pattern on
    every text node, so each pattern costs on every article. tilde first turns a run of
    `~` between spaces into text (its `not_tilde` pattern); here such runs are masked for the
    match instead, which finds the same delimiters."""

    def __init__(self, md: markdown.Markdown) -> None:
        super().__init__("~~", md)

    def handleMatch(  # type: ignore[override]
        self, m: re.Match[str], data: str
    ) -> tuple[etree.Element | None, int | None, int | None]:
        view = data
        if _NOT_TILDE.search(data):
            view = _NOT_TILDE.sub(lambda run: "\x00" * len(run.group(0)), data)
        match = _SMART_DEL.match(view, m.start(0))
        if match is None:
            return None, None, None
        element = etree.Element("del")
        element.text = data[match.start(2) : match.end(2)]
        return element, match.start(0), match.end(0)


class _StrikeExtension(Extension):
    def extendMarkdown(self, md: markdown.Markdown) -> None:
        if "~" not in md.ESCAPED_CHARS:
            md.ESCAPED_CHARS = [*md.ESCAPED_CHARS, "~"]  # `\~` is an escape, as with tilde
        md.inlinePatterns.register(_StrikeProcessor(md), "cikk_strike", 65)


class _CikkExtension(Extension):
    def extendMarkdown(self, md: markdown.Markdown) -> None:
        self.source = _SourcePreprocessor(md)
        self.headings = _HeadingsTreeprocessor(md)
        md.preprocessors.register(self.source, "cikk_source", 29)
        # Where toc ran: after attr_list (8, author ids) and prettify (10).
        md.treeprocessors.register(self.headings, "cikk_headings", 5)
        md.treeprocessors.register(_TableTreeprocessor(md), "cikk_tables", 4)
        # Right before the inline pass (20), after everything that adds text for it.
        self.source.gate = _InlineGate(md)
        md.treeprocessors.register(self.source.gate, "cikk_inline_gate", 21)
        # Last in the extension list: every other processor is registered by now. Ours take
        # the places of the whitespace normaliser, prettify and a few block tests (when the
        # selections can be made).
        blocks = md.parser.blockprocessors
        self.preprocessors = _Selection(
            md.preprocessors, _PRE_TRIGGERS, {"normalize_whitespace": _NormalizeWhitespace(md)}
        )
        self.source.selections = [
            _Selection(md.inlinePatterns, _INLINE_TRIGGERS),
            _Selection(
                blocks,
                _BLOCK_TRIGGERS,
                {
                    name: _Needs(blocks[name], needles)
                    for name, needles in _BLOCK_NEEDS.items()
                    if name in blocks
                },
            ),
            _Selection(md.treeprocessors, _TREE_TRIGGERS, {"prettify": _PrettifyTreeprocessor(md)}),
        ]


def _build() -> tuple[markdown.Markdown, _CikkExtension]:
    cikk = _CikkExtension()
    md = markdown.Markdown(
        extensions=[
            "tables",
            "fenced_code",
            # Pygments CSS classes (styled in content.css), never inline styles; no guessing,
            # so prose indented by mistake is not coloured as some language.
            CodeHiliteExtension(guess_lang=False, use_pygments=True, noclasses=False),
            FootnoteExtension(BACKLINK_TITLE=_("Vissza a(z) %d. lábjegyzethez")),
            "attr_list",
            "sane_lists",
            # Emphasis that never drops a character (Python-Markdown 3.11's own delimiter pass
            # turns "*a**b c*d" into "*a<strong>b c</strong>", the "d" lost).
            "pymdownx.betterem",
            # ~~strike~~ only: a finance text writes "~5 és ~10 millió", never subscripts.
            _StrikeExtension(),
            cikk,
        ],
        output_format="html",
    )
    return md, cikk


class _PerThread(threading.local):
    """One Markdown instance per thread (it is not thread-safe), built on first use."""

    built: tuple[markdown.Markdown, _CikkExtension] | None = None


_per_thread = _PerThread()


@dataclass(frozen=True)
class Heading:
    level: int
    id: str
    text: str
    empty: bool = False  # opens a section with nothing in it (for the editorial checks)


@dataclass
class Converted:
    """Markdown's HTML (not yet sanitized) and what the parse learnt on the way."""

    html: str
    headings: list[Heading]
    slots: MathSlots
    warnings: list[str] = field(default_factory=list)
    unclosed: list[tuple[str, int]] = field(default_factory=list)


def convert(text: str) -> Converted:
    """Markdown source to (unsanitized) HTML, with headings, formulas and warnings."""
    if _per_thread.built is None:
        _per_thread.built = _build()
    md, cikk = _per_thread.built
    md.reset()
    slots = cikk.source.slots = MathSlots()
    cikk.source.result = Preprocessed(text="")
    cikk.preprocessors.select(text or "")
    try:
        html = md.convert(text or "")
        headings = cikk.headings.headings
        warnings = list(cikk.source.result.warnings)
        unclosed = list(cikk.source.result.unclosed)
    finally:
        md.reset()  # do not keep the last document alive in the thread's instance
        cikk.source.result = Preprocessed(text="")
        cikk.headings.headings = []
    return Converted(html, headings, slots, warnings, unclosed)

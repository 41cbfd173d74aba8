"""The sanitizer: the last word on what HTML reaches a reader (bleach + its CSS sanitizer).

The allowlist is exactly what the renderer and the magazine's house blocks need; everything else
is dropped, and what was dropped is reported (`Sanitized.removed`) so the editorial checks can tell
the author. One html5lib parse does all of it: a first filter drops dangerous elements together
with their content and records what the allowlist is about to remove, bleach's filter enforces the
allowlist, and a last filter adds reader-facing attributes (lazy images, rel on outside links).

Not thread-safe (html5lib parsers keep state): make one Sanitizer per thread.
"""

from __future__ import annotations

import re
import threading
import xml.etree.ElementTree as etree
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import tinycss2
from bleach import html5lib_shim
from bleach._vendor.html5lib.constants import voidElements
from bleach.css_sanitizer import CSSSanitizer
from bleach.sanitizer import BleachSanitizerFilter

from articles.html_tokenizer import FAST_TAGS, FastTagHTMLParser

ALLOWED_TAGS = frozenset(
    {
        # text and structure emitted by Markdown and its extensions
        "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote",
        "ul", "ol", "li", "strong", "em", "b", "i", "u", "del", "s", "ins", "sub", "sup",
        "small", "mark", "abbr", "code", "pre", "kbd", "span", "div", "a", "img",
        "figure", "figcaption",
        "table", "thead", "tbody", "tfoot", "tr", "th", "td", "caption",
    }
)  # fmt: skip

# Dropped together with everything inside them (a script's text is not prose).
DROP_WITH_CONTENT = frozenset(
    {
        "script", "style", "iframe", "frame", "frameset", "object", "embed", "applet", "svg",
        "math", "noscript", "noembed", "noframes", "template", "textarea", "select", "xmp",
        "plaintext", "title", "head", "base", "link", "meta", "param", "audio", "video",
        "source", "track", "canvas", "portal", "dialog",
    }
)  # fmt: skip

_COMMON = frozenset({"class", "title"})
ALLOWED_ATTRIBUTES: dict[str, frozenset[str]] = {
    "a": _COMMON | {"href", "rel"},
    "img": _COMMON | {"src", "alt", "width", "height", "loading", "decoding", "style"},
    "div": _COMMON | {"style"},
    "span": _COMMON,
    "code": _COMMON,
    "pre": _COMMON,
    "p": _COMMON,
    "h1": _COMMON | {"id"},
    "h2": _COMMON | {"id"},
    "h3": _COMMON | {"id"},
    "h4": _COMMON | {"id"},
    "h5": _COMMON | {"id"},
    "h6": _COMMON | {"id"},
    "sup": _COMMON | {"id"},
    "li": _COMMON | {"id"},
    "ol": _COMMON | {"start"},
    "ul": _COMMON,
    "table": _COMMON,
    "th": _COMMON | {"style", "colspan", "rowspan", "scope"},
    "td": _COMMON | {"style", "colspan", "rowspan"},
    "abbr": _COMMON,
    "figure": _COMMON,
}
_DEFAULT_ATTRIBUTES = _COMMON

ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})

ALLOWED_CSS_PROPERTIES = frozenset(
    {
        "width", "max-width", "min-width", "height", "max-height", "min-height",
        "text-align", "vertical-align", "float", "object-fit", "aspect-ratio",
        "margin", "margin-top", "margin-right", "margin-bottom", "margin-left",
        "padding", "padding-top", "padding-right", "padding-bottom", "padding-left",
        "font-weight", "font-style", "text-decoration", "white-space",
    }
)  # fmt: skip
# CSS functions that compute lengths; anything else (url, expression, image-set, …) is refused.
_SAFE_CSS_FUNCTIONS = frozenset({"calc", "min", "max", "clamp"})

_ID = re.compile(r"[A-Za-z][A-Za-z0-9_:.\-]{0,99}")
_CLASS = re.compile(r"[A-Za-z0-9_\- ]{0,200}")
_NUMBER = re.compile(r"\d{1,9}%?")
_URI_JUNK = re.compile(r"[`\x00-\x20\x7f-\xa0\s]+")
_SCHEME = re.compile(r"([a-z][a-z0-9+.\-]*):")
_EXTERNAL = re.compile(r"(?:https?:)?//", re.IGNORECASE)
_EMPTY_PARAGRAPH = re.compile(r"<p>\s*</p>\n?")
_URI_ATTRIBUTES = frozenset({"href", "src", "action", "formaction", "xlink:href", "poster"})


def attribute_allowed(tag: str, name: str, value: str) -> bool:
    """bleach's attribute hook: the allowlist, plus shape checks on values that need them."""
    if name not in ALLOWED_ATTRIBUTES.get(tag, _DEFAULT_ATTRIBUTES):
        return False
    if name == "id":
        return bool(_ID.fullmatch(value))
    if name == "class":
        return bool(_CLASS.fullmatch(value))
    if name in ("width", "height", "start", "colspan", "rowspan"):
        return bool(_NUMBER.fullmatch(value.strip()))
    if name == "loading":
        return value in ("lazy", "eager")
    if name == "decoding":
        return value in ("async", "sync", "auto")
    return True


def uri_scheme(value: str) -> str | None:
    """The scheme of a URL the way a browser reads it (entities, case, junk characters)."""
    normalized = _URI_JUNK.sub("", html5lib_shim.convert_entities(value)).lower()
    normalized = re.sub(r"[^\x00-\x7f]", "", normalized)
    m = _SCHEME.match(normalized)
    return m.group(1) if m else None


class SafeCSSSanitizer(CSSSanitizer):
    """bleach's CSS sanitizer checks property names only; this one also refuses values that
    load or run anything (url(), expression(), image-set(), escapes), and records drops."""

    def __init__(self) -> None:
        super().__init__(allowed_css_properties=ALLOWED_CSS_PROPERTIES, allowed_svg_properties=())
        self.removed: list[str] | None = None
        # style value → (its sanitized value, what it drops): an article repeats the same few
        # table-cell and image styles dozens of times, and each costs a tinycss2 parse.
        self._seen: dict[str, tuple[str, tuple[str, ...]]] = {}

    def _record(self, what: str) -> None:
        if self.removed is not None and what not in self.removed:
            self.removed.append(what)

    def _value_is_safe(self, tokens: list[Any]) -> bool:
        if not _only_safe_functions(tokens):
            return False
        serialized = tinycss2.serialize(tokens).lower()
        return not any(bad in serialized for bad in ("\\", "url(", "expression", "javascript:"))

    def sanitize_css(self, style: str) -> str:
        seen = self._seen.get(style)
        if seen is None:
            if len(self._seen) >= 4096:  # bounded: hostile input may vary every style
                self._seen.clear()
            seen = self._seen[style] = self._sanitize(style)
        value, dropped = seen
        for what in dropped:
            self._record(what)
        return value

    def _sanitize(self, style: str) -> tuple[str, tuple[str, ...]]:
        kept = []
        dropped: list[str] = []
        for token in tinycss2.parse_declaration_list(style):
            if token.type == "declaration":
                if token.lower_name not in self.allowed_css_properties:
                    dropped.append(f"style: {token.lower_name}")
                elif not self._value_is_safe(token.value):
                    dropped.append(f"style: {token.lower_name} ({tinycss2.serialize(token.value)})")
                else:
                    kept.append(token)
            elif token.type in ("at-rule", "error"):
                dropped.append("style: invalid CSS")
        value = "; ".join(
            f"{t.lower_name}: {tinycss2.serialize(t.value).strip()}"
            + (" !important" if t.important else "")
            for t in kept
        )
        return value, tuple(dropped)


def _only_safe_functions(tokens: list[Any]) -> bool:
    """No url token and no function outside calc/min/max/clamp, at any nesting depth."""
    for token in tokens:
        kind = token.type
        if kind == "url":
            return False
        if kind == "function":
            if token.lower_name not in _SAFE_CSS_FUNCTIONS:
                return False
            nested = token.arguments
        elif kind in ("() block", "[] block", "{} block"):
            nested = token.content
        else:
            continue
        if not _only_safe_functions(nested):
            return False
    return True


_TAG = re.compile(r"{([^}]*)}(.*)")
_SPACE = "\t\n\x0c\r "  # html5lib's space characters
_HTML_NS = html5lib_shim.namespaces["html"]
_COMMENT_TAG = etree.Comment


def walk_tokens(fragment: etree.Element) -> Iterator[dict]:
    """The token stream of html5lib's etree tree walker for a parsed fragment, token for
    token, without its per-node bookkeeping (it cost a fifth of the sanitizer's time).

    Iterative (an explicit stack), so deeply nested hostile input cannot exhaust the
    recursion limit. tests/test_sanitizer.py checks it against html5lib's own walker.
    """
    # Stack entries: (element, index of the next child) while inside an element.
    stack: list[tuple[etree.Element, int]] = [(fragment, 0)]
    if fragment.text:
        yield from _text_tokens(fragment.text)
    while stack:
        parent, index = stack[-1]
        if index >= len(parent):
            stack.pop()
            if stack:  # the fragment root itself has no tags of its own
                end = _end_token(parent)
                if end is not None:
                    yield end
                if parent.tail:
                    yield from _text_tokens(parent.tail)
            continue
        stack[-1] = (parent, index + 1)
        node = parent[index]
        tag = node.tag
        if tag is _COMMENT_TAG:
            yield {"type": "Comment", "data": node.text}
            if node.tail:
                yield from _text_tokens(node.tail)
            continue
        namespace, name = _split_name(tag)
        attrs = {}
        for key, value in list(node.attrib.items()):
            attrs[_split_name(key)] = value
        if (not namespace or namespace == _HTML_NS) and name in voidElements:
            yield {"type": "EmptyTag", "name": name, "namespace": namespace, "data": attrs}
            if len(node) or node.text:
                yield {"type": "SerializeError", "data": "Void element has children"}
            if node.tail:
                yield from _text_tokens(node.tail)
            continue
        yield {"type": "StartTag", "name": name, "namespace": namespace, "data": attrs}
        if node.text:
            yield from _text_tokens(node.text)
        stack.append((node, 0))


def _split_name(name: str) -> tuple[str | None, str]:
    if name[:1] == "{":
        match = _TAG.match(name)
        if match:
            return match.group(1), match.group(2)
    return None, name


def _end_token(node: etree.Element) -> dict | None:
    namespace, name = _split_name(node.tag)
    if (namespace and namespace != _HTML_NS) or name not in voidElements:
        return {"type": "EndTag", "name": name, "namespace": namespace}
    return None


def _text_tokens(data: str) -> Iterator[dict]:
    middle = data.lstrip(_SPACE)
    left = data[: len(data) - len(middle)]
    if left:
        yield {"type": "SpaceCharacters", "data": left}
    stripped = middle.rstrip(_SPACE)
    right = middle[len(stripped) :]
    if stripped:
        yield {"type": "Characters", "data": stripped}
    if right:
        yield {"type": "SpaceCharacters", "data": right}


class _DropAndRecord(html5lib_shim.Filter):
    """Runs before bleach's filter: drops dangerous elements with their content, and notes
    every tag and attribute the allowlist will remove, for the author."""

    def __init__(self, source: Any, removed: list[str]) -> None:
        super().__init__(source)
        self.removed = removed

    def _record(self, what: str) -> None:
        if what not in self.removed:
            self.removed.append(what)

    def __iter__(self):
        depth = 0
        for token in super().__iter__():
            kind = token["type"]
            if depth:
                if kind == "StartTag":
                    depth += 1
                elif kind == "EndTag":
                    depth -= 1
                continue
            if kind in ("StartTag", "EmptyTag"):
                name = token["name"].lower()
                if name in DROP_WITH_CONTENT:
                    self._record(f"<{name}>")
                    if kind == "StartTag":
                        depth = 1
                    continue
                if name not in ALLOWED_TAGS:
                    self._record(f"<{name}>")
                else:
                    self._check_attributes(name, token["data"])
            elif kind == "Comment":
                continue
            yield token

    def _check_attributes(self, tag: str, data: dict) -> None:
        for (namespace, attr), value in data.items():
            name = f"{namespace}:{attr}" if namespace else attr
            lowered = name.lower()
            if not attribute_allowed(tag, lowered, value):
                self._record(f"{lowered} attribute")
            elif lowered in _URI_ATTRIBUTES:
                scheme = uri_scheme(value)
                if scheme and scheme not in ALLOWED_PROTOCOLS:
                    self._record(f"{scheme}: URL")


class _Decorate(html5lib_shim.Filter):
    """Runs after bleach's filter on what is already safe: lazy images, rel on outside links,
    and what the renderer reports (image sources, words of prose, the plain text for search:
    this pass already sees every text token, so the output is never parsed a second time)."""

    def __init__(self, source: Any, result: Sanitized) -> None:
        super().__init__(source)
        self.result = result

    def __iter__(self):
        math_depth = 0
        words: list[str] = []
        plain: list[str] = []
        for token in super().__iter__():
            kind = token["type"]
            if kind in ("StartTag", "EmptyTag"):
                name = token["name"]
                data = token["data"]
                if name == "img":
                    data.setdefault((None, "loading"), "lazy")
                    data.setdefault((None, "decoding"), "async")
                    src = data.get((None, "src"))
                    if src:
                        self.result.images.append(src)
                    if (None, "alt") not in data:
                        data[(None, "alt")] = ""
                        self.result.images_without_alt.append(src or "")
                elif name == "a":
                    href = data.get((None, "href"), "")
                    if href:
                        self.result.links.append(href)
                    if _EXTERNAL.match(href.strip()):
                        rel = set(data.get((None, "rel"), "").split())
                        rel |= {"noopener", "noreferrer"}
                        data[(None, "rel")] = " ".join(sorted(rel))
                if (None, "style") in data and not data[(None, "style")].strip():
                    del data[(None, "style")]  # every declaration was unsafe
                if kind == "StartTag" and (math_depth or _is_math(data)):
                    math_depth += 1
            elif kind == "EndTag" and math_depth:
                math_depth -= 1
            elif kind == "Characters":
                plain.append(token["data"])
                if not math_depth:
                    words.append(token["data"])
            elif kind == "SpaceCharacters":
                plain.append(token["data"])
                words.append(" ")
            yield token
        self.result.text = "".join(words)
        self.result.plain = "".join(plain)


def _is_math(data: dict) -> bool:
    return "math" in data.get((None, "class"), "").split()


@dataclass
class Sanitized:
    html: str
    removed: list[str] = field(default_factory=list)
    images: list[str] = field(default_factory=list)
    images_without_alt: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    text: str = ""  # visible prose, math left out (for word counts)
    plain: str = ""  # all visible text, math TeX included, entities decoded (for search)


class Sanitizer:
    """Built once per thread; `clean()` is one html5lib parse and one serialization."""

    def __init__(self) -> None:
        # tags=None: the parser builds the real tree (so a <script>'s text is known to be
        # script and can be dropped with it); the filters below enforce the allowlist.
        # bleach's parser, with well-formed tags tokenized in one step (same tokens).
        parser_class = FastTagHTMLParser if FAST_TAGS else html5lib_shim.BleachHTMLParser
        self.parser = parser_class(
            tags=None, strip=True, consume_entities=False, namespaceHTMLElements=False
        )
        self.serializer = html5lib_shim.BleachHTMLSerializer(
            quote_attr_values="always",
            omit_optional_tags=False,
            escape_lt_in_attrs=True,
            resolve_entities=False,
            sanitize=False,
            alphabetical_attributes=False,
        )
        self.css = SafeCSSSanitizer()

    def clean(self, html: str) -> Sanitized:
        result = Sanitized(html="")
        if not html:
            return result
        self.css.removed = result.removed
        try:
            dom = self.parser.parseFragment(html)
            stream = _DropAndRecord(walk_tokens(dom), result.removed)
            stream = BleachSanitizerFilter(
                source=stream,
                allowed_tags=ALLOWED_TAGS,
                attributes=attribute_allowed,
                strip_disallowed_tags=True,
                strip_html_comments=True,
                css_sanitizer=self.css,
                allowed_protocols=ALLOWED_PROTOCOLS,
            )
            html = self.serializer.render(_Decorate(stream, result))
            # Paragraphs left empty by dropped elements (a lone <script>, an <iframe>).
            result.html = _EMPTY_PARAGRAPH.sub("", html).strip("\n")
        finally:
            self.css.removed = None
        return result


class _PerThread(threading.local):
    sanitizer: Sanitizer | None = None


_per_thread = _PerThread()


def sanitize(html: str) -> Sanitized:
    """The thread's Sanitizer on one document."""
    if _per_thread.sanitizer is None:
        _per_thread.sanitizer = Sanitizer()
    return _per_thread.sanitizer.clean(html)

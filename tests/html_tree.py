"""A small HTML tree for asserting on rendered HTML (standard library html.parser only).

A browser-grade parser is not needed to look at our own output; but the hostile-input checks
(assert_inert) must not trust the renderer, so they look at every start tag html.parser sees,
wherever it is, and at the raw string too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
        "source", "track", "wbr"}  # fmt: skip


@dataclass
class Node:
    tag: str
    attrs: dict[str, str | None] = field(default_factory=dict)
    children: list[Node | str] = field(default_factory=list)

    @property
    def classes(self) -> list[str]:
        return (self.attrs.get("class") or "").split()

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def elements(self) -> list[Node]:
        return [c for c in self.children if isinstance(c, Node)]

    def iter(self):
        yield self
        for child in self.elements():
            yield from child.iter()

    def find_all(self, tag: str | None = None, cls: str | None = None) -> list[Node]:
        return [
            node
            for node in self.iter()
            if (tag is None or node.tag == tag) and (cls is None or cls in node.classes)
        ]

    def find(self, tag: str | None = None, cls: str | None = None) -> Node:
        found = self.find_all(tag, cls)
        assert found, f"no <{tag or '*'}> with class {cls!r}"
        return found[0]


class _Builder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#root")
        self.stack = [self.root]
        self.start_tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag, attrs):
        self.start_tags.append((tag, attrs))
        node = Node(tag, dict(attrs))
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag, attrs):
        self.start_tags.append((tag, attrs))
        self.stack[-1].children.append(Node(tag, dict(attrs)))

    def handle_endtag(self, tag):
        for index in range(len(self.stack) - 1, 0, -1):
            if self.stack[index].tag == tag:
                del self.stack[index:]
                break

    def handle_data(self, data):
        self.stack[-1].children.append(data)


def parse(html: str) -> Node:
    builder = _Builder()
    builder.feed(html)
    builder.close()
    return builder.root


def start_tags(html: str) -> list[tuple[str, list[tuple[str, str | None]]]]:
    builder = _Builder()
    builder.feed(html)
    builder.close()
    return builder.start_tags


FORBIDDEN_TAGS = {"script", "iframe", "object", "embed", "svg", "math", "form", "style", "frame",
                  "frameset", "applet", "base", "link", "meta", "input", "button", "textarea",
                  "select", "template", "noscript", "audio", "video", "source"}  # fmt: skip
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data", "poster",
                  "background", "lowsrc", "dynsrc", "srcset", "srcdoc", "codebase",
                  "ping"}  # fmt: skip
_JUNK = re.compile(r"[\x00-\x20\x7f-\xa0\s`]+")
BAD_SCHEMES = ("javascript:", "vbscript:", "data:", "livescript:", "mocha:")


def normalized_url(value: str) -> str:
    """An attribute value (already entity-decoded once by the parser, as a browser does) the
    way a lenient browser reads a URL: whitespace/control characters removed, lower case."""
    return _JUNK.sub("", value).lower()


def assert_inert(html: str) -> None:
    """Nothing in html can run script or load anything dangerous. Formulas typeset on the
    server are checked to hold only KaTeX's drawing markup, then read as their TeX."""
    from tests.math_view import without_formulas

    html = without_formulas(html)
    assert "<script" not in html.lower()
    for tag, attrs in start_tags(html):
        assert tag not in FORBIDDEN_TAGS, f"<{tag}> survived in {html!r}"
        for name, value in attrs:
            name = name.lower()
            assert not name.startswith("on"), f"{name} attribute survived in {html!r}"
            assert name not in ("srcdoc", "formaction", "xlink:href"), html
            value = value or ""
            if name in URL_ATTRIBUTES:
                url = normalized_url(value)
                assert not url.startswith(BAD_SCHEMES), f"{name}={value!r} survived"
            if name == "style":
                css = normalized_url(value).replace("\\", "")
                for bad in ("url(", "expression", "position", "javascript:", "@import",
                            "behavior", "-moz-binding"):  # fmt: skip
                    assert bad not in css, f"style {value!r} survived"

"""A small HTML reader for tests (standard library only): find elements by tag and
attributes and read their text, so tests assert what a reader's browser gets."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    children: list[Element | str] = field(default_factory=list)

    @property
    def text(self) -> str:
        parts = [c if isinstance(c, str) else c.text for c in self.children]
        return " ".join("".join(parts).split())

    def iter(self):
        yield self
        for child in self.children:
            if isinstance(child, Element):
                yield from child.iter()

    def find_all(self, tag: str | None = None, **attrs: str) -> list[Element]:
        """Elements with `tag` whose attributes equal `attrs` (`class_` matches one class)."""
        found = []
        for el in self.iter():
            if tag and el.tag != tag:
                continue
            ok = True
            for key, value in attrs.items():
                if key == "class_":
                    ok = value in el.attrs.get("class", "").split()
                else:
                    ok = el.attrs.get(key.replace("_", "-")) == value
                if not ok:
                    break
            if ok:
                found.append(el)
        return found

    def find(self, tag: str | None = None, **attrs: str) -> Element | None:
        found = self.find_all(tag, **attrs)
        return found[0] if found else None

    def meta(self, key: str) -> str | None:
        """The content of <meta name=key> or <meta property=key>."""
        for el in self.find_all("meta"):
            if el.attrs.get("name") == key or el.attrs.get("property") == key:
                return el.attrs.get("content")
        return None


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag, attrs):
        el = Element(tag, {k: (v if v is not None else "") for k, v in attrs})
        self.stack[-1].children.append(el)
        if tag not in VOID:
            self.stack.append(el)

    def handle_startendtag(self, tag, attrs):
        self.stack[-1].children.append(Element(tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                break

    def handle_data(self, data):
        self.stack[-1].children.append(data)


def parse(content: bytes | str) -> Element:
    """Parse a response body into an Element tree."""
    if isinstance(content, bytes):
        content = content.decode("utf-8")
    builder = _TreeBuilder()
    builder.feed(content)
    builder.close()
    return builder.root

"""A faster html5lib tokenizer for the sanitizer: whole tags at once, same tokens.

html5lib tokenizes a tag one character at a time through a state per character class (a Python
call and a stream read each): ~6 state calls for `<p>`, ~10 for `<a href="…">`. A seed-sized
article has ~1,000 tags, so that was a third of the sanitizer's parse. Here the tag-open state
first tries one regular expression for a complete, well-formed tag, the kind Markdown and the
house blocks write: a start tag with attributes whose names and values hold none of the
characters html5lib reports as parse errors, or a plain end tag. On a match it builds the very
token html5lib's states would have built (names lower-cased the same way, duplicate attribute
names refused) and emits it through the same `emitCurrentToken`; anything else - a parse error,
a tag cut by the input stream's chunk boundary, an entity-consuming tokenizer - falls through to
html5lib's own states, untouched. Possessive quantifiers: the expression never backtracks into
a reading html5lib would not make.

tests/test_sanitizer.py compares the token streams (and the sanitizer's output) with bleach's
own tokenizer on the hostile inputs, tag soup and generated attribute soup.
"""

from __future__ import annotations

import hashlib
import inspect
import re
from typing import Any

from bleach import html5lib_shim
from bleach._vendor.html5lib.constants import asciiUpper2Lower, tokenTypes

_SP = "\t\n\x0c\r "  # html5lib's spaceCharacters
# Tag name: an ASCII letter, then anything up to a space, "/", ">" or NUL (tagNameState).
_NAME = rf"[A-Za-z][^{_SP}/>\x00]*+"
# Attribute name: the characters that start and continue one without a parse error.
_ATTR_NAME = rf"[^{_SP}/>=\"'<\x00]++"


def _attribute(group: str) -> str:
    """One attribute with the space before it; `group` opens the name and value groups.
    Values: "&" is literal (bleach does not consume entities); NUL and, unquoted, the
    characters html5lib reports as errors are left to the slow path."""
    value = rf"(?:\"{group}[^\"\x00]*+)\"|'{group}[^'\x00]*+)'|{group}[^{_SP}>\"'=<`\x00]++))"
    return rf"[{_SP}]++{group}{_ATTR_NAME})(?:[{_SP}]*+=[{_SP}]*+{value})?"


_TAG = re.compile(
    rf"(?:({_NAME})((?:{_attribute('(?:')})*+)[{_SP}]*+(/?)>)"  # start tag
    rf"|(?:/({_NAME})[{_SP}]*+>)"  # end tag
)
# Groups: name, then the value double-quoted, single-quoted or unquoted.
_ATTRIBUTES = re.compile(_attribute("("))
# A superset of the code points html5lib reports as "invalid-codepoint" (controls, surrogates,
# noncharacters), in a few ranges: one quick scan of the whole input instead of html5lib's
# per-chunk findall over its exact class of ~40 ranges (~3 ms for a seed-sized article).
_MAYBE_INVALID = re.compile(
    "[\x01-\x08\x0b\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\uffff\U0001fffe-\U0010ffff]"
)
_START = tokenTypes["StartTag"]
_END = tokenTypes["EndTag"]


# The bleach and html5lib internals this module copies or relies on, as of the release it was
# checked against (bleach 6.4, vendoring html5lib 1.1). A release that changes any of them gets
# bleach's own parser (see articles/sanitize.py: slower, never different); a test asserts the
# fast path is active with the pinned version, so an upgrade that turns it off is noticed.
_INTERNALS_FINGERPRINT = "aae76c52797a5ab53d1d8675e642902bc9e1a642855c8b10e632883295a88f04"


def _internals_fingerprint() -> str | None:
    from bleach._vendor.html5lib import _inputstream, _tokenizer

    try:
        parts = [
            inspect.getsource(html5lib_shim.BleachHTMLTokenizer),
            inspect.getsource(html5lib_shim.InputStreamWithMemory),
            inspect.getsource(html5lib_shim.BleachHTMLParser._parse),
            inspect.getsource(_tokenizer.HTMLTokenizer.tagOpenState),
            inspect.getsource(_tokenizer.HTMLTokenizer.emitCurrentToken),
            inspect.getsource(_inputstream.HTMLUnicodeInputStream.__init__),
            inspect.getsource(_inputstream.HTMLUnicodeInputStream.readChunk),
        ]
    except (AttributeError, OSError, TypeError):  # renamed, or no source shipped
        return None
    return hashlib.sha256("".join(parts).encode()).hexdigest()


FAST_TAGS = _internals_fingerprint() == _INTERNALS_FINGERPRINT


class FastTagTokenizer(html5lib_shim.BleachHTMLTokenizer):
    """bleach's tokenizer with a one-step path for well-formed tags (see the module doc)."""

    def tagOpenState(self) -> bool:
        stream = self.stream  # bleach's InputStreamWithMemory around html5lib's stream
        inner = stream._inner_stream
        match = None if self.consume_entities else _TAG.match(inner.chunk, inner.chunkOffset)
        if match is None:
            return super().tagOpenState()
        name, attributes, solidus, end_name = match.groups()
        if end_name is not None:
            token: dict[str, Any] = {
                "type": _END,
                "name": end_name,
                "data": [],
                "selfClosing": False,
            }
        else:
            data = []
            if attributes:
                seen = set()
                for found in _ATTRIBUTES.finditer(attributes):
                    key = found.group(1).translate(asciiUpper2Lower)
                    if key in seen:  # html5lib reports a parse error: let it
                        return super().tagOpenState()
                    seen.add(key)
                    value = found.group(2)
                    if value is None:
                        value = found.group(3)
                        if value is None:
                            value = found.group(4) or ""
                    data.append([key, value])
            token = {
                "type": _START,
                "name": name,
                "data": data,
                "selfClosing": bool(solidus),
                "selfClosingAcknowledged": False,
            }
        # What bleach's tagOpenState and the per-character reads would have done to the
        # stream: history restarted at "<", then every character of the tag consumed.
        stream.start_tag()
        stream._buffer.extend(match.group(0))
        inner.chunkOffset = match.end()
        self.currentToken = token
        self.emitCurrentToken()
        return True


class FastTagHTMLParser(html5lib_shim.BleachHTMLParser):
    """bleach's parser, tokenizing with FastTagTokenizer."""

    def _parse(
        self,
        stream: Any,
        innerHTML: bool = False,
        container: str = "div",
        scripting: bool = True,
        **kwargs: Any,
    ) -> None:
        # bleach's _parse with the tokenizer class swapped (scripting=True: <noscript> is
        # parsed as a browser with JavaScript on would).
        self.innerHTMLMode = innerHTML
        self.container = container
        self.scripting = scripting
        self.tokenizer = FastTagTokenizer(
            stream=stream, consume_entities=self.consume_entities, parser=self, **kwargs
        )
        if isinstance(stream, str) and not _MAYBE_INVALID.search(stream):
            # Nothing the exact check could report: skip it (its errors are tokens that
            # bleach's tokenizer reacts to, so it stays whenever one is possible).
            self.tokenizer.stream._inner_stream.reportCharacterErrors = None
        self.reset()
        try:
            self.mainLoop()
        except html5lib_shim.ReparseException:
            self.reset()
            self.mainLoop()

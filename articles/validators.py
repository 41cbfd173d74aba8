"""Checks on text that reaches readers, shared by the importer and the admin forms.

A control character is invisible in an editor, means nothing in an article, and is not allowed
in XML 1.0: one of them in a description made both feeds answer 500. They are refused where text
enters Cikk (import and admin save), with the position, so the author can find and delete it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

# C0 controls except tab, newline and carriage return; DEL and the C1 controls; the two
# noncharacters XML forbids; lone surrogates (only reachable through escapes, never UTF-8).
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff\ud800-\udfff]")
# Single-line fields (title, names, slug) do not take line breaks or tabs either.
_CONTROL_OR_BREAK = re.compile("[\x00-\x1f\x7f-\x9f\ufffe\uffff\ud800-\udfff\u2028\u2029]")


@dataclass(frozen=True)
class ControlCharacter:
    """Where the first forbidden character is: 1-based line and column, and its code."""

    line: int
    column: int
    codepoint: str  # "U+0001"

    def where(self) -> str:
        return (
            f"line {self.line}, column {self.column}" if self.line > 1 else f"column {self.column}"
        )


def find_control_character(text: str, *, single_line: bool = False) -> ControlCharacter | None:
    """The first control character of `text` (None when clean); linear, one regex search."""
    match = (_CONTROL_OR_BREAK if single_line else _CONTROL).search(text)
    if match is None:
        return None
    start = match.start()
    line_start = text.rfind("\n", 0, start) + 1
    return ControlCharacter(
        line=text.count("\n", 0, start) + 1,
        column=start - line_start + 1,
        codepoint=f"U+{ord(match.group()):04X}",
    )


@deconstructible
class NoControlCharacters:
    """Django validator (form or model field): refuses control characters, naming where.

    single_line also refuses line breaks and tabs (titles, names)."""

    code = "control_character"

    def __init__(self, *, single_line: bool = False) -> None:
        self.single_line = single_line

    def __call__(self, value: object) -> None:
        if not isinstance(value, str):
            return
        found = find_control_character(value, single_line=self.single_line)
        if found is None:
            return
        raise ValidationError(
            _(
                "A szöveg láthatatlan vezérlőkaraktert tartalmaz (%(codepoint)s, %(line)s. sor "
                "%(column)s. karakter); törölje ki, mert a hírcsatornák nem tudják továbbítani."
            ),
            code=self.code,
            params={"codepoint": found.codepoint, "line": found.line, "column": found.column},
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, NoControlCharacters) and other.single_line == self.single_line

    def __hash__(self) -> int:
        return hash((type(self), self.single_line))


validate_no_control_characters = NoControlCharacters()
validate_single_line_text = NoControlCharacters(single_line=True)

"""Markdown to safe HTML: the one renderer (import, admin save, admin preview, feeds).

TEMPORARY minimal version while the full pipeline (issue "Rendering") is being built; the
interface below (render() -> Rendered, markdownify()) is the stable contract.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import bleach
import markdown


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


def render(text: str) -> Rendered:
    html = markdown.markdown(text, extensions=["tables"])
    return Rendered(html=bleach.clean(html, strip=True), word_count=len(text.split()))


def markdownify(text: str) -> str:
    """django-markdownx's MARKDOWNX_MARKDOWNIFY_FUNCTION: the admin preview."""
    return render(text).html

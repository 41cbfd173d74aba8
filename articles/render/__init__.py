"""Markdown to safe HTML: the one renderer (import, admin save, admin preview, feeds).

Data flow, one module a step:

    source
      ─► preprocess  (articles.render.preprocess: formulas and HTML comments cut out outside
                      code, a `<` that opens no element escaped, the magazine's list fixes)
      ─► markdown    (articles.render.markdown: Python-Markdown and its extensions, public
                      extension points only; each formula is a slot in the raw-HTML stash)
      ─► sanitize    (articles.render.sanitize: nh3 allowlist; a linear pre-scan reports
                      what it removes; images, links and visible text read from its output)
      ─► math        (articles.render.math: every slot swapped for typeset(tex) HTML, after
                      sanitizing, so typeset output never needs the sanitizer's blessing)
      ─► body images (articles.body_images: our own stored images get srcsets)
      ─► Rendered    (the HTML and its report: headings, formulas, removed elements,
                      warnings, images, links; stored with the article as `render_report`)

Math is kramdown-style: `$$…$$` in running text is inline, a `$$…$$` paragraph (or `$$` lines
around TeX) is display; `\\(`, `\\[` and `\\$` are ordinary Markdown escapes; a single `$` is
money.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, fields, is_dataclass
from math import ceil
from typing import Any

from django.utils.translation import gettext as _

from articles.body_images import responsive_images
from articles.katex import katex_version
from articles.render.markdown import Heading, convert, heading_slug
from articles.render.math import Formula, Typeset, typeset
from articles.render.sanitize import sanitize
from articles.render_limits import check_render_cost
from articles.text import count_words

__all__ = [
    "WORDS_PER_MINUTE",
    "Formula",
    "Heading",
    "Rendered",
    "Typeset",
    "from_report",
    "heading_slug",
    "image_sources",
    "markdownify",
    "render",
    "renderer_version",
    "report",
    "typeset",
]

WORDS_PER_MINUTE = 200


@dataclass(frozen=True)
class Rendered:
    """The sanitized HTML and the render's report (what templates and checks read)."""

    html: str
    headings: list[Heading] = field(default_factory=list)
    math_inline: int = 0
    math_display: int = 0
    formulas: list[Formula] = field(default_factory=list)
    images: list[str] = field(default_factory=list)  # src of every image, in order
    image_alts: list[str | None] = field(default_factory=list)  # their alt (None: none)
    links: list[str] = field(default_factory=list)  # href of every link, in order
    removed: list[str] = field(default_factory=list)  # what the sanitizer dropped
    warnings: list[str] = field(default_factory=list)
    # (delimiter, source line) of openers left unclosed: "$$" and "<!--".
    unclosed: list[tuple[str, int]] = field(default_factory=list)
    word_count: int = 0
    reading_minutes: int = 0
    # The visible text of `html` (math TeX included, entities decoded), read by the sanitizer
    # from nh3's output, for search indexes: cheaper than parsing the stored HTML again.
    text: str = ""
    source_sha256: str = ""  # of the Markdown rendered: a stored report is for this body only


def render(text: str) -> Rendered:
    """Render an article's Markdown to sanitized HTML plus what templates and checks need.

    Raises articles.render_limits.RenderRefused for a text whose shape would make a step
    superlinear (the message names the construct and its line)."""
    check_render_cost(text)
    converted = convert(text)
    clean = sanitize(converted.html)
    slots = converted.slots
    # Our own images get their srcsets before the formulas are filled in: the same result
    # (typeset math holds no <img>: KaTeX makes none with `trust` off), on a quarter of the HTML.
    html = slots.fill(responsive_images(clean.html))
    warnings = list(converted.warnings)
    for src in clean.images_without_alt:
        warnings.append(_("Kép alternatív szöveg nélkül: %(src)s") % {"src": src})
    words = count_words(clean.text)
    return Rendered(
        html=html,
        headings=converted.headings,
        math_inline=slots.inline_count,
        math_display=slots.display_count,
        formulas=list(slots.formulas),
        images=clean.images,
        image_alts=clean.image_alts,
        links=clean.links,
        removed=clean.removed,
        warnings=warnings,
        unclosed=converted.unclosed,
        word_count=words,
        reading_minutes=ceil(words / WORDS_PER_MINUTE) if words else 0,
        text=clean.plain,
        source_sha256=source_digest(text),
    )


# Bumped when the report's shape or meaning changes: older stored reports are then ignored
# (and re-made by `manage.py rerender_articles`).
REPORT_VERSION = 1
# Bumped when Cikk's own pipeline changes what it outputs for the same source.
# 2: no md_in_html (Markdown inside `<div markdown="1">` stays text) and no `[TOC]` marker.
PIPELINE_REVISION = 2


def renderer_version() -> str:
    """What made a stored body_html: our pipeline's revision and the KaTeX release that typeset
    its formulas. Stored in the report; an article whose report names another version is older
    than the renderer (the checks say so; `manage.py rerender_articles` upgrades it)."""
    return f"cikk-{PIPELINE_REVISION}+katex-{katex_version()}"


def source_digest(text: str) -> str:
    return hashlib.sha256((text or "").encode()).hexdigest()


def report(rendered: Rendered) -> dict[str, Any]:
    """The render's report as JSON data (stored as Article.render_report): everything but
    the HTML and the plain text, which the article stores in their own fields."""
    # What dataclasses.asdict gives, in the same order, without its deep copy of every list
    # item (a fifth of the cost of the report and texts a render worker derives).
    data: dict[str, Any] = {}
    for name in _REPORT_FIELDS:
        value = getattr(rendered, name)
        if isinstance(value, list):
            value = [vars(item).copy() if is_dataclass(item) else item for item in value]
        data[name] = value
    data["version"] = REPORT_VERSION
    data["renderer"] = renderer_version()
    return data


# Rendered's fields but the HTML and the plain text, in their order (see report()).
_REPORT_FIELDS = tuple(f.name for f in fields(Rendered) if f.name not in ("html", "text"))


def from_report(data: dict[str, Any] | None, body: str) -> Rendered | None:
    """A stored report back as a Rendered (without HTML), or None when it is missing, of an
    older shape, or of another body than `body` (the article changed since it was stored)."""
    if not data or data.get("version") != REPORT_VERSION:
        return None
    if data.get("source_sha256") != source_digest(body):
        return None
    if data.get("renderer") != renderer_version():
        return None  # e.g. another KaTeX: its formula errors may differ from today's
    fields = {k: v for k, v in data.items() if k not in ("version", "renderer")}
    fields["headings"] = [Heading(**heading) for heading in data["headings"]]
    fields["formulas"] = [Formula(**formula) for formula in data["formulas"]]
    fields["unclosed"] = [tuple(pair) for pair in data["unclosed"]]
    return Rendered(html="", **fields)


def image_sources(body: str) -> list[str]:
    """The src of every image a reader of `body` gets, in order, as the author wrote it: the
    renderer's own reading (an image inside code is code, not an image). For the importer."""
    return [src for src in render(body).images if src]


def markdownify(text: str) -> str:
    """django-markdownx's MARKDOWNX_MARKDOWNIFY_FUNCTION: the admin preview."""
    return render(text).html

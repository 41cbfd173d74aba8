"""What reader pages derive from what the renderer stored: table of contents (from the report's
headings; parsing the stored HTML only for a row saved without them), reading time (from the
stored word count) and absolute links. The reader never runs Markdown."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

from django.conf import settings

from articles.render import WORDS_PER_MINUTE, Heading

TOC_MIN_HEADINGS = 3
_HEADING_TAGS = {"h1": 1, "h2": 2, "h3": 3}


@dataclass(frozen=True)
class BodyInfo:
    headings: list[Heading] = field(default_factory=list)

    @property
    def toc(self) -> list[Heading]:
        """The table of contents, only for articles with three or more headings."""
        return self.headings if len(self.headings) >= TOC_MIN_HEADINGS else []


def reading_minutes(words: int) -> int:
    """Minutes at ~200 words a minute, never less than one."""
    return max(1, math.ceil(words / WORDS_PER_MINUTE)) if words else 1


class _BodyParser(HTMLParser):
    """Collects h1–h3 that carry an id, with their text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.headings: list[Heading] = []
        self._heading: tuple[int, str] | None = None
        self._heading_text: list[str] = []
        self._depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._heading is not None:
            if tag == self._heading_tag:
                self._depth += 1
            return
        level = _HEADING_TAGS.get(tag)
        if level is None:
            return
        heading_id = dict(attrs).get("id")
        if heading_id:
            self._heading = (level, heading_id)
            self._heading_tag = tag
            self._heading_text = []
            self._depth = 0

    def handle_endtag(self, tag: str) -> None:
        if self._heading is None or tag != self._heading_tag:
            return
        if self._depth:
            self._depth -= 1
            return
        level, heading_id = self._heading
        text = " ".join("".join(self._heading_text).split())
        if text:
            self.headings.append(Heading(level, heading_id, text))
        self._heading = None

    def handle_data(self, data: str) -> None:
        if self._heading is not None:
            self._heading_text.append(data)


def report_toc(headings: list[dict[str, Any]]) -> list[Heading]:
    """The table of contents from the headings the renderer stored in the article's report
    (its own reading, made once at save): a reader's request then parses no HTML, and a
    heading with a formula is named by its TeX, not by KaTeX's glyphs. Same rules as
    `analyse_body`: h1–h3, levels relative to the highest present, three or more headings."""
    found = []
    for heading in headings:
        text = " ".join(str(heading.get("text", "")).split())
        if heading.get("level", 9) <= 3 and heading.get("id") and text:
            found.append(Heading(heading["level"], heading["id"], text))
    if len(found) < TOC_MIN_HEADINGS:
        return []
    top = min(h.level for h in found)
    return [Heading(h.level - top + 1, h.id, h.text) for h in found]


def analyse_body(html: str) -> BodyInfo:
    """Headings of a stored body, read from its HTML: for rows stored without the report's
    headings. Not memoised: the memo held up to 512 bodies of tens of kB per worker, for a
    rare fallback."""
    parser = _BodyParser()
    parser.feed(html or "")
    parser.close()
    headings = parser.headings
    if headings:
        # Indent relative to the highest level present (an article may start at h2).
        top = min(h.level for h in headings)
        headings = [Heading(h.level - top + 1, h.id, h.text) for h in headings]
    return BodyInfo(headings=headings)


def absolute_url(url: str) -> str:
    """`/cikk/x/` → `https://site/cikk/x/` from settings.CIKK_SITE_URL; absolute URLs stay."""
    if not url:
        return url
    if url.startswith(("http://", "https://")):
        return url
    if url.startswith("//"):
        return "https:" + url
    return settings.CIKK_SITE_URL + (url if url.startswith("/") else "/" + url)


_ROOT_RELATIVE = re.compile(r"""(\s(?:src|href)=)(["'])/(?!/)""")
_SRCSET = re.compile(r"""(\ssrcset=)(["'])([^"']*)\2""")
_SRCSET_CANDIDATE = re.compile(r"(^|,\s*)/(?!/)")


def absolutize_html(html: str) -> str:
    """Make root-relative links and image sources absolute, for feed readers.

    Every candidate of a srcset counts, not only the first (body images list several).
    """
    base = settings.CIKK_SITE_URL
    html = _ROOT_RELATIVE.sub(lambda m: f"{m.group(1)}{m.group(2)}{base}/", html)
    return _SRCSET.sub(
        lambda m: (
            m.group(1)
            + m.group(2)
            + _SRCSET_CANDIDATE.sub(lambda c: f"{c.group(1)}{base}/", m.group(3))
            + m.group(2)
        ),
        html,
    )

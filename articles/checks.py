"""Editorial checks: what is wrong with an article before a reader sees it.

`check_article()` looks at one article; `check_articles()` checks many with the cross-article
facts (other articles' descriptions, which linked articles are public) loaded in ONE query, so
the admin changelist can count findings for a whole page at a fixed cost.

Levels, decided once here:

* error: something a reader would see broken or should not see at all: a TODO/FIXME marker in
  the text, math that cannot be typeset, raw HTML the sanitizer removed, a missing cover or body
  image, a link to an article that is not public (or does not exist). Releasing an article with
  errors asks the editor to confirm.
* warning: quality issues: missing or too long description, a description (nearly) identical to
  another article's, empty sections, images without alt text, skipped heading levels, a TODO
  left in an HTML comment, renderer warnings.

TODO markers and sections are found in the Markdown source (outside code and, for sections,
outside HTML comments), so the checks do not depend on details of the renderer's output.
"""

from __future__ import annotations

import difflib
import hashlib
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Literal
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import cache
from django.core.files.storage import default_storage
from django.utils import timezone
from django.utils.translation import gettext as _

from articles.body_images import missing_rendition_names
from articles.images import own_media_name
from articles.text import fold_accents

if TYPE_CHECKING:
    from articles.models import Article
    from articles.render import Heading, Rendered

Level = Literal["error", "warning"]

# What a search result shows of a description; longer ones are cut off mid-sentence.
DESCRIPTION_MAX_CHARS = 160
# difflib ratio from which two descriptions count as "nearly identical".
DUPLICATE_RATIO = 0.9


@dataclass(frozen=True)
class Finding:
    level: Level
    code: str
    message: str

    @property
    def is_error(self) -> bool:
        return self.level == "error"


@dataclass(frozen=True)
class _OtherArticle:
    pk: int
    slug: str
    title: str
    description: str  # normalised
    released: bool
    date: datetime

    @property
    def is_public(self) -> bool:
        return self.released and self.date <= timezone.now()


@dataclass
class CheckContext:
    """Facts about the other articles, loaded once for a batch of checks."""

    articles: list[_OtherArticle] = field(default_factory=list)

    @classmethod
    def load(cls) -> CheckContext:
        """One query: every article's slug, title, description and public state."""
        from articles.models import Article

        rows = Article.objects.order_by().values_list(
            "pk", "slug", "title", "description", "released", "date"
        )
        return cls(
            articles=[
                _OtherArticle(pk, slug, title, normalise_description(desc), released, date)
                for pk, slug, title, desc, released, date in rows
            ]
        )

    def by_slug(self) -> dict[str, _OtherArticle]:
        if not hasattr(self, "_by_slug"):
            self._by_slug = {other.slug: other for other in self.articles}
        return self._by_slug


def normalise_description(text: str) -> str:
    """Accents, case, punctuation and spacing do not make a copied description original."""
    folded = fold_accents(text or "").lower()
    return " ".join(re.sub(r"[^\w\s]", " ", folded).split())


# --- Source scanning -------------------------------------------------------------------------

_FENCE_RE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})", re.MULTILINE)
_COMMENT_RE = re.compile(r"<!--.*?(?:-->|\Z)", re.DOTALL)
_INLINE_CODE_RE = re.compile(r"(`+)(?!`).*?(?<!`)\1(?!`)", re.DOTALL)
_TODO_RE = re.compile(r"\b(TODO|FIXME)\b")


def _blank_out(text: str, pattern: re.Pattern[str]) -> str:
    """Replace matches with spaces but keep newlines, so line numbers stay meaningful."""
    return pattern.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), text)


def _strip_fenced_code(text: str) -> str:
    """Blank out fenced code blocks: a TODO or a heading inside code is code."""
    lines = text.split("\n")
    out: list[str] = []
    fence: str | None = None
    for line in lines:
        match = _FENCE_RE.match(line)
        if fence is None and match:
            fence = match.group("fence")[0] * len(match.group("fence"))
            out.append("")
        elif fence is not None:
            if line.strip().startswith(fence) and set(line.strip()) <= {fence[0]}:
                fence = None
            out.append("")
        else:
            out.append(line)
    return "\n".join(out)


@dataclass(frozen=True)
class _Image:
    src: str
    alt: str | None  # None: no alt attribute at all


def _images(rendered: Rendered) -> list[_Image]:
    """Every image a reader gets, from the renderer's own parse (an image in code is code)."""
    return [_Image(src, alt) for src, alt in zip(rendered.images, rendered.image_alts, strict=True)]


# --- The individual checks -------------------------------------------------------------------


def _check_todo(body: str) -> list[Finding]:
    findings = []
    without_code = _blank_out(_strip_fenced_code(body), _INLINE_CODE_RE)
    visible = _blank_out(without_code, _COMMENT_RE)
    for line in visible.split("\n"):
        if _TODO_RE.search(line):
            findings.append(
                Finding(
                    "error",
                    "todo",
                    _("Befejezetlen rész (TODO/FIXME) maradt a szövegben: „%(line)s”")
                    % {"line": _shorten(line.strip())},
                )
            )
    for comment in _COMMENT_RE.findall(without_code):
        for line in comment.split("\n"):
            if _TODO_RE.search(line):
                findings.append(
                    Finding(
                        "warning",
                        "todo_comment",
                        _("TODO/FIXME egy HTML-megjegyzésben: „%(line)s”")
                        % {"line": _shorten(line.strip(" <!->"))},
                    )
                )
    return findings


def _check_sections(headings: list[Heading]) -> list[Finding]:
    """Heading levels and empty sections, from the renderer's headings (code is not one)."""
    findings = []
    previous_level = 1  # the article's title is the page's only <h1>
    for heading in headings:
        level, text = heading.level, heading.text
        if level == 1:
            findings.append(
                Finding(
                    "warning",
                    "heading_h1",
                    _("Első szintű címsor a szövegben („%(text)s”); az oldal címe az egyetlen h1.")
                    % {"text": text},
                )
            )
        elif level > previous_level + 1:
            findings.append(
                Finding(
                    "warning",
                    "heading_skip",
                    _("Kihagyott címsorszint: h%(prev)d után h%(level)d („%(text)s”).")
                    % {"prev": previous_level, "level": level, "text": text},
                )
            )
        previous_level = level
        if heading.empty:
            findings.append(
                Finding(
                    "warning",
                    "empty_section",
                    _("Üres szakasz: „%(text)s” alatt nincs szöveg.") % {"text": text},
                )
            )
    return findings


def _local_media_name(src: str) -> str | None:
    """The storage name of an image of our own media storage, or None if it is not ours
    (articles.images.own_media_name: the same rule the body-image rewriting uses)."""
    return own_media_name(src)


def _is_foreign(src: str) -> bool:
    """An image from another origin: the CSP's img-src (config/settings.py) allows only our
    own origin and the media origin, so a reader's browser would show a broken image. (Our own
    media never gets here: _local_media_name() recognised it first.)"""
    parts = urlsplit(src)
    return parts.scheme in ("http", "https") or src.startswith("//")


def _renditions_missing(src: str) -> Finding:
    return Finding(
        "warning",
        "missing_renditions",
        _(
            "A(z) %(src)s kép kisebb méretváltozatai hiányoznak (az olvasók az eredetit kapják); "
            "a „manage.py repair_media” parancs elkészíti őket."
        )
        % {"src": src},
    )


def _check_images(article: Article, images: list[_Image]) -> list[Finding]:
    findings = []
    if not article.image and article.image_source:
        findings.append(
            Finding(
                "error",
                "missing_cover",
                _("Hiányzik a borítókép: „%(src)s” nincs feltöltve.")
                % {"src": article.image_source},
            )
        )
    elif article.image and not default_storage.exists(article.image.name):
        findings.append(
            Finding(
                "error",
                "missing_cover",
                _("A borítókép fájlja hiányzik: %(name)s") % {"name": article.image.name},
            )
        )
    elif article.image and missing_rendition_names(article.image.name, article.image_width):
        findings.append(_renditions_missing(article.image.url))
    for image in images:
        src = image.src.strip()
        media_name = _local_media_name(src)
        if not src:
            findings.append(Finding("error", "missing_image", _("Kép forrás (src) nélkül.")))
        elif media_name is not None:
            if not media_name or not default_storage.exists(media_name):
                findings.append(
                    Finding(
                        "error",
                        "missing_image",
                        _("Hiányzó kép: %(src)s nincs a feltöltött fájlok között.") % {"src": src},
                    )
                )
            elif missing_rendition_names(media_name):
                findings.append(_renditions_missing(src))
        elif src.startswith("/") and not src.startswith("//"):
            findings.append(
                Finding(
                    "error",
                    "missing_image",
                    _("Hiányzó kép: %(src)s nincs feltöltve (helyi útvonal).") % {"src": src},
                )
            )
        elif _is_foreign(src):
            findings.append(
                Finding(
                    "error",
                    "external_image",
                    _(
                        "Külső kép: %(src)s – az olvasók böngészője nem tölti be (a biztonsági "
                        "szabályzat csak a saját képeinket engedi), töltse fel a képet."
                    )
                    % {"src": src},
                )
            )
        if not (image.alt or "").strip():
            findings.append(
                Finding(
                    "warning",
                    "image_alt",
                    _("Helyettesítő szöveg (alt) nélküli kép: %(src)s") % {"src": src or "?"},
                )
            )
    return findings


def _check_description(article: Article, context: CheckContext) -> list[Finding]:
    description = (article.description or "").strip()
    if not description:
        return [Finding("warning", "description_missing", _("Nincs leírás (description)."))]
    findings = []
    if len(description) > DESCRIPTION_MAX_CHARS:
        findings.append(
            Finding(
                "warning",
                "description_long",
                _(
                    "A leírás %(length)d karakter; a keresőtalálat csak kb. %(limit)d karaktert "
                    "mutat."
                )
                % {"length": len(description), "limit": DESCRIPTION_MAX_CHARS},
            )
        )
    mine = normalise_description(description)
    matcher = difflib.SequenceMatcher(None, autojunk=False)
    matcher.set_seq2(mine)
    for other in context.articles:
        if other.pk == article.pk or not other.description:
            continue
        matcher.set_seq1(other.description)
        if other.description == mine or (
            matcher.real_quick_ratio() >= DUPLICATE_RATIO
            and matcher.quick_ratio() >= DUPLICATE_RATIO
            and matcher.ratio() >= DUPLICATE_RATIO
        ):
            findings.append(
                Finding(
                    "warning",
                    "description_duplicate",
                    _("A leírás (majdnem) azonos egy másik cikkével: „%(title)s”.")
                    % {"title": other.title},
                )
            )
            break
    return findings


_ARTICLE_PATH_RE = re.compile(r"^/cikk/(?P<slug>[-\w]+)/?$")


def linked_slugs(links: Iterable[str]) -> list[str]:
    """Slugs of our own articles among the links (relative or on CIKK_SITE_URL)."""
    site = urlsplit(getattr(settings, "CIKK_SITE_URL", ""))
    slugs = []
    for href in links:
        parts = urlsplit(href.strip())
        if parts.netloc and parts.netloc != site.netloc:
            continue
        match = _ARTICLE_PATH_RE.match(parts.path)
        if match:
            slugs.append(match.group("slug"))
    return slugs


def _check_links(article: Article, links: list[str], context: CheckContext) -> list[Finding]:
    findings = []
    known = context.by_slug()
    for slug in dict.fromkeys(linked_slugs(links)):
        if slug == article.slug:
            continue
        other = known.get(slug)
        if other is None:
            findings.append(
                Finding(
                    "error",
                    "link_missing",
                    _("Hivatkozás nem létező cikkre: /cikk/%(slug)s/") % {"slug": slug},
                )
            )
        elif not other.is_public:
            findings.append(
                Finding(
                    "error",
                    "link_unpublished",
                    _("Hivatkozás meg nem jelent cikkre: „%(title)s” (/cikk/%(slug)s/)")
                    % {"title": other.title, "slug": slug},
                )
            )
    return findings


def _brace_balance(tex: str) -> int:
    depth = 0
    escaped = False
    for char in tex:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth < 0:
                return -1
    return depth


def _check_math(rendered: Rendered) -> list[Finding]:
    """Unclosed delimiters and unbalanced braces: KaTeX would show red source instead of a
    formula. The formulas are the renderer's own (never a link, code or an attribute)."""
    findings = []
    for formula in rendered.formulas:
        tex = formula.tex
        shown = _shorten(" ".join(tex.split()))
        if _brace_balance(tex) != 0:
            findings.append(
                Finding(
                    "error",
                    "math_braces",
                    _("Kiegyensúlyozatlan kapcsos zárójelek a képletben: %(tex)s") % {"tex": shown},
                )
            )
        lefts = len(re.findall(r"\\left(?![a-zA-Z])", tex))
        rights = len(re.findall(r"\\right(?![a-zA-Z])", tex))
        if lefts != rights:
            findings.append(
                Finding(
                    "error",
                    "math_left_right",
                    _("\\left és \\right nincs párban a képletben: %(tex)s") % {"tex": shown},
                )
            )
        begins = re.findall(r"\\begin\{(\w+\*?)\}", tex)
        ends = re.findall(r"\\end\{(\w+\*?)\}", tex)
        if sorted(begins) != sorted(ends):
            findings.append(
                Finding(
                    "error",
                    "math_environment",
                    _("\\begin és \\end nincs párban a képletben: %(tex)s") % {"tex": shown},
                )
            )
    for delimiter, _line in dict.fromkeys(rendered.unclosed):
        if delimiter == "$$":
            findings.append(
                Finding(
                    "error",
                    "math_unclosed",
                    _("Lezáratlan képlet: %(delim)s nyitás zárás nélkül.") % {"delim": delimiter},
                )
            )
    return findings


def _check_rendered(rendered: Rendered) -> list[Finding]:
    findings = []
    removed = list(dict.fromkeys(getattr(rendered, "removed", []) or []))
    if removed:
        findings.append(
            Finding(
                "error",
                "html_removed",
                _("A biztonsági szűrő eltávolított nyers HTML-t: %(items)s")
                % {"items": _shorten(", ".join(str(item) for item in removed), 200)},
            )
        )
    for warning in dict.fromkeys(getattr(rendered, "warnings", []) or []):
        findings.append(
            Finding(
                "warning",
                "render_warning",
                _("Megjelenítési figyelmeztetés: %(w)s") % {"w": warning},
            )
        )
    return findings


def _shorten(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# Per process: a shared cache must never hand a new deployment's checks the output of an older
# renderer, and rendering each body once per process and hour is cheap enough.
_RENDER_CACHE_TOKEN = uuid.uuid4().hex


def _rendered_for(article: Article) -> Rendered:
    """The report stored with the article when it is for this body; else render once per
    distinct body (the changelist re-checks unchanged articles often)."""
    from articles.render import from_report, render

    body = article.body or ""
    stored = from_report(getattr(article, "render_report", None), body)
    if stored is not None:
        return stored

    digest = hashlib.sha256(body.encode()).hexdigest()
    key = f"cikk-checks-render:{_RENDER_CACHE_TOKEN}:{digest}"
    rendered = cache.get(key)
    if rendered is None:
        rendered = render(body)
        cache.set(key, rendered, 60 * 60)
    return rendered


# --- Public API ------------------------------------------------------------------------------


def check_article(
    article: Article, rendered: Rendered | None = None, *, context: CheckContext | None = None
) -> list[Finding]:
    """Every finding for one article, errors first. Costs one query unless given a context."""
    if context is None:
        context = CheckContext.load()
    if rendered is None:
        rendered = _rendered_for(article)
    body = article.body or ""
    findings = [
        *_check_todo(body),
        *_check_math(rendered),
        *_check_rendered(rendered),
        *_check_images(article, _images(rendered)),
        *_check_links(article, rendered.links, context),
        *_check_description(article, context),
        *_check_sections(rendered.headings),
    ]
    return sorted(findings, key=lambda finding: 0 if finding.is_error else 1)


def check_articles(articles: Iterable[Article]) -> dict[int, list[Finding]]:
    """Findings per article pk; the cross-article facts are loaded in one query for all."""
    articles = list(articles)
    if not articles:
        return {}
    context = CheckContext.load()
    return {article.pk: check_article(article, context=context) for article in articles}


def has_errors(findings: Iterable[Finding]) -> bool:
    return any(finding.is_error for finding in findings)

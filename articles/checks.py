"""Editorial checks: what is wrong with an article before a reader sees it.

`check_article()` looks at one article; `check_articles()` checks many with the cross-article
facts (other articles' descriptions, which linked articles are public) loaded in ONE query, so
the admin changelist can count findings for a whole page at a fixed cost.

Levels, decided once here:

* error: something a reader would see broken or should not see at all: a TODO/FIXME marker in
  the text, math that cannot be typeset, raw HTML the sanitizer removed, a missing cover or body
  image, a link to an article that is not public (or does not exist); and what a published page
  cannot lack: a title, an author, a description, a cover, alt text for the cover and every
  image. Releasing an article with errors (form, bulk action, import) asks for a confirmation.
* warning: quality issues: too long description, a description (nearly) identical to another
  article's, empty sections, skipped heading levels, a TODO left in an HTML comment, renderer
  warnings.

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
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal
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
    raw_description: str
    public: bool  # released and dated no later than when the context was loaded
    # The stored digests of the normalised description (whole, first and last words): an
    # exact copy is found by comparing digests, without normalising the text again.
    description_key: str = ""
    description_head: str = ""
    description_tail: str = ""

    @cached_property
    def description(self) -> str:
        """Normalised, on demand: only a near (not exact) candidate is compared by its text,
        so checking an article whose description hundreds share costs no per-row work."""
        return normalise_description(self.raw_description)

    @property
    def is_public(self) -> bool:
        return bool(self.public)


# Candidates for a near-duplicate description come from these index lookups: the same
# normalised text, or the same first or last words (a small edit keeps one end intact).
ANCHOR_WORDS = 5
# A description's opening words may be a house phrase shared by many: look at this many.
MAX_DUPLICATE_CANDIDATES = 50


@dataclass
class CheckContext:
    """Facts about the other articles a batch of checks needs, looked up by index (why: the
    admin list and every save check articles; loading every article per check grows with the
    archive). `load()` is one query for the whole batch: the linked slugs, and the articles
    whose description key or first/last words equal one of the batch's."""

    articles: list[_OtherArticle] = field(default_factory=list)

    @classmethod
    def load(
        cls,
        batch: Iterable[Article] = (),
        *,
        links: Iterable[str] = (),
        descriptions: Iterable[str] = (),
    ) -> CheckContext:
        """Indexed queries for what the checks of `batch` compare with: the articles their
        bodies link to and those whose description may repeat one of theirs. Never all
        articles, and a bounded number however many share a description. `links` and
        `descriptions` stand for an article not saved yet (its rendering is at hand)."""
        from django.db import connection

        from articles.models import Article

        wanted: set[str] = set(linked_slugs(links))
        digests = [description_keys(text) for text in descriptions]
        for article in batch:
            wanted.update(linked_slugs(_rendered_for(article).links))
            digests.append(description_keys(article.description))
        # One statement with bound values (names from the model): the ORM's building of it
        # cost more than the database's answer, on every save and imported file.
        meta, quote = Article._meta, connection.ops.quote_name
        column = {
            name: quote(meta.get_field(name).column) for name in (*_CONTEXT_COLUMNS, "released")
        }
        where: list[str] = []
        params: list[Any] = [connection.ops.adapt_datetimefield_value(timezone.now())]
        if wanted:
            where.append(f"{column['slug']} IN ({', '.join(['%s'] * len(wanted))})")
            params += sorted(wanted)
        for sql, values in description_match_sql(digests):
            where.append(f"{column['id']} IN ({sql})")
            params += values
        if not where:
            return cls()
        public = f"({column['released']} AND {column['date']} <= %s)"
        select = ", ".join(public if name == "date" else column[name] for name in _CONTEXT_COLUMNS)
        table = quote(meta.db_table)
        query = f"SELECT {select} FROM {table} WHERE {' OR '.join(where)}"  # noqa: S608
        with connection.cursor() as cursor:
            cursor.execute(query, params)
            rows = cursor.fetchall()
        return cls(articles=[_OtherArticle(*row) for row in rows])

    def by_slug(self) -> dict[str, _OtherArticle]:
        if not hasattr(self, "_by_slug"):
            self._by_slug = {other.slug: other for other in self.articles}
        return self._by_slug

    def description_candidates(self, normalised: str) -> list[_OtherArticle]:
        """Articles whose description could be a (near) copy of `normalised`: exact ones
        first, then those sharing its first or last words (at most a bounded number). Found
        by the stored digests (the same ones the query matched), not by normalising texts."""
        key, head, tail = _keys_of_normalised(normalised)
        if not key:
            return []
        exact = [o for o in self.articles if o.description_key == key]
        near = [
            o
            for o in self.articles
            if o.description_key
            and o.description_key != key
            and {head, tail} & {o.description_head, o.description_tail}
        ]
        return exact + near[:MAX_DUPLICATE_CANDIDATES]


# What CheckContext.load reads of each other article ("date" stands for "public": released and
# not in the future, computed by the database), in _OtherArticle's order.
_CONTEXT_COLUMNS = (
    "id", "slug", "title", "description", "date", "description_key", "description_head",
    "description_tail",
)  # fmt: skip

# Rows with the same whole-description digest a check needs: one besides the article itself.
EXACT_ROWS = 2
# Parts of one compound SELECT (SQLite allows 500); a larger batch gets more of them.
_PARTS_PER_QUERY = 200


def description_match_sql(
    digests: Iterable[tuple[str, str, str]],
) -> list[tuple[str, list[str]]]:
    """SQL selecting the primary keys of the articles whose stored description digests match
    one of `digests` ((whole, first words, last words) per description, as description_keys
    gives them): at most EXACT_ROWS sharing a whole digest, and at most EXACT_ROWS +
    MAX_DUPLICATE_CANDIDATES per first or last words with another whole digest (near copies;
    exact copies sharing the words do not count against that bound).

    Each part is an index lookup with its own LIMIT (SQLite allows a LIMIT in a compound
    SELECT's part only inside a subquery), so the database reads at most that many index
    entries per digest, however many articles share it: a house description shared by
    thousands, or an import of files sharing a few, costs each check the same few rows.
    Answered from the digest indexes alone (no table row: on SQLite a row's later columns sit
    behind its body's overflow pages). One (sql, params) per _PARTS_PER_QUERY parts."""
    from django.db import connection

    from articles.models import Article

    meta, quote = Article._meta, connection.ops.quote_name
    table = quote(meta.db_table)
    pk, key, head, tail = (
        quote(meta.get_field(name).column)
        for name in ("id", "description_key", "description_head", "description_tail")
    )
    # Names from the model, values bound: nothing of a description reaches the SQL text.
    exact_sql = f"SELECT {pk} FROM {table} WHERE {key} = %s LIMIT %s"  # noqa: S608
    near_sql = {
        column: f"SELECT {pk} FROM {table} WHERE {column} = %s AND {key} <> %s LIMIT %s"  # noqa: S608
        for column in (head, tail)
    }
    exact_limit, near_limit = EXACT_ROWS, EXACT_ROWS + MAX_DUPLICATE_CANDIDATES
    parts: dict[tuple[str, ...], list[str | int]] = {}  # (sql, digests) → its parameters
    for whole, first, last in digests:
        if not whole:
            continue
        parts[(exact_sql, whole)] = [whole, exact_limit]
        for column_sql in near_sql.values():
            for words in (first, last):
                parts[(column_sql, words, whole)] = [words, whole, near_limit]
    queries = []
    chosen = list(parts.items())
    for start in range(0, len(chosen), _PARTS_PER_QUERY):
        batch = chosen[start : start + _PARTS_PER_QUERY]
        sql = " UNION ALL ".join(
            f"SELECT * FROM ({part_sql}) AS part_{index}"  # noqa: S608
            for index, ((part_sql, *_digests), _params) in enumerate(batch)
        )
        queries.append((sql, [value for _part, params in batch for value in params]))
    return queries


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest() if text else ""


def _keys_of_normalised(normalised: str) -> tuple[str, str, str]:
    words = normalised.split()
    return (
        _digest(normalised),
        _digest(" ".join(words[:ANCHOR_WORDS])),
        _digest(" ".join(words[-ANCHOR_WORDS:])),
    )


def description_keys(description: str) -> tuple[str, str, str]:
    """(whole, first words, last words) digests of the normalised description."""
    return _keys_of_normalised(normalise_description(description))


def description_key(description: str) -> str:
    return description_keys(description)[0]


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
    if "TODO" not in body and "FIXME" not in body:
        return []  # nothing to find: no need to blank out code and comments line by line
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
                    "error",
                    "image_alt",
                    _("Helyettesítő szöveg (alt) nélküli kép: %(src)s") % {"src": src or "?"},
                )
            )
    return findings


def _check_release(article: Article, authors: list | None) -> list[Finding]:
    """What a published page cannot do without: a title, a byline, a cover with alt text."""
    findings = []
    if not (article.title or "").strip():
        findings.append(Finding("error", "title_missing", _("Nincs cím.")))
    if authors is None:
        authors = article.author_list() if article.pk is not None else []
    if not authors:
        findings.append(
            Finding("error", "author_missing", _("Nincs szerző: a cikk szerző nélkül jelenne meg."))
        )
    if not article.image and not article.image_source:
        findings.append(Finding("error", "cover_missing", _("Nincs borítókép.")))
    elif not (article.image_alt or "").strip():
        findings.append(
            Finding(
                "error",
                "cover_alt",
                _("A borítóképnek nincs helyettesítő szövege (alt)."),
            )
        )
    return findings


def _check_description(article: Article, context: CheckContext) -> list[Finding]:
    description = (article.description or "").strip()
    if not description:
        return [Finding("error", "description_missing", _("Nincs leírás (description)."))]
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
    mine_key = _digest(mine)
    matcher = difflib.SequenceMatcher(None, autojunk=False)
    matcher.set_seq2(mine)
    for other in context.description_candidates(mine):
        if other.pk == article.pk or not other.description_key:
            continue
        exact = other.description_key == mine_key  # the same normalised text
        if not exact:
            matcher.set_seq1(other.description)
        if exact or (
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


def _check_math(rendered: Rendered) -> list[Finding]:
    """A formula opened and never closed (what KaTeX says of the closed ones: _check_formulas).
    The formulas are the renderer's own (never a link, code or an attribute)."""
    findings = []
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


def _check_formulas(rendered: Rendered) -> list[Finding]:
    """Every formula KaTeX could not typeset, with its line and KaTeX's own message: readers
    see only its TeX in a quiet error style."""
    return [
        Finding(
            "error",
            "math_katex",
            _("A(z) %(line)d. sor képlete nem szedhető (%(tex)s): %(message)s")
            % {
                "line": formula.line,
                "tex": _shorten(" ".join(formula.tex.split())),
                "message": formula.error,
            },
        )
        for formula in getattr(rendered, "formulas", []) or []
        if formula.error
    ]


def _check_stale(article: Article) -> list[Finding]:
    """Stored HTML made by an older renderer (e.g. another KaTeX) until rerender_articles runs."""
    from articles.render import renderer_version

    stored = (article.render_report or {}).get("renderer")
    current = renderer_version()
    if article.pk is None or stored == current:
        return []  # an article not yet saved gets rendered by the current renderer
    return [
        Finding(
            "warning",
            "render_stale",
            _(
                "A tárolt HTML régebbi megjelenítővel készült (%(stored)s, a mostani "
                "%(current)s): futtassa a rerender_articles parancsot, vagy mentse újra."
            )
            % {"stored": stored or "?", "current": current},
        )
    ]


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
    article: Article,
    rendered: Rendered | None = None,
    *,
    context: CheckContext | None = None,
    authors: list | None = None,
) -> list[Finding]:
    """Every finding for one article, errors first. Costs one query unless given a context
    (and one for the byline unless prefetched, or `authors` is given: the admin form checks the
    bylines it is about to save)."""
    if rendered is None:
        rendered = _rendered_for(article)
    if context is None:
        context = CheckContext.load(links=rendered.links, descriptions=[article.description])
    body = article.body or ""
    findings = [
        *_check_release(article, authors),
        *_check_todo(body),
        *_check_math(rendered),
        *_check_formulas(rendered),
        *_check_stale(article),
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
    from django.db.models import Prefetch, prefetch_related_objects

    from articles.models import Byline

    # The bylines of all of them in one query (none when the caller already prefetched them).
    prefetch_related_objects(
        articles, Prefetch("bylines", queryset=Byline.objects.select_related("author"))
    )
    context = CheckContext.load(articles)
    return {article.pk: check_article(article, context=context) for article in articles}


def store_findings(article: Article, rendered: Rendered | None = None) -> list[Finding]:
    """Check `article` and keep the findings on it (saved with the row by the caller), so the
    admin list shows counts without checking anything per view."""
    findings = check_article(article, rendered)
    apply_findings(article, findings)
    return findings


def apply_findings(article: Article, findings: list[Finding]) -> None:
    """Set the stored-findings fields of `article` (the caller writes the row)."""
    article.findings = [
        {"level": f.level, "code": f.code, "message": str(f.message)} for f in findings
    ]
    article.finding_errors = sum(1 for f in findings if f.is_error)
    article.finding_warnings = len(findings) - article.finding_errors
    keys = description_keys(article.description)
    article.description_key, article.description_head, article.description_tail = keys


def write_findings(article: Article, findings: list[Finding]) -> None:
    """Store findings computed after the row was saved: the bylines are written after the
    article's own row (admin inlines, the importer), so what save() stored may predate them."""
    apply_findings(article, findings)
    type(article).objects.filter(pk=article.pk).update(
        **{name: getattr(article, name) for name in article.FINDINGS_FIELDS}
    )


def stored_findings(article: Article) -> list[Finding] | None:
    """The findings kept on the row, or None when the article was never checked."""
    if article.finding_errors is None:
        return None
    return [Finding(f["level"], f["code"], f["message"]) for f in article.findings or []]


def has_errors(findings: Iterable[Finding]) -> bool:
    return any(finding.is_error for finding in findings)

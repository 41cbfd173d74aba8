"""Frontmatter files → articles, and articles → frontmatter files.

The import of one file is one transaction: it creates or updates its article (matched by slug),
stores the images it references under content-hash names, and either all of the article's rows
are written or none (images stored for a file that then failed stay: they may already be shared
with another writer's article; the media cleanup command removes unreferenced ones). Reading,
checking and rendering a file run under a time limit, before its transaction. An unchanged file —
same checksum as at its last import — costs no write and no rendering; the known checksums are
read with one query per run, not one per file.

The checksum covers the file's bytes and the bytes of every local image it references (or the
fact that an image is missing), so dropping a missing image into the assets folder makes the
next import pick it up. Image digests are cached per run, so a chart used by a thousand
articles is hashed once.

Messages are for an editor and in English (the operator-facing language of the commands).
"""

from __future__ import annotations

import bisect
import errno
import functools
import hashlib
import os
import re
import stat
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote, unquote, urlsplit

import django
from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.core.files.storage import Storage, default_storage
from django.db import IntegrityError, connection, models, transaction
from django.db.models import F
from django.utils import timezone

from articles.checks import Finding, apply_findings, check_article, has_errors
from articles.frontmatter import (
    ARTICLE_SUFFIXES,
    KNOWN_KEYS,
    TEXT_SUFFIXES,
    ArticleSource,
    NotAnArticle,
    SourceError,
    body_line,
    decode,
    load_meta,
    quick_cover,
    split_raw,
    validate,
)
from articles.frontmatter import (
    HANDLER as FRONTMATTER,
)
from articles.history import revision_fields, serialize, write_revision
from articles.images import (
    CheckedImage,
    ImageRejected,
    check_image,
    media_url_prefix,
    store_image,
)
from articles.models import Article, Author, BodyDerived, Byline, Tag, derive_body
from articles.render_limits import RenderRefused
from articles.text import make_slug
from articles.time_limit import TimeLimitExceeded, time_limit

# What a revision keeps of an article and of a byline (as registered in articles.admin).
_ARTICLE_REVISION_FIELDS = revision_fields(Article, Article.NOT_IN_REVISIONS)
_BYLINE_REVISION_FIELDS = revision_fields(Byline)

_T = TypeVar("_T")
_M = TypeVar("_M", bound=models.Model)

CREATED = "created"
UPDATED = "updated"
UNCHANGED = "unchanged"
SKIPPED = "skipped"
HELD = "held"  # imported, but kept unpublished: a released file with editorial errors
FAILED = "failed"
STATUSES = (CREATED, UPDATED, UNCHANGED, SKIPPED, HELD, FAILED)

EXPORT_IMAGE_DIR = "kepek"
# Seconds one file may take to be read, checked and rendered: the seed takes ~0.1 s, a 2 MiB
# body of ordinary prose a few seconds; a pathological one is stopped here.
DEFAULT_TIME_LIMIT = 30.0
# The comment of the revision an import records (reversion), followed by the file's path.
IMPORT_COMMENT_PREFIX = "importálva: "


@dataclass
class Outcome:
    """What happened to one file: one line of the command's report, plus its findings."""

    path: str
    status: str
    reason: str = ""
    slug: str = ""
    findings: list[str] = field(default_factory=list)

    def line(self) -> str:
        return f"{self.status}: {self.path}" + (f": {self.reason}" if self.reason else "")


# --------------------------------------------------------------------------- finding files


def find_sources(paths: Iterable[str | Path]) -> Iterator[Path]:
    """Files named on the command line, and the article files inside folders (recursively).

    Folders are walked in sorted order, hidden entries skipped, symlinked folders not
    followed; a file met twice is yielded once. A path that does not exist is yielded as is
    so the importer can report it as failed.
    """
    seen: set[str] = set()
    for raw in paths:
        path = Path(raw)
        try:
            is_dir = path.is_dir()
        except OSError:  # e.g. a name too long: the importer reports it for the file
            is_dir = False
        if is_dir:
            candidates: Iterable[Path] = _walk(path)
        else:
            candidates = [path]
        for candidate in candidates:
            key = os.path.abspath(candidate)  # no system calls, unlike resolve()
            if key not in seen:
                seen.add(key)
                yield candidate


def _walk(folder: Path) -> Iterator[Path]:
    found: list[Path] = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in files:
            if not name.startswith(".") and name.lower().endswith(ARTICLE_SUFFIXES):
                found.append(Path(root) / name)
    yield from sorted(found, key=lambda p: p.as_posix())


def source_key(path: Path) -> str:
    """How a file is remembered in Article.source_path: relative to the project when inside
    it (so moving the checkout does not orphan articles), else absolute. Only the folder is
    resolved (cached), the file name is kept as it is."""
    return f"{_folder_key(str(path.parent), str(settings.BASE_DIR))}{path.name}"


@functools.lru_cache(maxsize=1024)
def _folder_key(folder: str, base_dir: str) -> str:
    resolved = Path(folder).resolve()
    base = Path(base_dir).resolve()
    if resolved == base:
        return ""
    if resolved.is_relative_to(base):
        return resolved.relative_to(base).as_posix() + "/"
    return resolved.as_posix().rstrip("/") + "/"


# --------------------------------------------------------------------------- image references


@dataclass(frozen=True)
class ImageRef:
    """One image reference in a body: where its URL sits in the text, and the URL."""

    start: int
    end: int
    src: str


# Linear by construction: an alt text stops at the next `[` and a tag at the next `<`, so a
# body of 10,000 unclosed `![` or `<img a` is scanned once, not once per opening (quadratic).
_MD_IMAGE = re.compile(r"!\[[^\[\]\n]*\]\(\s*<?(?P<src>[^)\s<>]+)>?")
_HTML_IMAGE = re.compile(
    r"<img\b[^<>]*?\ssrc\s*=\s*(?:\"(?P<dq>[^\"]*)\"|'(?P<sq>[^']*)'|(?P<bare>[^\s<>\"']+))",
    re.IGNORECASE,
)
# Places where an image-looking text is not an image: fenced code, inline code, HTML comments.
# Each pattern starts with a literal, so the regex engine skips ahead quickly; fences are found
# line by line (a `^` anchored alternation costs milliseconds on a seed-sized body).
_INLINE_CODE = re.compile(r"`[^`\n]+`")
_COMMENT = re.compile(r"<!--.*?(?:-->|\Z)", re.DOTALL)


def _fence_spans(body: str) -> list[tuple[int, int]]:
    if "```" not in body and "~~~" not in body:
        return []
    spans: list[tuple[int, int]] = []
    fence, start, position = "", 0, 0
    for line in body.split("\n"):
        stripped = line.lstrip(" ")
        indent = len(line) - len(stripped)
        if not fence:
            if indent <= 3 and stripped.startswith(("```", "~~~")):
                fence, start = stripped[:3], position
        elif indent <= 3 and _closes(stripped.rstrip(), fence):
            spans.append((start, position + len(line)))
            fence = ""
        position += len(line) + 1
    if fence:  # an unclosed fence runs to the end, as in Markdown
        spans.append((start, len(body)))
    return spans


def _closes(line: str, fence: str) -> bool:
    return len(line) >= 3 and set(line) == {fence[0]}


def _skipped_spans(body: str) -> list[tuple[int, int]]:
    """Sorted, merged (start, end) spans of code and comments."""
    spans = _fence_spans(body)
    if "`" in body:
        spans += [m.span() for m in _INLINE_CODE.finditer(body)]
    if "<!--" in body:
        spans += [m.span() for m in _COMMENT.finditer(body)]
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def find_image_refs(body: str) -> list[ImageRef]:
    """Every `![](…)` and `<img src>` of the body, in order, outside code and comments."""
    skipped = _skipped_spans(body)
    starts = [start for start, _end in skipped]

    def outside_skipped(position: int) -> bool:
        index = bisect.bisect_right(starts, position) - 1
        return index < 0 or position >= skipped[index][1]

    refs: list[ImageRef] = []
    for match in _MD_IMAGE.finditer(body):
        refs.append(ImageRef(*match.span("src"), match.group("src")))
    for match in _HTML_IMAGE.finditer(body):
        group = next(g for g in ("dq", "sq", "bare") if match.group(g) is not None)
        refs.append(ImageRef(*match.span(group), match.group(group)))
    return sorted((ref for ref in refs if outside_skipped(ref.start)), key=lambda r: r.start)


def local_path(src: str) -> str | None:
    """The file path of a local image reference; None for http(s), data: and other URLs."""
    parts = urlsplit(src.strip())
    if parts.scheme or parts.netloc or not parts.path:
        return None
    return unquote(parts.path)


def rewrite_refs(
    body: str, replacements: dict[str, str], refs: list[ImageRef] | None = None
) -> str:
    """Replace image URLs (by exact src) from the end, so earlier positions stay valid.
    `refs`: find_image_refs(body) when the caller has it already."""
    if not replacements:
        return body
    for ref in reversed(find_image_refs(body) if refs is None else refs):
        if ref.src in replacements:
            body = body[: ref.start] + replacements[ref.src] + body[ref.end :]
    return body


@dataclass
class ResolvedImage:
    ref: str  # as written in the file
    path: Path | None  # None when missing
    digest: str  # sha256 of the bytes, or "missing"
    cover: bool = False


class ImageResolver:
    """Finds referenced images under the assets folder and refuses paths that leave it."""

    def __init__(self) -> None:
        self._digests: dict[Path, tuple[int, int, str]] = {}
        # Resolving follows symlinks with one lstat per path part; a run asks the same
        # questions thousands of times (every article of a folder uses the same charts).
        self._resolved: dict[tuple[str, Path, Path], Path | SourceError] = {}

    def resolve(self, ref: str, *, file_dir: Path, assets_dir: Path) -> Path:
        """The real path of an image reference; SourceError when it leaves the allowed roots."""
        key = (ref, file_dir, assets_dir)
        if key not in self._resolved:
            try:
                self._resolved[key] = self._resolve(ref, file_dir=file_dir, assets_dir=assets_dir)
            except SourceError as exc:
                self._resolved[key] = exc
        result = self._resolved[key]
        if isinstance(result, SourceError):
            raise SourceError(str(result))
        return result

    def _resolve(self, ref: str, *, file_dir: Path, assets_dir: Path) -> Path:
        path = local_path(ref) or ""
        if "\x00" in path:
            raise SourceError(f"image path {ref!r} is not a valid path")
        # `/NVIDIA/nvda.png` is under the assets folder; `kepek/a.png` is beside the file.
        candidate = assets_dir / path.lstrip("/") if path.startswith("/") else file_dir / path
        try:
            resolved = candidate.resolve()
        except OSError as exc:
            raise SourceError(os_error_message(exc, f"image path {_short(ref)}")) from None
        except RuntimeError:  # a symlink loop (Python 3.11)
            raise SourceError(
                f"image path {_short(ref)}: too many symbolic links (a loop?); "
                "point it at a real file"
            ) from None
        roots = {assets_dir.resolve(), file_dir.resolve()}
        if not any(resolved.is_relative_to(root) for root in roots):
            raise SourceError(
                f"image path {ref!r} leads outside the assets folder {assets_dir} "
                "(only images inside it are imported)"
            )
        return resolved

    def digest(self, path: Path, info: os.stat_result) -> str:
        """sha256 of an image file, cached by (mtime, size) for the rest of the run."""
        cached = self._digests.get(path)
        if cached and cached[:2] == (info.st_mtime_ns, info.st_size):
            return cached[2]
        hasher = hashlib.sha256()
        with path.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                hasher.update(chunk)
        value = hasher.hexdigest()
        self._digests[path] = (info.st_mtime_ns, info.st_size, value)
        return value


# --------------------------------------------------------------------------- the importer


class _DryRunRollback(Exception):
    """Raised at the end of a dry-run transaction to undo it."""


class _Skip(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class _Prepared:
    """A file read and checked, ready to be written: what the transaction needs."""

    outcome: Outcome
    source: ArticleSource
    checked: dict[str, CheckedImage]
    key: str
    checksum: str
    body: str  # the body as stored (image references rewritten), the text to render
    # Every image of the body was stored (by this run) before its rendering began: the
    # rendering's srcsets are final (Article.use_rendered).
    images_stored: bool = False


def _render_pool(jobs: int) -> ProcessPoolExecutor:
    # forkserver: workers start from a clean process, so they inherit no database
    # connection (or thread) of this one; each sets Django up once (settings, translations)
    # and then only renders. Nothing sent to them may import the models before that.
    context = get_context("forkserver")
    # The server itself sets Django up and warms the renderer once (articles.render_worker),
    # so workers fork ready; django.setup() in each stays as the fallback (it is idempotent).
    # Takes effect when the server starts: the first pool of the process.
    context.set_forkserver_preload(["__main__", "articles.render_worker"])
    return ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=django.setup)


class Importer:
    """Imports files one by one; keep one instance per run (it caches checksums and hashes).

    assets: the folder where absolute image paths (`/NVIDIA/nvda.png`) are looked up;
    None means each file's own folder.
    """

    def __init__(
        self,
        *,
        assets: str | Path | None = None,
        dry_run: bool = False,
        force: bool = False,
        storage: Storage | None = None,
        time_limit: float | None = DEFAULT_TIME_LIMIT,
        allow_errors: bool = False,
    ) -> None:
        self.assets = Path(assets) if assets is not None else None
        self.dry_run = dry_run
        self.force = force
        # The release gate: a `released: yes` file with editorial errors is imported as a
        # draft (HELD) unless the operator accepts the errors.
        self.allow_errors = allow_errors
        # Seconds one file may take to read, check and render (None: no limit); the write
        # that follows is a few queries and is never interrupted.
        self.time_limit = time_limit
        self.storage = storage or default_storage
        self.images = ImageResolver()
        self._known: dict[str, set[str]] | None = None
        # Every slug in the database when the run started, plus those written since: a file
        # whose slug and path are in neither is new, and is inserted without looking it up.
        self._known_slugs: set[str] = set()
        self._claimed: dict[str, str] = {}  # slug → source key, within this run
        self._verified: dict[str, tuple[str, int, int]] = {}  # sha256 → format, width, height
        # Storage names stored (with their renditions) by this run: a content-hash name never
        # changes meaning, and stored files are never deleted by the importer.
        self._stored: set[str] = set()
        # The URL of each content-hash name, asked once per run (the same charts in every file).
        self._urls: dict[str, str] = {}
        # Authors and tags by slug, as committed by earlier files of this run: a thousand
        # articles by the same few authors need no look-up each. A file's own finds and
        # creations join them only once its transaction has committed (`_pending`).
        self._authors: dict[str, Author] = {}
        self._tags: dict[str, Tag] = {}
        self._pending: tuple[dict[str, Author], dict[str, Tag]] = ({}, {})

    def known_checksums(self) -> dict[str, set[str]]:
        """source_path → checksums of its articles, read once with a single query (which
        also reads every slug, see `_known_slugs`)."""
        if self._known is None:
            known: dict[str, set[str]] = {}
            slugs: set[str] = set()
            rows = Article.objects.order_by().values_list("slug", "source_path", "source_checksum")
            for slug, path, checksum in rows.iterator(chunk_size=2000):
                slugs.add(slug)
                if path:
                    known.setdefault(path, set()).add(checksum)
            self._known, self._known_slugs = known, slugs
        return self._known

    def run(self, paths: Iterable[str | Path], *, jobs: int = 1) -> Iterator[Outcome]:
        """Import every file, yielding outcomes in file order.

        jobs > 1 renders the Markdown in that many worker processes while this process reads,
        checks and writes: each file is still its own transaction here, and a worker only
        turns text into a BodyDerived (it never touches the database).
        """
        if jobs <= 1:
            for path in find_sources(paths):
                yield self.import_file(path)
            return
        yield from self._run_parallel(find_sources(paths), jobs)

    def import_file(self, path: str | Path) -> Outcome:
        """Import one file; never raises for a bad file, the Outcome says what went wrong."""
        outcome = Outcome(path=str(path), status=FAILED)
        ready = self._guarded(outcome, self._prepare_and_render, Path(path), outcome)
        if ready is not None:
            self._guarded(outcome, self._commit, *ready)
        return outcome

    def _prepare_and_render(
        self, path: Path, outcome: Outcome
    ) -> tuple[_Prepared, BodyDerived] | None:
        """Everything that can be slow, under the file's time limit, before any write."""
        with time_limit(self.time_limit):
            prepared = self._prepare(path, outcome)
            if prepared is None:
                return None
            self._note_stored(prepared)
            return prepared, derive_body(prepared.body)

    def _note_stored(self, prepared: _Prepared) -> None:
        """Called as its rendering begins: whether every image of the body is in storage."""
        names = (image.storage_name for image in prepared.checked.values())
        prepared.images_stored = all(name in self._stored for name in names)

    def _run_parallel(self, paths: Iterable[Path], jobs: int) -> Iterator[Outcome]:
        # Bounded look-ahead: enough queued renders to keep every worker busy while this
        # process writes, few enough that memory stays flat however many files there are.
        ahead = 2 * jobs
        pending: deque[tuple[Outcome, _Prepared | None, Future | None]] = deque()
        pool: ProcessPoolExecutor | None = None
        broken = False
        try:
            for path in paths:
                outcome = Outcome(path=str(path), status=FAILED)
                prepared = self._guarded(outcome, self._prepare_limited, path, outcome)
                future = None
                if prepared is not None and not broken:
                    if pool is None:  # not started for a run of unchanged files
                        pool = _render_pool(jobs)
                    try:
                        self._note_stored(prepared)
                        future = pool.submit(render_within, prepared.body, self.time_limit)
                    except BrokenProcessPool:  # save() renders here from now on
                        broken = True
                pending.append((outcome, prepared, future))
                if len(pending) > ahead:
                    yield self._finish(*pending.popleft())
            while pending:
                yield self._finish(*pending.popleft())
        finally:
            if pool is not None:
                pool.shutdown(wait=True, cancel_futures=True)

    def _finish(
        self, outcome: Outcome, prepared: _Prepared | None, future: Future | None
    ) -> Outcome:
        if prepared is None:
            return outcome
        rendered = None
        if future is not None:
            try:
                rendered = future.result()
            except TimeLimitExceeded as exc:  # raised in the worker, under the same limit
                self._guarded(outcome, _reraise, exc)
                return outcome
            except Exception:  # a broken worker: render here instead, under the limit
                rendered = None
        if rendered is None:
            self._note_stored(prepared)
            rendered = self._guarded(outcome, self._render_limited, prepared.body)
            if rendered is None:
                return outcome
        self._guarded(outcome, self._commit, prepared, rendered)
        return outcome

    def _prepare_limited(self, path: Path, outcome: Outcome) -> _Prepared | None:
        with time_limit(self.time_limit):
            return self._prepare(path, outcome)

    def _render_limited(self, body: str) -> BodyDerived:
        with time_limit(self.time_limit):
            return derive_body(body)

    @staticmethod
    def _guarded(outcome: Outcome, step: Callable[..., _T], *args: Any) -> _T | None:
        """Run one step of a file's import; a bad file becomes the Outcome, never an error."""
        try:
            return step(*args)
        except NotAnArticle as exc:
            outcome.status, outcome.reason = SKIPPED, str(exc)
        except _Skip as exc:
            outcome.status, outcome.reason = SKIPPED, exc.reason
        except TimeLimitExceeded as exc:
            outcome.status = FAILED
            outcome.reason = (
                f"took longer than {exc.seconds:g} s (the per-file limit), nothing was written: "
                "look for a construct repeated thousands of times in it, or raise the limit "
                "with --time-limit"
            )
        except SourceError as exc:
            outcome.status, outcome.reason = FAILED, str(exc)
        except RenderRefused as exc:
            outcome.status = FAILED
            outcome.reason = (
                f"the body is refused: {exc} (lines counted from the body's first line); "
                "nothing of this file was saved"
            )
        except RecursionError:
            outcome.status = FAILED
            outcome.reason = (
                "the text is nested too deeply to process (for example hundreds of '>' quote "
                "or list levels): flatten it; nothing of this file was saved"
            )
        except Exception as exc:  # a bug or a database error: report it, keep going
            outcome.status = FAILED
            outcome.reason = (
                f"internal error: {exc or type(exc).__name__}; nothing of this file was saved "
                "(import it again; if it fails again, report it with the file)"
            )
        return None

    # -- reading and checking, no writes

    def _read(self, path: Path) -> bytes:
        if not path.name.lower().endswith(ARTICLE_SUFFIXES):
            if not os.path.lexists(path):
                raise SourceError("no such file or folder")
            raise SourceError("not an article file (expected .md, .markdown or .txt)")
        limit = settings.CIKK_IMPORT_MAX_BYTES
        try:
            # Non-blocking, and the type checked on the open file: a named pipe given as an
            # article would otherwise wait for a writer forever.
            fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        except OSError as exc:
            raise SourceError(os_error_message(exc, "the file")) from None
        with os.fdopen(fd, "rb") as handle:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                raise SourceError(f"not a regular file but {file_kind(info.st_mode)}")
            if info.st_size > limit:
                raise SourceError(
                    f"the file is {info.st_size:,} bytes, more than the {limit:,} byte limit "
                    "(CIKK_IMPORT_MAX_BYTES)"
                )
            data = handle.read(limit + 1)
        if len(data) > limit:
            raise SourceError(
                f"the file is more than the {limit:,} byte limit (CIKK_IMPORT_MAX_BYTES)"
            )
        return data

    def _resolve_images(
        self, cover: str, body_refs_found: list[ImageRef], path: Path, findings: list[str]
    ) -> list[ResolvedImage]:
        file_dir = path.parent
        assets_dir = self.assets if self.assets is not None else file_dir
        refs: list[tuple[str, bool]] = []
        if cover and local_path(cover) is not None:
            refs.append((cover, True))
        body_refs = {ref.src for ref in body_refs_found if local_path(ref.src)}
        refs.extend((src, False) for src in sorted(body_refs))
        resolved: list[ResolvedImage] = []
        for ref, is_cover in refs:
            target = self.images.resolve(ref, file_dir=file_dir, assets_dir=assets_dir)
            what = "cover image" if is_cover else "image"
            try:
                info = target.stat()
            except (FileNotFoundError, NotADirectoryError):
                findings.append(f"{what} not found: {ref} (looked for {target})")
                resolved.append(ResolvedImage(ref, None, "missing", is_cover))
                continue
            except OSError as exc:
                raise SourceError(os_error_message(exc, f"{what} {_short(ref)}")) from None
            if not stat.S_ISREG(info.st_mode):
                raise SourceError(
                    f"{what} {_short(ref)} is {file_kind(info.st_mode)}, not an image file: "
                    "point the reference at a regular image file"
                )
            digest = self.images.digest(target, info)
            resolved.append(ResolvedImage(ref, target, digest, is_cover))
        return resolved

    @staticmethod
    def _checksum(data: bytes, images: list[ResolvedImage]) -> str:
        hasher = hashlib.sha256(data)
        for image in images:
            hasher.update(b"\0" + image.ref.encode() + b"\0" + image.digest.encode())
        return hasher.hexdigest()

    def _check_images(self, images: list[ResolvedImage]) -> dict[str, CheckedImage]:
        """Pillow-check each present image; bytes already verified in this run are not
        decoded again (the chart shared by a thousand articles is decoded once), and bytes this
        run has already stored are not even read again (their digest, the one the file's
        checksum covers, names them; a changed file has another digest and is read)."""
        checked: dict[str, CheckedImage] = {}
        limit = settings.CIKK_IMAGE_MAX_BYTES
        for image in images:
            if image.path is None or image.ref in checked:
                continue
            known = self._verified.get(image.digest)
            if known is not None:
                stored = CheckedImage(b"", *known, sha256=image.digest)
                if stored.storage_name in self._stored:  # never stored again: no bytes needed
                    checked[image.ref] = stored
                    continue
            with image.path.open("rb") as handle:
                data = handle.read(limit + 1)
            digest = hashlib.sha256(data).hexdigest()
            known = self._verified.get(digest)
            if known is not None:
                checked[image.ref] = CheckedImage(data, *known, sha256=digest)
                continue
            try:
                result = check_image(data)
            except ImageRejected as exc:
                raise SourceError(f"image {image.ref!r} is rejected: {exc}") from None
            self._verified[digest] = (result.format, result.width, result.height)
            checked[image.ref] = result
        return checked

    # -- the whole file

    def _prepare(self, path: Path, outcome: Outcome) -> _Prepared | None:
        """Read and check one file, no writes; None when it is unchanged since its import."""
        data = self._read(path)
        yaml_text, body = split_raw(decode(data), is_txt=path.name.lower().endswith(TEXT_SUFFIXES))
        key = source_key(path)
        known = self.known_checksums().get(key, ())
        # The unchanged check first, without a YAML parse: same bytes and same images as at
        # the last import means nothing to validate or write.
        cover = quick_cover(yaml_text)
        body_refs = find_image_refs(body)
        images = self._resolve_images(cover, body_refs, path, outcome.findings)
        checksum = self._checksum(data, images)
        if self._unchanged(checksum, known, outcome):
            return None
        meta = load_meta(yaml_text)
        parsed_cover = meta.get("image")
        parsed_cover = parsed_cover.strip() if isinstance(parsed_cover, str) else ""
        if parsed_cover != cover:  # frontmatter the shortcut cannot read: do it properly
            outcome.findings.clear()
            images = self._resolve_images(parsed_cover, body_refs, path, outcome.findings)
            checksum = self._checksum(data, images)
            if self._unchanged(checksum, known, outcome):
                return None
        source = validate(meta, body, body_line=body_line(yaml_text))
        outcome.slug = source.slug
        outcome.findings[:0] = source.findings
        self._check_claim(source.slug, key)
        checked = self._check_images(images)
        # The body as stored: image references point at the stored (content-hash) names,
        # known before anything is written, so the text can be rendered ahead of the write.
        urls = {ref: self._url(image.storage_name) for ref, image in checked.items()}
        # The references found above when validating left the body as it was (the usual case).
        body = rewrite_refs(source.body, urls, body_refs if source.body == body else None)
        return _Prepared(outcome, source, checked, key, checksum, body)

    def _url(self, name: str) -> str:
        url = self._urls.get(name)
        if url is None:
            url = self._urls[name] = self.storage.url(name)
        return url

    def _unchanged(self, checksum: str, known: Iterable[str], outcome: Outcome) -> bool:
        """Same bytes and images as at the last import: nothing to do. A file that was held
        back stays held (reported again, so the exit status keeps saying so) unless
        --allow-errors, which imports it again to publish it."""
        if checksum in known:
            outcome.status = UNCHANGED
            return True
        if held_checksum(checksum) in known and not self.allow_errors:
            outcome.status = HELD
            outcome.reason = (
                "unchanged since it was held back as a draft for editorial errors (see "
                "manage.py check_articles): fix the file, or publish it with --allow-errors"
            )
            return True
        return False

    def _check_claim(self, slug: str, key: str) -> None:
        claimant = self._claimed.get(slug)
        if claimant is not None and claimant != key:
            raise SourceError(f"slug '{slug}' already used by {claimant}")

    def _commit(self, prepared: _Prepared, rendered: BodyDerived | None) -> None:
        """Write one prepared file in one transaction; `rendered` is its body's rendering
        when a worker made it (else save() renders)."""
        source, key, checksum = prepared.source, prepared.key, prepared.checksum
        # Checked again: with workers, files read after this one were prepared before it
        # was written, and a file written since may have claimed the slug.
        self._check_claim(source.slug, key)
        self._pending = ({}, {})
        try:
            with transaction.atomic():
                status = self._write(prepared, rendered)
                if self.dry_run:
                    raise _DryRunRollback
        except _DryRunRollback:
            pass
        except (IntegrityError, ObjectDoesNotExist) as exc:
            # A new file is inserted without a look-up (see _write); the unique constraints
            # are the guard against a row another writer added since the run started.
            self._known_slugs.add(source.slug)  # the next attempt looks it up
            # An author or tag remembered from an earlier file may be what someone deleted.
            self._authors.clear()
            self._tags.clear()
            raise SourceError(
                f"slug '{source.slug}' (or an author or tag of it) was written by someone else "
                f"during the import; nothing of this file was saved, import it again ({exc})"
            ) from None
        self._claimed[source.slug] = key
        self._known_slugs.add(source.slug)
        if not self.dry_run:
            stored = held_checksum(checksum) if status == HELD else checksum
            self.known_checksums().setdefault(key, set()).add(stored)
            self._authors.update(self._pending[0])
            self._tags.update(self._pending[1])
        prepared.outcome.status = status

    def _find_article(self, source: ArticleSource, key: str, outcome: Outcome) -> Article | None:
        article = Article.objects.select_for_update().filter(slug=source.slug).first()
        if article is not None:
            old = article.source_path
            if old and old != key:
                self._adopt(source.slug, old, outcome)
            return article
        # The title (and so the slug) changed since the last import: same file, same article.
        previous = list(Article.objects.select_for_update().filter(source_path=key)[:2])
        if len(previous) == 1:
            old = previous[0].slug
            outcome.findings.append(
                f"slug changed from '{old}' to '{source.slug}': links to /cikk/{old}/ stop working"
            )
            return previous[0]
        return None

    def _adopt(self, slug: str, old: str, outcome: Outcome) -> None:
        """A file whose slug belongs to an article imported from another path: a moved file
        (the old one is gone) takes the article over with --force; otherwise say how."""
        if _source_exists(old):
            raise SourceError(
                f"slug '{slug}' already used by {old} (that file still exists): give one of the "
                "two files another 'slug:' or title, or delete one of them"
            )
        if not self.force:
            raise SourceError(
                f"slug '{slug}' belongs to the article imported from {old}, which no longer "
                "exists; if the file was moved here, import it again with --force to take the "
                "article over (same slug and URL; the old path is forgotten)"
            )
        outcome.findings.append(f"took over the article imported from {old} (the file moved)")

    def _write(self, prepared: _Prepared, rendered: BodyDerived | None) -> str:
        source, checked = prepared.source, prepared.checked
        # A slug and a path the run has never seen: a new article, no look-up needed.
        unseen = prepared.key not in self.known_checksums() and source.slug not in self._known_slugs
        article = None if unseen else self._find_article(source, prepared.key, prepared.outcome)
        created = article is None
        if article is not None and not self.force:
            if article.edited_since_import:
                raise _Skip("edited since last import (use --force)")
            if article.imported_version is None:
                raise _Skip("an article with this slug was written in the admin (use --force)")
        if not self.dry_run:
            # Content-hash names: the same bytes are the same file, whoever stores them. A file
            # that fails after this point leaves its images in place, never deletes them:
            # another writer may have stored the same bytes and committed an article using
            # them meanwhile. Unreferenced media is removed only by the media cleanup command.
            for image in checked.values():
                if image.storage_name not in self._stored:  # the same chart in every article
                    store_image(image, self.storage)
                    self._stored.add(image.storage_name)
        if article is None:
            article = Article()
        article.title = source.title
        article.slug = source.slug
        article.description = source.description
        article.image_alt = source.image_alt
        article.body = prepared.body
        if rendered is not None:
            article.use_rendered(prepared.body, rendered, images_stored=prepared.images_stored)
        article.date = source.date
        article.released = source.released
        article.extra = source.extra
        article.source_path = prepared.key
        article.source_checksum = prepared.checksum
        self._set_cover(article, source, checked)
        # Checked before the write, with the byline the file names, and stored by the INSERT
        # or UPDATE itself (save() checks nothing more).
        findings = check_article(
            article, rendered.rendered if rendered else None, authors=source.authors
        )
        apply_findings(article, findings)
        if created:  # save() keeps the first version: one INSERT, no UPDATE after it
            article.imported_version = article.version
            article.save(check_findings=False)
        else:
            article.save(check_findings=False)
            Article.objects.filter(pk=article.pk).update(imported_version=F("version"))
            article.imported_version = article.version
        bylines = self._set_authors(article, source.authors, replace=not created)
        tags = self._set_tags(article, source.tags, replace=not created)
        held = source.released and self._release_gate(article, findings, prepared)
        # One revision per imported change, in the file's transaction: the admin's history
        # and compare screens show it ("importálva: path"), and a conflict names it. It keeps
        # the bylines too (Article follows them, registered in articles.admin), written from
        # the objects at hand, not read back (articles.history).
        write_revision(
            [
                (article, serialize(article, _ARTICLE_REVISION_FIELDS, {"tags": tags})),
                *((byline, serialize(byline, _BYLINE_REVISION_FIELDS)) for byline in bylines),
            ],
            comment=f"{IMPORT_COMMENT_PREFIX}{prepared.key}",
        )
        if held:
            return HELD
        return CREATED if created else UPDATED

    def _release_gate(self, article: Article, findings: list[Finding], prepared: _Prepared) -> bool:
        """The same gate as the admin's: editorial errors keep a released file unpublished.

        Reads the findings checked before the write (with the file's byline), inside the
        file's transaction; a held article is set back to a draft with a bare UPDATE (no new
        version: the text is as imported). True when held."""
        outcome = prepared.outcome
        if self.dry_run:  # the images a real run would store are not in the storage
            names = [image.storage_name for image in prepared.checked.values()]
            stored = {*names, *(self.storage.url(name) for name in names)}
            findings = [f for f in findings if not _about_stored_image(f, stored)]
        if not has_errors(findings):
            return False
        reasons = "; ".join(str(f.message) for f in findings if f.is_error)
        if self.allow_errors:
            outcome.findings.append(
                f"released despite editorial errors (--allow-errors): {reasons}"
            )
            return False
        # The checksum marks it held: an unchanged file stays held without a write, and a
        # run with --allow-errors (whose checksum differs) imports it again.
        article.source_checksum = held_checksum(article.source_checksum)
        Article.objects.filter(pk=article.pk).update(
            released=False, source_checksum=article.source_checksum
        )
        article.released = False
        outcome.reason = (
            f"{reasons} (imported, but kept as a draft: fix the file and import it again, "
            "or publish anyway with --allow-errors)"
        )
        return True

    @staticmethod
    def _set_cover(
        article: Article,
        source: ArticleSource,
        checked: dict[str, CheckedImage],
    ) -> None:
        cover = checked.get(source.image) if source.image else None
        if cover is not None:
            # Assigning the name (not a File) keeps Django from re-reading the stored bytes.
            article.image.name = cover.storage_name
            article.image_width, article.image_height = cover.width, cover.height
            article.image_source = ""
        else:
            article.image.name = ""
            article.image_width = article.image_height = None
            article.image_source = source.image  # missing or remote: keep what the file said

    def _set_authors(self, article: Article, names: list[str], *, replace: bool) -> list[Byline]:
        by_slug = {make_slug(name): name for name in names}
        authors = {slug: self._authors[slug] for slug in by_slug if slug in self._authors}
        unknown = [slug for slug in by_slug if slug not in authors]
        if unknown:
            authors.update((a.slug, a) for a in Author.objects.filter(slug__in=unknown))
            missing = [
                Author(name=by_slug[slug], slug=slug) for slug in unknown if slug not in authors
            ]
            authors.update((a.slug, a) for a in _bulk_create(Author, missing))
        self._pending[0].update(authors)
        if replace:
            Byline.objects.filter(article=article).delete()
        return _bulk_create(
            Byline,
            [
                Byline(article=article, author=authors[slug], position=position)
                for position, slug in enumerate(by_slug)
            ],
        )

    def _set_tags(self, article: Article, names: list[str], *, replace: bool) -> list[Tag]:
        """The article's tags after the write (the revision names them)."""
        by_slug = {make_slug(name, max_length=100): name for name in names}
        if not by_slug and not replace:
            return []
        tags = {slug: self._tags[slug] for slug in by_slug if slug in self._tags}
        unknown = [slug for slug in by_slug if slug not in tags]
        if unknown:
            tags.update((t.slug, t) for t in Tag.objects.filter(slug__in=unknown))
            missing = [Tag(name=by_slug[slug], slug=slug) for slug in unknown if slug not in tags]
            tags.update((t.slug, t) for t in _bulk_create(Tag, missing))
        self._pending[1].update(tags)
        if replace:
            article.tags.set(list(tags.values()))
        else:  # a new article has no tags yet: insert the links, nothing to compare
            through = Article.tags.through
            through.objects.bulk_create(through(article=article, tag=tag) for tag in tags.values())
        return list(tags.values())


def _short(text: str, limit: int = 80) -> str:
    return repr(text) if len(text) <= limit else repr(text[:limit]) + "…"


_FILE_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
)


def file_kind(mode: int) -> str:
    """What a non-regular file is, in words."""
    return next((words for test, words in _FILE_KINDS if test(mode)), "not a regular file")


def os_error_message(exc: OSError, what: str) -> str:
    """An operating-system error in words, with what to do; never the exception's name."""
    code = exc.errno
    if code == errno.ENOENT:
        return "no such file or folder"
    if code == errno.ENAMETOOLONG:
        name = os.fsencode(exc.filename or "")
        return (
            f"{what}: the name is too long for the file system ({len(name):,} bytes); "
            "rename the file or folder to something shorter"
        )
    if code in (errno.EACCES, errno.EPERM):
        return f"{what} cannot be read: permission denied; check the file's permissions"
    if code == errno.ELOOP:
        return f"{what}: too many symbolic links (a loop?); point it at a real file"
    if code == errno.EISDIR:
        return f"{what} is a folder, not a file"
    reason = exc.strerror or str(exc)
    return f"{what} cannot be read: {reason.lower()}; check the path and try again"


def _about_stored_image(finding: Finding, urls: set[str]) -> bool:
    """A missing-image finding about one of `urls` (images a dry run did not store)."""
    return finding.code in ("missing_image", "missing_cover") and any(
        url in str(finding.message) for url in urls
    )


def _source_exists(key: str) -> bool:
    """Whether the file an article was imported from (its source_key) is still there."""
    path = Path(key)
    if not path.is_absolute():
        path = Path(settings.BASE_DIR) / path
    try:
        return path.exists()
    except OSError:
        return False


def held_checksum(checksum: str) -> str:
    """What Article.source_checksum holds for a file imported but held back as a draft."""
    return hashlib.sha256(f"held:{checksum}".encode()).hexdigest()


def render_within(body: str, seconds: float | None) -> BodyDerived:
    """Render and derive under a time limit: what the importer's worker processes run (the
    report, plain and search text are made here too, beside the rendering, not in the one
    process that writes every row)."""
    with time_limit(seconds):
        return derive_body(body)


def _reraise(exc: BaseException) -> None:
    raise exc


def _bulk_create(model: type[_M], objects: list[_M]) -> list[_M]:
    """One INSERT for all; row by row where the database cannot return the new keys."""
    if not objects:
        return []
    if connection.features.can_return_rows_from_bulk_insert:
        return model.objects.bulk_create(objects)
    for obj in objects:
        obj.save(force_insert=True)
    return objects


def import_paths(
    paths: Iterable[str | Path],
    *,
    assets: str | Path | None = None,
    dry_run: bool = False,
    force: bool = False,
    time_limit: float | None = DEFAULT_TIME_LIMIT,
    allow_errors: bool = False,
) -> list[Outcome]:
    """Convenience for code and tests: import everything and return the outcomes."""
    importer = Importer(
        assets=assets,
        dry_run=dry_run,
        force=force,
        time_limit=time_limit,
        allow_errors=allow_errors,
    )
    return list(importer.run(paths))


# --------------------------------------------------------------------------- the exporter


@dataclass
class Exported:
    article: Article
    path: Path
    images: int


def export_articles(
    directory: str | Path,
    articles: Iterable[Article] | None = None,
    *,
    storage: Storage | None = None,
) -> Iterator[Exported]:
    """Write each article as `<slug>.md` with its images under `kepek/`, ready to re-import.

    Nothing in `directory` is deleted; `<slug>.md` files and copied images are overwritten.
    """
    storage = storage or default_storage
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    if articles is None:
        articles = Article.objects.with_authors().prefetch_related("tags").order_by("slug")
    for article in articles:
        yield export_article(article, directory, storage=storage)


def export_article(
    article: Article, directory: Path, *, storage: Storage | None = None
) -> Exported:
    """Write one article; return where it went and how many images were copied beside it."""
    storage = storage or default_storage
    copied: set[str] = set()

    def copy(name: str) -> str:
        relative = f"{EXPORT_IMAGE_DIR}/{name.removeprefix('images/')}"
        target = directory / relative
        with storage.open(name, "rb") as handle:
            data = handle.read()
        if not target.exists() or target.read_bytes() != data:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        copied.add(name)
        return quote(relative)

    replacements: dict[str, str] = {}
    prefixes = _media_prefixes(storage)
    for ref in find_image_refs(article.body):
        prefix = next((p for p in prefixes if ref.src.startswith(p)), None)
        if prefix is not None:
            name = unquote(urlsplit(ref.src[len(prefix) :]).path)
            if name and storage.exists(name):
                replacements[ref.src] = copy(name)
    body = rewrite_refs(article.body, replacements)
    meta: dict = {
        "title": article.title,
        "slug": article.slug,
        "date": timezone.localtime(article.date).isoformat(),
    }
    if article.description:
        meta["description"] = article.description
    meta["released"] = article.released
    meta["author"] = [author.name for author in article.author_list()]
    if article.image and storage.exists(article.image.name):
        meta["image"] = copy(article.image.name)
    elif article.image_source:
        meta["image"] = article.image_source
    if article.image_alt:
        meta["image_alt"] = article.image_alt
    tags = [tag.name for tag in article.tags.all()]
    if tags:
        meta["tags"] = tags
    for extra_key, value in article.extra.items():
        if extra_key not in KNOWN_KEYS:
            meta[extra_key] = value
    header = FRONTMATTER.export(meta)  # the importer's own YAML handler, so they agree
    target = directory / f"{article.slug}.md"
    target.write_text(f"---\n{header}---\n\n{body}", encoding="utf-8")
    return Exported(article=article, path=target, images=len(copied))


def _media_prefixes(storage: Storage) -> list[str]:
    """URL prefixes of stored files: MEDIA_URL, and the storage's own base (e.g. a bucket)."""
    prefixes = [settings.MEDIA_URL]
    try:
        # Not storage.url(""): S3 refuses an empty key, and the bucket's images were missed.
        base = media_url_prefix(storage)
    except Exception:  # a storage that cannot make URLs: MEDIA_URL only
        base = ""
    if base and "?" not in base and base not in prefixes:
        prefixes.append(base)
    return sorted(prefixes, key=len, reverse=True)

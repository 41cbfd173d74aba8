"""Reading one article file: bytes → text → frontmatter + body → validated fields.

Nothing here touches the database or the media storage, so the importer, the benchmark and the
tests can all call it cheaply. Every problem is a `SourceError` whose message is written for an
editor: it names the key, the value, or the line and column of the file (never a traceback).
Operator-facing messages are in English, like the rest of the management commands' output.

Splitting is python-frontmatter's (`CikkYAMLHandler`, a `YAMLHandler` used through its public
`detect`/`split`/`load`/`export`); the YAML rules are ours: safe loading, dates as text, no
duplicate keys, no anchors or aliases, bounded nesting and size. Every stored value is bounded
and free of control characters (articles/validators.py, shared with the admin forms).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from frontmatter.default_handlers import YAMLHandler

from articles.text import make_slug, split_authors
from articles.validators import find_control_character

try:  # libyaml is ~10× faster; the pure-Python loader behaves the same.
    _BaseLoader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _BaseLoader = yaml.SafeLoader


class _Loader(_BaseLoader):  # type: ignore[misc, valid-type]
    """A safe loader that leaves timestamps as text.

    PyYAML turns an unquoted `2024-13-45` into a ValueError without the value or position, and
    silently reads `2024-12-24 10:00` as a naive time; Cikk parses dates itself instead, with
    messages that name the value, and keeps unknown keys' dates exactly as written.
    """

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        """Refuse a key written twice: YAML would keep the last one silently, so an author's
        second `title:` (or a `released: yes` below a forgotten `released: no`) would win
        unnoticed. Merge keys (`<<`) may still be overridden, as YAML intends."""
        first_lines: dict = {}
        for key_node, _value in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=deep)
            try:
                first = first_lines.setdefault(key, key_node.start_mark.line)
            except TypeError:  # an unhashable key: the base class reports it
                continue
            if first != key_node.start_mark.line:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"duplicate key {key!r} (first given on line {first + 2})",
                    key_node.start_mark,
                )
        return super().construct_mapping(node, deep=deep)


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in _BaseLoader.yaml_implicit_resolvers.items()
}

BOM = b"\xef\xbb\xbf"
MARKDOWN_SUFFIXES = (".md", ".markdown")
TEXT_SUFFIXES = (".txt",)
ARTICLE_SUFFIXES = MARKDOWN_SUFFIXES + TEXT_SUFFIXES

# Keys Cikk understands; every other key goes to Article.extra and is exported again.
KNOWN_KEYS = (
    "title",
    "slug",
    "date",
    "description",
    "released",
    "author",
    "image",
    "image_alt",
    "tags",
)
# Accepted spellings that mean the same as a known key.
ALIASES = {"authors": "author", "tag": "tags", "image-alt": "image_alt", "alt": "image_alt"}

_TRUE = {"yes", "true", "igen", "1"}
_FALSE = {"no", "false", "nem", "0"}
_DELIMITER = re.compile(r"^---[ \t]*$")

# Every stored value is bounded (characters): a file cannot make a row, a page or a feed large
# through its frontmatter. The title, slug, names and tags match their database columns.
FRONTMATTER_MAX_CHARS = 64 * 1024
_TITLE_MAX = 300
_SLUG_MAX = 200
DESCRIPTION_MAX = 1000
IMAGE_MAX = 500
IMAGE_ALT_MAX = 300  # Article.image_alt
AUTHOR_NAME_MAX = 200
AUTHORS_MAX = 20
TAG_MAX = 100
TAGS_MAX = 50
EXTRA_MAX_CHARS = 16 * 1024  # all unknown keys together, as stored JSON
EXTRA_KEY_MAX = 100
DATE_YEARS = (1800, 2200)


class SourceError(ValueError):
    """The file cannot become an article; the message says why, in an editor's words."""


class NotAnArticle(SourceError):
    """A .txt file without frontmatter: a note or a licence, skipped rather than failed."""


@dataclass
class SplitSource:
    """A decoded file cut into its frontmatter mapping and its Markdown body."""

    meta: dict
    body: str


@dataclass
class ArticleSource:
    """The validated content of one file, ready to be written to the models."""

    title: str
    slug: str
    date: dt.datetime
    released: bool
    authors: list[str]
    description: str
    image: str
    tags: list[str]
    extra: dict
    body: str
    findings: list[str] = field(default_factory=list)
    # The cover's text alternative (`image_alt:`), stored in Article.image_alt.
    image_alt: str = ""


def decode(data: bytes) -> str:
    """UTF-8 with or without BOM, CRLF or CR line endings → text with "\\n" line endings."""
    offset = 0
    if data.startswith(BOM):
        data, offset = data[len(BOM) :], len(BOM)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        position = exc.start + offset
        line = data[: exc.start].count(b"\n") + 1
        byte = data[exc.start : exc.start + 1].hex().upper()
        raise SourceError(
            f"the file is not UTF-8 text: byte 0x{byte} at byte offset {position} "
            f"(line {line}) cannot be decoded; save the file as UTF-8"
        ) from None
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


class CikkYAMLHandler(YAMLHandler):
    """python-frontmatter's YAML handler with Cikk's guarantees, through its public methods.

    - `detect`/`split`: the file's first line is `---`; the block ends at the next `---` or
      `...` line (a later `---`, e.g. a horizontal rule in the body, belongs to the body).
      `split` raises ValueError (a SourceError) when the block is not closed, as the library's
      own handlers do when they cannot split.
    - `load`: a safe loader that keeps dates as text and refuses duplicate keys; anchors and
      aliases are refused before anything is built (an alias bomb multiplies a few hundred
      bytes into gigabytes), and so is nesting deeper than `MAX_DEPTH`; errors name the line
      and column in the file (`first_line` is the file line where the block starts).
    - `export`: the key order as given, Unicode as is, long lines unwrapped.
    """

    FM_BOUNDARY = re.compile(r"^(?:---|\.\.\.)[ \t]*$", re.MULTILINE)
    START_DELIMITER = END_DELIMITER = "---"
    MAX_DEPTH = 8  # the frontmatter mapping, and lists/mappings inside it

    def detect(self, text: str) -> bool:
        """True when the first line is the opening `---` (a BOM is removed by `decode`)."""
        first_end = text.find("\n")
        return bool(_DELIMITER.match(text if first_end < 0 else text[:first_end]))

    def split(self, text: str) -> tuple[str, str]:
        """(frontmatter text, body): the YAML between the delimiter lines, and the text after
        the closing line. Searches for the closing line only, never splits the whole file."""
        first_end = text.find("\n")
        closing = self.FM_BOUNDARY.search(text, first_end + 1) if first_end >= 0 else None
        if closing is None:
            raise SourceError("the frontmatter is not closed: no '---' line after line 1")
        return text[first_end + 1 : closing.start()], text[closing.end() + 1 :]

    def load(self, fm: str, first_line: int = 2, **kwargs: object) -> Any:
        """Parse the block (see the class docstring); YAML problems become SourceError."""
        if len(fm) > FRONTMATTER_MAX_CHARS:
            raise SourceError(
                f"the frontmatter is {len(fm):,} characters long, the limit is "
                f"{FRONTMATTER_MAX_CHARS:,}: keep long text in the body"
            )
        kwargs.setdefault("Loader", _Loader)
        try:
            self._refuse_aliases_and_depth(fm, first_line)
            return yaml.load(fm, **kwargs)  # type: ignore[arg-type]  # noqa: S506 (a SafeLoader)
        except SourceError:
            raise
        except yaml.YAMLError as exc:
            raise SourceError(_yaml_message(exc, first_line)) from None
        except RecursionError:  # not reachable after the depth check; kept as a guard
            raise SourceError(
                f"the frontmatter is nested too deeply (more than {self.MAX_DEPTH} levels)"
            ) from None
        except (ValueError, TypeError) as exc:  # e.g. an integer of 10,000 digits
            raise SourceError(f"the frontmatter has a value YAML cannot read: {exc}") from None

    def _refuse_aliases_and_depth(self, fm: str, first_line: int) -> None:
        # The event stream is flat (no recursion, nothing expanded): anchors and aliases are
        # seen here before the loader could build the shared structure they describe.
        depth = 0
        for event in yaml.parse(fm, Loader=_BaseLoader):
            where = event.start_mark
            if isinstance(event, yaml.AliasEvent):
                raise SourceError(
                    f"line {where.line + first_line}, column {where.column + 1}: the YAML alias "
                    f"'*{event.anchor}' is not allowed in the frontmatter (aliases can repeat a "
                    "value without limit); write the value out instead"
                )
            if getattr(event, "anchor", None):
                raise SourceError(
                    f"line {where.line + first_line}, column {where.column + 1}: the YAML anchor "
                    f"'&{event.anchor}' is not allowed in the frontmatter; remove it and write "
                    "values out where they are used"
                )
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > self.MAX_DEPTH:
                    raise SourceError(
                        f"line {where.line + first_line}, column {where.column + 1}: the "
                        f"frontmatter is nested more than {self.MAX_DEPTH} levels deep; "
                        "flatten it"
                    )
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1

    def export(self, metadata: dict[str, object], **kwargs: object) -> str:
        """The mapping as YAML text (ending with a newline), in the order given."""
        kwargs.setdefault("Dumper", yaml.SafeDumper)
        kwargs.setdefault("allow_unicode", True)
        kwargs.setdefault("sort_keys", False)
        kwargs.setdefault("width", 10_000)
        return yaml.dump(metadata, **kwargs)  # type: ignore[call-overload]


HANDLER = CikkYAMLHandler()


def split(text: str, *, is_txt: bool) -> SplitSource:
    """Cut the `---` YAML block off the top; YAML errors carry the FILE's line and column."""
    yaml_text, body = split_raw(text, is_txt=is_txt)
    return SplitSource(meta=load_meta(yaml_text), body=body)


def split_raw(text: str, *, is_txt: bool) -> tuple[str, str]:
    """(frontmatter text, body) without parsing the YAML."""
    if not HANDLER.detect(text):
        if is_txt:
            raise NotAnArticle("no frontmatter, not an article")
        raise SourceError("no frontmatter: the file must start with a '---' line, then YAML")
    return HANDLER.split(text)


def body_line(yaml_text: str) -> int:
    """The file line where the body starts: after line 1, the block, and the closing line."""
    return yaml_text.count("\n") + 3


def load_meta(yaml_text: str) -> dict:
    """Parse the frontmatter block (safe loader, dates left as text) into a mapping."""
    meta = HANDLER.load(yaml_text)
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        raise SourceError(f"the frontmatter must be 'key: value' lines, got {_kind(meta)} instead")
    return meta


# Linear: the plain value is matched greedily and stripped afterwards (a lazy match followed by
# `[ \t]*$` retried the blanks at every step, quadratic on a long line).
_QUICK_IMAGE = re.compile(
    r"""^image:[ \t]*(?:"([^"\\\n]*)"[ \t]*|'([^'\n]*)'[ \t]*|([^\s#'"][^\n#]*))$""", re.M
)


def quick_cover(yaml_text: str) -> str:
    """The `image:` value of simple frontmatter, read without a YAML parser.

    Only a shortcut for the unchanged check: when it disagrees with the real parse, the
    importer recomputes the checksum from the parsed value, so a miss costs time, never
    correctness.
    """
    match = _QUICK_IMAGE.search(yaml_text)
    if match is None:
        return ""
    return next(group for group in match.groups() if group is not None).strip()


def _yaml_message(exc: yaml.YAMLError, first_line: int = 2) -> str:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    context = getattr(exc, "context", None)
    words = f"{context}, {problem}" if context and problem != context else problem
    if mark is None:
        return f"YAML error in the frontmatter: {words}"
    # mark.line is 0-based inside the YAML block, which starts on the file's `first_line`.
    return f"YAML error at line {mark.line + first_line}, column {mark.column + 1}: {words}"


def _kind(value: object) -> str:
    if isinstance(value, bool):
        return "a yes/no value"
    if isinstance(value, int | float):
        return f"a number ({value!r})"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, dt.datetime | dt.date):
        return f"a date ({value.isoformat()})"
    if isinstance(value, str):
        return f"text ({value!r})"
    return f"a {type(value).__name__}"


def parse(data: bytes, *, is_txt: bool = False) -> ArticleSource:
    """Decode, split and validate one file's bytes (the whole read side of the importer)."""
    yaml_text, body = split_raw(decode(data), is_txt=is_txt)
    return validate(load_meta(yaml_text), body, body_line=body_line(yaml_text))


def validate(meta: dict, body: str, *, body_line: int = 1) -> ArticleSource:
    """Turn a frontmatter mapping into typed fields, or raise SourceError naming the key.

    body_line: the file line where the body starts, so a problem in it names the file's line.
    """
    meta = _canonical_keys(meta)
    findings: list[str] = []
    title = _text(meta, "title", _TITLE_MAX, single_line=True).strip()
    if not title:
        raise SourceError("the title is missing: add 'title: …' to the frontmatter")
    slug = _slug(meta, title)
    if "date" not in meta or meta["date"] in (None, ""):
        raise SourceError("the date is missing: add 'date: YYYY-MM-DD' to the frontmatter")
    date = parse_date(meta["date"])
    released = parse_released(meta["released"]) if "released" in meta else False
    authors = _authors(meta.get("author"))
    if not authors:
        findings.append("no author given")
    tags = _tags(meta.get("tags"))
    extra = _extra(meta)
    _refuse_control_characters(body, "the body", first_line=body_line)
    return ArticleSource(
        title=title,
        slug=slug,
        date=date,
        released=released,
        authors=authors,
        description=_text(meta, "description", DESCRIPTION_MAX).strip(),
        image=_text(meta, "image", IMAGE_MAX, single_line=True).strip(),
        image_alt=_text(meta, "image_alt", IMAGE_ALT_MAX, single_line=True).strip(),
        tags=tags,
        extra=extra,
        body=normalise_body(body),
        findings=findings,
    )


def _refuse_control_characters(
    text: str, what: str, *, single_line: bool = False, first_line: int | None = None
) -> None:
    """SourceError naming `what` and where, when `text` holds a control character."""
    found = find_control_character(text, single_line=single_line)
    if found is None:
        return
    if first_line is not None:  # a multi-line text of the file: name the file's line
        where = f"at line {found.line + first_line - 1}, column {found.column}"
    else:
        where = f"at {found.where()}"
    kind = "a line break or control character" if single_line else "a control character"
    raise SourceError(
        f"{what} contains {kind} ({found.codepoint}) {where}: delete it "
        "(invisible characters break feeds and search)"
    )


def _extra(meta: dict) -> dict:
    """Unknown keys, JSON-safe, each string checked, all of them together bounded."""
    extra: dict = {}
    for key, value in meta.items():
        if key in KNOWN_KEYS:
            continue
        if len(key) > EXTRA_KEY_MAX:
            raise SourceError(
                f"the key {key[:40]!r}… is {len(key)} characters long, the limit is {EXTRA_KEY_MAX}"
            )
        _refuse_control_characters(key, f"the key {key!r}", single_line=True)
        extra[key] = json_safe(value, key)
    size = len(json.dumps(extra, ensure_ascii=False))
    if size > EXTRA_MAX_CHARS:
        keys = ", ".join(repr(key) for key in extra)
        raise SourceError(
            f"the other frontmatter keys ({keys}) hold {size:,} characters together, the "
            f"limit is {EXTRA_MAX_CHARS:,}: keep long text in the body"
        )
    return extra


def _canonical_keys(meta: dict) -> dict:
    result: dict = {}
    written_as: dict[str, str] = {}
    for raw_key, value in meta.items():
        key = str(raw_key)
        canonical = ALIASES.get(key, key)
        if canonical in result:
            first = written_as[canonical]
            raise SourceError(f"'{first}' and '{key}' mean the same; keep only one of them")
        result[canonical] = value
        written_as[canonical] = key
    return result


def _text(meta: dict, key: str, limit: int, *, single_line: bool = False) -> str:
    value = meta.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise SourceError(f"'{key}' must be text, got {_kind(value)}")
    if len(value.strip()) > limit:
        raise SourceError(
            f"'{key}' is {len(value.strip()):,} characters long, the limit is {limit:,}"
        )
    _refuse_control_characters(value.strip(), f"'{key}'", single_line=single_line)
    return value


def _slug(meta: dict, title: str) -> str:
    given = meta.get("slug")
    if given is None or given == "":
        slug = make_slug(title, max_length=_SLUG_MAX)
        if not slug:
            raise SourceError(
                f"the title {title!r} gives an empty slug; add 'slug: …' to the frontmatter"
            )
        return slug
    if not isinstance(given, str):
        raise SourceError(f"'slug' must be text, got {_kind(given)}")
    try:
        validate_slug(given)
    except ValidationError:
        raise SourceError(
            f"'slug' may hold only lower-case letters, digits and hyphens, got {_short(given)}"
        ) from None
    if given != given.lower() or len(given) > _SLUG_MAX:
        raise SourceError(
            f"'slug' must be lower case and at most {_SLUG_MAX} characters, got {_short(given)}"
        )
    return given


def parse_released(value: object) -> bool:
    """yes/no, true/false, igen/nem, 1/0 (any case) or a YAML boolean; nothing else."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        word = value.strip().lower()
        if word in _TRUE:
            return True
        if word in _FALSE:
            return False
    shown = "nothing" if value is None else repr(value)
    raise SourceError(
        f"released must be yes/no, got {shown} (accepted: yes/no, true/false, igen/nem, 1/0)"
    )


def parse_date(value: object) -> dt.datetime:
    """`YYYY-MM-DD` or an ISO datetime, quoted or not; naive values are Budapest time."""
    zone = ZoneInfo(settings.TIME_ZONE)
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date):
        moment = dt.datetime.combine(value, dt.time())
    elif isinstance(value, str):
        moment = _parse_date_text(value.strip())
    else:
        raise SourceError(f"'date' must be a date like 2024-12-24, got {_kind(value)}")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    # Outside these years a date is a typo, and near year 1 or 9999 the conversion to UTC
    # (when stored) overflows.
    if not DATE_YEARS[0] <= moment.year <= DATE_YEARS[1]:
        raise SourceError(
            f"'date' {moment.date().isoformat()} is out of range: use a year between "
            f"{DATE_YEARS[0]} and {DATE_YEARS[1]}"
        )
    return moment


def _parse_date_text(text: str) -> dt.datetime:
    try:
        if len(text) == 10:
            return dt.datetime.combine(dt.date.fromisoformat(text), dt.time())
        return dt.datetime.fromisoformat(text.replace(" ", "T", 1) if " " in text else text)
    except ValueError:
        raise SourceError(
            f"'date' is not a date: {_short(text)} (use 2024-12-24 or 2024-12-24T08:30:00+01:00)"
        ) from None


def _authors(value: object) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        names = split_authors(value)
    elif isinstance(value, list):
        names = []
        for item in value:
            if not isinstance(item, str):
                raise SourceError(f"'author' must list names as text, got {_kind(item)}")
            names.extend(split_authors(item))
    else:
        raise SourceError(f"'author' must be a name or a list of names, got {_kind(value)}")
    unique: dict[str, str] = {}
    for name in names:
        if len(name) > AUTHOR_NAME_MAX:
            raise SourceError(
                f"the author name {_short(name)} is {len(name):,} characters long, the limit "
                f"is {AUTHOR_NAME_MAX}"
            )
        _refuse_control_characters(name, f"the author name {_short(name)}", single_line=True)
        slug = make_slug(name)
        if not slug:
            raise SourceError(f"the author name {_short(name)} has no letters or digits")
        unique.setdefault(slug, name)  # the same person twice keeps the first place
    if len(unique) > AUTHORS_MAX:
        raise SourceError(f"'author' names {len(unique)} people, the limit is {AUTHORS_MAX}")
    return list(unique.values())


def _tags(value: object) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        items: list = value.split(",")
    elif isinstance(value, list):
        items = value
    else:
        raise SourceError(f"'tags' must be a list or comma-separated text, got {_kind(value)}")
    unique: dict[str, str] = {}
    for item in items:
        if isinstance(item, bool) or not isinstance(item, str | int | float):
            raise SourceError(f"'tags' must hold words, got {_kind(item)}")
        name = str(item).strip()
        if not name:
            continue
        if len(name) > TAG_MAX:
            raise SourceError(
                f"the tag {_short(name)} is {len(name):,} characters long, the limit is {TAG_MAX}"
            )
        _refuse_control_characters(name, f"the tag {_short(name)}", single_line=True)
        slug = make_slug(name, max_length=TAG_MAX)
        if not slug:
            raise SourceError(f"the tag {_short(name)} has no letters or digits")
        unique.setdefault(slug, name)
    if len(unique) > TAGS_MAX:
        raise SourceError(f"'tags' lists {len(unique)} tags, the limit is {TAGS_MAX}")
    return list(unique.values())


def json_safe(value: object, key: str) -> object:
    """Keep an unknown key's value in a form JSON can store (dates become ISO text)."""
    if isinstance(value, str):
        _refuse_control_characters(value, f"'{key}'")
        return value
    if isinstance(value, float) and not math.isfinite(value):
        raise SourceError(f"'{key}' holds {value!r}, which Cikk cannot keep; use a number or text")
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [json_safe(item, key) for item in value]
    if isinstance(value, dict):
        return {str(k): json_safe(v, key) for k, v in value.items()}
    raise SourceError(f"'{key}' holds {_kind(value)}, which Cikk cannot keep; use text")


def _short(text: str, limit: int = 60) -> str:
    """repr() of a value for a message, cut so that a huge value cannot flood the output."""
    return repr(text) if len(text) <= limit else repr(text[:limit]) + "…"


def normalise_body(body: str) -> str:
    """Drop blank lines at the top and trailing whitespace, so export → import is stable."""
    body = re.sub(r"\A(?:[ \t]*\n)+", "", body).rstrip()
    return body + "\n" if body else ""

"""Small text helpers shared by the importer, the models and the checks."""

import re
import unicodedata
from html import unescape

from django.utils.text import slugify

_NON_DECOMPOSING = str.maketrans(
    {"ß": "ss", "æ": "ae", "ø": "o", "đ": "d", "ł": "l", "Æ": "AE", "Ø": "O", "Ł": "L"}
)


def _fold_one(text: str) -> str:
    """The definition: compatibility decomposition, then every combining mark dropped."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_NON_DECOMPOSING))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


class _FoldTable(dict):
    """Code point → its folded text, worked out on first sight (a str.translate table).

    Folding is a per-character mapping: NFKD decomposes each character on its own, and
    canonical reordering only permutes combining marks (class > 0), which are all dropped, so
    the order of what is kept never depends on a neighbour. One C-level translate then replaces
    a generator over every character and a normalisation of the whole text (~6 ms for a
    seed-sized article's search text, now well under 1 ms). Only the Basic Multilingual Plane
    is remembered, so hostile text cannot grow the table without bound.
    """

    def __missing__(self, code: int) -> str:
        folded = _fold_one(chr(code))
        if code < 0x10000:
            self[code] = folded
        return folded


_FOLD = _FoldTable()


_ASCII_BYTES = bytes(range(128))
# Above this many distinct characters to fold, one translate beats a replace per character.
_REPLACE_LIMIT = 64
# Below this length (a title, a heading) one translate is quicker than finding them.
_TRANSLATE_BELOW = 160


def fold_accents(text: str) -> str:
    """Strip accents ("Gyártási" → "Gyartasi"), so slugs and searches match plain ASCII."""
    if text.isascii():
        return text  # nothing to fold (translate would copy it)
    if len(text) < _TRANSLATE_BELOW:
        return text.translate(_FOLD)
    # A longer text needs only a few distinct characters folded (Hungarian: a dozen or two), and
    # translate looks every character up in the table (~1.5 ms for a seed-sized search text).
    # So fold each distinct one with a C-level replace: the distinct characters are what is
    # left of the UTF-8 bytes without their ASCII bytes (which never belong to a multi-byte
    # character). Replacing in turn gives the same as translating at once when no replacement
    # holds a character that is itself replaced; else, or with many distinct characters (the
    # cost would grow with them), translate.
    rest = text.encode("utf-8", "surrogatepass").translate(None, _ASCII_BYTES)
    distinct = set(rest.decode("utf-8", "surrogatepass"))
    if len(distinct) > _REPLACE_LIMIT:
        return text.translate(_FOLD)
    changes = {char: folded for char in distinct if (folded := _FOLD[ord(char)]) != char}
    if any(char in changes for folded in changes.values() for char in folded):
        return text.translate(_FOLD)
    for char, folded in changes.items():
        text = text.replace(char, folded)
    return text


# A word (reading time, word counts): word characters, joined by single hyphens or apostrophes.
WORD = re.compile(r"\w+(?:[-'’]\w+)*")
# ASCII byte -> b"a" for a word character, b"-" for a joiner, b" " for anything else.
_WORD_CLASSES = bytes(
    ord("a") if chr(code).isalnum() or code == ord("_") else ord("-") if chr(code) in "-'" else 32
    for code in range(256)
)


def count_words(text: str) -> int:
    r"""len(WORD.findall(text)), without making a string of every word (~1.4 ms for a seed-sized
    article's ~3,000 words): each character becomes its class (word, joiner, other) by C-level
    replaces and a byte translate, joiners between word characters become word characters,
    and the words are the runs of word characters, counted by where they start. `\w` is
    `str.isalnum()` or "_" for every character; a non-ASCII one first becomes an ASCII one of
    its class (as fold_accents finds them, so many distinct ones go the regex's way)."""
    if not text.isascii():
        rest = text.encode("utf-8", "surrogatepass").translate(None, _ASCII_BYTES)
        distinct = set(rest.decode("utf-8", "surrogatepass"))
        if len(distinct) > _REPLACE_LIMIT:
            return len(WORD.findall(text))
        for char in distinct:
            kind = "'" if char == "’" else "a" if char.isalnum() else " "
            text = text.replace(char, kind)
    classes = text.encode("ascii").translate(_WORD_CLASSES)
    # Twice: "a-a-a" needs a second pass for the joiner the first one stepped over.
    classes = classes.replace(b"a-a", b"aaa").replace(b"a-a", b"aaa")
    return classes.startswith(b"a") + classes.count(b" a") + classes.count(b"-a")


def make_slug(text: str, max_length: int = 200) -> str:
    """Slug with accents folded: "Megéri Nvidiába fektetni?" → "megeri-nvidiaba-fektetni"."""
    slug = slugify(fold_accents(text))
    return slug[:max_length].strip("-")


_AUTHOR_SPLIT = re.compile(r"\s*(?:,|;|&|\s+és\s+|\s+and\s+)\s*", re.IGNORECASE)


def split_authors(value: str) -> list[str]:
    """Split a byline string on `,`, `;`, ` és `, ` and `, ` & ` into names, order kept."""
    return [name.strip() for name in _AUTHOR_SPLIT.split(value) if name.strip()]


# KaTeX's output for one formula: MathML whose annotation holds the TeX, then the glyph spans.
_MATHML = '<span class="katex-mathml">'
_ANNOTATION = '<annotation encoding="application/x-tex">'
_GLYPHS = '</annotation></semantics></math></span><span class="katex-html" aria-hidden="true">'
_SPAN_TAG = re.compile(r"<(/?)span\b")
# A tag of stored article HTML: nh3's well-formed output (attribute values double-quoted, a
# "<" in text escaped), so one linear regex pass finds every tag; Django's strip_tags (an
# HTMLParser pass, repeated until stable) cost ~15 ms per seed-sized article on save.
_STORED_TAG = re.compile(r'<[^>"]*(?:"[^"]*"[^>"]*)*>')


def _formulas(html: str):
    """(start, end, TeX-start, TeX-end) of each KaTeX formula in `html`, in one
    linear pass (every search moves forward). KaTeX's markup is ours (inserted after
    sanitizing), so a formula is found by its known shape."""
    position = 0
    while (start := html.find(_MATHML, position)) >= 0:
        glyphs = html.find(_GLYPHS, start)
        if glyphs < 0:
            return  # no typeset formula after this point
        annotation = html.rfind(_ANNOTATION, start, glyphs)
        if annotation < 0:
            position = start + len(_MATHML)  # not KaTeX's: leave it be
            continue
        depth, end = 1, len(html)
        for tag in _SPAN_TAG.finditer(html, glyphs + len(_GLYPHS)):
            depth += -1 if tag.group(1) else 1
            if depth == 0:
                end = html.index(">", tag.end()) + 1
                break
        yield start, end, annotation + len(_ANNOTATION), glyphs
        position = end


def visible_text(html: str) -> str:
    """The readable text of stored article HTML (search snippets, plain-text views), with
    formulas as their TeX, without delimiters: "Ha P forintot…", never "\\(" or glyph soup."""
    out: list[str] = []
    position = 0
    for start, end, tex_start, tex_end in _formulas(html):
        out.append(html[position:start])
        out.append(html[tex_start:tex_end])  # the TeX, HTML-escaped like the text around it
        position = end
    out.append(html[position:])
    return unescape(_STORED_TAG.sub("", "".join(out)))


def mathml_only(html: str) -> str:
    """Stored article HTML for places without KaTeX's CSS (feeds): each formula is KaTeX's
    MathML alone, without the glyph spans that only make sense with the stylesheet."""
    out: list[str] = []
    position = 0
    for start, end, _tex_start, tex_end in _formulas(html):
        out.append(html[position:start])
        # From <math …> up to </math>: the annotation's end is followed by </semantics></math>.
        math_start = start + len(_MATHML)
        math_end = tex_end + len("</annotation></semantics></math>")
        out.append(html[math_start:math_end])
        position = end
    out.append(html[position:])
    return "".join(out)

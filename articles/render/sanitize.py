"""Step 3: the sanitizer, the last word on what HTML reaches a reader (nh3, i.e. ammonia).

The allowlist is exactly what the renderer and the magazine's house blocks need; everything else
is dropped. nh3 does the cleaning (html5ever parses, ammonia filters, and its CSS parser keeps
only allowed `style` properties) through its public arguments; our `attribute_filter` adds shape
checks on values (ids, classes, numbers) and refuses CSS values that load or run anything.

What was dropped is reported (`Sanitized.removed`) so the editorial checks can tell the author.
nh3 does not say what it removed, so a linear pre-scan of the same HTML (one regex, each
distinct tag checked once) checks it against the same allowlist. Image sources, links and the
visible text (for word counts and search) are read from nh3's well-formed output with a few
regexes, so no HTML is ever parsed a second time in Python.

Why not bleach (named on the design card): its 6.4.0 release (2026-06-05) announced that it is
no longer maintained, security fixes included; it was also ~35× slower on the seed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from html import unescape

import nh3

ALLOWED_TAGS = frozenset(
    {
        # text and structure emitted by Markdown and its extensions
        "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote",
        "ul", "ol", "li", "strong", "em", "b", "i", "u", "del", "s", "ins", "sub", "sup",
        "small", "mark", "abbr", "code", "pre", "kbd", "span", "div", "a", "img",
        "figure", "figcaption",
        "table", "thead", "tbody", "tfoot", "tr", "th", "td", "caption",
    }
)  # fmt: skip

# Dropped together with everything inside them (a script's text is not prose).
DROP_WITH_CONTENT = frozenset(
    {
        "script", "style", "iframe", "frame", "frameset", "object", "embed", "applet", "svg",
        "math", "noscript", "noembed", "noframes", "template", "textarea", "select", "xmp",
        "plaintext", "title", "head", "base", "link", "meta", "param", "audio", "video",
        "source", "track", "canvas", "portal", "dialog",
    }
)  # fmt: skip

_COMMON = frozenset({"class", "title"})
ALLOWED_ATTRIBUTES: dict[str, frozenset[str]] = {
    "a": frozenset({"href"}),
    "img": frozenset({"src", "alt", "width", "height", "style"}),
    "div": frozenset({"style"}),
    "h1": frozenset({"id"}),
    "h2": frozenset({"id"}),
    "h3": frozenset({"id"}),
    "h4": frozenset({"id"}),
    "h5": frozenset({"id"}),
    "h6": frozenset({"id"}),
    "sup": frozenset({"id"}),
    "li": frozenset({"id"}),
    "ol": frozenset({"start"}),
    "th": frozenset({"style", "colspan", "rowspan", "scope"}),
    "td": frozenset({"style", "colspan", "rowspan"}),
}
# Set by the sanitizer on every link and image, whatever the author wrote.
LINK_REL = "noopener noreferrer"
IMAGE_ATTRIBUTES = ' loading="lazy" decoding="async"'  # added after nh3, in this order

ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})

ALLOWED_CSS_PROPERTIES = frozenset(
    {
        "width", "max-width", "min-width", "height", "max-height", "min-height",
        "text-align", "vertical-align", "float", "object-fit", "aspect-ratio",
        "margin", "margin-top", "margin-right", "margin-bottom", "margin-left",
        "padding", "padding-top", "padding-right", "padding-bottom", "padding-left",
        "font-weight", "font-style", "text-decoration", "white-space",
    }
)  # fmt: skip
# CSS functions that compute lengths; anything else (url, expression, image-set, …) is refused.
_SAFE_CSS_FUNCTIONS = frozenset({"calc", "min", "max", "clamp"})
# A declaration value: words, numbers, units, operators and parentheses; no quotes, no
# backslash escapes, no comments, nothing that could hide a url() or a second declaration.
_CSS_VALUE = re.compile(r"[\w\s.,%#+\-*/()!]*")
_CSS_FUNCTION = re.compile(r"([\w-]+)\s*\(")
_CSS_PROPERTY = re.compile(r"-?[a-z][a-z-]*")

_ID = re.compile(r"[A-Za-z][A-Za-z0-9_:.\-]{0,99}")
_CLASS = re.compile(r"[A-Za-z0-9_\- ]{0,200}")
_NUMBER = re.compile(r"\d{1,9}%?")
_URI_JUNK = re.compile(r"[`\x00-\x20\x7f-\xa0\s]+")
_SCHEME = re.compile(r"([a-z][a-z0-9+.\-]*):")
_EMPTY_PARAGRAPH = re.compile(r"<p>\s*</p>\n?")
_URI_ATTRIBUTES = frozenset({"href", "src", "action", "formaction", "xlink:href", "poster"})
# One <img> tag of nh3's output (every value double-quoted, `"` inside escaped).
_IMG = re.compile(r'<img((?:\s+[^\s=>/"\']+(?:="[^"]*")?)*)\s*/?>')
_ALT = re.compile(r'\salt="')


def uri_scheme(value: str) -> str | None:
    """The scheme of a URL the way a browser reads it (entities, case, junk characters)."""
    normalized = _URI_JUNK.sub("", unescape(value)).lower()
    normalized = re.sub(r"[^\x00-\x7f]", "", normalized)
    m = _SCHEME.match(normalized)
    return m.group(1) if m else None


def _split_declarations(style: str) -> list[str]:
    """`;`-separated declarations; a `;` inside parentheses does not separate."""
    parts, depth, start = [], 0, 0
    for index, char in enumerate(style):
        if char == "(":
            depth += 1
        elif char == ")":
            depth = max(0, depth - 1)
        elif char == ";" and depth == 0:
            parts.append(style[start:index])
            start = index + 1
    parts.append(style[start:])
    return [part.strip() for part in parts if part.strip()]


@lru_cache(maxsize=4096)  # an article repeats the same few cell and image styles
def clean_style(style: str) -> tuple[str, tuple[str, ...]]:
    """(the safe declarations of a `style` value, what was dropped and why)."""
    kept: list[str] = []
    dropped: list[str] = []
    if "/*" in style:
        return "", ("style: invalid CSS",)  # a comment could hide where a declaration ends
    for declaration in _split_declarations(style):
        name, colon, value = declaration.partition(":")
        name, value = name.strip().lower(), value.strip()
        if not colon or not _CSS_PROPERTY.fullmatch(name) or not value:
            dropped.append("style: invalid CSS")
        elif name not in ALLOWED_CSS_PROPERTIES:
            dropped.append(f"style: {name}")
        elif not _CSS_VALUE.fullmatch(value) or any(
            function.lower() not in _SAFE_CSS_FUNCTIONS for function in _CSS_FUNCTION.findall(value)
        ):
            dropped.append(f"style: {name} ({value})")
        else:
            kept.append(f"{name}: {value}")
    return "; ".join(kept), tuple(dropped)


def _value_allowed(name: str, value: str) -> bool:
    if name == "id":
        return bool(_ID.fullmatch(value))
    if name == "class":
        return bool(_CLASS.fullmatch(value))
    if name in ("width", "height", "start", "colspan", "rowspan"):
        return bool(_NUMBER.fullmatch(value.strip()))
    return True


def attribute_allowed(tag: str, name: str, value: str) -> bool:
    """The allowlist, plus shape checks on values that need them."""
    if name not in _COMMON and name not in ALLOWED_ATTRIBUTES.get(tag, ()):
        return False
    return _value_allowed(name, value)


def _attribute_filter(tag: str, name: str, value: str) -> str | None:
    """nh3's hook, called for attributes the allowlist already kept."""
    if name == "style":
        return clean_style(value)[0] or None
    if name in ("rel", "loading", "decoding"):
        return value  # set by the sanitizer itself
    if name in _URI_ATTRIBUTES:
        # ammonia lets through what its URL parser reads as relative ("jav    ascript:…",
        # a tab that Markdown expanded): refuse any scheme a lenient reader could see.
        scheme = uri_scheme(value)
        return None if scheme and scheme not in ALLOWED_PROTOCOLS else value
    return value if _value_allowed(name, value) else None


_CLEANER = nh3.Cleaner(
    tags=set(ALLOWED_TAGS),
    clean_content_tags=set(DROP_WITH_CONTENT),
    attributes={
        "*": set(_COMMON),
        **{tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
    },
    attribute_filter=_attribute_filter,
    strip_comments=True,
    link_rel=LINK_REL,
    url_schemes=set(ALLOWED_PROTOCOLS),
    filter_style_properties=set(ALLOWED_CSS_PROPERTIES),
)


@dataclass
class Sanitized:
    html: str
    removed: list[str] = field(default_factory=list)
    images: list[str] = field(default_factory=list)
    image_alts: list[str | None] = field(default_factory=list)  # None: no alt attribute
    images_without_alt: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    text: str = ""  # visible prose, math left out (for word counts)
    plain: str = ""  # all visible text, math TeX included, entities decoded (for search)


# Every tag of the input, for the report: `[^<>]*` stops at the next "<", so a tag never
# scans past the next one and the whole pass stays linear. (A ">" inside a quoted value
# ends the tag early here: that can only blur the report, never the output.)
_INPUT_TAG = re.compile(r"<([A-Za-z][^\s/<>]*)([^<>]*)>")
_INPUT_ATTRIBUTE = re.compile(r"""([^\s"'<>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]*)))?""")
# One tag of nh3's output: every value double-quoted, a `"` inside escaped.
_OUTPUT_TAG = re.compile(r'<[^>"]*(?:"[^"]*"[^>"]*)*>')
_OUTPUT_ATTRIBUTE = re.compile(r'\s([^\s=>/"]+)(?:="([^"]*)")?')
_OUTPUT_IMG_OR_A = re.compile(r'<(img|a)((?:\s+[^\s=>/"\']+(?:="[^"]*")?)*)\s*/?>')
# A math slot (articles.render.math): its text is TeX, not words.
_MATH_SLOT_PARTS = re.compile(r'<(span|div) class="math [^"]*">([^<]*)</\1>')
_COMMENT = re.compile(r"<!--.*?(?:-->|\Z)", re.DOTALL)
_REPLACED = frozenset({("a", "rel"), ("img", "loading"), ("img", "decoding")})


def _report_removed(html: str, result: Sanitized) -> None:
    """What the allowlist removes, in order of first appearance. Each distinct tag is looked
    at once (an article repeats the same few hundred tag spellings a thousand times), and its
    verdict is remembered for the next render (articles repeat each other's spellings too)."""
    seen: set[str] = set()
    if "<!--" in html:
        html = _COMMENT.sub("", html)  # markup in a comment is not removed: it never was
    for spelling in dict.fromkeys(_INPUT_TAG.findall(html)):
        found = _TAG_VERDICTS.get(spelling)
        if found is None:
            if _SLOT_ATTRIBUTES.fullmatch(spelling[1]) and spelling[0] in ("span", "div"):
                continue  # a math slot: kept whole (a class of letters, digits and "-")
            if len(_TAG_VERDICTS) >= _TAG_VERDICTS_LIMIT:
                _TAG_VERDICTS.clear()
            found = _TAG_VERDICTS[spelling] = _tag_removes(*spelling)
        for what in found:
            if what not in seen:
                seen.add(what)
                result.removed.append(what)


# The attributes of a math slot (articles.render.math) as Markdown writes them: unique to each
# slot (a per-render nonce), so never remembered, and known to be kept as they are.
_SLOT_ATTRIBUTES = re.compile(r' class="math math-(?:inline|display) cikkmath-[0-9a-f]{16}-\d+"')
# (tag name, attributes as written) -> what the allowlist removes from it. Bounded.
_TAG_VERDICTS: dict[tuple[str, str], tuple[str, ...]] = {}
_TAG_VERDICTS_LIMIT = 8192


def _tag_removes(name: str, attributes: str) -> tuple[str, ...]:
    """What the allowlist removes from one tag as written (in order, repeats kept out)."""
    tag = name.lower()
    if tag not in ALLOWED_TAGS:
        return (f"<{tag}>",)
    found: list[str] = []
    for key, dq, sq, bare in _INPUT_ATTRIBUTE.findall(attributes):
        attribute, value = key.lower(), unescape(dq or sq or bare)
        if (tag, attribute) in _REPLACED:
            continue  # the sanitizer sets its own value
        if not attribute_allowed(tag, attribute, value):
            found.append(f"{attribute} attribute")
        elif attribute in _URI_ATTRIBUTES:
            scheme = uri_scheme(value)
            if scheme and scheme not in ALLOWED_PROTOCOLS:
                found.append(f"{scheme}: URL")
        elif attribute == "style":
            found.extend(clean_style(value)[1])
    return tuple(dict.fromkeys(found))


def _report_output(clean: str, result: Sanitized) -> None:
    """Images, links and visible text of nh3's output (well-formed: a few regexes suffice)."""
    for match in _OUTPUT_IMG_OR_A.finditer(clean):
        pairs = _OUTPUT_ATTRIBUTE.findall(match.group(2))
        values = {key: unescape(value) for key, value in pairs}
        keys = {key for key, _value in pairs}
        if match.group(1) == "img":
            src = values.get("src", "")
            result.images.append(src)  # "" when it had none, or the sanitizer dropped it
            result.image_alts.append(values["alt"] if "alt" in keys else None)
            if "alt" not in keys:
                result.images_without_alt.append(src)
        elif values.get("href"):
            result.links.append(values["href"])
    if 'class="math ' not in clean:
        result.plain = result.text = unescape(_OUTPUT_TAG.sub("", clean))
        return
    # Split at the math slots once: the text around them is stripped of tags once, and both
    # texts are put together from it (plain with each formula's TeX, text with a space).
    parts = _MATH_SLOT_PARTS.split(clean)
    prose = [_OUTPUT_TAG.sub("", part) for part in parts[::3]]
    tex = parts[2::3]
    plain = [piece for pair in zip(prose, [*tex, ""], strict=True) for piece in pair]
    result.plain = unescape("".join(plain))
    result.text = unescape(" ".join(prose))


def _image_defaults(match: re.Match[str]) -> str:
    """An alt="" when there is none (a screen reader then skips the image instead of reading
    its src), lazy loading. Added here rather than by nh3's set_tag_attribute_values, whose
    order of several attributes follows a hash map and so differs between processes."""
    attributes = match.group(1)
    alt = "" if _ALT.search(attributes) else ' alt=""'
    return f"<img{alt}{attributes}{IMAGE_ATTRIBUTES}>"


def sanitize(html: str) -> Sanitized:
    """Clean one document with nh3, and report what was removed and what is left."""
    result = Sanitized(html="")
    if not html:
        return result
    _report_removed(html, result)
    clean = _CLEANER.clean(html)
    # Paragraphs left empty by dropped elements (a lone <script>, an <iframe>).
    clean = _EMPTY_PARAGRAPH.sub("", clean).strip("\n")
    _report_output(clean, result)
    if "<img" in clean:
        clean = _IMG.sub(_image_defaults, clean)
    result.html = clean
    return result

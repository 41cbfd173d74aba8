"""Small text helpers shared by the importer, the models and the checks."""

import re
import unicodedata

from django.utils.text import slugify

_NON_DECOMPOSING = str.maketrans(
    {"ß": "ss", "æ": "ae", "ø": "o", "đ": "d", "ł": "l", "Æ": "AE", "Ø": "O", "Ł": "L"}
)


def fold_accents(text: str) -> str:
    """Strip accents ("Gyártási" → "Gyartasi"), so slugs and searches match plain ASCII."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_NON_DECOMPOSING))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def make_slug(text: str, max_length: int = 200) -> str:
    """Slug with accents folded: "Megéri Nvidiába fektetni?" → "megeri-nvidiaba-fektetni"."""
    slug = slugify(fold_accents(text))
    return slug[:max_length].strip("-")


_AUTHOR_SPLIT = re.compile(r"\s*(?:,|;|&|\s+és\s+|\s+and\s+)\s*", re.IGNORECASE)


def split_authors(value: str) -> list[str]:
    """Split a byline string on `,`, `;`, ` és `, ` and `, ` & ` into names, order kept."""
    return [name.strip() for name in _AUTHOR_SPLIT.split(value) if name.strip()]

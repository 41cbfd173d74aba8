"""articles.text: accent folding, slugs and author splitting (the importer relies on them)."""

import pytest

from articles.text import fold_accents, make_slug, split_authors


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Gyártási Kihozatal", "Gyartasi Kihozatal"),
        ("őrült ügyfél ŰR", "orult ugyfel UR"),
        ("árvíztűrő tükörfúrógép", "arvizturo tukorfurogep"),
        ("Straße Łódź Ærø", "Strasse Lodz AEro"),
        ("plain", "plain"),
    ],
)
def test_fold_accents(text, folded):
    assert fold_accents(text) == folded


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("Megéri Nvidiába fektetni?", "megeri-nvidiaba-fektetni"),
        ("  A Mélytanulás — Matematikai Alapjai!  ", "a-melytanulas-matematikai-alapjai"),
        ("Egri Máté", "egri-mate"),
        ("EGRI MÁTÉ", "egri-mate"),
        ("???", ""),
        ("2024: év", "2024-ev"),
    ],
)
def test_make_slug(text, slug):
    assert make_slug(text) == slug


def test_make_slug_cuts_at_the_limit_without_a_trailing_hyphen():
    assert make_slug("abc def ghi", max_length=4) == "abc"
    assert len(make_slug("szó " * 100)) <= 200


@pytest.mark.parametrize(
    ("value", "names"),
    [
        ("Egri Máté és Takáts Bálint", ["Egri Máté", "Takáts Bálint"]),
        ("A Anna, B Béla; C Cecil", ["A Anna", "B Béla", "C Cecil"]),
        ("Jane Doe and John Roe & Kiss Éva", ["Jane Doe", "John Roe", "Kiss Éva"]),
        ("Egri Máté ÉS Takáts Bálint", ["Egri Máté", "Takáts Bálint"]),
        ("Egyedül Ede", ["Egyedül Ede"]),
        (" , ;", []),
        # "és" inside a name is not a separator: only the whole word between spaces is.
        ("Kései Béla", ["Kései Béla"]),
        ("Andersen Anna", ["Andersen Anna"]),
    ],
)
def test_split_authors(value, names):
    assert split_authors(value) == names


PADDING = "Ez egy hosszabb szöveg, amelyben már cserékkel dolgozik az ékezetek eltávolítása. " * 3


def _folded_one_by_one(text: str) -> str:
    from articles.text import _fold_one

    return "".join(_fold_one(char) for char in text)


@pytest.mark.parametrize(
    "text",
    [
        "„Idézet” – 5× 3,5 € … ’",  # characters that fold to themselves stay
        "ǣ és æ",  # "ǣ" folds to "æ", which itself folds to "ae": not replaced twice
        "Ærø ǣ",
        "a\ud800b ő",  # a lone surrogate (stays as it is)
        "𝐀𝐁 ő ü",  # outside the Basic Multilingual Plane
        "e\u0301 combining marks\u0308 alone",
    ],
)
def test_fold_accents_by_replacement_is_the_per_character_definition(text):
    assert fold_accents(text) == _folded_one_by_one(text)  # short: one translate
    long = f"{text} {PADDING} {text}"  # long: one replace per distinct character
    assert fold_accents(long) == _folded_one_by_one(long)


def test_fold_accents_matches_the_translation_on_every_code_point():
    """Every code point of the Basic Multilingual Plane, in runs of a few (replaced one by one)
    and of many distinct characters (translated), among ASCII text, against one translate with
    the per-character table (itself filled from the definition)."""
    from articles.text import _FOLD

    for size in (7, 100):
        for start in range(0x80, 0x10000, size):
            chars = "".join(chr(code) for code in range(start, min(start + size, 0x10000)))
            text = f"abc {chars} {PADDING} {chars[::-1]}"
            assert fold_accents(text) == text.translate(_FOLD), hex(start)


def test_count_words_is_the_regex_count():
    import random

    from articles.text import WORD, count_words

    rng = random.Random(7)
    alphabet = [
        "a", "Z", "é", "ő", "1", "²", "Ⅻ", "_", "-", "'", "’", " ", "\n", ".", "--", "''",
        "x-", "-y", "\u0301", "日本", "\ud800", "€", "\t", "a’b", "–",
    ]  # fmt: skip
    for _ in range(20000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 25)))
        assert count_words(text) == len(WORD.findall(text)), repr(text)
        long = f"{text} {PADDING} {text}"
        assert count_words(long) == len(WORD.findall(long)), repr(text)
    many = "".join(chr(code) for code in range(0x400, 0x500))  # > 64 distinct: the regex
    assert count_words(f"{many} a-b {many}") == len(WORD.findall(f"{many} a-b {many}"))


def test_count_words_on_prose():
    from articles.text import count_words

    assert count_words("") == 0
    assert count_words("Ez egy mondat, három-négy szóval és O’Brien nevével.") == 8
    assert count_words("a-b-c-d e--f g-") == 4

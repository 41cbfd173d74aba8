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

"""The importer (articles.importing / articles.frontmatter): content rules, images, safety."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext

from articles.frontmatter import SourceError, decode, parse, parse_date, parse_released
from articles.importing import (
    CREATED,
    FAILED,
    SKIPPED,
    UNCHANGED,
    UPDATED,
    Importer,
    find_image_refs,
    find_sources,
    import_paths,
    rewrite_refs,
)
from articles.models import Article, Author, Tag
from tests.import_helpers import (
    CONTENT_DIR,
    article_file,
    db_state,
    jpeg_bytes,
    media_files,
    png_bytes,
)

pytestmark = pytest.mark.django_db
BUDAPEST = ZoneInfo("Europe/Budapest")


def importer_and_revision_queries(queries: CaptureQueriesContext) -> tuple[list[str], list[str]]:
    """The importer's own statements (first words), and the SQL of the revision after them
    (django-reversion: its content-type look-up, cleared here, comes first)."""
    sqls = [q["sql"] for q in queries]
    start = next(i for i, sql in enumerate(sqls) if "django_content_type" in sql)
    return [sql.lstrip().split()[0].upper() for sql in sqls[:start]], sqls[start:]


def import_one(path: Path, **options):
    outcomes = import_paths([path], **options)
    assert len(outcomes) == 1
    return outcomes[0]


# --------------------------------------------------------------------------- the seed


def test_seed_imports_with_its_metadata_and_reports_missing_images(seed_path):
    outcome = import_one(seed_path)

    assert outcome.status == CREATED, outcome.reason
    article = Article.objects.get()
    assert article.title == "Megéri Nvidiába fektetni?"
    assert article.slug == "megeri-nvidiaba-fektetni"
    assert article.date == dt.datetime(2024, 12, 24, tzinfo=BUDAPEST)
    assert timezone_date(article) == dt.date(2024, 12, 24)
    assert article.released is False
    assert [a.name for a in article.author_list()] == ["Egri Máté", "Takáts Bálint"]
    assert article.description.startswith("Folytatjuk a magyar befektetési alapok elemzését")
    assert article.description.endswith("marketing fogások áldozatai vagyunk?")
    # The cover and the body image are not beside the seed: warnings, not a failure.
    assert any("cover image not found: /Befalapok2/otp.jpg" in f for f in outcome.findings)
    assert any("image not found: /NVIDIA/nvda.png" in f for f in outcome.findings)
    assert article.image_source == "/Befalapok2/otp.jpg"
    assert not article.image
    assert '<img src="/NVIDIA/nvda.png"' in article.body  # the reference is kept as written
    assert article.source_path.endswith("000_d6cdef30db0b064b.txt")
    assert len(article.source_checksum) == 64
    assert article.edited_since_import is False
    assert "<h2" in article.body_html and "custom-text-box" in article.body_html


def timezone_date(article: Article) -> dt.date:
    return article.date.astimezone(BUDAPEST).date()


def test_the_sample_content_imports_without_failures_or_warnings():
    outcomes = import_paths([CONTENT_DIR])

    assert len(outcomes) >= 4
    for outcome in outcomes:
        assert outcome.status == CREATED, outcome.line()
        assert outcome.findings == [], (outcome.path, outcome.findings)
    articles = Article.objects.all()
    assert articles.published().count() >= 2
    assert articles.drafts().count() >= 1
    assert articles.scheduled().count() >= 1
    assert Article.objects.exclude(image="").count() >= 2
    assert any(len(a.author_list()) == 2 for a in articles)
    assert any(a.extra for a in articles)
    # Every local image reference was rewritten to stored media.
    for article in articles:
        for ref in find_image_refs(article.body):
            assert ref.src.startswith("/media/images/"), (article.slug, ref.src)


# --------------------------------------------------------------------------- bad input


BAD_INPUTS = {
    "malformed_yaml": (
        "cikk.md",
        b'---\ntitle: "Ok"\ndate: 2024-01-01\nauthor: "a": b\n---\nSzoveg\n',
        "YAML error at line 4, column 12: mapping values are not allowed",
    ),
    "duplicate_key": (
        "cikk.md",
        b'---\ntitle: "Ok"\nreleased: no\ndate: 2024-01-01\nreleased: yes\n---\nSzoveg\n',
        "YAML error at line 5, column 1: duplicate key 'released' (first given on line 3)",
    ),
    "duplicate_nested_key": (
        "cikk.md",
        b"---\ntitle: Ok\ndate: 2024-01-01\nforras:\n  url: a\n  url: b\n---\nSzoveg\n",
        "YAML error at line 6, column 3: duplicate key 'url' (first given on line 5)",
    ),
    "unclosed_flow": (
        "cikk.md",
        b"---\ntitle: [a\ndate: 2024-01-01\n---\n",
        "YAML error at line 3, column 5",
    ),
    "no_frontmatter": ("cikk.md", "# Cím\n\nCsak szöveg.\n".encode(), "no frontmatter"),
    "unclosed_frontmatter": (
        "cikk.md",
        b"---\ntitle: x\ndate: 2024-01-01\n\nbody\n",
        "frontmatter is not closed",
    ),
    "frontmatter_is_a_list": (
        "cikk.md",
        b"---\n- title\n- date\n---\nbody\n",
        "the frontmatter must be 'key: value' lines, got a list",
    ),
    "frontmatter_is_a_scalar": (
        "cikk.md",
        b"---\njust text\n---\nbody\n",
        "the frontmatter must be 'key: value' lines, got text",
    ),
    "missing_title": ("cikk.md", b"---\ndate: 2024-01-01\n---\nbody\n", "the title is missing"),
    "empty_title": (
        "cikk.md",
        b'---\ntitle: "  "\ndate: 2024-01-01\n---\nbody\n',
        "the title is missing",
    ),
    "title_is_a_number": (
        "cikk.md",
        b"---\ntitle: 42\ndate: 2024-01-01\n---\n",
        "'title' must be text, got a number (42)",
    ),
    "title_is_a_list": (
        "cikk.md",
        b"---\ntitle: [a, b]\ndate: 2024-01-01\n---\n",
        "'title' must be text, got a list",
    ),
    "missing_date": ("cikk.md", b"---\ntitle: Cim\n---\n", "the date is missing"),
    "unparsable_date": (
        "cikk.md",
        b"---\ntitle: Cim\ndate: 2024-13-45\n---\n",
        "'date' is not a date: '2024-13-45'",
    ),
    "unparsable_quoted_date": (
        "cikk.md",
        b'---\ntitle: Cim\ndate: "december 24"\n---\n',
        "'date' is not a date: 'december 24'",
    ),
    "date_is_an_int": (
        "cikk.md",
        b"---\ntitle: Cim\ndate: 20241224\n---\n",
        "'date' must be a date like 2024-12-24, got a number (20241224)",
    ),
    "released_maybe": (
        "cikk.md",
        b"---\ntitle: Cim\ndate: 2024-01-01\nreleased: maybe\n---\n",
        "released must be yes/no, got 'maybe'",
    ),
    "released_two": (
        "cikk.md",
        b"---\ntitle: Cim\ndate: 2024-01-01\nreleased: 2\n---\n",
        "released must be yes/no, got 2",
    ),
    "author_is_a_mapping": (
        "cikk.md",
        b"---\ntitle: Cim\ndate: 2024-01-01\nauthor: {name: X}\n---\n",
        "'author' must be a name or a list of names, got a mapping",
    ),
    "bad_slug": (
        "cikk.md",
        b"---\ntitle: Cim\ndate: 2024-01-01\nslug: Nem Jo!\n---\n",
        "'slug' may hold only lower-case letters, digits and hyphens",
    ),
    "tags_a_mapping": (
        "cikk.md",
        b"---\ntitle: Cim\ndate: 2024-01-01\ntags: {a: 1}\n---\n",
        "'tags' must be a list or comma-separated text",
    ),
    "binary_extra": (
        "cikk.md",
        b"---\ntitle: Cim\ndate: 2024-01-01\nblob: !!binary aGVsbG8=\n---\n",
        "'blob' holds a bytes",
    ),
    "python_tag": (
        "cikk.md",
        b"---\ntitle: Cim\ndate: 2024-01-01\nx: !!python/object/apply:os.system [ls]\n---\n",
        "could not determine a constructor",
    ),
    "non_utf8": (
        "cikk.md",
        "---\ntitle: Cim\ndate: 2024-01-01\n---\nÁrfolyam\n".encode("latin-1"),
        "not UTF-8 text: byte 0xC1 at byte offset 36 (line 5)",
    ),
    "author_and_authors": (
        "cikk.md",
        b"---\ntitle: Cim\ndate: 2024-01-01\nauthors: A\nauthor: B\n---\n",
        "'authors' and 'author' mean the same",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_fails_with_a_clear_message_and_changes_nothing(case, tmp_path):
    # One article already exists, so "unchanged" is checked against real rows.
    import_paths([article_file(tmp_path / "ok", "meglevo.md", title="Meglévő")])
    before, media_before = db_state(), media_files()
    name, data, message = BAD_INPUTS[case]
    path = tmp_path / "bad" / name
    path.parent.mkdir()
    path.write_bytes(data)

    outcome = import_one(path)

    assert outcome.status == FAILED
    assert message in outcome.reason
    assert db_state() == before
    assert media_files() == media_before


def test_a_txt_file_without_frontmatter_is_skipped_not_failed(tmp_path):
    path = tmp_path / "LICENC.txt"
    path.write_text("Ez egy megjegyzés, nem cikk.\n", encoding="utf-8")

    outcome = import_one(path)

    assert outcome.status == SKIPPED
    assert outcome.reason == "no frontmatter, not an article"
    assert Article.objects.count() == 0


def test_a_txt_file_with_frontmatter_is_an_article(tmp_path):
    outcome = import_one(article_file(tmp_path, "cikk.txt"))
    assert outcome.status == CREATED


def test_a_file_over_the_size_cap_fails(tmp_path, settings):
    settings.CIKK_IMPORT_MAX_BYTES = 200
    path = article_file(tmp_path, body="Hosszú szöveg. " * 40)
    before = db_state()

    outcome = import_one(path)

    assert outcome.status == FAILED
    assert "more than the 200 byte limit" in outcome.reason
    assert db_state() == before


@pytest.mark.parametrize(
    "reference",
    [
        "![x](../../etc/passwd)",
        "![x](/../../etc/passwd)",
        '<img src="../../../etc/passwd">',
        "![x](/kepek/../../kivul.png)",
    ],
)
def test_an_image_path_escaping_the_assets_folder_fails(reference, tmp_path):
    (tmp_path / "kivul.png").write_bytes(png_bytes())
    folder = tmp_path / "cikkek"
    path = article_file(folder, body=f"Szöveg.\n\n{reference}\n")
    before, media_before = db_state(), media_files()

    outcome = import_one(path)

    assert outcome.status == FAILED
    assert "leads outside the assets folder" in outcome.reason
    assert db_state() == before
    assert media_files() == media_before


def test_a_symlink_leading_out_of_the_assets_folder_fails(tmp_path):
    secret = tmp_path / "titok.png"
    secret.write_bytes(png_bytes())
    folder = tmp_path / "cikkek"
    (folder / "kepek").mkdir(parents=True)
    os.symlink(secret, folder / "kepek" / "link.png")
    path = article_file(folder, body="![x](kepek/link.png)\n")

    outcome = import_one(path)

    assert outcome.status == FAILED
    assert "'kepek/link.png' leads outside the assets folder" in outcome.reason
    assert Article.objects.count() == 0


@pytest.mark.parametrize(
    ("filename", "data", "message"),
    [
        ("hamis.png", b"this is only text, not a picture\n", "not a valid JPEG, PNG, GIF or WebP"),
        (
            "rajz.svg",
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            "SVG images are not accepted",
        ),
        (
            "rajz.png",
            b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"></svg>',
            "SVG images are not accepted",
        ),
    ],
)
def test_an_invalid_image_fails_the_file_and_stores_nothing(filename, data, message, tmp_path):
    folder = tmp_path / "cikkek"
    (folder / "kepek").mkdir(parents=True)
    (folder / "kepek" / "jo.png").write_bytes(png_bytes())
    (folder / "kepek" / filename).write_bytes(data)
    # A valid image comes first: it must not be left behind in media either.
    path = article_file(
        folder,
        extra='image: "kepek/jo.png"',
        body=f"![jó](kepek/jo.png)\n\n![rossz](kepek/{filename})\n",
    )
    before, media_before = db_state(), media_files()

    outcome = import_one(path)

    assert outcome.status == FAILED
    assert f"image 'kepek/{filename}' is rejected" in outcome.reason
    assert message in outcome.reason
    assert db_state() == before
    assert media_files() == media_before


def test_a_failure_after_images_were_stored_leaves_the_shared_files_alone(tmp_path, monkeypatch):
    """Content-hash media is never deleted by a failed import: between the store and the
    failure another writer may have stored the same bytes and committed an article using
    them. Unreferenced files are left to the explicit media cleanup command."""
    folder = tmp_path / "cikkek"
    (folder / "kepek").mkdir(parents=True)
    (folder / "kepek" / "a.png").write_bytes(png_bytes("green"))
    path = article_file(folder, body="![a](kepek/a.png)\n", extra="tags: [egy, kettő]")
    # The other writer: an article with the same picture, in its own folder.
    (tmp_path / "masik" / "kepek").mkdir(parents=True)
    (tmp_path / "masik" / "kepek" / "b.png").write_bytes(png_bytes("green"))
    other = article_file(tmp_path / "masik", title="Másik", body="![b](kepek/b.png)\n")
    before = db_state()
    stored_during_the_failed_import: list[set[str]] = []

    def explode(*args, **kwargs):
        stored_during_the_failed_import.append(media_files())
        raise RuntimeError("disk full")

    with monkeypatch.context() as patch:
        patch.setattr(Importer, "_set_tags", staticmethod(explode))
        outcome = import_one(path)
    assert import_one(other).status == CREATED

    assert outcome.status == FAILED
    assert "internal error: disk full; nothing of this file was saved" in outcome.reason
    assert "RuntimeError" not in outcome.reason
    assert Article.objects.filter(slug="proba-cikk").count() == 0
    assert db_state()["articles"] != before["articles"]  # only the other article is new
    (stored,) = stored_during_the_failed_import
    # Still there, shared: the original and the renditions made when it was stored.
    originals = {name for name in stored if name.startswith("images/")}
    assert len(originals) == 1 and media_files() == stored
    assert all(name.startswith("renditions/") for name in stored - originals)
    name = originals.pop()
    assert name in Article.objects.get(slug="masik").body
    assert (Path(settings.MEDIA_ROOT) / name).read_bytes() == png_bytes("green")


def test_one_bad_file_does_not_stop_the_good_ones(tmp_path):
    article_file(tmp_path, "a.md", title="Első")
    (tmp_path / "b.md").write_bytes(b"---\ntitle: [\n---\n")
    article_file(tmp_path, "c.md", title="Harmadik")

    outcomes = import_paths([tmp_path])

    assert [(Path(o.path).name, o.status) for o in outcomes] == [
        ("a.md", CREATED),
        ("b.md", FAILED),
        ("c.md", CREATED),
    ]
    assert sorted(Article.objects.values_list("title", flat=True)) == ["Első", "Harmadik"]


# --------------------------------------------------------------------------- content rules


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (True, True),
        (False, False),
        ("yes", True),
        ("No", False),
        ("TRUE", True),
        ("false", False),
        ("igen", True),
        ("Nem", False),
        ("1", True),
        ("0", False),
        (1, True),
        (0, False),
        (" Igen ", True),
    ],
)
def test_released_accepts_the_documented_spellings(value, expected):
    assert parse_released(value) is expected


@pytest.mark.parametrize("value", ["maybe", "", "y", "2", 2, None, 1.0, [True]])
def test_released_refuses_everything_else(value):
    with pytest.raises(SourceError, match="released must be yes/no"):
        parse_released(value)


def test_missing_released_means_draft(tmp_path):
    path = tmp_path / "a.md"
    path.write_text("---\ntitle: Cím\ndate: 2024-01-01\n---\nSzöveg\n", encoding="utf-8")
    import_one(path)
    assert Article.objects.get().released is False


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-12-24", dt.datetime(2024, 12, 24, tzinfo=BUDAPEST)),
        ("2024-07-01T08:30:00", dt.datetime(2024, 7, 1, 8, 30, tzinfo=BUDAPEST)),
        ("2024-07-01 08:30", dt.datetime(2024, 7, 1, 8, 30, tzinfo=BUDAPEST)),
        ("2024-07-01T08:30:00Z", dt.datetime(2024, 7, 1, 10, 30, tzinfo=BUDAPEST)),
        ("2024-07-01T08:30:00+02:00", dt.datetime(2024, 7, 1, 8, 30, tzinfo=BUDAPEST)),
        (dt.date(2024, 1, 2), dt.datetime(2024, 1, 2, tzinfo=BUDAPEST)),
    ],
)
def test_dates_are_budapest_time_unless_they_say_otherwise(value, expected):
    parsed = parse_date(value)
    assert parsed == expected
    assert parsed.tzinfo is not None


@pytest.mark.parametrize("line", ["date: 2024-12-24", 'date: "2024-12-24"', "date: '2024-12-24'"])
def test_quoted_and_unquoted_dates_give_the_same_moment(line, tmp_path):
    path = tmp_path / "a.md"
    path.write_text(f"---\ntitle: Cím\n{line}\n---\n", encoding="utf-8")
    import_one(path)
    assert Article.objects.get().date == dt.datetime(2024, 12, 24, tzinfo=BUDAPEST)


@pytest.mark.parametrize(
    ("author", "names"),
    [
        ('"Egri Máté és Takáts Bálint"', ["Egri Máté", "Takáts Bálint"]),
        ('"B Béla, A Anna; C Cecil & D Dóra and E Elek"', ["B Béla", "A Anna", "C Cecil"]),
        ("[Zoltán Zita, Ábel Ádám]", ["Zoltán Zita", "Ábel Ádám"]),
        ('"Kiss Éva, kiss eva, Nagy Ede"', ["Kiss Éva", "Nagy Ede"]),
    ],
)
def test_authors_keep_byline_order_without_duplicates(author, names, tmp_path):
    import_one(article_file(tmp_path, author=author))
    got = [a.name for a in Article.objects.get().author_list()]
    assert got[: len(names)] == names
    assert len(got) == len({a.slug for a in Article.objects.get().author_list()})


def test_an_author_is_matched_by_slug_across_articles(tmp_path):
    Author.objects.create(name="Egri Máté", slug="egri-mate", bio="Elemző.")
    import_one(article_file(tmp_path, "a.md", title="Egy", author='"egri mate"'))
    import_one(article_file(tmp_path, "b.md", title="Kettő", author='"EGRI MÁTÉ"'))

    author = Author.objects.get()
    assert author.name == "Egri Máté" and author.bio == "Elemző."
    assert author.articles.count() == 2


def test_tags_as_list_or_comma_text(tmp_path):
    import_one(article_file(tmp_path, "a.md", title="Egy", extra="tags: [Tőzsde, MI, tőzsde]"))
    import_one(article_file(tmp_path, "b.md", title="Kettő", extra='tags: "mi, Kötvény, "'))

    assert sorted(Tag.objects.values_list("slug", flat=True)) == ["kotveny", "mi", "tozsde"]
    assert sorted(t.slug for t in Article.objects.get(title="Kettő").tags.all()) == [
        "kotveny",
        "mi",
    ]


def test_unknown_keys_are_kept_json_safe(tmp_path):
    extra = "sorozat: Pénz és tech\nfrissitve: 2024-06-01\nsuly: 3\nlinkek:\n  - a\n  - b"
    import_one(article_file(tmp_path, extra=extra))
    assert Article.objects.get().extra == {
        "sorozat": "Pénz és tech",
        "frissitve": "2024-06-01",
        "suly": 3,
        "linkek": ["a", "b"],
    }


def test_slug_from_frontmatter_or_title(tmp_path):
    import_one(article_file(tmp_path, "a.md", title="Árfolyam és Hozam?"))
    import_one(article_file(tmp_path, "b.md", title="Bármi", extra="slug: sajat-slug"))
    assert sorted(Article.objects.values_list("slug", flat=True)) == [
        "arfolyam-es-hozam",
        "sajat-slug",
    ]


def test_two_files_cannot_fight_over_one_slug(tmp_path):
    import_one(article_file(tmp_path, "a.md", title="Ugyanaz"))
    before = db_state()

    outcome = import_one(article_file(tmp_path, "b.md", title="Ugyanaz", body="Más.\n"))

    assert outcome.status == FAILED
    assert "slug 'ugyanaz' already used by" in outcome.reason
    assert "a.md (that file still exists)" in outcome.reason
    assert db_state() == before


def test_two_files_with_one_slug_in_the_same_run_fail_even_in_a_dry_run(tmp_path):
    article_file(tmp_path, "a.md", title="Ugyanaz")
    article_file(tmp_path, "b.md", title="Ugyanaz", body="Más.\n")

    outcomes = import_paths([tmp_path], dry_run=True)

    assert [o.status for o in outcomes] == [CREATED, FAILED]
    assert "already used by" in outcomes[1].reason


def test_a_renamed_title_updates_the_same_article_and_warns(tmp_path):
    path = article_file(tmp_path, title="Régi cím")
    import_one(path)
    pk = Article.objects.get().pk

    outcome = import_one(article_file(tmp_path, title="Új cím"))

    assert outcome.status == UPDATED
    assert Article.objects.get().pk == pk
    assert Article.objects.get().slug == "uj-cim"
    assert "slug changed from 'regi-cim' to 'uj-cim'" in outcome.findings[0]


def test_bom_and_crlf_are_fine(tmp_path):
    path = tmp_path / "a.md"
    text = "---\r\ntitle: Cím\r\ndate: 2024-01-01\r\n---\r\n\r\nElső sor\r\nMásodik sor\r\n"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode())

    assert import_one(path).status == CREATED
    article = Article.objects.get()
    assert article.title == "Cím"
    assert article.body == "Első sor\nMásodik sor\n"


def test_decode_reports_offset_after_a_bom():
    with pytest.raises(SourceError, match="byte 0xFF at byte offset 5 "):
        decode(b"\xef\xbb\xbfab\xffc")


def test_parse_gives_typed_fields():
    source = parse(
        b'---\ntitle: " Cim "\ndate: 2024-01-01\nreleased: "igen"\ndescription: Le\n---\n\n\nX\n'
    )
    assert (source.title, source.slug, source.released, source.description, source.body) == (
        "Cim",
        "cim",
        True,
        "Le",
        "X\n",
    )
    assert source.findings == ["no author given"]


def test_find_sources_is_recursive_sorted_and_skips_other_files(tmp_path):
    for name in ["b.md", "a.markdown", "sub/c.txt", "sub/kep.png", ".rejtett/d.md", "e.MD"]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")
    found = [p.relative_to(tmp_path).as_posix() for p in find_sources([tmp_path, tmp_path])]
    assert found == ["a.markdown", "b.md", "e.MD", "sub/c.txt"]


def test_a_path_that_does_not_exist_fails(tmp_path):
    outcome = import_one(tmp_path / "nincs.md")
    assert outcome.status == FAILED
    assert outcome.reason == "no such file or folder"


# --------------------------------------------------------------------------- images


def test_images_are_stored_once_and_references_rewritten(tmp_path):
    folder = tmp_path / "cikkek"
    (folder / "kepek").mkdir(parents=True)
    (folder / "kepek" / "abra.png").write_bytes(png_bytes())
    (folder / "kepek" / "masolat.png").write_bytes(png_bytes())  # the same bytes
    (folder / "kepek" / "borito.jpg").write_bytes(jpeg_bytes())
    body = (
        "![ábra](/kepek/abra.png)\n\n"
        '<div class="responsive-image-square"><img src="kepek/masolat.png" alt="m"></div>\n\n'
        "![távoli](https://example.com/x.png)\n\n"
        "`![kód](/kepek/nincs.png)`\n\n"
        "<!-- ![megjegyzés](/kepek/nincs.png) -->\n"
    )
    # A draft: the remote image is an editorial error that would hold a released file back.
    path = article_file(folder, extra="image: /kepek/borito.jpg", body=body, released="no")

    outcome = import_one(path)

    assert outcome.status == CREATED
    assert outcome.findings == []
    article = Article.objects.get()
    stored = sorted(media_files() - {n for n in media_files() if n.startswith("renditions/")})
    assert len(stored) == 2  # abra.png and masolat.png are the same bytes
    png_name = next(n for n in stored if n.endswith(".png"))
    assert article.body.count(f"/media/{png_name}") == 2
    assert "https://example.com/x.png" in article.body
    assert "`![kód](/kepek/nincs.png)`" in article.body
    assert article.image.name.endswith(".jpg") and article.image.name in stored
    assert (article.image_width, article.image_height) == (10, 4)
    assert article.image_source == ""
    assert f'src="/media/{png_name}"' in article.body_html


def test_an_image_stored_earlier_in_the_run_is_not_read_again_unless_it_changed(
    tmp_path, monkeypatch
):
    """The second article using a chart the run has stored takes it by its digest (no read);
    a chart replaced mid-run (other bytes) is read, checked and stored under its new name."""
    folder = tmp_path / "cikkek"
    (folder / "kepek").mkdir(parents=True)
    chart = folder / "kepek" / "abra.png"
    chart.write_bytes(png_bytes("red"))
    body = "![ábra](/kepek/abra.png)\n"
    files = [article_file(folder, f"{n}.md", title=f"Cikk {n}", body=body) for n in "abc"]
    importer = Importer()
    assert importer.import_file(files[0]).status == CREATED
    opened: list[str] = []
    original_open = Path.open

    def recording_open(self, *args, **kwargs):
        opened.append(self.name)
        return original_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", recording_open)
    assert importer.import_file(files[1]).status == CREATED
    assert "abra.png" not in opened  # hashed by (mtime, size) already, stored already
    first = Article.objects.get(slug="cikk-a").body
    assert Article.objects.get(slug="cikk-b").body == first

    chart.write_bytes(png_bytes("blue", size=(9, 7)))  # replaced: other bytes, other size
    assert importer.import_file(files[2]).status == CREATED
    assert "abra.png" in opened
    third = Article.objects.get(slug="cikk-c").body
    assert third != first
    stored = {n for n in media_files() if n.startswith("images/")}
    assert len(stored) == 2 and all(f"/media/{n}" in first + third for n in stored)


def test_srcsets_are_the_same_whether_the_image_was_stored_before_or_after_rendering(
    tmp_path, monkeypatch
):
    """The first file is rendered before its chart is stored (save() adds the srcsets); the
    second after (the renderer added them, save() does not look again): the same HTML."""
    import articles.body_images

    folder = tmp_path / "cikkek"
    (folder / "kepek").mkdir(parents=True)
    (folder / "kepek" / "abra.png").write_bytes(png_bytes(size=(900, 600)))
    body = "![ábra](/kepek/abra.png)\n"
    first, second = (
        article_file(folder, f"{n}.md", title="Cikk", extra=f"slug: cikk-{n}", body=body)
        for n in "ab"
    )
    importer = Importer()
    assert importer.import_file(first).status == CREATED
    scanned: list[str] = []
    original = articles.body_images.responsive_images

    def recording(html: str) -> str:
        scanned.append(html)
        return original(html)

    monkeypatch.setattr(articles.body_images, "responsive_images", recording)
    assert importer.import_file(second).status == CREATED
    html_a, html_b = (Article.objects.get(slug=f"cikk-{n}").body_html for n in "ab")
    assert 'srcset="' in html_a and "<picture>" in html_a
    assert html_b == html_a
    assert scanned == []  # save() did not scan the HTML again (the renderer's srcsets stand)


def test_a_missing_image_is_a_warning_and_keeps_the_reference(tmp_path):
    path = article_file(
        tmp_path,
        extra="image: borito.jpg",
        body="![x](/NVIDIA/nvda.png)\n\nSzöveg.\n",
        released="no",  # released, the missing images would hold it back (test_import_gate)
    )

    outcome = import_one(path)

    assert outcome.status == CREATED
    assert outcome.findings[0].startswith("cover image not found: borito.jpg")
    assert outcome.findings[1].startswith("image not found: /NVIDIA/nvda.png")
    article = Article.objects.get()
    assert article.image_source == "borito.jpg"
    assert "![x](/NVIDIA/nvda.png)" in article.body


def test_assets_folder_is_where_absolute_paths_are_looked_up(tmp_path):
    assets = tmp_path / "eszkozok"
    (assets / "NVIDIA").mkdir(parents=True)
    (assets / "NVIDIA" / "nvda.png").write_bytes(png_bytes("purple"))
    path = article_file(tmp_path / "cikkek", body='<img src="/NVIDIA/nvda.png" alt="">\n')

    outcome = import_one(path, assets=assets)

    assert outcome.status == CREATED and outcome.findings == []
    assert "/media/images/" in Article.objects.get().body


def test_an_image_appearing_later_updates_the_article(tmp_path):
    path = article_file(tmp_path, body="![x](kep.png)\n")
    assert import_one(path).findings
    (tmp_path / "kep.png").write_bytes(png_bytes())

    outcome = import_one(path)

    assert outcome.status == UPDATED and outcome.findings == []
    assert "/media/images/" in Article.objects.get().body


def test_rewrite_refs_replaces_only_the_urls():
    body = '![a](x.png "cím") és <img alt="b" src=\'x.png\'> és ![c](<x.png>)'
    assert rewrite_refs(body, {"x.png": "/m/y.png"}) == (
        '![a](/m/y.png "cím") és <img alt="b" src=\'/m/y.png\'> és ![c](</m/y.png>)'
    )


# --------------------------------------------------------------------------- idempotence


def test_an_unchanged_file_writes_nothing(tmp_path):
    path = article_file(tmp_path)
    import_one(path)
    before = db_state()

    with CaptureQueriesContext(connection) as queries:
        outcome = import_one(path)

    assert outcome.status == UNCHANGED
    assert db_state() == before
    writing = ("INSERT", "UPDATE", "DELETE", "REPLACE")
    writes = [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith(writing)]
    assert writes == []
    assert len(queries) == 1  # the one query that reads every known checksum


def test_a_new_file_is_inserted_without_looking_it_up(tmp_path):
    Author.objects.create(name="Kiss Éva", slug="kiss-eva")
    path = article_file(tmp_path, extra="tags: [Nvidia, Új címke]")
    importer = Importer()
    importer.known_checksums()  # the run's one up-front query
    ContentType.objects.clear_cache()

    with CaptureQueriesContext(connection) as queries:
        outcome = importer.import_file(path)

    assert outcome.status == CREATED, outcome.reason
    article = Article.objects.get()
    assert article.imported_version == article.version == 1
    assert article.edited_since_import is False
    assert [a.name for a in article.author_list()] == ["Kiss Éva"]
    assert sorted(t.name for t in article.tags.all()) == ["Nvidia", "Új címke"]
    statements, revision = importer_and_revision_queries(queries)
    # No SELECT of the article by slug or path and no UPDATE after the INSERT: one read of
    # the authors, one of the tags, and one INSERT per table (the release gate reads only
    # the articles a body links to: none here).
    assert statements.count("SELECT") == 2, statements
    assert "UPDATE" not in statements
    assert statements.count("INSERT") == 4, statements  # article, bylines, tags, tag links
    assert sum(sql.startswith('INSERT INTO "reversion_revision"') for sql in revision) == 1
    assert sum(sql.startswith('INSERT INTO "reversion_version"') for sql in revision) == 1
    assert not any(sql.lstrip().upper().startswith("UPDATE") for sql in revision)
    # Content types (once per run) and two INSERTs: written from the objects at hand, the
    # article, its bylines and tags are not read back, nor checked to exist (articles.history).
    revision = [sql for sql in revision if "SAVEPOINT" not in sql]
    assert len(revision) <= 4, revision
    assert not any(sql.lstrip().upper().startswith("SELECT") for sql in revision[2:]), revision
    # Not one query per byline to name its author in the revision.
    assert not any('FROM "articles_author"' in sql for sql in revision), revision


def test_a_slug_written_by_someone_else_during_the_run_fails_the_file_cleanly(tmp_path):
    path = article_file(tmp_path, body="![kép](kep.png)\n")
    (tmp_path / "kep.png").write_bytes(png_bytes())
    importer = Importer()
    importer.known_checksums()  # the run starts: no such slug yet
    Article.objects.create(title="Próba cikk", slug="proba-cikk", body="Kézzel írt.")
    before = db_state()

    outcome = importer.import_file(path)

    assert outcome.status == FAILED
    assert "slug 'proba-cikk'" in outcome.reason
    assert "written by someone else during the import" in outcome.reason
    assert db_state() == before
    # The stored picture stays (content-hash names are shared; the cleanup command decides).
    assert len({name for name in media_files() if name.startswith("images/")}) == 1
    # Tried again in the same run, the file is looked up and meets the admin's article.
    again = importer.import_file(path)
    assert again.status == SKIPPED
    assert "written in the admin" in again.reason


def test_authors_and_tags_committed_earlier_in_the_run_are_not_read_again(tmp_path):
    importer = Importer()
    first = article_file(tmp_path, "a.md", title="Első", extra="tags: [Nvidia, Új címke]")
    assert importer.import_file(first).status == CREATED
    second = article_file(tmp_path, "b.md", title="Második", extra="tags: [Új címke, Nvidia]")
    ContentType.objects.clear_cache()

    with CaptureQueriesContext(connection) as queries:
        outcome = importer.import_file(second)

    assert outcome.status == CREATED, outcome.reason
    article = Article.objects.get(slug="masodik")
    assert [a.name for a in article.author_list()] == ["Kiss Éva"]
    assert sorted(t.name for t in article.tags.all()) == ["Nvidia", "Új címke"]
    assert (Author.objects.count(), Tag.objects.count()) == (1, 2)
    statements, _revision = importer_and_revision_queries(queries)
    own = [q["sql"] for q in queries][: len(statements)]
    reads = [sql for sql in own if sql.startswith("SELECT")]
    # Authors and tags are known from the first file; the release gate reads no article.
    assert reads == [], reads
    assert statements.count("INSERT") == 3, statements  # article, bylines, tag links


def test_a_dry_run_or_failed_file_does_not_leave_authors_to_remember(tmp_path):
    importer = Importer(dry_run=True)
    path = article_file(tmp_path, "a.md", title="Első", extra="tags: [Nvidia]")
    assert importer.import_file(path).status == CREATED
    importer.dry_run = False
    assert importer.import_file(path).status == CREATED  # creates them for real this time
    assert [a.name for a in Article.objects.get().author_list()] == ["Kiss Éva"]
    assert [t.name for t in Article.objects.get().tags.all()] == ["Nvidia"]


@pytest.mark.django_db(transaction=True)  # real commits: the deferred foreign key check runs
def test_an_author_deleted_during_the_run_fails_one_file_and_is_looked_up_again(tmp_path):
    importer = Importer()
    assert importer.import_file(article_file(tmp_path, "a.md", title="Első")).status == CREATED
    Article.objects.all().delete()
    Author.objects.all().delete()  # someone removes the author the run remembers

    failed = importer.import_file(article_file(tmp_path, "b.md", title="Második"))
    again = importer.import_file(tmp_path / "b.md")

    assert failed.status == FAILED
    assert "written by someone else during the import" in failed.reason
    assert again.status == CREATED, again.reason
    assert [a.name for a in Article.objects.get().author_list()] == ["Kiss Éva"]


def test_a_file_imported_earlier_in_the_run_is_looked_up_again(tmp_path):
    first = article_file(tmp_path, "a.md", title="Régi cím")
    importer = Importer()
    assert importer.import_file(first).status == CREATED
    article_file(tmp_path, "a.md", title="Új cím")

    outcome = importer.import_file(first)

    assert outcome.status == UPDATED, outcome.reason
    assert Article.objects.get().slug == "uj-cim"


def test_a_changed_file_updates_its_article(tmp_path):
    path = article_file(tmp_path, body="Régi szöveg.\n")
    import_one(path)
    article = Article.objects.get()

    outcome = import_one(article_file(tmp_path, body="Új szöveg.\n", author='"Új Szerző"'))

    assert outcome.status == UPDATED
    updated = Article.objects.get()
    assert updated.pk == article.pk
    assert "Új szöveg." in updated.body_html
    assert [a.name for a in updated.author_list()] == ["Új Szerző"]
    assert updated.source_checksum != article.source_checksum
    assert updated.edited_since_import is False


def test_an_article_edited_in_the_admin_is_skipped_unless_forced(tmp_path):
    path = article_file(tmp_path, body="Eredeti.\n")
    import_one(path)
    article = Article.objects.get()
    article.description = "A szerkesztő javította."
    article.save()
    assert article.edited_since_import
    article_file(tmp_path, body="A fájl új változata.\n")
    before = db_state()

    skipped = import_one(path)

    assert skipped.status == SKIPPED
    assert skipped.reason == "edited since last import (use --force)"
    assert db_state() == before
    assert Article.objects.get().description == "A szerkesztő javította."

    forced = import_one(path, force=True)

    assert forced.status == UPDATED
    article = Article.objects.get()
    assert "A fájl új változata." in article.body
    assert article.edited_since_import is False


def test_an_article_written_in_the_admin_is_not_overwritten_by_a_file(tmp_path):
    Article.objects.create(title="Próba cikk", slug="proba-cikk", body="Kézzel írt.")
    outcome = import_one(article_file(tmp_path))
    assert outcome.status == SKIPPED
    assert "written in the admin (use --force)" in outcome.reason
    assert Article.objects.get().body == "Kézzel írt."


def test_a_dry_run_validates_everything_and_writes_nothing(tmp_path):
    (tmp_path / "kep.png").write_bytes(png_bytes())
    path = article_file(tmp_path, body="![x](kep.png)\n")
    before, media_before = db_state(), media_files()

    outcome = import_one(path, dry_run=True)

    assert outcome.status == CREATED
    assert db_state() == before
    assert media_files() == media_before
    # A second dry run says the same: nothing was remembered.
    assert import_one(path, dry_run=True).status == CREATED


def test_a_dry_run_still_catches_a_fake_image(tmp_path):
    (tmp_path / "kep.png").write_bytes(b"not an image")
    outcome = import_one(article_file(tmp_path, body="![x](kep.png)\n"), dry_run=True)
    assert outcome.status == FAILED and "is rejected" in outcome.reason


@pytest.mark.parametrize(
    "cover_line",
    ["image: kepek/a.png", "image: kepek/a.png  # megjegyzés", "image: >-\n  kepek/a.png"],
)
def test_the_cover_counts_in_the_checksum_however_it_is_written(cover_line, tmp_path):
    (tmp_path / "kepek").mkdir()
    (tmp_path / "kepek" / "a.png").write_bytes(png_bytes("red"))
    path = article_file(tmp_path, extra=cover_line)
    assert import_one(path).status == CREATED
    assert import_one(path).status == UNCHANGED

    (tmp_path / "kepek" / "a.png").write_bytes(png_bytes("blue"))

    assert import_one(path).status == UPDATED
    with Article.objects.get().image.open("rb") as handle:
        assert handle.read() == png_bytes("blue")


@pytest.mark.django_db
def test_save_uses_a_rendering_made_elsewhere_only_for_that_very_body():
    from articles.render import Rendered

    article = Article(title="Cím", slug="cim", body="*egy*")
    article.use_rendered("*egy*", Rendered(html="<p>Előre kész</p>", text="Előre kész"))
    article.save()
    assert article.body_html == "<p>Előre kész</p>"
    assert article.search_text.endswith("elore kesz")

    article.use_rendered("*egy*", Rendered(html="<p>elavult</p>", text="elavult"))
    article.body = "*kettő* & <b>x</b>"
    article.save()
    assert article.body_html == "<p><em>kettő</em> &amp; <b>x</b></p>"
    # The plain text comes from the sanitizer's pass: tags gone, entities decoded.
    assert article.search_text.endswith("ketto & x")

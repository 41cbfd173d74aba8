"""`manage.py export_articles`: files that import back into the same articles."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.core.files.storage import default_storage
from django.core.management import call_command

from articles.importing import CREATED, export_articles, import_paths
from articles.models import Article, Author, Tag
from tests.import_helpers import CONTENT_DIR, article_file, png_bytes

pytestmark = pytest.mark.django_db


def snapshot() -> dict[str, dict]:
    """What a reader and an editor see of every article, images compared by their bytes."""
    result = {}
    for article in Article.objects.with_authors().prefetch_related("tags"):
        image = None
        if article.image:
            with default_storage.open(article.image.name, "rb") as handle:
                image = handle.read()
        body_images = {}
        for name in sorted(default_storage.listdir("images")[1]):
            if f"{settings.MEDIA_URL}images/{name}" in article.body:
                body_images[name] = default_storage.open(f"images/{name}", "rb").read()
        result[article.slug] = {
            "title": article.title,
            "date": article.date,
            "released": article.released,
            "authors": [a.name for a in article.author_list()],
            "description": article.description,
            "tags": sorted(t.name for t in article.tags.all()),
            "extra": article.extra,
            "body": article.body,
            "body_html": article.body_html,
            "image": image,
            "image_size": (article.image_width, article.image_height),
            "image_source": article.image_source,
            "image_alt": article.image_alt,
            "body_images": body_images,
        }
    return result


def empty_everything() -> None:
    Article.objects.all().delete()
    Author.objects.all().delete()
    Tag.objects.all().delete()
    shutil.rmtree(settings.MEDIA_ROOT, ignore_errors=True)


def test_export_then_import_into_an_empty_database_gives_the_same_articles(tmp_path, seed_path):
    outcomes = import_paths([CONTENT_DIR, seed_path])
    assert all(o.status == CREATED for o in outcomes), [o.line() for o in outcomes]
    before = snapshot()
    assert any(v["image"] for v in before.values())  # covers take part in the comparison
    assert any(v["body_images"] for v in before.values())  # and body images too
    export_dir = tmp_path / "export"
    out = io.StringIO()

    call_command("export_articles", str(export_dir), stdout=out, no_color=True)

    assert len(out.getvalue().splitlines()) == len(before) + 1
    empty_everything()
    assert Article.objects.count() == 0

    again = import_paths([export_dir])

    assert all(o.status == CREATED for o in again), [o.line() for o in again]
    after = snapshot()
    assert after.keys() == before.keys()
    for slug in before:
        assert after[slug] == before[slug], slug
    # The exported files are a fixed point: exporting again writes the same text.
    second_dir = tmp_path / "export2"
    list(export_articles(second_dir))
    for path in sorted(export_dir.glob("*.md")):
        assert (second_dir / path.name).read_text() == path.read_text()


def test_an_exported_file_has_all_its_frontmatter(tmp_path):
    (tmp_path / "kep.png").write_bytes(png_bytes())
    path = article_file(
        tmp_path / "forras",
        title="Kötvények",
        date="2024-07-01T08:30:00",
        released="yes",
        author='"Egri Máté és Takáts Bálint"',
        extra=(
            'description: "Rövid leírás"\nimage: /kep.png\nimage_alt: "Egy piros téglalap"\n'
            'tags: "kötvény, kamat"\n'
            "sorozat: Alapok\nfrissitve: 2024-08-01"
        ),
        body="Szöveg ![ábra](/kep.png) és <img src='/kep.png' alt='ábra'>.\n",
    )
    shutil.move(tmp_path / "kep.png", path.parent / "kep.png")
    import_paths([path])

    exported = list(export_articles(tmp_path / "ki"))

    assert len(exported) == 1 and exported[0].images == 1
    text = exported[0].path.read_text(encoding="utf-8")
    assert exported[0].path.name == "kotvenyek.md"
    front, body = text.removeprefix("---\n").split("---\n", 1)
    meta = yaml.safe_load(front)
    image_name = Article.objects.get().image.name.removeprefix("images/")
    assert meta == {
        "title": "Kötvények",
        "slug": "kotvenyek",
        "date": "2024-07-01T08:30:00+02:00",
        "description": "Rövid leírás",
        "released": True,
        "author": ["Egri Máté", "Takáts Bálint"],
        "image": f"kepek/{image_name}",
        "image_alt": "Egy piros téglalap",
        "tags": ["kamat", "kötvény"],
        "sorozat": "Alapok",
        "frissitve": "2024-08-01",
    }
    assert body == (
        f"\nSzöveg ![ábra](kepek/{image_name}) és <img src='kepek/{image_name}' alt='ábra'>.\n"
    )
    assert (tmp_path / "ki" / "kepek" / image_name).read_bytes() == png_bytes()


def test_a_missing_cover_is_exported_as_written(tmp_path):
    import_paths([article_file(tmp_path, extra="image: /Befalapok2/otp.jpg")])
    exported = next(export_articles(tmp_path / "ki"))
    assert "image: /Befalapok2/otp.jpg\n" in exported.path.read_text(encoding="utf-8")


def test_export_overwrites_its_files_and_deletes_nothing(tmp_path):
    import_paths([article_file(tmp_path / "forras")])
    target = tmp_path / "ki"
    target.mkdir()
    (target / "sajat-jegyzet.txt").write_text("marad")
    (target / "proba-cikk.md").write_text("régi export")

    out = io.StringIO()
    call_command("export_articles", str(target), stdout=out, no_color=True)

    assert (target / "sajat-jegyzet.txt").read_text() == "marad"
    assert (target / "proba-cikk.md").read_text().startswith("---\ntitle: Próba cikk\n")
    assert out.getvalue().splitlines() == [
        f"exported: {target / 'proba-cikk.md'}",
        f"1 articles exported to {target}",
    ]


def test_export_refuses_a_file_as_target(tmp_path):
    target = tmp_path / "fajl"
    target.write_text("x")
    with pytest.raises(Exception, match="is not a folder"):
        call_command("export_articles", str(target), stdout=io.StringIO())
    assert Path(target).read_text() == "x"


def test_the_cover_alt_text_is_imported_and_exported_back(tmp_path):
    """`image_alt:` is the cover's text alternative: stored, and written back by the export."""
    article_file(tmp_path / "in", extra='image_alt: "Egy piros négyzet"')
    import_paths([tmp_path / "in"])
    assert Article.objects.get().image_alt == "Egy piros négyzet"
    list(export_articles(tmp_path / "out"))
    meta = yaml.safe_load((tmp_path / "out" / "proba-cikk.md").read_text().split("---")[1])
    assert meta["image_alt"] == "Egy piros négyzet"
    assert "image_alt" not in Article.objects.get().extra


def test_a_cover_alt_text_with_a_line_break_is_refused(tmp_path):
    article_file(tmp_path, extra='image_alt: "egy\\nketto"')
    (outcome,) = import_paths([tmp_path])
    assert outcome.status == "failed"
    assert "image_alt" in outcome.line()
    assert not Article.objects.exists()

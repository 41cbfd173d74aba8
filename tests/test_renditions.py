"""Responsive renditions: made once with Pillow when an image is stored, named from the stored
name, never wider than the original, WebP plus the original format."""

import io

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from PIL import Image

from articles.images import check_image, store_image
from articles.models import Article
from articles.renditions import (
    make_renditions,
    original_format_widths,
    rendition_name,
    renditions_for,
    webp_widths,
)
from tests.factories import jpeg_bytes


def png_bytes(width: int, height: int, mode: str = "RGBA") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, (width, height), (10, 120, 200, 128) if mode == "RGBA" else 3).save(
        buffer, "PNG"
    )
    return buffer.getvalue()


def _open(name: str) -> Image.Image:
    with default_storage.open(name, "rb") as handle:
        image = Image.open(io.BytesIO(handle.read()))
        image.load()
    return image


def test_names_are_deterministic():
    assert rendition_name("images/ab12.jpg", 480, "webp") == "renditions/images/ab12-480w.webp"
    assert rendition_name("covers/x.y.png", 960, "png") == "renditions/covers/x.y-960w.png"


@pytest.mark.parametrize(
    ("width", "webp", "original"),
    [
        (2400, [480, 960, 1600], [480, 960, 1600]),
        (1600, [480, 960, 1600], [480, 960]),
        (1200, [480, 960, 1200], [480, 960]),
        (480, [480], []),
        (300, [300], []),
        (0, [], []),
    ],
)
def test_widths_never_exceed_the_original(width, webp, original):
    assert webp_widths(width) == webp
    assert original_format_widths(width) == original


def test_no_renditions_for_gif_or_unknown():
    assert renditions_for("images/a.gif", 2000) == []
    assert renditions_for("images/a.svg", 2000) == []
    assert renditions_for("", 2000) == []


@pytest.mark.django_db
def test_store_image_makes_renditions_before_anything_renders_it():
    checked = check_image(jpeg_bytes(2000, 1000))
    name = store_image(checked)  # no commit needed: the page rendered next can list them
    assert name.startswith("images/") and name.endswith(".jpg")
    for rendition in renditions_for(name, 2000):
        assert default_storage.exists(rendition.name), rendition.name
        image = _open(rendition.name)
        assert image.width == rendition.width
        assert image.height == round(1000 * rendition.width / 2000)
        assert image.format == ("WEBP" if rendition.format == "webp" else "JPEG")
    assert {r.name.rsplit("-", 1)[1] for r in renditions_for(name, 2000)} == {
        "480w.webp",
        "960w.webp",
        "1600w.webp",
        "480w.jpg",
        "960w.jpg",
        "1600w.jpg",
    }


@pytest.mark.django_db
def test_a_rolled_back_store_keeps_the_shared_files():
    """Content-addressed files are never deleted by a writer that fails: another writer may
    have stored the same bytes and committed an article meanwhile (cleanup_media removes what
    nothing uses, tests/test_media_maintenance.py)."""
    checked = check_image(jpeg_bytes(1000, 500))
    with pytest.raises(RuntimeError), transaction.atomic():
        name = store_image(checked)
        raise RuntimeError("the import of this file failed")
    assert default_storage.exists(name)
    for rendition in renditions_for(name, 1000):
        assert default_storage.exists(rendition.name), rendition.name


@pytest.mark.django_db
def test_png_with_alpha_keeps_transparency():
    name = default_storage.save("images/alpha.png", ContentFile(png_bytes(1000, 400)))
    written = make_renditions(name)
    assert set(written) == {
        "renditions/images/alpha-480w.webp",
        "renditions/images/alpha-960w.webp",
        "renditions/images/alpha-1000w.webp",
        "renditions/images/alpha-480w.png",
        "renditions/images/alpha-960w.png",
    }
    assert _open("renditions/images/alpha-480w.webp").mode == "RGBA"
    assert _open("renditions/images/alpha-960w.png").format == "PNG"


@pytest.mark.django_db
def test_make_renditions_is_idempotent_and_cheap_when_done():
    name = default_storage.save("images/twice.jpg", ContentFile(jpeg_bytes(900, 600)))
    assert len(make_renditions(name, width=900)) == 3  # 480 webp, 900 webp, 480 jpg
    assert make_renditions(name, width=900) == []
    assert make_renditions(name) == []


@pytest.mark.django_db
def test_broken_stored_file_is_logged_not_raised(caplog):
    name = default_storage.save("images/broken.jpg", ContentFile(b"not an image"))
    assert make_renditions(name) == []
    assert "cannot open" in caplog.text


@pytest.mark.django_db
def test_cover_uploaded_through_the_image_field_gets_renditions(
    django_capture_on_commit_callbacks,
):
    article = Article(title="Feltöltött borító", slug="feltoltott-borito", released=True)
    with django_capture_on_commit_callbacks(execute=True):
        # What the admin form does with an upload: assign the file, then save the model.
        article.image = SimpleUploadedFile("borito.jpg", jpeg_bytes(1200, 600), "image/jpeg")
        article.save()
    assert article.image_width == 1200
    assert article.image.name.startswith("covers/")
    for rendition in renditions_for(article.image.name, 1200):
        assert default_storage.exists(rendition.name), rendition.name

"""Media on a real S3-compatible server (moto_server on loopback, started by .ci/with-s3):
import with images, renditions, the reader page, the editor's upload, the checks, export,
repair and clean-up, all through the storage the documented settings variables configure.

Run them with `.ci/with-s3 .venv/bin/pytest -m s3` (`.ci/run` does). Without a server they
skip, saying so; with CI=true they fail instead.
"""

from __future__ import annotations

import io
import os
import re
import urllib.request
import uuid
from pathlib import Path
from urllib.error import HTTPError

import pytest
from django.contrib.auth.models import Permission, User
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from PIL import Image

from articles.checks import check_article
from articles.images import media_url_prefix
from articles.models import Article
from articles.renditions import forget_renditions, renditions_for
from config.environment import S3_STORAGE, media_origin, media_storage_from_env
from tests.factories import jpeg_bytes

pytestmark = [pytest.mark.s3, pytest.mark.django_db]

XHR = {"HTTP_X_REQUESTED_WITH": "XMLHttpRequest"}


@pytest.fixture(scope="module")
def s3_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k.startswith(("CIKK_S3_", "AWS_"))}
    if not (env.get("CIKK_S3_BUCKET") and env.get("CIKK_S3_ENDPOINT_URL")):
        reason = "no S3 server: run them under .ci/with-s3 (.ci/with-s3 .venv/bin/pytest -m s3)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    pytest.importorskip("storages", reason="the s3 extra (django-storages) is not installed")
    return env


@pytest.fixture(params=["prefix"])
def bucket(request, s3_env, settings):
    """The media storage exactly as settings.py builds it from the environment, inside a
    folder of its own for this test (CIKK_S3_PREFIX), so tests never see each other's files;
    or, parametrized with "root", at the bucket's root as a deployment without a prefix has it."""
    prefix = f"t-{uuid.uuid4().hex[:12]}" if request.param == "prefix" else ""
    entry = media_storage_from_env({**s3_env, "CIKK_S3_PREFIX": prefix})
    assert entry["BACKEND"] == S3_STORAGE
    settings.STORAGES = {**settings.STORAGES, "default": entry}
    forget_renditions()
    import boto3

    client = boto3.client(
        "s3", endpoint_url=s3_env["CIKK_S3_ENDPOINT_URL"], region_name=s3_env.get("CIKK_S3_REGION")
    )
    name = s3_env["CIKK_S3_BUCKET"]

    def objects() -> set[str]:
        folder = f"{prefix}/" if prefix else ""
        pages = client.get_paginator("list_objects_v2").paginate(Bucket=name, Prefix=folder)
        return {o["Key"].removeprefix(folder) for page in pages for o in page.get("Contents", [])}

    yield type("Bucket", (), {"objects": staticmethod(objects), "entry": entry, "prefix": prefix})
    forget_renditions()


def fetch(url: str) -> bytes:
    """What a reader's browser gets for `url` (no credentials: the bucket is public-read)."""
    assert url.startswith("http://127.0.0.1:"), url
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read()


def png_bytes(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), "#aa3366").save(buffer, "PNG")
    return buffer.getvalue()


def write_article(folder: Path) -> None:
    (folder / "kepek").mkdir(parents=True)
    (folder / "kepek" / "abra.jpg").write_bytes(jpeg_bytes(1300, 700))
    (folder / "kepek" / "borito.png").write_bytes(png_bytes(1000, 500))
    (folder / "felhos.md").write_text(
        "---\n"
        'title: "Felhőben tárolt képek"\n'
        'date: "2024-12-24"\n'
        'description: "Képek egy S3-kompatibilis tárolóban."\n'
        'released: "yes"\n'
        'author: "Egri Máté"\n'
        'image: "/kepek/borito.png"\n'
        'image_alt: "Egy kék téglalap"\n'
        "---\n\n"
        "Bevezető szöveg.\n\n![Egy ábra](kepek/abra.jpg)\n",
        encoding="utf-8",
    )


@pytest.mark.parametrize("bucket", ["prefix", "root"], indirect=True)
def test_import_reader_page_checks_and_export_on_s3(bucket, client, tmp_path):
    write_article(tmp_path / "cikkek")
    out = io.StringIO()
    call_command("import_articles", str(tmp_path / "cikkek"), stdout=out, no_color=True)
    assert "created" in out.getvalue(), out.getvalue()
    article = Article.objects.get(slug="felhoben-tarolt-kepek")

    # The originals and every rendition are objects in the bucket.
    keys = bucket.objects()
    body_name = next(k for k in keys if k.startswith("images/") and k.endswith(".jpg"))
    assert article.image.name.startswith("images/") and article.image.name in keys
    for name, width in ((body_name, 1300), (article.image.name, 1000)):
        for rendition in renditions_for(name, width):
            assert rendition.name in keys, rendition.name
    body_url = default_storage.url(body_name)
    origin = media_origin(bucket.entry)
    assert body_url.startswith(f"{origin}/")
    assert body_url in article.body  # the Markdown points at the bucket

    # The reader page: images from the bucket, every srcset candidate fetchable, CSP allows
    # exactly the bucket's origin.
    response = client.get(article.get_absolute_url())
    assert response.status_code == 200
    html = response.content.decode()
    assert f'src="{body_url}"' in html
    assert f'src="{default_storage.url(article.image.name)}"' in html
    candidates = [
        part.strip().split(" ")[0]
        for srcset in re.findall(r'srcset="([^"]*)"', html)
        for part in srcset.split(",")
    ]
    assert len(candidates) >= 8, candidates
    for url in candidates:
        assert url.startswith(f"{origin}/"), url
        with Image.open(io.BytesIO(fetch(url))) as image:
            width = re.search(r"-(\d+)w\.\w+$", url)
            assert image.width == (int(width.group(1)) if width else image.width)
    img_src = next(
        d for d in response["Content-Security-Policy"].split(";") if d.strip().startswith("img-src")
    ).split()
    assert origin in img_src and not any("*" in source for source in img_src)

    # The editorial checks see our own images as ours: no error at all.
    assert [f.code for f in check_article(article) if f.is_error] == []

    # Export: the images come back from the bucket, byte for byte, beside the Markdown.
    export_dir = tmp_path / "export"
    call_command("export_articles", str(export_dir), stdout=io.StringIO())
    text = (export_dir / "felhoben-tarolt-kepek.md").read_text(encoding="utf-8")
    assert origin not in text, text
    exported = {
        p.name: p.read_bytes() for p in export_dir.rglob("*") if p.suffix in (".jpg", ".png")
    }
    assert jpeg_bytes(1300, 700) in exported.values()
    assert png_bytes(1000, 500) in exported.values()


def test_an_editors_upload_lands_in_the_bucket(bucket, client):
    user = User.objects.create_user("szerk", password="x", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="change_article"))
    client.force_login(user)
    data = png_bytes(900, 300)
    response = client.post(
        "/markdownx/upload/",
        {"image": SimpleUploadedFile("feltoltes.png", data, content_type="image/png")},
        **XHR,
    )
    assert response.status_code == 200, response.content
    code = response.json()["image_code"]
    url = code.removeprefix("![](").removesuffix(")")
    prefix = media_url_prefix()
    assert prefix.startswith(f"{media_origin(bucket.entry)}/")
    assert prefix.endswith(f"/{bucket.prefix}/")
    assert url.startswith(f"{prefix}images/")
    assert fetch(url) == data
    name = url.removeprefix(prefix)
    keys = bucket.objects()
    assert name in keys
    assert {r.name for r in renditions_for(name, 900)} <= keys


def test_repair_and_cleanup_on_s3(bucket, client):
    from articles.images import check_image, store_image
    from tests.factories import make_article

    used = store_image(check_image(jpeg_bytes(1000, 400)))
    orphan = store_image(check_image(jpeg_bytes(700, 400, color="#112233")))
    article = make_article("Felhős javítás", body=f"![kép]({default_storage.url(used)})")
    lost = f"renditions/{used[:-4]}-480w.webp"
    default_storage.delete(lost)
    forget_renditions()
    with pytest.raises(HTTPError):
        fetch(default_storage.url(lost))

    out = io.StringIO()
    call_command("repair_media", stdout=out)
    assert f"repaired  {used}: 1 renditions" in out.getvalue()
    assert fetch(default_storage.url(lost))[:4] == b"RIFF"
    article.refresh_from_db()
    assert default_storage.url(lost) in article.body_html

    out = io.StringIO()
    call_command("cleanup_media", "--older-than", "0", stdout=out)
    assert f"would delete  {orphan}" in out.getvalue() and used not in out.getvalue()
    assert orphan in bucket.objects()
    call_command("cleanup_media", "--older-than", "0", "--delete", stdout=io.StringIO())
    keys = bucket.objects()
    assert orphan not in keys and not any(orphan[7:-4] in k for k in keys)
    assert used in keys and lost in keys

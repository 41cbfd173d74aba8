"""The markdownx endpoints answer editors only, and the upload stores nothing but real images."""

from __future__ import annotations

import io
import json
import struct
import zlib

import pytest
from django.contrib.auth.models import Permission, User
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

PREVIEW = "/markdownx/markdownify/"
UPLOAD = "/markdownx/upload/"
XHR = {"HTTP_X_REQUESTED_WITH": "XMLHttpRequest"}

pytestmark = pytest.mark.django_db


def png_bytes(size: tuple[int, int] = (8, 6), noise: bool = False) -> bytes:
    image = Image.new("RGB", size, (200, 30, 30))
    if noise:
        image = Image.frombytes(
            "RGB", size, bytes((i * 7919) % 251 for i in range(size[0] * size[1] * 3))
        )
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def gif_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("P", (4, 4), 1).save(buffer, "GIF")
    return buffer.getvalue()


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def pixel_bomb_png(width: int = 30000, height: int = 30000) -> bytes:
    """A few hundred bytes that claim 30000×30000 pixels (900 megapixels)."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    idat = zlib.compress(b"\0" * (width + 1) * 4)  # only a few rows; the claim is the attack
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", idat)
        + png_chunk(b"IEND", b"")
    )


@pytest.fixture
def staff_editor(db) -> User:
    user = User.objects.create_user("szerk", password="x", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="change_article"))
    return user


@pytest.fixture
def editor_client(staff_editor) -> Client:
    client = Client()
    client.force_login(staff_editor)
    return client


def stored_files() -> list[str]:
    if not default_storage.exists("images"):
        return []
    return default_storage.listdir("images")[1]


def upload(client: Client, name: str, data: bytes, content_type: str = "image/png"):
    return client.post(
        UPLOAD, {"image": SimpleUploadedFile(name, data, content_type=content_type)}, **XHR
    )


# --- Who may call them -----------------------------------------------------------------------


@pytest.mark.parametrize("url", [PREVIEW, UPLOAD])
def test_anonymous_is_refused(client, url):
    response = client.post(url, {"content": "# Hi"}, **XHR)
    assert response.status_code == 403


@pytest.mark.parametrize("url", [PREVIEW, UPLOAD])
def test_logged_in_non_staff_is_refused(client, url):
    user = User.objects.create_user("olvaso", password="x")
    # Even holding the permission does not make a non-staff user an editor.
    user.user_permissions.add(Permission.objects.get(codename="change_article"))
    client.force_login(user)
    response = client.post(url, {"content": "# Hi"}, **XHR)
    assert response.status_code == 403


@pytest.mark.parametrize("url", [PREVIEW, UPLOAD])
def test_staff_without_change_permission_is_refused(client, url):
    client.force_login(User.objects.create_user("gyakornok", password="x", is_staff=True))
    assert client.post(url, {"content": "# Hi"}, **XHR).status_code == 403


@pytest.mark.parametrize("url", [PREVIEW, UPLOAD])
def test_get_is_not_allowed(editor_client, url):
    assert editor_client.get(url).status_code == 405


def test_url_names_are_the_ones_markdownx_widget_uses():
    assert reverse("markdownx_markdownify") == PREVIEW
    assert reverse("markdownx_upload") == UPLOAD


def test_preview_requires_csrf_token(staff_editor):
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff_editor)
    assert client.post(PREVIEW, {"content": "x"}, **XHR).status_code == 403
    client.get(reverse("admin:index"))  # its logout form sets the csrftoken cookie
    token = client.cookies["csrftoken"].value
    response = client.post(PREVIEW, {"content": "x", "csrfmiddlewaretoken": token}, **XHR)
    assert response.status_code == 200


def test_upload_requires_csrf_token(staff_editor):
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff_editor)
    assert upload(client, "a.png", png_bytes()).status_code == 403
    assert stored_files() == []


# --- Preview ---------------------------------------------------------------------------------


def test_staff_preview_renders_math_and_drops_script(editor_client):
    body = "Képlet: $$x_1$$\n\n<script>alert('xss')</script>\n\n**vastag**"
    response = editor_client.post(PREVIEW, {"content": body}, **XHR)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="math math-inline"' in html
    assert "x_1" in html
    assert "<script" not in html.lower()
    assert "<strong>vastag</strong>" in html
    assert "no-cache" in response["Cache-Control"] or "no-store" in response["Cache-Control"]


def test_preview_of_huge_text_is_a_400(editor_client, settings):
    settings.CIKK_IMPORT_MAX_BYTES = 100
    response = editor_client.post(PREVIEW, {"content": "a" * 101}, **XHR)
    assert response.status_code == 400


# --- Upload ----------------------------------------------------------------------------------


def test_png_upload_is_stored_under_content_hash_and_answered_with_markdown(editor_client):
    data = png_bytes()
    response = upload(editor_client, "whatever-name.jpg", data, content_type="image/jpeg")
    assert response.status_code == 200
    image_code = response.json()["image_code"]
    assert image_code.startswith("![](/media/images/") and image_code.endswith(".png)")
    name = image_code[len("![](/media/") : -1]
    with default_storage.open(name) as stored:
        assert stored.read() == data
    # The same bytes again: the same name, one file.
    assert upload(editor_client, "again.png", data).json()["image_code"] == image_code
    assert len(stored_files()) == 1


@pytest.mark.parametrize(
    "name, data, content_type",
    [
        pytest.param(
            "rajz.svg",
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            "image/svg+xml",
            id="svg",
        ),
        pytest.param(
            "rajz.png",
            b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>',
            "image/png",
            id="svg-named-png",
        ),
        pytest.param("kep.png", b"Ez csak egy sima szoveg.\n" * 20, "image/png", id="text-as-png"),
        pytest.param("kep.png", b"", "image/png", id="empty"),
        pytest.param(
            "kep.gif",
            b"GIF89a/*" + gif_bytes()[8:] + b"*/=alert(1)//",
            "image/gif",
            id="gif-js-polyglot-header",
        ),
        pytest.param(
            "kep.gif",
            gif_bytes() + b"<script>alert(1)</script>",
            "image/gif",
            id="gif-with-script-appended",
        ),
        pytest.param("kep.png", png_bytes()[:40], "image/png", id="truncated-png"),
        pytest.param("bomba.png", pixel_bomb_png(), "image/png", id="30000x30000-png"),
    ],
)
def test_bad_uploads_are_a_400_with_a_message(editor_client, name, data, content_type):
    response = upload(editor_client, name, data, content_type)
    assert response.status_code == 400
    payload = json.loads(response.content)
    assert "image_code" not in payload
    assert payload["image"] and payload["image"][0].strip()
    assert stored_files() == []


def test_oversized_upload_is_a_400(editor_client, settings):
    data = png_bytes((64, 64), noise=True)
    settings.CIKK_IMAGE_MAX_BYTES = len(data) - 1
    response = upload(editor_client, "nagy.png", data)
    assert response.status_code == 400
    assert "túl nagy" in response.json()["image"][0]
    assert stored_files() == []


def test_upload_without_file_is_a_400(editor_client):
    response = editor_client.post(UPLOAD, {}, **XHR)
    assert response.status_code == 400
    assert response.json()["image"]

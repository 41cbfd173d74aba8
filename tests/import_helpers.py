"""Helpers shared by the importer, import-command and exporter tests."""

from __future__ import annotations

import io
from pathlib import Path

from django.conf import settings
from PIL import Image

from articles.models import Article, Author, Byline, Tag

ROOT = Path(__file__).resolve().parent.parent
CONTENT_DIR = ROOT / "content"


def png_bytes(colour: str = "red", size: tuple[int, int] = (8, 6)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "PNG")
    return buffer.getvalue()


def jpeg_bytes(colour: str = "blue", size: tuple[int, int] = (10, 4)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "JPEG")
    return buffer.getvalue()


def article_file(
    folder: Path,
    name: str = "cikk.md",
    *,
    title: str = "Próba cikk",
    date: str = "2024-05-06",
    released: str = "no",
    author: str = '"Kiss Éva"',
    extra: str = "",
    body: str = "Első bekezdés.\n",
) -> Path:
    """Write a small valid article file and return its path."""
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = ["---", f'title: "{title}"', f"date: {date}", f"released: {released}"]
    if author:
        lines.append(f"author: {author}")
    if extra:
        lines.append(extra.rstrip("\n"))
    lines.append("---")
    path.write_text("\n".join(lines) + "\n\n" + body, encoding="utf-8")
    return path


def db_state() -> dict:
    """Everything an import can write, in a comparable form."""
    return {
        "articles": sorted(
            Article.objects.values_list(
                "slug", "title", "version", "imported_version", "source_checksum", "updated_at"
            )
        ),
        "authors": sorted(Author.objects.values_list("slug", "name")),
        "tags": sorted(Tag.objects.values_list("slug", flat=True)),
        "bylines": sorted(Byline.objects.values_list("article__slug", "author__slug", "position")),
    }


def media_files() -> set[str]:
    root = Path(settings.MEDIA_ROOT)
    if not root.exists():
        return set()
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def releasable_file(folder: Path, name: str = "cikk.md", *, extra: str = "", **fields) -> Path:
    """A `released: yes` file with what publishing asks for (author, title, description, a
    local cover image), so the release gate holds it only for what a test puts in."""
    folder.mkdir(parents=True, exist_ok=True)
    cover = f"{Path(name).stem}-borito.png"
    (folder / cover).write_bytes(png_bytes("navy"))
    extra = (
        f'description: "Rövid leírás: {name}."\nimage: {cover}\nimage_alt: "Kék négyzet"\n' + extra
    )
    return article_file(folder, name, released="yes", extra=extra, **fields)

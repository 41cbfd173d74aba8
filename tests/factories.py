"""Test-data factories (as simonw's blog/factories.py, but kept out of the production packages):
articles with authors in byline order, tags and an optional real cover image, in one call."""

from __future__ import annotations

import io
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.utils import timezone
from PIL import Image

from articles.checks import check_article, write_findings
from articles.images import check_image, store_image
from articles.models import Article, Author, Byline, Tag
from articles.text import make_slug

_counter = 0


def make_author(name: str, bio: str = "") -> Author:
    author, _created = Author.objects.get_or_create(
        slug=make_slug(name), defaults={"name": name, "bio": bio}
    )
    return author


def make_tag(name: str) -> Tag:
    tag, _created = Tag.objects.get_or_create(slug=make_slug(name), defaults={"name": name})
    return tag


def jpeg_bytes(width: int = 1200, height: int = 800, color: str = "#3366aa") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def make_article(
    title: str | None = None,
    *,
    body: str = "Egy bekezdés a cikk szövegéből.",
    description: str = "Rövid leírás.",
    released: bool = True,
    date: datetime | None = None,
    authors: Iterable[str] = ("Egri Máté",),
    tags: Iterable[str] = (),
    cover: bytes | None = None,
    slug: str | None = None,
) -> Article:
    """An article (published by default, dated in the past); `cover` bytes are stored the way
    the importer stores them (content-hash name) and set as the cover."""
    global _counter
    _counter += 1
    title = title or f"Cikk {_counter}"
    article = Article(
        title=title,
        slug=slug or make_slug(title),
        description=description,
        body=body,
        released=released,
        date=date or timezone.now() - timedelta(days=1, minutes=_counter),
    )
    if cover is not None:
        checked = check_image(cover)
        article.image.name = store_image(checked)
        article.image_width, article.image_height = checked.width, checked.height
    article.save()
    for position, name in enumerate(authors):
        Byline.objects.create(article=article, author=make_author(name), position=position)
    for name in tags:
        article.tags.add(make_tag(name))
    if authors:  # as the admin and the importer do once the byline is written
        write_findings(article, check_article(article))
    return article

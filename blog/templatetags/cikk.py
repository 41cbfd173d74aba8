"""Template helpers of the reader site: Hungarian dates, reading time, responsive covers,
JSON-LD and absolute URLs."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from django import template
from django.conf import settings
from django.core.files.storage import default_storage
from django.core.serializers.json import DjangoJSONEncoder
from django.http import QueryDict
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from articles.models import Article
from articles.renditions import available_renditions
from blog.content import absolute_url, reading_minutes

register = template.Library()

# Hungarian month names, so dates do not depend on an installed locale or translation files.
HU_MONTHS = (
    "január",
    "február",
    "március",
    "április",
    "május",
    "június",
    "július",
    "augusztus",
    "szeptember",
    "október",
    "november",
    "december",
)


def site_name_value() -> str:
    return settings.CIKK_SITE_NAME


@register.simple_tag
def site_name() -> str:
    """The magazine's name (settings.CIKK_SITE_NAME), without a context processor."""
    return site_name_value()


@register.simple_tag
def site_url(name: str) -> str:
    """`{% url name %}` for the site's fixed URLs (home, feeds, search), reversed once per
    process (blog.cards.fixed_url)."""
    from blog.cards import fixed_url

    return fixed_url(name)


@register.filter
def hu_date(value: datetime | date | None) -> str:
    """2024-12-24 → "2024. december 24." (aware datetimes shown in the site's time zone)."""
    if value is None or value == "":
        return ""
    if isinstance(value, datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        value = value.date()
    return f"{value.year}. {HU_MONTHS[value.month - 1]} {value.day}."


@register.filter
def iso(value: datetime | None) -> str:
    """ISO 8601 in the site's time zone, whole seconds (valid in <time datetime>)."""
    if not value:
        return ""
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return value.replace(microsecond=0).isoformat()


@register.filter
def reading_time(article: Article) -> int:
    """Minutes to read the body at ~200 words a minute, from the word count stored on save (list
    pages do not load body_html)."""
    return reading_minutes(article.word_count)


@register.filter
def absolute(url: str) -> str:
    return absolute_url(str(url))


# Most covers sit in a column at most ~46rem (736 px) wide; cards are narrower on desktop.
SIZES_ARTICLE = "(min-width: 50rem) 46rem, 100vw"
SIZES_CARD = "(min-width: 50rem) 14rem, 100vw"


def cover_data(article: Article) -> dict[str, Any] | None:
    """Everything a <picture> needs, from the stored name and width; the srcsets list only the
    renditions that exist (articles.renditions.available_renditions: no storage I/O once an
    image's renditions have all been seen)."""
    if not article.image:
        return None
    name = article.image.name
    width, height = article.image_width, article.image_height
    url = default_storage.url(name)
    data: dict[str, Any] = {"src": url, "width": width, "height": height}
    if width:
        ext = name.rsplit(".", 1)[-1].lower()
        available = available_renditions(name, width)
        webp = [(default_storage.url(r.name), r.width) for r in available if r.format == "webp"]
        if ext in {"jpg", "jpeg", "png"}:
            if webp:
                data["webp_srcset"] = ", ".join(f"{u} {w}w" for u, w in webp)
            same = [(default_storage.url(r.name), r.width) for r in available if r.format == ext]
            data["srcset"] = ", ".join(f"{u} {w}w" for u, w in [*same, (url, width)])
        elif ext == "webp":
            smaller = [(u, w) for u, w in webp if w < width]
            data["srcset"] = ", ".join(f"{u} {w}w" for u, w in [*smaller, (url, width)])
    return data


@register.inclusion_tag("blog/_picture.html")
def cover(article: Article, eager: bool = False, card: bool = False, alt: str = "") -> dict:
    """A responsive cover: WebP and original-format srcsets, width/height against layout
    shift, lazy below the fold; the first cover of a page is eager with high priority."""
    data = cover_data(article)
    return {
        "image": data,
        "eager": bool(eager),
        "sizes": SIZES_CARD if card else SIZES_ARTICLE,
        "alt": alt,
        "css_class": "card-cover" if card else "article-cover",
    }


_JSON_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


@register.simple_tag
def json_ld(data: dict) -> SafeString:
    """<script type="application/ld+json"> with <, > and & escaped, as json_script does, so no
    string in the data can close the element."""
    payload = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False).translate(_JSON_ESCAPES)
    return format_html('<script type="application/ld+json">{}</script>', mark_safe(payload))  # noqa: S308


@register.simple_tag(takes_context=True)
def page_url(context: template.Context, number: int) -> str:
    """The current URL's query string with `oldal` set to `number` (other parameters kept)."""
    request = context["request"]
    query: QueryDict = request.GET.copy()
    query.pop("page", None)
    if number == 1:
        query.pop("oldal", None)
    else:
        query["oldal"] = str(number)
    encoded = query.urlencode()
    return f"?{encoded}" if encoded else request.path

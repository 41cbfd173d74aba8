"""The reader site's Jinja2 environment (templates/jinja2/) and its helpers: Hungarian dates,
responsive covers, JSON-LD and absolute URLs.

Why Jinja2 for reader pages: Django's template language walks its node tree on every render,
and the article page's ~70 nodes cost more CPU than its six queries together, even with the
frame rendered once per process (bench/README.md, Serving). Jinja2 compiles a template into a
Python function once per process. The admin, its widgets and forms keep Django templates.

The templates' strings are marked with `_()` / `{% trans %}` (Django's gettext, so the active
language and catalogues are Django's); autoescaping is on, and Django's SafeStrings (cards,
the table of contents, the stored body) are not escaped again: they carry `__html__`.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from datetime import date, datetime, tzinfo
from typing import Any

from django.conf import settings
from django.core.files.storage import default_storage
from django.core.serializers.json import DjangoJSONEncoder
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest, QueryDict
from django.template.defaultfilters import linebreaks_filter, truncatechars
from django.templatetags.static import static
from django.urls import get_script_prefix
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext, ngettext, npgettext, pgettext
from jinja2 import Environment, nodes, pass_context
from jinja2.ext import Extension
from jinja2.parser import Parser
from jinja2.runtime import Context

from articles.models import Article
from articles.renditions import available_renditions
from blog.content import absolute_url

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


def site_url(name: str) -> str:
    """`{% url name %}` for the site's fixed URLs (home, feeds, search), reversed once per
    process (blog.cards.fixed_url)."""
    from blog.cards import fixed_url

    return fixed_url(name)


def _local(value: datetime, zone: tzinfo | None = None) -> datetime:
    """An aware datetime in `zone` (default: the current time zone); a naive one as it is."""
    return timezone.localtime(value, zone) if timezone.is_aware(value) else value


def _day(value: date) -> str:
    return f"{value.year}. {HU_MONTHS[value.month - 1]} {value.day}."


def _seconds(value: datetime) -> str:
    return value.replace(microsecond=0).isoformat()


def hu_date(value: datetime | date | None) -> str:
    """2024-12-24 → "2024. december 24." (aware datetimes shown in the site's time zone)."""
    if value is None or value == "":
        return ""
    return _day(_local(value) if isinstance(value, datetime) else value)


def iso(value: datetime | None) -> str:
    """ISO 8601 in the site's time zone, whole seconds (valid in <time datetime>)."""
    return _seconds(_local(value)) if value else ""


def iso_and_hu_date(value: datetime, zone: tzinfo | None = None) -> tuple[str, str]:
    """`iso(value), hu_date(value)` with one time-zone conversion (a list page shows both for
    every card and link), in `zone` (default: the current time zone)."""
    local = _local(value, zone)
    return _seconds(local), _day(local)


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


def cover(article: Article, *, eager: bool = False, alt: str = "") -> SafeString:
    """An article's responsive cover (blog.cards.picture_html, as the cards write theirs):
    WebP and original-format srcsets, width/height against layout shift; the article page's
    cover is above the fold, so it is eager with high priority."""
    from blog.cards import picture_html

    html = picture_html(
        cover_data(article), eager=eager, sizes=SIZES_ARTICLE, alt=alt, css_class="article-cover"
    )
    return mark_safe(html)  # noqa: S308 (picture_html escapes every value)


def json_ld(data: dict) -> SafeString:
    """<script type="application/ld+json"> with <, > and & escaped, as json_script does, so no
    string in the data can close the element."""
    payload = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False)
    # Three replace() calls: str.translate with a mapping walks the text per character.
    payload = payload.replace("<", "\\u003C").replace(">", "\\u003E").replace("&", "\\u0026")
    return format_html('<script type="application/ld+json">{}</script>', mark_safe(payload))  # noqa: S308


def page_url(request: HttpRequest, number: int) -> str:
    """The current URL's query string with `oldal` set to `number` (other parameters kept)."""
    query: QueryDict = request.GET.copy()
    query.pop("page", None)
    if number == 1:
        query.pop("oldal", None)
    else:
        query["oldal"] = str(number)
    encoded = query.urlencode()
    return f"?{encoded}" if encoded else request.path


# ---- {% fixed %} -----------------------------------------------------------------------------
_generation = 0


@receiver(setting_changed)
def _settings_changed(**kwargs: Any) -> None:
    """Any settings change (tests' override_settings) renders every fixed block afresh."""
    global _generation
    _generation += 1


class FixedExtension(Extension):
    """`{% fixed %}…{% endfixed %}`: markup that depends on nothing but settings, translations
    and URLs, rendered once per process, language, script prefix and settings generation.

    Why: the frame of every reader page (base.html: stylesheets, feed links, header, footer) is
    some twenty `static()`, `site_url()`, `site_name()` and `_()` calls whose output never
    changes between requests, yet each costs a storage, URL or translation look-up per page.
    The block may name only FIXED_NAMES (checked when the template compiles): nothing of a
    request or an article can be frozen into it."""

    tags = {"fixed"}
    FIXED_NAMES = frozenset({"_", "gettext", "static", "site_name", "site_url"})

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        self._rendered: dict[tuple, str] = {}
        self._generation = _generation
        self._blocks = itertools.count()

        @pass_context
        def rendered(context: Context, block: int) -> str | None:
            key = self._key(context, block)  # first: it may start a new generation
            return self._rendered.get(key)

        environment.filters[self.LOOKUP] = rendered

    LOOKUP = "cikk_fixed_rendered"

    def parse(self, parser: Parser) -> list[nodes.Node]:
        """A block compiles to `{% set v = N|cikk_fixed_rendered %}{% if v is none %}{% call
        render(N) %}…{% endcall %}{% else %}{{ v }}{% endif %}`: once rendered, a block costs
        one filter call (a direct call in Jinja2's compiled code)."""
        lineno = next(parser.stream).lineno
        if parser.stream.current.type != "block_end":
            parser.fail("{% fixed %} takes no arguments", lineno)
        body = parser.parse_statements(("name:endfixed",), drop_needle=True)
        for statement in body:
            for name in statement.find_all(nodes.Name):
                if name.name not in self.FIXED_NAMES:
                    parser.fail(
                        f"{{% fixed %}} may not use {name.name!r}: it is rendered once per "
                        f"process (allowed: {', '.join(sorted(self.FIXED_NAMES))})",
                        name.lineno,
                    )
        number = next(self._blocks)
        block = nodes.Const(number)
        variable = f"_cikk_fixed_{number}"  # a leading _: never exported to the context
        lookup = nodes.Filter(block, self.LOOKUP, [], [], None, None)
        render = self.call_method("_render", [block, nodes.ContextReference()])
        missing = nodes.Test(nodes.Name(variable, "load"), "none", [], [], None, None)
        return [
            nodes.Assign(nodes.Name(variable, "store"), lookup).set_lineno(lineno),
            nodes.If(
                missing,
                [nodes.CallBlock(render, [], [], body)],
                [],
                [nodes.Output([nodes.Name(variable, "load")])],
            ).set_lineno(lineno),
        ]

    def _key(self, context: Context, block: int) -> tuple:
        if self._generation != _generation:
            self._rendered, self._generation = {}, _generation
        # Language and script prefix, read once per render (a page has a dozen blocks).
        where = getattr(context.eval_ctx, "cikk_fixed", None)
        if where is None:
            where = context.eval_ctx.cikk_fixed = (get_language(), get_script_prefix())
        return (block, *where)

    def _render(self, block: int, context: Context, caller: Callable[[], str]) -> str:
        # Markup already when autoescaping (always, in this environment).
        text = self._rendered[self._key(context, block)] = caller()
        return text


def environment(**options: Any) -> Environment:
    """The Jinja2 environment of settings.TEMPLATES (Django's Jinja2 backend calls it).

    `keep_trailing_newline`: a template ends as its file does, as Django templates do. The
    i18n extension's `_()` and `{% trans %}` call Django's gettext (newstyle: a translation's
    `%(name)s` placeholders are filled and escaped by Jinja2)."""
    options.setdefault("keep_trailing_newline", True)
    options.setdefault("extensions", ["jinja2.ext.i18n", FixedExtension])
    env = Environment(**options)  # noqa: S701 (Django's backend turns autoescape on)
    env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext, ngettext, newstyle=True, pgettext=pgettext, npgettext=npgettext
    )
    env.globals.update(
        static=static,
        site_name=site_name_value,
        site_url=site_url,
        page_url=page_url,
        cover=cover,
        json_ld=json_ld,
    )
    env.filters.update(
        hu_date=hu_date,
        iso=iso,
        absolute=absolute,
        truncatechars=truncatechars,
        linebreaks=linebreaks_filter,
    )
    return env

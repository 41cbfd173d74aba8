"""The editors' admin: write with a live preview, see what is wrong, release, never lose a word.

History uses django-reversion rather than django-simple-history: reversion stores each save
as a full serialized revision with its user and comment (so an article and its bylines are
restored together), gives VersionAdmin's history, revert and recover views out of the box, and
is actively maintained; simple-history would add a shadow table per model and leave the
compare/revert screens to us. Reverting goes through the normal change form (reversion's
revision view), so `Article.save()` re-renders `body_html` from the restored Markdown.
"""

from __future__ import annotations

import difflib
from typing import Any

import reversion
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, F, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _gettext
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from markdownx.models import MarkdownxField
from markdownx.widgets import AdminMarkdownxWidget
from reversion.admin import VersionAdmin
from reversion.models import Version

from articles.checks import Finding, check_article, check_articles, has_errors
from articles.forms import ArticleAdminForm
from articles.models import Article, Author, Byline, Tag

admin.site.site_header = _("Cikk szerkesztőség")
admin.site.site_title = _("Cikk szerkesztőség")
admin.site.index_title = _("Cikkek, szerzők, címkék")

# Registered explicitly (before the admins are built, which would otherwise auto-register):
# an article's revision carries its bylines, so a revert restores the authors too; an author's
# or tag's revision carries only itself, so reverting one never deletes bylines.
for _model, _follow in ((Byline, ()), (Article, ("bylines",)), (Author, ()), (Tag, ())):
    if not reversion.is_registered(_model):
        reversion.register(_model, follow=_follow)


class StatusFilter(admin.SimpleListFilter):
    """Draft / scheduled / live, with the same querysets the reader site uses."""

    title = _("állapot")
    parameter_name = "status"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> Any:
        return Article.Status.choices

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet | None:
        value = self.value()
        if value == Article.Status.DRAFT:
            return queryset.drafts()
        if value == Article.Status.SCHEDULED:
            return queryset.scheduled()
        if value == Article.Status.LIVE:
            return queryset.published()
        return None


class BylineInline(admin.TabularInline):
    """Authors picked by autocomplete; `position` keeps the byline order (0 first)."""

    model = Byline
    fields = ["author", "position"]
    autocomplete_fields = ["author"]
    extra = 1
    verbose_name = _("szerző")
    verbose_name_plural = _("szerzők (a byline sorrendjében)")


def _findings_html(findings: list[Finding]) -> str:
    if not findings:
        return format_html('<p class="cikk-findings-ok">{}</p>', _("Nincs szerkesztői észrevétel."))
    items = format_html_join(
        "",
        '<li class="cikk-finding cikk-finding-{}"><strong>{}</strong> {}</li>',
        (
            (f.level, _gettext("Hiba:") if f.is_error else _gettext("Figyelmeztetés:"), f.message)
            for f in findings
        ),
    )
    return format_html('<ul class="cikk-findings">{}</ul>', items)


@admin.register(Article)
class ArticleAdmin(VersionAdmin):
    form = ArticleAdminForm
    list_display = ["title", "byline", "date", "status_label", "updated_at", "findings_count"]
    list_filter = [StatusFilter, "date", "authors"]
    search_fields = ["title", "description", "body", "search_text"]
    date_hierarchy = "date"
    prepopulated_fields = {"slug": ("title",)}
    autocomplete_fields = ["tags"]
    inlines = [BylineInline]
    readonly_fields = ["editorial_findings", "preview_link", "cover_thumbnail", "source_info"]
    actions = ["release", "withdraw"]
    list_per_page = 50
    show_full_result_count = False  # one COUNT(*) per page view is enough
    view_on_site = True  # /cikk/<slug>/: the reader site shows drafts to staff, with a banner
    formfield_overrides = {MarkdownxField: {"widget": AdminMarkdownxWidget}}
    object_history_template = "admin/articles/article/object_history.html"
    history_latest_first = True
    fieldsets = [
        (_("Szerkesztői ellenőrzés"), {"fields": ["editorial_findings"]}),
        (
            None,
            {"fields": ["title", "slug", "date", "released", "description", "loaded_version"]},
        ),
        (_("Szöveg"), {"fields": ["body", "preview_link"]}),
        (_("Borítókép"), {"fields": ["image", "cover_thumbnail", "image_source"]}),
        (_("Címkék és egyebek"), {"fields": ["tags", "extra", "source_info"]}),
    ]

    class Media:
        # The preview must look like the page: the site's content CSS and KaTeX's CSS and fonts
        # (the preview is the server's render, formulas typeset by KaTeX in Python; no KaTeX
        # script). All files are our own static files: no inline script, no CDN.
        css = {
            "all": [
                "katex/katex.min.css",
                "css/content.css",
                "css/admin-article.css",
            ]
        }
        js = ["js/admin-preview.js"]

    # --- Lists -----------------------------------------------------------------------------

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).with_authors()

    def get_changelist_instance(self, request: HttpRequest) -> Any:
        """Check the page's articles in one batch: one query, however many rows."""
        changelist = super().get_changelist_instance(request)
        page = list(changelist.result_list)  # evaluates (and caches) the page's queryset
        findings = check_articles(page)
        for article in page:
            article._cikk_findings = findings.get(article.pk, [])
        return changelist

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None):
        # Not VersionAdmin's: it would wrap the whole page in one revision, merging a bulk
        # action's articles into a single revision; the actions below make one per article.
        context = {"has_change_permission": self.has_change_permission(request)}
        context.update(extra_context or {})
        return admin.ModelAdmin.changelist_view(self, request, context)

    @admin.display(description=_("szerzők"))
    def byline(self, obj: Article) -> str:
        return ", ".join(author.name for author in obj.author_list())

    @admin.display(description=_("állapot"))
    def status_label(self, obj: Article) -> str:
        return obj.status.label

    @admin.display(description=_("észrevételek"))
    def findings_count(self, obj: Article) -> str:
        findings = getattr(obj, "_cikk_findings", None)
        if findings is None:
            return "–"
        errors = sum(1 for f in findings if f.is_error)
        warnings = len(findings) - errors
        if not findings:
            return format_html('<span class="cikk-count-ok">{}</span>', "0")
        return format_html(
            '<span class="cikk-count" title="{}">{}</span>',
            ngettext("%(e)d hiba, %(w)d figyelmeztetés", "%(e)d hiba, %(w)d figyelmeztetés", errors)
            % {"e": errors, "w": warnings},
            format_html(
                '<span class="cikk-count-errors">{}</span> / {}',
                errors,
                warnings,
            ),
        )

    # --- The change form -------------------------------------------------------------------

    def get_fieldsets(self, request: HttpRequest, obj: Article | None = None) -> Any:
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None:  # nothing to check before the first save
            return [fs for fs in fieldsets if "editorial_findings" not in fs[1]["fields"]]
        return fieldsets

    def get_form(
        self, request: HttpRequest, obj: Article | None = None, change: bool = False, **kwargs
    ):
        form = super().get_form(request, obj, change, **kwargs)
        current = getattr(request, "_cikk_current_version", None)
        if current is not None:
            form = type(form.__name__, (form,), {"current_version_override": current})
        return form

    @admin.display(description=_("észrevételek"))
    def editorial_findings(self, obj: Article) -> str:
        return _findings_html(check_article(obj))

    @admin.display(description=_("előnézet"))
    def preview_link(self, obj: Article) -> str:
        if obj.pk is None:
            return _gettext("Mentés után megnyitható az olvasói oldalon.")
        return format_html(
            '<a href="{}" target="_blank" rel="noopener">{}</a>',
            obj.get_absolute_url(),
            _gettext("Megnyitás az olvasói oldalon (piszkozat is, csak szerkesztőknek)"),
        )

    @admin.display(description=_("bélyegkép"))
    def cover_thumbnail(self, obj: Article) -> str:
        if not obj.image:
            return "–"
        return format_html(
            '<img src="{}" alt="{}" class="cikk-cover-thumb" width="240">',
            obj.image.url,
            _gettext("A borítókép kicsinyítve"),
        )

    @admin.display(description=_("forrás és változat"))
    def source_info(self, obj: Article) -> str:
        if obj.pk is None:
            return "–"
        return format_html(
            "{}: {} · {}: {} · {}",
            _gettext("forrásfájl"),
            obj.source_path or "–",
            _gettext("változat"),
            obj.version,
            _gettext("importálás óta szerkesztve")
            if obj.edited_since_import
            else _gettext("nem szerkesztették importálás óta"),
        )

    def save_model(self, request: HttpRequest, obj: Article, form: Any, change: bool) -> None:
        current = getattr(request, "_cikk_current_version", None)
        if change and current is not None:
            # A revert: reversion wrote the old row, old version number included; continue
            # from the real current version so versions only ever grow.
            obj.version = current
        super().save_model(request, obj, form, change)

    def revision_view(
        self, request: HttpRequest, object_id: str, version_id: str, extra_context=None
    ):
        """Reversion's revert, with the article's real current version kept for the check."""
        with transaction.atomic():
            request._cikk_current_version = (
                Article.objects.select_for_update()
                .filter(pk=unquote(object_id))
                .values_list("version", flat=True)
                .first()
            )
            return super().revision_view(request, object_id, version_id, extra_context)

    # --- History: compare two revisions ----------------------------------------------------

    def get_urls(self) -> list:
        return [
            path(
                "<path:object_id>/compare/",
                self.admin_site.admin_view(self.compare_view),
                name=f"{self.opts.app_label}_{self.opts.model_name}_compare",
            ),
            *super().get_urls(),
        ]

    def _versions(self, obj: Article) -> list[Version]:
        return list(
            Version.objects.get_for_object(obj).select_related("revision__user").order_by("-pk")
        )

    def history_view(self, request: HttpRequest, object_id: str, extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        context = {"cikk_versions": self._versions(obj) if obj else []}
        context.update(extra_context or {})
        return super().history_view(request, object_id, context)

    def compare_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Two revisions of the body side by side (difflib, every line escaped)."""
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404
        if not self.has_view_or_change_permission(request, obj):
            raise PermissionDenied
        versions = self._versions(obj)
        by_id = {str(version.pk): version for version in versions}
        old = by_id.get(request.GET.get("a", ""))
        new = by_id.get(request.GET.get("b", ""))
        if old is None and len(versions) > 1:
            old = versions[1]
        if new is None and versions:
            new = versions[0]
        table = None
        if old is not None and new is not None:

            def label(version: Version) -> str:
                user = version.revision.user
                who = user.get_username() if user else "–"
                when = timezone.localtime(version.revision.date_created)
                return escape(f"{when:%Y-%m-%d %H:%M} · {who}")

            # HtmlDiff escapes every line of text itself; the labels are escaped above.
            table = mark_safe(  # noqa: S308
                difflib.HtmlDiff(wrapcolumn=90).make_table(
                    (old.field_dict.get("body") or "").splitlines(),
                    (new.field_dict.get("body") or "").splitlines(),
                    label(old),
                    label(new),
                    context=True,
                    numlines=2,
                )
            )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": obj,
            "title": _gettext("Változatok összevetése: %(title)s") % {"title": obj.title},
            "versions": versions,
            "old": old,
            "new": new,
            "diff_table": table,
            "identical": old is not None
            and new is not None
            and old.field_dict.get("body") == new.field_dict.get("body"),
        }
        return TemplateResponse(request, "admin/articles/article/compare.html", context)

    # --- Bulk actions ----------------------------------------------------------------------

    def _set_released(self, request: HttpRequest, pks: list[int], released: bool) -> int:
        """Flip `released` where it changes; bump `version` so the importer sees the edit."""
        with transaction.atomic():
            changing = list(
                Article.objects.select_for_update()
                .filter(pk__in=pks, released=not released)
                .values_list("pk", flat=True)
            )
            count = Article.objects.filter(pk__in=changing).update(
                released=released, version=F("version") + 1, updated_at=timezone.now()
            )
            comment = _gettext("Megjelentetve.") if released else _gettext("Visszavonva.")
            for article in Article.objects.filter(pk__in=changing):
                with reversion.create_revision():
                    reversion.set_user(request.user)
                    reversion.add_to_revision(article)
                    self.log_change(request, article, [{"changed": {"fields": ["released"]}}])
                    reversion.set_comment(comment)
        return count

    @admin.action(description=_("Megjelentetés"), permissions=["change"])
    def release(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        candidates = list(queryset.filter(released=False))
        findings = check_articles(candidates)
        blocked = [
            (article, [f for f in findings[article.pk] if f.is_error])
            for article in candidates
            if has_errors(findings[article.pk])
        ]
        if blocked and request.POST.get("confirm") != "yes":
            context = {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": _gettext("Megjelentetés megerősítése"),
                "blocked": blocked,
                "clean": [a for a in candidates if not has_errors(findings[a.pk])],
                "selected": list(queryset.values_list("pk", flat=True)),
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                "action": "release",
            }
            return TemplateResponse(
                request, "admin/articles/article/release_confirmation.html", context
            )
        count = self._set_released(request, [a.pk for a in candidates], True)
        self.message_user(
            request,
            ngettext("%(count)d cikk megjelentetve.", "%(count)d cikk megjelentetve.", count)
            % {"count": count},
            messages.SUCCESS if count else messages.INFO,
        )
        return None

    @admin.action(description=_("Visszavonás"), permissions=["change"])
    def withdraw(self, request: HttpRequest, queryset: QuerySet) -> None:
        pks = list(queryset.filter(released=True).values_list("pk", flat=True))
        count = self._set_released(request, pks, False)
        self.message_user(
            request,
            ngettext("%(count)d cikk visszavonva.", "%(count)d cikk visszavonva.", count)
            % {"count": count},
            messages.SUCCESS if count else messages.INFO,
        )


@admin.register(Author)
class AuthorAdmin(VersionAdmin):
    list_display = ["name", "slug", "article_count"]
    search_fields = ["name", "slug"]  # also what the byline autocomplete searches
    prepopulated_fields = {"slug": ("name",)}
    readonly_fields = ["article_links"]
    fields = ["name", "slug", "bio", "article_links"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return (
            super().get_queryset(request).annotate(num_articles=Count("bylines")).order_by("name")
        )

    @admin.display(description=_("cikkek száma"), ordering="num_articles")
    def article_count(self, obj: Author) -> int:
        return obj.num_articles

    @admin.display(description=_("cikkei"))
    def article_links(self, obj: Author) -> str:
        if obj.pk is None:
            return "–"
        articles = obj.articles.order_by("-date")
        if not articles:
            return _gettext("Még nincs cikke.")
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                '<li><a href="{}">{}</a> ({}, {})</li>',
                (
                    (
                        reverse("admin:articles_article_change", args=[article.pk]),
                        article.title,
                        f"{timezone.localtime(article.date):%Y-%m-%d}",
                        article.status.label,
                    )
                    for article in articles
                ),
            ),
        )


@admin.register(Tag)
class TagAdmin(VersionAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ("name",)}

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
from datetime import datetime
from typing import Any

import reversion
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, F, Max, Min, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _gettext
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from reversion.admin import VersionAdmin
from reversion.models import Version

from articles import sharing
from articles.checks import Finding, check_article, check_articles, has_errors, write_findings
from articles.editor_views import autosave_view, draft_context
from articles.forms import ArticleAdminForm, BylineFormSet
from articles.models import Article, Author, Byline, EditorDraft, ShareLink, Tag
from articles.search_index import matching, terms_of

admin.site.site_header = _("Cikk szerkesztőség")
admin.site.site_title = _("Cikk szerkesztőség")
admin.site.index_title = _("Cikkek, szerzők, címkék")

# Registered explicitly (before the admins are built, which would otherwise auto-register):
# an article's revision carries its bylines, so a revert restores the authors too; an author's
# or tag's revision carries only itself, so reverting one never deletes bylines. An article's
# revision keeps what authors write, not what save() derives from it (Article.NOT_IN_REVISIONS;
# a revert derives it again, articles.signals.derive_on_raw_save).
for _model, _follow, _exclude in (
    (Byline, (), ()),
    (Article, ("bylines",), Article.NOT_IN_REVISIONS),
    (Author, (), ()),
    (Tag, (), ()),
):
    if not reversion.is_registered(_model):
        reversion.register(_model, follow=_follow, exclude=_exclude)


def status_text(article: Article) -> str:
    """ "ütemezve: 2026-12-01 08:00" for a scheduled article, else the status's name."""
    if article.status == Article.Status.SCHEDULED:
        return _gettext("ütemezve: %(when)s") % {
            "when": f"{timezone.localtime(article.date):%Y-%m-%d %H:%M}"
        }
    return str(article.status.label)


def import_state(article: Article) -> str:
    """True for every article: one written in the admin was never imported."""
    if article.imported_version is None:
        return _gettext("nem importált (az adminban készült)")
    if article.edited_since_import:
        return _gettext("importálás óta szerkesztve")
    return _gettext("nem szerkesztették importálás óta")


# What the article list never shows: tens of kB a row.
# The admin search lists at most this many matches, the newest first.
ADMIN_SEARCH_LIMIT = 1000
CHANGELIST_DEFERRED = ("body", "body_html", "search_text", "plain_text", "findings", "extra")


class ArticleChangeList(ChangeList):
    """The list reads the findings stored on save (articles.checks.store_findings) and none
    of the large text columns: nothing per view renders, checks or walks all articles."""

    def get_queryset(self, request: HttpRequest, exclude_parameters: Any = None) -> QuerySet:
        return super().get_queryset(request, exclude_parameters).defer(*CHANGELIST_DEFERRED)


class PublicationDateFilter(admin.SimpleListFilter):
    """Year, then month drill-down by index ranges. (Django's date_hierarchy and date filter
    run a DISTINCT over a per-row Python function: seconds at 100,000 articles.)"""

    title = _("megjelenés")
    parameter_name = "idoszak"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> Any:
        # Two queries, one index end each: SQLite answers a lone MIN() or MAX() from the index,
        # but both in one statement read the whole index (44 ms at 100,000 articles).
        oldest = Article.objects.aggregate(first=Min("date"))["first"]
        if oldest is None:
            return []
        first = timezone.localtime(oldest).year
        last = timezone.localtime(Article.objects.aggregate(last=Max("date"))["last"]).year
        choices = [(str(year), str(year)) for year in range(last, first - 1, -1)][:50]
        year = (self.value() or "")[:4]
        if year.isdigit():
            choices += [(f"{year}-{month:02d}", f"{year}. {month:02d}.") for month in range(1, 13)]
        return choices

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet | None:
        value = self.value() or ""
        try:
            if len(value) == 4:
                start = datetime(int(value), 1, 1)
                end = datetime(int(value) + 1, 1, 1)
            elif len(value) == 7:
                year, month = int(value[:4]), int(value[5:])
                start = datetime(year, month, 1)
                end = datetime(year + month // 12, month % 12 + 1, 1)
            else:
                return None
        except ValueError:
            return None
        zone = timezone.get_current_timezone()
        return queryset.filter(
            date__gte=timezone.make_aware(start, zone), date__lt=timezone.make_aware(end, zone)
        )


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
    formset = BylineFormSet
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
    list_filter = [StatusFilter, PublicationDateFilter, "authors"]
    # Searched through the full-text index (get_search_results), not LIKE over every body.
    search_fields = ["title"]
    prepopulated_fields = {"slug": ("title",)}
    autocomplete_fields = ["tags"]
    inlines = [BylineInline]
    readonly_fields = [
        "editorial_findings",
        "preview_link",
        "cover_thumbnail",
        "source_info",
        "public_url",
        "status_info",
    ]
    actions = ["release", "withdraw"]
    list_per_page = 50
    show_full_result_count = False  # one COUNT(*) per page view is enough
    view_on_site = True  # /cikk/<slug>/: the reader site shows drafts to staff, with a banner
    object_history_template = "admin/articles/article/object_history.html"
    history_latest_first = True
    fieldsets = [
        (_("Szerkesztői ellenőrzés"), {"fields": ["editorial_findings"]}),
        (
            None,
            {
                "fields": [
                    "title",
                    ("slug", "public_url"),
                    ("date", "status_info"),
                    "released",
                    "description",
                    "loaded_version",
                ]
            },
        ),
        (_("Szöveg"), {"fields": ["body", "preview_link"], "classes": ["cikk-writing"]}),
        (
            _("Borítókép"),
            {"fields": ["image", "image_alt", "cover_thumbnail", "image_source"]},
        ),
        (_("Címkék és egyebek"), {"fields": ["tags", "extra", "source_info"]}),
    ]

    class Media:
        # The preview must look like the page: the site's content CSS and KaTeX's CSS and fonts
        # (the preview is the server's render, formulas typeset by KaTeX in Python; no KaTeX
        # script). The body widget brings the editor's own script (js/admin-editor.js). All
        # files are our own static files: no inline script, no CDN.
        css = {
            "all": [
                "katex/katex.min.css",
                "css/content.css",
                "css/admin-article.css",
            ]
        }

    # --- Lists -----------------------------------------------------------------------------

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).with_authors()

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return ArticleChangeList

    def get_ordering(self, request: HttpRequest) -> list[str]:
        """Search results newest first by id: the index gives that order, so a page of results
        reads only its own rows (ordering by date would read every match to sort it)."""
        if request.GET.get("q") and not request.GET.get("o"):
            return ["-pk"]
        return super().get_ordering(request)

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ) -> tuple[QuerySet, bool]:
        """The reader search's full-text index (FTS5 / PostgreSQL), every term a prefix, accents
        ignored; a search that is a slug finds that article too."""
        terms = terms_of(search_term)
        if not terms:
            return queryset, False
        found = matching(queryset, terms, newest=ADMIN_SEARCH_LIMIT)
        slug = search_term.strip()
        if slug and len(terms) == 1 and "-" in slug:
            found = found | queryset.filter(slug=slug)
        return found, False

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
        return status_text(obj)

    @admin.display(description=_("észrevételek"), ordering="finding_errors")
    def findings_count(self, obj: Article) -> str:
        if obj.finding_errors is None:  # never checked (check_articles fills these in)
            return "–"
        errors, warnings = obj.finding_errors, obj.finding_warnings or 0
        if not errors and not warnings:
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
            import_state(obj),
        )

    @admin.display(description=_("nyilvános cím"))
    def public_url(self, obj: Article) -> str:
        prefix = settings.CIKK_SITE_URL + "/cikk/"
        if obj.pk is None:
            return format_html(
                '<span class="cikk-public-url" data-cikk-public-url="{}">{}</span>',
                prefix,
                _gettext("a slug megadása után látható"),
            )
        url = settings.CIKK_SITE_URL + obj.get_absolute_url()
        return format_html(
            '<a class="cikk-public-url" data-cikk-public-url="{}" href="{}" target="_blank" '
            'rel="noopener">{}</a>',
            prefix,
            obj.get_absolute_url(),
            url,
        )

    @admin.display(description=_("megjelenés"))
    def status_info(self, obj: Article) -> str:
        if obj.pk is None:
            return _gettext("piszkozat")
        return format_html(
            '<span class="cikk-status cikk-status-{}">{}</span>', obj.status, status_text(obj)
        )

    def save_model(self, request: HttpRequest, obj: Article, form: Any, change: bool) -> None:
        current = getattr(request, "_cikk_current_version", None)
        if change and current is not None:
            # A revert: reversion wrote the old row, old version number included; continue
            # from the real current version so versions only ever grow.
            obj.version = current
        # The findings are stored by save_related(), once the bylines are saved too.
        obj.save(check_findings=False)
        # Saved for real: the autosaved draft of this editor has done its job.
        drafts = EditorDraft.objects.filter(user=request.user)
        (drafts.filter(article=obj) if change else drafts.filter(article__isnull=True)).delete()
        confirmed = getattr(form, "confirmed_findings", None)
        if confirmed:
            self.message_user(
                request,
                _gettext("Megerősített hibákkal jelenhet meg: %(list)s")
                % {"list": "; ".join(f.message for f in confirmed)},
                messages.WARNING,
            )

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """The bylines and tags are saved after the article's row: store the findings again
        on what was saved, so the list never shows "no author" for an article that has one."""
        super().save_related(request, form, formsets, change)
        article = form.instance
        write_findings(article, check_article(article))

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict,
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Article | None = None,
    ):
        """Adds what the writing screen needs: where to autosave, and the editor's own
        unsaved draft of this article when it differs from what is saved (with its diff)."""
        context.update(draft_context(request, obj))
        return super().render_change_form(request, context, add, change, form_url, obj)

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
                "autosave/",
                autosave_view,
                name=f"{self.opts.app_label}_{self.opts.model_name}_autosave",
            ),
            path(
                "<path:object_id>/share/",
                self.admin_site.admin_view(self.share_view),
                name=f"{self.opts.app_label}_{self.opts.model_name}_share",
            ),
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

    # --- Share links for outside reviewers -------------------------------------------------

    def share_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """List, create and revoke an article's reviewer links (POST changes, then redirects)."""
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404
        if not self.has_change_permission(request, obj):
            raise PermissionDenied
        here = reverse("admin:articles_article_share", args=[obj.pk])
        if request.method == "POST":
            if "revoke" in request.POST:
                revoked = ShareLink.objects.filter(
                    article=obj, pk=request.POST.get("revoke"), revoked_at__isnull=True
                ).update(revoked_at=timezone.now())
                if revoked:
                    self.message_user(
                        request, _gettext("A link visszavonva: többé nem nyílik meg.")
                    )
            else:
                try:
                    days = int(request.POST.get("days") or sharing.DEFAULT_DAYS)
                except ValueError:
                    days = sharing.DEFAULT_DAYS
                link = sharing.create_link(obj, request.user, days)
                self.message_user(
                    request,
                    _gettext("Új megosztási link, lejár: %(when)s")
                    % {"when": f"{timezone.localtime(link.expires_at):%Y-%m-%d %H:%M}"},
                    messages.SUCCESS,
                )
            return HttpResponseRedirect(here)
        links = list(obj.share_links.select_related("created_by"))
        for link in links:
            link.url = request.build_absolute_uri(
                reverse("share_preview", args=[sharing.token_for(link)])
            )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": obj,
            "title": _gettext("Megosztás bírálónak: %(title)s") % {"title": obj.title},
            "links": links,
            "default_days": sharing.DEFAULT_DAYS,
            "max_days": sharing.MAX_DAYS,
        }
        return TemplateResponse(request, "admin/articles/article/share.html", context)

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

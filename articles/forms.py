"""The article change form: the editor's loaded version travels with it (no lost updates)."""

from __future__ import annotations

import copy
import difflib
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.forms.models import construct_instance
from django.utils.timezone import localtime
from django.utils.translation import gettext_lazy as _
from markdownx.widgets import AdminMarkdownxWidget

from articles.checks import Finding, check_article
from articles.images import ImageRejected, check_image
from articles.models import Article
from articles.render_limits import RenderRefused, render_bounded

# How many recent revisions are searched for the text the editor had loaded.
_REVISIONS_SEARCHED = 50
# The byline inline's formset prefix (the related name) and the confirmation button's name.
BYLINE_PREFIX = "bylines"
CONFIRM_FIELD = "cikk_confirm_release"


def findings_digest(findings: list[Finding]) -> str:
    """A confirmation is for exactly these findings: new errors need a new confirmation."""
    text = "\n".join(sorted(f"{f.code}:{f.message}" for f in findings))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class Conflict:
    """What happened to the article since the editor opened it."""

    loaded_version: int
    current_version: int
    changed_by: str | None
    changed_at: datetime | None
    # Unified diff lines: what changed meanwhile (loaded → current) when the loaded text is
    # known from the history, else the editor's text → the saved text.
    diff: list[str]
    diff_is_meanwhile: bool


def body_diff(old: str, new: str, old_label: str, new_label: str) -> list[str]:
    return list(
        difflib.unified_diff(
            (old or "").splitlines(),
            (new or "").splitlines(),
            fromfile=old_label,
            tofile=new_label,
            lineterm="",
        )
    )


def describe_conflict(article_pk: int, loaded_version: int, submitted_body: str) -> Conflict:
    """Who changed the article and how, from its reversion history and the current row."""
    from reversion.models import Version

    from articles.importing import IMPORT_COMMENT_PREFIX

    current = Article.objects.get(pk=article_pk)
    versions = list(
        Version.objects.get_for_object(current)
        .select_related("revision__user")
        .order_by("-pk")[:_REVISIONS_SEARCHED]
    )
    changed_by = changed_at = None
    if versions:
        latest = versions[0].revision
        changed_at = latest.date_created
        if latest.user is not None:
            changed_by = latest.user.get_full_name() or latest.user.get_username()
        elif latest.comment.startswith(IMPORT_COMMENT_PREFIX):  # an import_articles run
            path = latest.comment.removeprefix(IMPORT_COMMENT_PREFIX)
            changed_by = _("egy importálás (%(path)s)") % {"path": path}
    loaded_body = None
    for version in versions:
        try:
            fields = version.field_dict
        except Exception:  # noqa: S112  (an unreadable old revision just is not a match)
            continue
        if fields.get("version") == loaded_version:
            loaded_body = fields.get("body", "")
            break
    if loaded_body is not None:
        diff = body_diff(
            loaded_body, current.body, f"{loaded_version}. változat", f"{current.version}."
        )
        meanwhile = True
    else:
        diff = body_diff(submitted_body, current.body, "az Ön szövege", "a mentett szöveg")
        meanwhile = False
    return Conflict(
        loaded_version=loaded_version,
        current_version=current.version,
        changed_by=changed_by,
        changed_at=changed_at,
        diff=diff,
        diff_is_meanwhile=meanwhile,
    )


class EditorWidget(AdminMarkdownxWidget):
    """markdownx's widget (its textarea, preview box and data attributes) driven by our own
    script, static/js/admin-editor.js, instead of markdownx's: that one waits at least 500 ms
    before each preview, inserts uploads without alt text and does not follow the caret."""

    class Media:
        extend = False
        css = {"all": ["css/admin-article.css"]}
        js = ["js/admin-editor.js"]


class KeyValueWidget(forms.Widget):
    """Frontmatter extras as key/value rows instead of a raw JSON box.

    Text values are edited as they are; a value that is not text (a list, a number) is shown as
    JSON and read back as JSON (its row says so). Blank rows are offered for new keys.
    """

    template_name = (
        "articles/widgets/key_value.html"  # app templates: the form renderer reads those
    )
    blank_rows = 2

    def format_value(self, value: Any) -> Any:
        return value

    def get_context(self, name: str, value: Any, attrs: dict | None) -> dict:
        context = super().get_context(name, value, attrs)
        rows = []
        if isinstance(value, KeyValueRows):
            rows = [{"key": k, "value": v, "kind": kind} for k, v, kind in value if k or v]
            value = None
        elif isinstance(value, str):
            try:
                value = json.loads(value) if value.strip() else {}
            except ValueError:
                value = {}
        if isinstance(value, dict):
            for key, item in value.items():
                if isinstance(item, str):
                    rows.append({"key": key, "value": item, "kind": "text"})
                else:
                    rows.append(
                        {"key": key, "value": json.dumps(item, ensure_ascii=False), "kind": "json"}
                    )
        rows += [{"key": "", "value": "", "kind": "text"}] * self.blank_rows
        context["widget"]["rows"] = rows
        return context

    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        if f"{name}-key" not in data:
            return data.get(name)  # posted as one JSON text (scripts, old forms)
        keys = data.getlist(f"{name}-key")
        values = data.getlist(f"{name}-value")
        kinds = data.getlist(f"{name}-kind")
        return KeyValueRows(list(zip(keys, values, kinds, strict=False)))

    def value_omitted_from_data(self, data: Any, files: Any, name: str) -> bool:
        return f"{name}-key" not in data and name not in data


class KeyValueRows(list):
    """The posted rows, turned into a dict (with errors naming the key) by ExtrasField."""


class ExtrasField(forms.JSONField):
    widget = KeyValueWidget

    def to_python(self, value: Any) -> Any:
        if not isinstance(value, KeyValueRows):
            return super().to_python(value)
        result: dict[str, Any] = {}
        for key, text, kind in value:
            key = key.strip()
            if not key:
                if text.strip():
                    raise ValidationError(
                        _("Egyéb frontmatter: a(z) „%(value)s” értékhez nincs kulcs."),
                        params={"value": text[:40]},
                    )
                continue
            if key in result:
                raise ValidationError(
                    _("Egyéb frontmatter: a(z) „%(key)s” kulcs kétszer szerepel."),
                    params={"key": key},
                )
            if kind == "json":
                try:
                    result[key] = json.loads(text)
                except ValueError as exc:
                    raise ValidationError(
                        _("Egyéb frontmatter: a(z) „%(key)s” értéke nem érvényes JSON: %(e)s"),
                        params={"key": key, "e": exc},
                    ) from exc
            else:
                result[key] = text
        return result

    def bound_data(self, data: Any, initial: Any) -> Any:
        if isinstance(data, KeyValueRows):
            return data  # re-shown row by row, as typed
        return super().bound_data(data, initial)

    def has_changed(self, initial: Any, data: Any) -> bool:
        try:
            return self.to_python(data) != (initial or {})
        except ValidationError:
            return True

    def prepare_value(self, value: Any) -> Any:
        return value


class ArticleAdminForm(forms.ModelForm):
    """ModelForm plus the version the editor loaded; a save based on an older one is refused.

    The check runs inside the admin's transaction with the row locked (select_for_update), so
    two simultaneous saves cannot both pass it. The admin sets `current_version_override`
    while reverting to an old revision, because reversion has already written the old row
    (with its old version number) by the time the form is validated.
    """

    loaded_version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)
    extra = ExtrasField(label=_("egyéb frontmatter"), required=False)

    current_version_override: int | None = None

    class Meta:
        model = Article
        # The admin's fieldsets decide what is shown; these are the editable fields.
        fields = [
            "title",
            "slug",
            "date",
            "released",
            "description",
            "body",
            "image",
            "image_alt",
            "image_source",
            "tags",
            "extra",
        ]
        widgets = {"body": EditorWidget}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        date_widget = self.fields["date"].widget if "date" in self.fields else None
        labels = (_("Megjelenés napja"), _("Megjelenés ideje"))
        for widget, label in zip(getattr(date_widget, "widgets", ()), labels, strict=False):
            # The admin's split date/time inputs have no <label> of their own.
            widget.attrs.setdefault("aria-label", label)
        self.conflict: Conflict | None = None
        self.release_blocked: list[Finding] = []
        self.release_digest = ""
        self.confirmed_findings: list[Finding] = []
        if self.instance.pk is not None:
            self.fields["loaded_version"].required = True
            self.fields["loaded_version"].initial = (
                self.current_version_override
                if self.current_version_override is not None
                else self.instance.version
            )

    def clean_image(self) -> Any:
        """A cover upload gets the same Pillow check as every other image, and a hash name."""
        image = self.cleaned_data.get("image")
        if not isinstance(image, UploadedFile):
            return image  # unchanged, cleared, or absent
        cap = settings.CIKK_IMAGE_MAX_BYTES
        image.seek(0)
        data = image.read(cap + 1)
        image.seek(0)
        try:
            checked = check_image(data, max_bytes=cap)
        except ImageRejected as exc:
            raise ValidationError(
                _("A borítókép nem fogadható el: %(reason)s"), params={"reason": str(exc)}
            ) from exc
        image.name = checked.storage_name.rsplit("/", 1)[-1]
        return image

    def clean_body(self) -> str:
        """Render the body once, here, within the hard time limit (articles.render_limits), so
        that a pathological paste is a form error and never holds the request; save() then
        uses this rendering instead of rendering again."""
        body = self.cleaned_data.get("body") or ""
        try:
            rendered = render_bounded(body)
        except RenderRefused as exc:
            raise ValidationError(exc.user_message, code="render_cost") from exc
        self.instance.use_rendered(body, rendered)
        return body

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        self._check_version(cleaned)
        if cleaned.get("released") and not self.errors:
            self._release_gate(cleaned)
        return cleaned

    # --- The release gate: errors block "Megjelenhet" unless the editor confirms them ---------

    def submitted_authors(self) -> list[int] | None:
        """Author ids of the byline rows posted with this form (the inline formset is saved
        after the form is validated, so the database does not know them yet); None when the
        form was posted without the byline inline."""
        data = self.data
        prefix = BYLINE_PREFIX
        try:
            total = int(data.get(f"{prefix}-TOTAL_FORMS", ""))
        except (TypeError, ValueError):
            return None
        authors = []
        for index in range(max(0, min(total, 1000))):
            author = data.get(f"{prefix}-{index}-author")
            if author and not data.get(f"{prefix}-{index}-DELETE"):
                authors.append(author)
        return authors

    def _release_gate(self, cleaned: dict[str, Any]) -> None:
        candidate = copy.copy(self.instance)
        construct_instance(self, candidate)
        uploaded = isinstance(cleaned.get("image"), UploadedFile)
        findings = [
            finding
            for finding in check_article(candidate, authors=self.submitted_authors())
            if finding.is_error and not (uploaded and finding.code == "missing_cover")
        ]
        if not findings:
            return
        digest = findings_digest(findings)
        if self.data.get(CONFIRM_FIELD) == digest:
            self.confirmed_findings = findings
            return
        self.release_blocked = findings
        self.release_digest = digest
        raise ValidationError(
            _(
                "A cikk nem jelenhet meg: %(count)d szerkesztői hiba van benne (lent "
                "felsorolva). Javítsa ki őket, vagy erősítse meg, hogy így is megjelenhet."
            ),
            code="release_blocked",
            params={"count": len(findings)},
        )

    def _check_version(self, cleaned: dict[str, Any]) -> None:
        if self.instance.pk is None or "loaded_version" not in cleaned:
            return
        loaded = cleaned["loaded_version"]
        if loaded is None:
            return  # the required-field error is already reported
        if self.current_version_override is not None:
            current = self.current_version_override
        else:
            current = (
                Article.objects.select_for_update()
                .filter(pk=self.instance.pk)
                .values_list("version", flat=True)
                .first()
            )
        if current is not None and current != loaded:
            self.conflict = describe_conflict(
                self.instance.pk, loaded, cleaned.get("body", self.instance.body)
            )
            who = self.conflict.changed_by or _("valaki más")
            when = self.conflict.changed_at
            raise ValidationError(
                _(
                    "Mentés elutasítva: a cikket közben %(who)s módosította%(when)s "
                    "(Ön a %(loaded)d. változatot nyitotta meg, most a %(current)d. a "
                    "legfrissebb). Semmit nem írtunk felül. Az eltérés lent látható; nyissa "
                    "meg újra a cikket, és vigye át rá a módosításait."
                ),
                code="conflict",
                params={
                    "who": who,
                    "when": f" ({localtime(when):%Y-%m-%d %H:%M})" if when else "",
                    "loaded": loaded,
                    "current": current,
                },
            )


class BylineFormSet(forms.BaseInlineFormSet):
    """The byline rows of the article form; each input is named for screen readers (a tabular
    inline's column headers are not labels)."""

    def add_fields(self, form: forms.Form, index: int | None) -> None:
        super().add_fields(form, index)
        row = "" if index is None else f" ({index + 1}.)"
        for name, label in (
            ("author", _("Szerző")),
            ("position", _("Sorrend")),
            ("DELETE", _("Törlés")),
        ):
            if name in form.fields:
                # The admin wraps some widgets (add/change links): name the input itself.
                widget = form.fields[name].widget
                widget = getattr(widget, "widget", widget)
                widget.attrs = {**widget.attrs, "aria-label": f"{label}{row}"}

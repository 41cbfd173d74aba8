"""The article change form: the editor's loaded version travels with it (no lost updates)."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.timezone import localtime
from django.utils.translation import gettext_lazy as _

from articles.images import ImageRejected, check_image
from articles.models import Article
from articles.render_limits import RenderRefused, render_bounded

# How many recent revisions are searched for the text the editor had loaded.
_REVISIONS_SEARCHED = 50


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


class ArticleAdminForm(forms.ModelForm):
    """ModelForm plus the version the editor loaded; a save based on an older one is refused.

    The check runs inside the admin's transaction with the row locked (select_for_update), so
    two simultaneous saves cannot both pass it. The admin sets `current_version_override`
    while reverting to an old revision, because reversion has already written the old row
    (with its old version number) by the time the form is validated.
    """

    loaded_version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)

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
            "image_source",
            "tags",
            "extra",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.conflict: Conflict | None = None
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
        if self.instance.pk is None or "loaded_version" not in cleaned:
            return cleaned
        loaded = cleaned["loaded_version"]
        if loaded is None:
            return cleaned  # the required-field error is already reported
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
        return cleaned

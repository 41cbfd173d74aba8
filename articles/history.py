"""The revision an import records, written from the rows the import has just made.

Why not `reversion.create_revision()` + `add_to_revision()` (what the admin uses): inside the
importer's transaction every fact a revision needs is already at hand (the article, its
bylines with their authors, its tags), yet reversion's generic path reads them back: the
bylines again through the registered `follow`, the tags for the m2m field, and then every
object once more to check that it exists, before its two INSERTs. Here the same rows -
one `Revision`, one `Version` per object, serialised by Django's own serializer with the
fields reversion's registration names (`Article.NOT_IN_REVISIONS` left out) - are written with
those two INSERTs alone. `tests/test_import_history.py` checks them against reversion's own
output for the same objects, and that they revert.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence

from django.contrib.contenttypes.models import ContentType
from django.core import serializers
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, router
from django.utils import timezone
from django.utils.encoding import force_str
from reversion.models import Revision, Version

# reversion's default format for a registered model (articles.admin registers with it).
FORMAT = "json"


def revision_fields(model: type[models.Model], exclude: Iterable[str] = ()) -> tuple[str, ...]:
    """The field names a revision of `model` keeps: its local fields and many-to-many fields
    minus `exclude`, as `reversion.register(model, exclude=...)` computes them (articles.admin
    registers with this very tuple, so the two can never disagree)."""
    opts = model._meta.concrete_model._meta
    excluded = set(exclude)
    return tuple(
        field.name
        for field in [*opts.local_fields, *opts.local_many_to_many]
        if field.name not in excluded
    )


def serialize(
    obj: models.Model,
    fields: Sequence[str],
    many_to_many: dict[str, list[models.Model]] | None = None,
) -> str:
    """`obj` as reversion's JSON serialisation of it (`serializers.serialize("json", [obj],
    fields=fields)`), except that the many-to-many fields named in `many_to_many` take the
    given related objects instead of reading them from the database."""
    many_to_many = many_to_many or {}
    plain = [name for name in fields if name not in many_to_many]
    data = serializers.serialize("python", [obj], fields=plain)[0]
    for name, related in many_to_many.items():
        if name in fields:
            # The serializer reads them in the related model's default order (Tag: by name).
            ordering = related[0]._meta.ordering if related else []
            if ordering and all(isinstance(f, str) and f.isidentifier() for f in ordering):
                related = sorted(related, key=lambda o: tuple(getattr(o, f) for f in ordering))
            data["fields"][name] = [item.pk for item in related]
    return json.dumps([data], cls=DjangoJSONEncoder, ensure_ascii=False)


def write_revision(
    entries: Sequence[tuple[models.Model, str]], *, comment: str, user=None
) -> Revision:
    """One revision holding a version of each object, in the caller's transaction; `entries`
    are (object, its serialisation by `serialize`). Two INSERTs, no reads."""
    rows = [
        Version(
            object_id=force_str(obj.pk),
            content_type=ContentType.objects.get_for_model(obj, for_concrete_model=True),
            db=router.db_for_write(type(obj), instance=obj),
            format=FORMAT,
            serialized_data=data,
            object_repr=force_str(obj),
        )
        for obj, data in entries
    ]
    revision = Revision.objects.create(date_created=timezone.now(), comment=comment, user=user)
    for row in rows:
        row.revision = revision
    Version.objects.bulk_create(rows)
    return revision

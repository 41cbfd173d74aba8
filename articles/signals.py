"""Signal receivers of the content domain (connected in ArticlesConfig.ready)."""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from articles.models import Article, Byline
from articles.render_limits import RenderRefused, render_bounded
from articles.renditions import (
    available_renditions,
    forget_renditions,
    make_renditions,
    renditions_for,
)


@receiver(pre_save, sender=Article, dispatch_uid="articles.derive_on_raw_save")
def derive_on_raw_save(sender, instance: Article, raw: bool = False, **kwargs) -> None:
    """A revert writes a revision's row with a raw save (django-reversion, bypassing save()),
    and revisions keep only what authors write (Article.NOT_IN_REVISIONS): derive the HTML,
    texts, report and findings from the restored text here, before the row is written, so no
    revert (the admin's preview and save, Revision.revert() in code) leaves them empty or
    stale. A raw save whose derived fields match its body (a full fixture) renders nothing.

    Rendered as the admin renders (articles.render_limits.render_bounded, under its time
    limit): a text today's renderer refuses is restored without HTML, and the revert's form
    then names the reason, as for any edit."""
    if not raw or not instance.derived_missing():
        return
    body = instance.body or ""
    try:
        rendered = render_bounded(body)
    except RenderRefused:
        return
    instance.use_rendered(body, rendered)
    instance.derive_all()


@receiver(post_save, sender=Article, dispatch_uid="articles.cover_renditions")
def cover_renditions(sender, instance: Article, raw: bool = False, **kwargs) -> None:
    """A cover uploaded through the admin's ImageField gets its renditions too.

    At once, not on commit: the ImageField already stored the original during save(), and the
    admin stores the article's findings right after (save_related), which must see the
    renditions, or every new cover would be listed as missing them. If the transaction rolls
    back, the files stay unreferenced until `manage.py cleanup_media` removes them, like the
    original. Cheap when nothing changed: no decoding, and no storage request once the set was
    seen complete (remembered per process, like the srcsets').
    """
    if raw or not instance.image or not instance.image_width:
        return
    name, width = instance.image.name, instance.image_width
    storage = instance.image.storage
    # available_renditions remembers a complete set (content-hash names never change meaning):
    # an import saving a thousand articles with the same cover asks storage once, not each time.
    if len(available_renditions(name, width, storage)) < len(renditions_for(name, width)):
        make_renditions(name, storage, width=width)
        forget_renditions(name)  # srcsets list the new ones at once


# Renaming or deleting an author or a tag changes every page that shows their articles: the
# database triggers of migration 0007_scale move the site content version in that same
# transaction (articles.versioning), so no article row needs touching.


@receiver(post_save, sender=Byline, dispatch_uid="articles.byline_findings_stale")
@receiver(post_delete, sender=Byline, dispatch_uid="articles.byline_findings_gone_stale")
def byline_findings_stale(sender, instance: Byline, raw: bool = False, **kwargs) -> None:
    """The stored findings judged the byline as it was ("no author"): mark them unchecked
    (the list shows "–") rather than keep a false one. The admin and the importer store
    fresh findings once all bylines are written (articles.checks.write_findings)."""
    if raw:
        return
    Article.objects.filter(pk=instance.article_id).exclude(finding_errors=None).update(
        finding_errors=None, finding_warnings=None
    )

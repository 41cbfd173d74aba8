"""Signal receivers of the content domain (connected in ArticlesConfig.ready)."""

from __future__ import annotations

from django.db.models.signals import post_save
from django.dispatch import receiver

from articles.models import Article
from articles.renditions import make_renditions_on_commit, missing_renditions


@receiver(post_save, sender=Article, dispatch_uid="articles.cover_renditions")
def cover_renditions(sender, instance: Article, raw: bool = False, **kwargs) -> None:
    """A cover uploaded through the admin's ImageField gets its renditions too.

    Cheap when nothing changed: a few `exists()` checks, no decoding.
    """
    if raw or not instance.image or not instance.image_width:
        return
    name = instance.image.name
    storage = instance.image.storage
    if missing_renditions(name, instance.image_width, storage):
        make_renditions_on_commit(name, storage, width=instance.image_width)


# Renaming or deleting an author or a tag changes every page that shows their articles: the
# database triggers of migration 0007_scale move the site content version in that same
# transaction (articles.versioning), so no article row needs touching.

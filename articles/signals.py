"""Signal receivers of the content domain (connected in ArticlesConfig.ready)."""

from __future__ import annotations

from django.db.models.signals import post_save, pre_delete
from django.dispatch import receiver
from django.utils import timezone

from articles.models import Article, Author, Tag
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


@receiver(post_save, sender=Author, dispatch_uid="articles.author_touches_articles")
@receiver(post_save, sender=Tag, dispatch_uid="articles.tag_touches_articles")
@receiver(pre_delete, sender=Tag, dispatch_uid="articles.tag_delete_touches_articles")
def touch_articles(sender, instance: Author | Tag, raw: bool = False, **kwargs) -> None:
    """Renaming an author or a tag changes every page that shows their articles (bylines,
    tag links, feeds); bumping those articles' `updated_at` changes the readers' HTTP
    validators (blog/caching.py), so browsers and proxies fetch the new pages.

    A bare UPDATE: no re-render, no `version` bump (the article's text did not change)."""
    if raw or instance.pk is None:
        return
    relation = "authors" if isinstance(instance, Author) else "tags"
    Article.objects.filter(**{relation: instance}).update(updated_at=timezone.now())

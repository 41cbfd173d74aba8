"""The content domain: authors, tags and articles."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from markdownx.models import MarkdownxField

from articles.text import fold_accents

if TYPE_CHECKING:
    from articles.render import Rendered


class Author(models.Model):
    name = models.CharField(_("név"), max_length=200)
    # Matched by slug on import, so "Egri Máté" and "egri mate" are one person.
    slug = models.SlugField(_("slug"), max_length=200, unique=True)
    bio = models.TextField(_("bemutatkozás"), blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("szerző")
        verbose_name_plural = _("szerzők")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("blog:author", kwargs={"slug": self.slug})


class Tag(models.Model):
    name = models.CharField(_("név"), max_length=100)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("címke")
        verbose_name_plural = _("címkék")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("blog:tag", kwargs={"slug": self.slug})


class ArticleQuerySet(models.QuerySet):
    """The one definition of "public": every reader-facing query starts from published()."""

    def published(self) -> ArticleQuerySet:
        return self.filter(released=True, date__lte=timezone.now())

    def drafts(self) -> ArticleQuerySet:
        return self.filter(released=False)

    def scheduled(self) -> ArticleQuerySet:
        return self.filter(released=True, date__gt=timezone.now())

    def with_authors(self) -> ArticleQuerySet:
        """Prefetch bylines in order, so listing N articles costs a fixed number of queries."""
        return self.prefetch_related(
            models.Prefetch("bylines", queryset=Byline.objects.select_related("author"))
        )


class Article(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("piszkozat")
        SCHEDULED = "scheduled", _("időzített")
        LIVE = "live", _("megjelent")

    title = models.CharField(_("cím"), max_length=300)
    slug = models.SlugField(_("slug"), max_length=200, unique=True)
    description = models.TextField(_("leírás"), blank=True)
    body = MarkdownxField(_("szöveg (Markdown)"), blank=True)
    # Rendered and sanitized on save by articles.render; never edited by hand.
    body_html = models.TextField(_("HTML"), blank=True, editable=False)
    date = models.DateTimeField(_("dátum"), default=timezone.now)
    released = models.BooleanField(_("megjelenhet"), default=False)
    authors = models.ManyToManyField(
        Author, through="Byline", related_name="articles", verbose_name=_("szerzők")
    )
    tags = models.ManyToManyField(
        Tag, blank=True, related_name="articles", verbose_name=_("címkék")
    )
    image = models.ImageField(
        _("borítókép"),
        upload_to="covers/",
        blank=True,
        width_field="image_width",
        height_field="image_height",
    )
    image_width = models.PositiveIntegerField(null=True, blank=True, editable=False)
    image_height = models.PositiveIntegerField(null=True, blank=True, editable=False)
    # The `image:` value of the source file, kept when the file could not be found, so that the
    # editorial checks can name it and an export writes it back.
    image_source = models.CharField(_("borítókép forrása"), max_length=500, blank=True)
    source_path = models.CharField(_("forrásfájl"), max_length=1000, blank=True, editable=False)
    source_checksum = models.CharField(max_length=64, blank=True, editable=False)
    # Accent-folded, lower-case title + description + text, kept on save for accent-insensitive
    # search on any database ("gyartasi" finds "Gyártási").
    search_text = models.TextField(blank=True, editable=False)
    # Words of the rendered text, kept on save, so list pages show the reading time without
    # loading body_html.
    word_count = models.PositiveIntegerField(default=0, editable=False)
    # The renderer's report on `body` (articles.render.report): headings, formulas, images,
    # links, removed elements, warnings. The editorial checks read it instead of re-parsing.
    render_report = models.JSONField(default=dict, blank=True, editable=False)
    # Frontmatter keys Cikk does not know: kept and exported again, so nothing is lost.
    extra = models.JSONField(_("egyéb frontmatter"), default=dict, blank=True)
    # Bumped by every save; the admin refuses a save based on an older version (no lost
    # updates), and the importer compares it with imported_version to spot admin edits.
    version = models.PositiveIntegerField(default=1, editable=False)
    imported_version = models.PositiveIntegerField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("létrehozva"), auto_now_add=True)
    updated_at = models.DateTimeField(_("módosítva"), auto_now=True)

    objects = ArticleQuerySet.as_manager()

    class Meta:
        ordering = ["-date", "-pk"]
        verbose_name = _("cikk")
        verbose_name_plural = _("cikkek")
        indexes = [
            # Covers published() (date <= now AND released) in date order and the readers'
            # validators (max updated_at/date, count) without reading rows: on SQLite, date and
            # updated_at sit after the large body columns (overflow pages).
            models.Index(
                fields=["date", "id", "released", "updated_at"], name="article_published_idx"
            ),
            models.Index(fields=["source_path"], name="article_source_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs) -> None:
        self.render_body()
        if self.pk is not None and not self._state.adding:
            self.version = (self.version or 0) + 1
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("blog:article", kwargs={"slug": self.slug})

    @property
    def status(self) -> Article.Status:
        if not self.released:
            return self.Status.DRAFT
        if self.date > timezone.now():
            return self.Status.SCHEDULED
        return self.Status.LIVE

    @property
    def is_public(self) -> bool:
        return self.status == self.Status.LIVE

    @property
    def edited_since_import(self) -> bool:
        """True when someone saved the article (e.g. in the admin) after its last import."""
        return self.imported_version is not None and self.version != self.imported_version

    def author_list(self) -> list[Author]:
        """Authors in byline order (uses the with_authors() prefetch when present)."""
        return [byline.author for byline in self.bylines.all()]

    def use_rendered(self, body: str, rendered: Rendered) -> None:
        """Let the next save() use a rendering of `body` made elsewhere (the importer's
        worker processes) instead of rendering again; ignored unless self.body is `body`."""
        self._prerendered = (body, rendered)

    # What render_body() derives from title, description and body (rerender_articles writes these).
    RENDERED_FIELDS = ("body_html", "search_text", "word_count", "render_report")

    def render_body(self) -> None:
        """Render and sanitize the Markdown once, here, so readers get stored HTML."""
        from articles.body_images import responsive_images
        from articles.render import render, report

        given = self.__dict__.pop("_prerendered", None)
        rendered = given[1] if given and given[0] == self.body else render(self.body)
        # Idempotent; for a rendering made ahead of the write (importer workers), before its
        # images were stored, this is what adds their srcsets.
        self.body_html = responsive_images(rendered.html)
        self.word_count = rendered.word_count
        self.render_report = report(rendered)
        # The renderer's own plain text: parsing 30 KB of HTML again costs ~8 ms.
        text = rendered.text
        self.search_text = fold_accents(f"{self.title}\n{self.description}\n{text}").lower()


class Byline(models.Model):
    """An author's place in an article's byline; `position` keeps the order of the source."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="bylines")
    author = models.ForeignKey(Author, on_delete=models.PROTECT, related_name="bylines")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("szerzőség")
        verbose_name_plural = _("szerzőségek")
        constraints = [
            models.UniqueConstraint(fields=["article", "author"], name="byline_unique_author"),
        ]

    def __str__(self) -> str:
        return f"{self.author} ({self.position})"

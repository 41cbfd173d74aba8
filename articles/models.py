"""The content domain: authors, tags and articles."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from markdownx.models import MarkdownxField

from articles.text import fold_accents, visible_text

if TYPE_CHECKING:
    from articles.render import Rendered


def plain_text_of(body_html: str) -> str:
    """The text a reader sees, for the full-text index and its snippets: from the stored HTML,
    formulas as their TeX (never KaTeX's glyph spans); \x02/\x03 mark snippet matches
    (blog.search), so they never belong to the text."""
    return normal_plain_text(visible_text(body_html))


def normal_plain_text(text: str) -> str:
    """Visible text as stored in Article.plain_text: runs of white space as one space, and no
    \x02/\x03 (blog.search marks snippet matches with them)."""
    return " ".join(text.split()).replace("\x02", " ").replace("\x03", " ")


@dataclass(frozen=True)
class BodyDerived:
    """What save() derives from a body alone: its rendering, the report stored with it, the
    plain text and the folded search text. Needs neither the database nor the title, so the
    importer's render workers make it (articles.importing.render_within) and the importing
    process, which writes every row, only adds what needs the row (Article.render_body)."""

    rendered: Rendered
    report: dict[str, Any]
    plain_text: str  # Article.plain_text
    folded_text: str  # the body's part of Article.search_text

    @classmethod
    def of(cls, rendered: Rendered) -> BodyDerived:
        from articles.render import report

        return cls(
            rendered=rendered,
            report=report(rendered),
            # The renderer's own plain text, the same as plain_text_of(body_html) (the srcsets
            # added on save carry no text): not a second pass over the (KaTeX-heavy) HTML.
            plain_text=normal_plain_text(rendered.text),
            folded_text=fold_accents(rendered.text).lower(),
        )


def derive_body(body: str) -> BodyDerived:
    """Render `body` and derive from it what save() stores (see BodyDerived)."""
    from articles.render import render

    return BodyDerived.of(render(body))


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
        SCHEDULED = "scheduled", _("ütemezve")
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
    # The cover's text alternative: its <img alt>, and og:image:alt / twitter:image:alt.
    image_alt = models.CharField(
        _("borítókép helyettesítő szövege (alt)"),
        max_length=300,
        blank=True,
        help_text=_("Mit mutat a kép, egy mondatban – azoknak, akik nem látják."),
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
    # The renderer's plain text as written (accents kept): what SQLite's full-text index
    # (migration 0007_scale, FTS5) indexes and cuts search snippets from.
    plain_text = models.TextField(blank=True, editable=False)
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
    # When the public text (title, description, body, cover) last changed: the sitemap's
    # lastmod. An imported article's is its own date, not the import run's time.
    content_changed_at = models.DateTimeField(null=True, blank=True, editable=False)
    content_hash = models.CharField(max_length=64, blank=True, editable=False)
    # Editorial findings (articles.checks), computed on save and by check_articles /
    # rerender_articles, so the admin list reads them instead of checking every row per view.
    findings = models.JSONField(default=list, blank=True, editable=False)
    finding_errors = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)
    finding_warnings = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)
    # sha256 of the normalised description and of its first and last words (articles.checks):
    # copied or nearly copied descriptions are found by index lookups, not by reading them all.
    description_key = models.CharField(max_length=64, blank=True, editable=False)
    description_head = models.CharField(max_length=64, blank=True, editable=False)
    description_tail = models.CharField(max_length=64, blank=True, editable=False)
    created_at = models.DateTimeField(_("létrehozva"), auto_now_add=True)
    updated_at = models.DateTimeField(_("módosítva"), auto_now=True)

    objects = ArticleQuerySet.as_manager()

    class Meta:
        ordering = ["-date", "-pk"]
        verbose_name = _("cikk")
        verbose_name_plural = _("cikkek")
        indexes = [
            # Covers published() (date <= now AND released) in date order and the readers'
            # validators (max updated_at/date, count) and the sitemap's pages (slug, last
            # change) without reading rows: on SQLite, these columns sit after the large body
            # columns (overflow pages).
            models.Index(
                fields=["date", "id", "released", "updated_at", "content_changed_at", "slug"],
                name="article_published_idx",
            ),
            models.Index(fields=["source_path"], name="article_source_idx"),
            models.Index(fields=["description_key"], name="article_description_idx"),
            # With the whole digest: the checks find near copies (same first or last words,
            # another digest) from these indexes alone, never reading a row (checks.py).
            models.Index(
                fields=["description_head", "description_key"],
                name="article_desc_head_key_idx",
            ),
            models.Index(
                fields=["description_tail", "description_key"],
                name="article_desc_tail_key_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, check_findings: bool = True, **kwargs) -> None:
        """Render, then store the editorial findings with the row. `check_findings=False`
        for a caller that writes the bylines next and stores the findings after them
        (articles.checks.write_findings: the admin, the importer), so nothing checks twice."""
        self.render_body()
        self.refresh_derived(check_findings=check_findings)
        if self.pk is not None and not self._state.adding:
            self.version = (self.version or 0) + 1
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, *self.DERIVED_FIELDS}
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

    # What refresh_derived() writes besides the rendered fields.
    DERIVED_FIELDS = (
        "content_changed_at",
        "content_hash",
        "description_key",
        "description_head",
        "description_tail",
        "findings",
        "finding_errors",
        "finding_warnings",
    )

    def public_content_hash(self) -> str:
        """A digest of what a reader sees of this article's own text and cover."""
        import hashlib

        parts = (self.title, self.description, self.body, self.image.name or "", self.image_source)
        return hashlib.sha256("\x00".join(parts).encode()).hexdigest()

    def refresh_derived(self, *, check_findings: bool = True) -> None:
        """Content change time, description key and stored editorial findings (why: the
        sitemap and the admin list read these instead of recomputing them per request)."""
        from articles.checks import description_keys, store_findings

        digest = self.public_content_hash()
        if digest != self.content_hash or self.content_changed_at is None:
            imported_new = self._state.adding and bool(self.source_path)
            now = timezone.now()
            # A new imported file's last content change is its own date (never in the future
            # of the import), not the moment of the import run.
            self.content_changed_at = min(self.date, now) if imported_new else now
            self.content_hash = digest
        rendered = self.__dict__.pop("_rendered", None)
        if check_findings:
            store_findings(self, rendered)
        else:
            keys = description_keys(self.description)
            self.description_key, self.description_head, self.description_tail = keys

    def use_rendered(
        self, body: str, rendered: Rendered | BodyDerived, *, images_stored: bool = False
    ) -> None:
        """Let the next save() use a rendering of `body` made elsewhere (the admin form's
        validation, the importer's worker processes) instead of rendering again; ignored
        unless self.body is still `body`. `images_stored`: every image of the body was in
        storage before the rendering began (the importer knows), so its srcsets are already
        those save() would add, and the HTML is not scanned for them again."""
        self._prerendered = (body, rendered, images_stored)

    # What the editorial checks store with the row (articles.checks.store_findings /
    # apply_findings), so the admin list reads them instead of checking every article.
    FINDINGS_FIELDS = (
        "findings",
        "finding_errors",
        "finding_warnings",
        "description_key",
        "description_head",
        "description_tail",
    )
    # What render_body() derives from title, description and body (rerender_articles writes these).
    RENDERED_FIELDS = ("body_html", "search_text", "plain_text", "word_count", "render_report")
    # Left out of revisions (django-reversion, registered in articles.admin): all derived from the
    # fields an author writes, by save(), and together several times the size of the Markdown (the
    # KaTeX HTML, two plain texts, the report). Serialising them was most of the cost of a revision.
    # A revert writes the row with a raw save; articles.signals derives them again.
    NOT_IN_REVISIONS = (*RENDERED_FIELDS, *FINDINGS_FIELDS)

    def derived_missing(self) -> bool:
        """True when the rendered fields are not those of this body and the current renderer:
        a row restored from a revision (which does not keep them), or from an older dump."""
        from articles.render import from_report

        if self.body and not self.body_html:
            return True
        return from_report(self.render_report, self.body or "") is None

    def derive_all(self) -> None:
        """Render, and store the findings and derived keys, without writing (the caller does):
        for a row written by a raw save (a revision's revert), which bypasses save()."""
        self.render_body()
        self.refresh_derived(check_findings=True)

    def render_body(self) -> None:
        """Render and sanitize the Markdown once, here, so readers get stored HTML."""
        from articles.body_images import responsive_images

        given = self.__dict__.pop("_prerendered", None)
        if given and given[0] == self.body:
            derived = given[1] if isinstance(given[1], BodyDerived) else BodyDerived.of(given[1])
        else:
            derived = derive_body(self.body)
        rendered = derived.rendered
        self._rendered = rendered  # for the editorial findings stored by save()
        # Idempotent; for a rendering made ahead of the write (importer workers), before its
        # images were stored, this is what adds their srcsets. The renderer itself adds them for
        # the images in storage when it runs (articles.render), so a rendering made with all of
        # them stored already has every one.
        images_stored = bool(given and given[0] == self.body and given[2])
        self.body_html = rendered.html if images_stored else responsive_images(rendered.html)
        self.word_count = rendered.word_count
        self.render_report = derived.report
        # Folding and lower-casing go character by character (the parts meet at a line break,
        # so not even a final sigma differs): the same as folding the whole text at once.
        head = fold_accents(f"{self.title}\n{self.description}\n").lower()
        self.search_text = head + derived.folded_text
        self.plain_text = derived.plain_text


class Byline(models.Model):
    """An author's place in an article's byline; `position` keeps the order of the source."""

    article = models.ForeignKey(
        Article, on_delete=models.CASCADE, related_name="bylines", verbose_name=_("cikk")
    )
    author = models.ForeignKey(
        Author, on_delete=models.PROTECT, related_name="bylines", verbose_name=_("szerző")
    )
    position = models.PositiveSmallIntegerField(_("sorrend"), default=0)

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("szerzőség")
        verbose_name_plural = _("szerzőségek")
        constraints = [
            models.UniqueConstraint(fields=["article", "author"], name="byline_unique_author"),
        ]

    def __str__(self) -> str:
        return f"{self.author} ({self.position})"


class EditorDraft(models.Model):
    """An editor's unsaved title and body, autosaved while typing (one per user and article).

    Never published and never a public version: the reader site and the revision history know
    nothing of it. Saving the article removes it; an add form's draft has no article yet.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="cikk_drafts"
    )
    article = models.ForeignKey(
        Article, on_delete=models.CASCADE, null=True, blank=True, related_name="editor_drafts"
    )
    title = models.CharField(_("cím"), max_length=300, blank=True)
    body = models.TextField(_("szöveg"), blank=True)
    # The article's version the draft started from (None for a new article).
    base_version = models.PositiveIntegerField(null=True, blank=True)
    updated_at = models.DateTimeField(_("mentve"), auto_now=True)

    class Meta:
        verbose_name = _("automatikus piszkozat")
        verbose_name_plural = _("automatikus piszkozatok")
        constraints = [
            models.UniqueConstraint(fields=["user", "article"], name="editordraft_user_article"),
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(article__isnull=True),
                name="editordraft_user_new_article",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.title or '–'}"


class ShareLink(models.Model):
    """A preview link for an outside reviewer: the token is `key` signed with the site's
    secret (articles.sharing); expiry and revocation live here, so a link can be withdrawn."""

    key = models.CharField(max_length=64, unique=True, editable=False)
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="share_links")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("létrehozva"), auto_now_add=True)
    expires_at = models.DateTimeField(_("lejár"))
    revoked_at = models.DateTimeField(_("visszavonva"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("megosztási link")
        verbose_name_plural = _("megosztási linkek")

    def __str__(self) -> str:
        return f"{self.article} ({self.expires_at:%Y-%m-%d})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()


class ContentVersion(models.Model):
    """One row: the site's content version, moved by every write that can change a public page.

    Database triggers (migration 0007_scale) bump it in the writing transaction itself, whatever
    writes: the admin, a queryset update, the importer's bulk inserts, raw SQL. Readers' cache
    keys, ETags and Last-Modified derive from it (blog/caching.py), so the first request after
    a commit, in any worker on any app server, sees the change. See articles/versioning.py."""

    value = models.BigIntegerField(default=1)
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("tartalomváltozat")
        verbose_name_plural = _("tartalomváltozatok")

    def __str__(self) -> str:
        return str(self.value)

"""Re-render every article's stored HTML with the current renderer.

Readers get `body_html` as stored at save time, so after the renderer changes (a new extension,
a sanitizer fix) stored pages are stale until this runs. A re-render is not an editorial edit:
rows are written with a queryset update of `body_html` and `search_text` only, so `version`,
`updated_at` and "edited since import" stay as they were. A row whose version changed while we
rendered (an editor saved it meanwhile, which renders it anyway) is left alone.

    python manage.py rerender_articles [SLUG ...] [--dry-run]
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandParser

from articles.checks import store_findings
from articles.models import Article

# Below this many articles a progress line is just noise.
PROGRESS_MIN = 50


class Command(BaseCommand):
    help = (
        "Re-render the stored HTML of articles (all, or the given slugs) with the current renderer."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slugs", nargs="*", help="only these articles (default: all)")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="render and report how many would change, write nothing",
        )

    def handle(self, *args, **options) -> None:
        verbosity: int = options["verbosity"]
        dry_run: bool = options["dry_run"]
        fields = (*Article.RENDERED_FIELDS, *Article.FINDINGS_FIELDS)
        articles = Article.objects.order_by("pk")
        if options["slugs"]:
            articles = articles.filter(slug__in=options["slugs"])
            missing = set(options["slugs"]) - set(articles.values_list("slug", flat=True))
            for slug in sorted(missing):
                self.stderr.write(self.style.WARNING(f"no article with slug {slug!r}"))

        total = articles.count()
        progress = verbosity >= 1 and total >= PROGRESS_MIN and self.stdout.isatty()
        changed = skipped = 0
        for index, article in enumerate(articles.iterator(chunk_size=200), start=1):
            old = [getattr(article, name) for name in fields]
            article.render_body()
            # The stored findings follow the renderer too (removed HTML, warnings).
            store_findings(article, article.__dict__.pop("_rendered", None))
            new = {name: getattr(article, name) for name in fields}
            if list(new.values()) == old:
                if verbosity >= 3:
                    self.stdout.write(f"unchanged  {article.slug}")
            elif dry_run:
                changed += 1
                if verbosity >= 2:
                    self.stdout.write(f"would change  {article.slug}")
            else:
                written = Article.objects.filter(pk=article.pk, version=article.version).update(
                    **new
                )
                if written:
                    changed += 1
                    if verbosity >= 2:
                        self.stdout.write(f"changed  {article.slug}")
                else:
                    skipped += 1
                    if verbosity >= 1:
                        self.stdout.write(
                            self.style.WARNING(f"skipped  {article.slug} (edited meanwhile)")
                        )
            if progress:
                self.stdout.write(f"\r{index}/{total}", ending="")
        if progress:
            self.stdout.write("")

        if verbosity >= 1:
            verb = "would change" if dry_run else "changed"
            unchanged = total - changed - skipped
            summary = f"{total} articles rendered, {changed} {verb}, {unchanged} unchanged"
            if skipped:
                summary += f", {skipped} skipped"
            self.stdout.write(self.style.SUCCESS(summary + (" (dry run)" if dry_run else "")))

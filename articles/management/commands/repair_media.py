"""Recreate missing renditions of the images articles use, then refresh their stored HTML.

A rendition that could not be made when its image was stored (a full disk, an encoder error,
a bucket that refused a write) is logged and left out of every srcset; this command makes it
and re-renders the articles whose pages can now list it (through rerender_articles, so the
rules about concurrent edits stay in one place). Covers (imported or uploaded in the admin) list
their renditions when a page is served: other app servers see a repaired cover within a minute
(articles.renditions.PARTIAL_RECHECK_S).

    python manage.py repair_media [--dry-run]

Exit status 1 when a rendition still cannot be made.
"""

from __future__ import annotations

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from articles.body_images import intrinsic_size
from articles.media_files import referenced_images
from articles.models import Article
from articles.renditions import (
    RenditionReport,
    forget_renditions,
    make_renditions,
    missing_renditions,
)
from articles.versioning import bump_content_version


class Command(BaseCommand):
    help = "Recreate missing renditions of the images articles use, and refresh their pages."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="list what is missing, write nothing"
        )

    def handle(self, *args, **options) -> None:
        verbosity: int = options["verbosity"]
        dry_run: bool = options["dry_run"]
        repaired: list[str] = []
        failed: list[tuple[str, str]] = []
        missing_total = written_total = 0
        # Content-addressed images articles refer to (width from the file's header), and the
        # covers uploaded in the admin (`covers/…`, width stored with the article).
        widths: dict[str, int | None] = dict.fromkeys(referenced_images())
        covers = Article.objects.exclude(image="").values_list("image", "image_width")
        widths.update({name: width for name, width in covers.order_by() if width})
        names = sorted(widths)
        for name in names:
            width = widths[name] or (intrinsic_size(name) or (None,))[0]
            if not width:
                failed.append((name, "the stored image cannot be read"))
                continue
            missing = missing_renditions(name, width)
            if not missing:
                continue
            missing_total += len(missing)
            if dry_run:
                if verbosity >= 1:
                    listed = ", ".join(r.name for r in missing)
                    self.stdout.write(f"missing  {name}: {listed}")
                continue
            report = RenditionReport()
            make_renditions(name, width=width, report=report)
            failed.extend(report.failed)
            written_total += len(report.written)
            forget_renditions(name)
            if report.written:
                repaired.append(name)
                if verbosity >= 1:
                    self.stdout.write(f"repaired  {name}: {len(report.written)} renditions")
        for name, reason in failed:
            self.stderr.write(self.style.ERROR(f"failed  {name}: {reason}"))

        if repaired:
            # Pages list only renditions that exist (covers are listed when the page is made):
            # the next request of every page, cached or not, must see the new ones.
            bump_content_version()
            slugs = self._articles_using(repaired)
            if slugs:
                call_command("rerender_articles", *slugs, verbosity=verbosity, stdout=self.stdout)
        if verbosity >= 1:
            if dry_run:
                done = f"{missing_total} renditions missing (dry run)"
            else:
                done = f"{written_total} renditions recreated"
            self.stdout.write(
                self.style.SUCCESS(f"{len(names)} images checked, {done}, {len(failed)} failed")
            )
        if failed:
            raise CommandError(f"{len(failed)} renditions could not be made (see above)")

    @staticmethod
    def _articles_using(names: list[str]) -> list[str]:
        """Slugs of the articles whose body refers to one of `names` (covers need no
        re-render: their srcsets are listed when a page is served)."""
        hashes = {name.split("/", 1)[1][:32] for name in names}
        slugs = []
        for slug, html in Article.objects.values_list("slug", "body_html").order_by("pk"):
            if any(h in html for h in hashes):
                slugs.append(slug)
        return slugs

"""Remove content-addressed media files that no article refers to. Dry run unless --delete.

Images are stored once under a content-hash name and shared by every article that uses the
same bytes, so no writer deletes one when it fails (another may have committed an article that
uses it meanwhile). Files left behind that way, or by deleted articles, are removed here,
explicitly: first run it without --delete and read the list.

A file counts as referenced when any article (cover, Markdown, stored HTML, unknown frontmatter
keys) or any saved revision of an article mentions its hash; files written in the last
--older-than hours are kept, as an import or an editor's upload may be about to use them.

    python manage.py cleanup_media [--delete] [--older-than HOURS]
"""

from __future__ import annotations

from datetime import timedelta

from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandError, CommandParser

from articles.media_files import unreferenced_files
from articles.renditions import forget_renditions


class Command(BaseCommand):
    help = "List (or with --delete, remove) content-addressed media files no article uses."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--delete", action="store_true", help="really delete (default: only list them)"
        )
        parser.add_argument(
            "--older-than",
            type=float,
            default=24.0,
            metavar="HOURS",
            help="keep files written in the last HOURS hours (default 24)",
        )

    def handle(self, *args, **options) -> None:
        verbosity: int = options["verbosity"]
        delete: bool = options["delete"]
        hours: float = options["older_than"]
        if hours < 0:
            raise CommandError("--older-than must be 0 or more hours")
        files = unreferenced_files(older_than=timedelta(hours=hours))
        total_bytes = sum(f.size or 0 for f in files)
        verb = "deleted" if delete else "would delete"
        for stored in files:
            if delete:
                default_storage.delete(stored.name)
            if verbosity >= 2 or (verbosity >= 1 and not delete):
                self.stdout.write(f"{verb}  {stored.name}")
        if delete and files:
            forget_renditions()
        if verbosity >= 1:
            summary = f"{len(files)} unreferenced files ({total_bytes / 1_048_576:.1f} MB) {verb}"
            if not delete and files:
                summary += "; run again with --delete to remove them"
            self.stdout.write(self.style.SUCCESS(summary))

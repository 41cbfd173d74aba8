"""Write every article back as Markdown with YAML frontmatter, images beside it.

    python manage.py export_articles DIR

One `<slug>.md` per article (all frontmatter, unknown keys included) and its images under
`DIR/kepek/`, so `import_articles DIR` into an empty database gives the same articles.
Nothing in DIR is deleted; `<slug>.md` files are overwritten. Output is in English.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from articles.importing import export_articles


class Command(BaseCommand):
    help = "Export every article as <slug>.md (frontmatter + Markdown) with its images."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("directory", metavar="DIR", help="folder to write into")

    def handle(self, *args, **options) -> None:
        directory = Path(options["directory"])
        if directory.exists() and not directory.is_dir():
            raise CommandError(f"{directory} exists and is not a folder")
        count = 0
        for exported in export_articles(directory):
            count += 1
            if options["verbosity"] >= 1:
                images = f" ({exported.images} images)" if exported.images else ""
                self.stdout.write(f"exported: {exported.path}{images}")
        if options["verbosity"] >= 1:
            self.stdout.write(self.style.SUCCESS(f"{count} articles exported to {directory}"))

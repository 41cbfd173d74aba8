"""Run the editorial checks (articles.checks) and print the findings per article.

    python manage.py check_articles [--slug SLUG ...] [--errors-only]

Exit status 1 when any error-level finding exists, so CI or a release script can stop on it.
The findings are stored on the articles too, for the admin list (articles.checks).
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from articles.checks import apply_findings, check_articles
from articles.models import Article


class Command(BaseCommand):
    help = "Runs the editorial checks on articles; exits 1 when any error-level finding exists."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--slug",
            action="append",
            default=[],
            help="Check only this article (may be repeated).",
        )
        parser.add_argument(
            "--errors-only", action="store_true", help="Print error-level findings only."
        )

    def handle(self, *args, **options) -> None:
        verbosity = options["verbosity"]
        slugs = options["slug"]
        articles = Article.objects.order_by("slug")
        if slugs:
            articles = articles.filter(slug__in=slugs)
            missing = sorted(set(slugs) - set(articles.values_list("slug", flat=True)))
            if missing:
                raise CommandError(f"no article with slug: {', '.join(missing)}")
        articles = list(articles)
        findings_by_pk = check_articles(articles)
        errors = warnings = 0
        for article in articles:
            findings = findings_by_pk[article.pk]
            if options["errors_only"]:
                findings = [f for f in findings if f.is_error]
            errors += sum(1 for f in findings if f.is_error)
            warnings += sum(1 for f in findings if not f.is_error)
            if verbosity >= 1 and (findings or verbosity >= 2):
                self.stdout.write(self.style.MIGRATE_HEADING(f"{article.slug}: {article.title}"))
                if not findings:
                    self.stdout.write("  ok")
                for finding in findings:
                    style = self.style.ERROR if finding.is_error else self.style.WARNING
                    self.stdout.write(
                        "  " + style(f"{finding.level} [{finding.code}]") + f" {finding.message}"
                    )
        # The admin list reads these: keep them current (one UPDATE per 200 articles).
        for article in articles:
            apply_findings(article, findings_by_pk[article.pk])
        Article.objects.bulk_update(articles, Article.FINDINGS_FIELDS, batch_size=200)
        summary = f"{len(articles)} article(s) checked: {errors} error(s), {warnings} warning(s)"
        if errors:
            raise CommandError(summary, returncode=1)
        if verbosity >= 1:
            self.stdout.write(self.style.SUCCESS(summary))

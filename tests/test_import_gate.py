"""The release gate on the import route (issue 14): a `released: yes` file whose editorial checks
find errors is imported but kept unpublished (`held:`), and the command fails, unless
--allow-errors."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from articles.checks import check_article, has_errors
from articles.importing import CREATED, HELD, UNCHANGED, UPDATED, import_paths
from articles.models import Article
from tests.import_helpers import article_file, db_state, releasable_file

pytestmark = pytest.mark.django_db

# An error under today's rules (a TODO left in the text, an unbalanced formula); the rules
# themselves live in articles/checks.py.
FLAWED_BODY = "Bevezető.\n\nTODO kell kép is\n\nKéplet: $$\\frac{a}{b$$\n"


def run(*args: str) -> tuple[str, CommandError | None]:
    out = io.StringIO()
    try:
        call_command("import_articles", *args, stdout=out)
    except CommandError as exc:
        return out.getvalue(), exc
    return out.getvalue(), None


def test_a_released_file_with_errors_is_imported_as_a_draft_and_held(tmp_path):
    path = releasable_file(tmp_path, body=FLAWED_BODY)
    output, error = run(str(path))

    article = Article.objects.get()
    assert article.body == FLAWED_BODY  # the content is imported…
    assert article.released is False  # …but not published
    assert Client().get(article.get_absolute_url()).status_code == 404
    assert has_errors(check_article(article))
    (line,) = [line for line in output.splitlines() if line.startswith("held: ")]
    assert str(path) in line and "TODO" in line and "--allow-errors" in line
    assert "0 created" in output and "1 held" in output
    assert error is not None and "1 of 1 files were held back as drafts" in str(error)


def test_allow_errors_publishes_and_still_shows_the_errors(tmp_path):
    path = releasable_file(tmp_path, body=FLAWED_BODY)
    output, error = run(str(path), "--allow-errors")
    assert error is None
    assert Article.objects.get().released is True
    assert f"created: {path}" in output
    assert "warning: released despite editorial errors (--allow-errors):" in output


def test_a_held_file_stays_held_until_fixed_or_allowed(tmp_path):
    path = releasable_file(tmp_path, body=FLAWED_BODY)
    assert import_paths([path])[0].status == HELD
    version = Article.objects.get().version
    state = db_state()

    again = import_paths([path])[0]  # unchanged: no write, still reported as held
    assert again.status == HELD and "unchanged since it was held back" in again.reason
    assert db_state() == state

    allowed = import_paths([path], allow_errors=True)[0]
    assert allowed.status == UPDATED
    article = Article.objects.get()
    assert article.released is True and article.version == version + 1
    assert import_paths([path])[0].status == UNCHANGED  # now imported as it is

    path.write_text(path.read_text().replace("TODO kell kép is", "Kész.").replace("{b$$", "{b}$$"))
    fixed = import_paths([path])[0]
    assert fixed.status == UPDATED, fixed.reason
    assert Article.objects.get().released is True


def test_a_fixed_file_after_a_hold_is_published(tmp_path):
    path = releasable_file(tmp_path, body=FLAWED_BODY)
    assert import_paths([path])[0].status == HELD
    path.write_text(path.read_text().replace("TODO kell kép is", "Kész.").replace("{b$$", "{b}$$"))
    assert import_paths([path])[0].status == UPDATED
    assert Article.objects.get().released is True


def test_drafts_and_clean_files_pass_the_gate(tmp_path):
    draft = article_file(
        tmp_path, "piszkozat.md", title="Piszkozat", released="no", body=FLAWED_BODY
    )
    clean = releasable_file(tmp_path, "tiszta.md", title="Tiszta")
    outcomes = import_paths([draft, clean])
    assert [o.status for o in outcomes] == [CREATED, CREATED]
    assert Article.objects.get(slug="piszkozat").released is False
    assert Article.objects.get(slug="tiszta").released is True


def test_a_dry_run_reports_held_and_writes_nothing(tmp_path):
    path = releasable_file(tmp_path, body=FLAWED_BODY)
    before = db_state()
    output, error = run(str(path), "--dry-run")
    assert output.startswith("held: ") and error is not None
    assert db_state() == before


def test_the_held_revision_records_the_draft(tmp_path):
    from reversion.models import Version

    path = releasable_file(tmp_path, body=FLAWED_BODY)
    import_paths([path])
    (version,) = Version.objects.get_for_object(Article.objects.get())
    assert version.field_dict["released"] is False


def test_links_are_checked_against_the_articles_they_name(tmp_path):
    target = releasable_file(tmp_path, "a-cel.md", title="Cél")
    draft = article_file(tmp_path, "b-vazlat.md", title="Vázlat", released="no")
    linking = releasable_file(
        tmp_path, "c-hivatkozo.md", title="Hivatkozó", body="Lásd [a célt](/cikk/cel/).\n"
    )
    to_draft = releasable_file(
        tmp_path, "d-vazlatra.md", title="Vázlatra", body="Lásd [ezt](/cikk/vazlat/).\n"
    )
    to_nothing = releasable_file(
        tmp_path, "e-semmire.md", title="Semmire", body="Lásd [ezt](/cikk/nincs-ilyen/).\n"
    )
    outcomes = import_paths([target, draft, linking, to_draft, to_nothing])
    assert [o.status for o in outcomes] == [CREATED, CREATED, CREATED, HELD, HELD]
    assert "/cikk/vazlat/" in outcomes[3].reason
    assert "/cikk/nincs-ilyen/" in outcomes[4].reason


def test_the_gate_reads_only_the_linked_articles(tmp_path):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import make_article

    for i in range(30):
        make_article(f"Régi {i}", body="x")
    linking = releasable_file(tmp_path, title="Hivatkozó", body="[régi](/cikk/regi-3/)\n")
    with CaptureQueriesContext(connection) as queries:
        assert import_paths([linking])[0].status == CREATED
    # The checks' one read of other articles (articles.checks.CheckContext.load): by the
    # linked slug (and the description's digests, from their indexes), never all 30.
    context_reads = [q["sql"] for q in queries if q["sql"].startswith('SELECT "id", "slug"')]
    assert len(context_reads) == 1 and "\"slug\" IN ('regi-3')" in context_reads[0], context_reads

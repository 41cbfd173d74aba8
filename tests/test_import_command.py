"""`manage.py import_articles`: the report, the summary, verbosity, exit status, options."""

from __future__ import annotations

import io
import shutil
import sys

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from articles.importing import source_key
from articles.management.commands.import_articles import Command
from articles.models import Article
from tests.import_helpers import CONTENT_DIR, article_file, db_state, media_files, png_bytes

pytestmark = pytest.mark.django_db


def run(*args: str, **options) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_articles", *args, stdout=out, stderr=err, no_color=True, **options)
    return out.getvalue(), err.getvalue()


def test_one_line_per_file_and_a_summary(tmp_path):
    article_file(tmp_path, "a.md", title="Első")
    article_file(tmp_path, "b.md", title="Második", body="![x](/nincs.png)\n", released="no")
    (tmp_path / "jegyzet.txt").write_text("csak jegyzet\n", encoding="utf-8")

    out, _err = run(str(tmp_path))

    lines = out.splitlines()
    assert lines[0] == f"created: {tmp_path / 'a.md'}"
    assert lines[1] == f"created: {tmp_path / 'b.md'}"
    assert lines[2].startswith("    warning: image not found: /nincs.png (looked for ")
    assert lines[3] == f"skipped: {tmp_path / 'jegyzet.txt'}: no frontmatter, not an article"
    assert lines[4].startswith(
        "3 files: 2 created, 0 updated, 0 unchanged, 1 skipped, 0 held, 0 failed in "
    )
    assert Article.objects.count() == 2

    again, _err = run(str(tmp_path))
    assert again.splitlines()[0] == f"unchanged: {tmp_path / 'a.md'}"
    assert "0 created, 0 updated, 2 unchanged, 1 skipped, 0 held, 0 failed" in again


def test_a_failed_file_is_reported_and_the_command_fails(tmp_path):
    article_file(tmp_path, "a.md", title="Jó")
    (tmp_path / "b.md").write_text('---\ntitle: "x"\ndate: 2024-01-01\nreleased: maybe\n---\n')
    out = io.StringIO()

    with pytest.raises(CommandError, match="1 of 2 files failed to import"):
        call_command("import_articles", str(tmp_path), stdout=out, no_color=True)

    text = out.getvalue()
    assert f"failed: {tmp_path / 'b.md'}: released must be yes/no, got 'maybe'" in text
    assert "1 created, 0 updated, 0 unchanged, 0 skipped, 0 held, 1 failed" in text
    assert Article.objects.get().title == "Jó"


def test_exit_status_is_non_zero_when_a_file_failed(tmp_path, capsys):
    (tmp_path / "rossz.md").write_text("nincs frontmatter\n", encoding="utf-8")

    with pytest.raises(SystemExit) as exit_info:
        Command().run_from_argv(
            ["manage.py", "import_articles", str(tmp_path), "--no-color", "--skip-checks"]
        )

    assert exit_info.value.code == 1
    captured = capsys.readouterr()
    assert "failed:" in captured.out and "no frontmatter" in captured.out
    assert "1 of 1 files failed to import" in captured.err


def test_exit_status_is_zero_when_nothing_failed(tmp_path, capsys):
    article_file(tmp_path)
    Command().run_from_argv(["manage.py", "import_articles", str(tmp_path), "--skip-checks"])
    assert "1 created" in capsys.readouterr().out


def test_verbosity_zero_prints_only_failures(tmp_path):
    article_file(tmp_path, "a.md", title="Jó", body="![x](/nincs.png)\n", released="no")
    (tmp_path / "b.md").write_text("---\n- lista\n---\n", encoding="utf-8")
    out = io.StringIO()

    with pytest.raises(CommandError):
        call_command("import_articles", str(tmp_path), stdout=out, verbosity=0, no_color=True)

    assert out.getvalue().splitlines() == [
        f"failed: {tmp_path / 'b.md'}: the frontmatter must be 'key: value' lines, "
        "got a list instead"
    ]


def test_dry_run_reports_and_writes_nothing(tmp_path):
    (tmp_path / "kep.png").write_bytes(png_bytes())
    article_file(tmp_path, body="![x](kep.png)\n")
    before, media_before = db_state(), media_files()

    out, _err = run(str(tmp_path), "--dry-run")

    assert out.splitlines()[0] == f"created: {tmp_path / 'cikk.md'}"
    assert "(dry run: nothing was written)" in out
    assert db_state() == before
    assert media_files() == media_before


def test_force_overwrites_an_admin_edit(tmp_path):
    path = article_file(tmp_path, body="Első.\n")
    run(str(path))
    article = Article.objects.get()
    article.title = "Szerkesztő címe"
    article.save()
    article_file(tmp_path, body="Második.\n")

    out, _err = run(str(path))
    assert f"skipped: {path}: edited since last import (use --force)" in out
    assert Article.objects.get().title == "Szerkesztő címe"

    out, _err = run(str(path), "--force")
    assert f"updated: {path}" in out
    assert Article.objects.get().title == "Próba cikk"


def test_assets_option_and_a_missing_assets_folder(tmp_path):
    assets = tmp_path / "eszkozok"
    (assets / "NVIDIA").mkdir(parents=True)
    (assets / "NVIDIA" / "nvda.png").write_bytes(png_bytes())
    path = article_file(tmp_path / "cikkek", body="![x](/NVIDIA/nvda.png)\n")

    out, _err = run(str(path), "--assets", str(assets))
    assert "warning" not in out
    assert "/media/images/" in Article.objects.get().body

    with pytest.raises(CommandError, match=r"--assets .*nincs: no such folder"):
        run(str(path), "--assets", str(tmp_path / "nincs"))


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_progress_bar_goes_to_stderr_only_on_a_terminal(tmp_path, monkeypatch):
    for i in range(25):
        article_file(tmp_path, f"{i:02}.md", title=f"Cikk {i}")
    fake_stderr = io.StringIO()
    monkeypatch.setattr("sys.stderr", fake_stderr)

    call_command("import_articles", str(tmp_path), stdout=_Terminal(), no_color=True)
    assert "[##############################] 25/25" in fake_stderr.getvalue()

    quiet_stderr = io.StringIO()
    monkeypatch.setattr("sys.stderr", quiet_stderr)
    call_command("import_articles", str(tmp_path), stdout=io.StringIO(), no_color=True)
    assert quiet_stderr.getvalue() == ""


def _rows() -> list[tuple]:
    """Every column an import writes (keys and timestamps aside), in slug order."""
    return list(
        Article.objects.order_by("slug").values_list(
            "slug", "title", "description", "body", "body_html", "search_text", "date",
            "released", "image", "image_width", "image_height", "image_source", "source_path",
            "source_checksum", "extra", "version", "imported_version", "plain_text",
            "word_count", "render_report", "findings", "finding_errors", "finding_warnings",
            "description_key", "content_hash",
        )
    )  # fmt: skip


def _parallel_fixture(folder) -> None:
    """The sample articles with their images, plus a broken file, a file claiming the slug
    of the file right before it (still being rendered when it is read) and an unchanged
    re-run's worth of small files."""
    shutil.copytree(CONTENT_DIR, folder / "content")
    article_file(folder, "a-dupla-1.md", title="Dupla cím", body="Első **változat**.\n")
    article_file(folder, "a-dupla-2.md", title="Dupla cím", body="Második változat.\n")
    (folder / "b-rossz.md").write_text('---\ntitle: "x"\nreleased: maybe\n---\n')
    for i in range(6):
        article_file(
            folder,
            f"c-{i}.md",
            title=f"Kicsi {i}",
            body=f"$$x_{i}$$ és ![k](/nincs-{i}.png)\n",
            released="no",  # a missing image holds a released file back
        )


def _import_reporting(folder, jobs: str, *options: str) -> list[str]:
    out = io.StringIO()
    with pytest.raises(CommandError, match="2 of 14 files failed"):
        call_command(
            "import_articles", str(folder), "--jobs", jobs, *options, stdout=out, no_color=True
        )
    lines = out.getvalue().splitlines()
    return [*lines[:-1], lines[-1].rsplit(" in ", 1)[0]]  # the summary without its timing


def test_jobs_2_writes_the_same_rows_and_report_as_jobs_1(tmp_path):
    _parallel_fixture(tmp_path)

    serial_report = _import_reporting(tmp_path, "1")
    serial_rows, serial_media = _rows(), media_files()
    assert len(serial_rows) == 12 and serial_media
    Article.objects.all().delete()

    parallel_report = _import_reporting(tmp_path, "2")

    assert _rows() == serial_rows
    assert media_files() == serial_media
    assert parallel_report == serial_report
    assert f"failed: {tmp_path / 'a-dupla-2.md'}: slug 'dupla-cim' already used by " in (
        "\n".join(parallel_report)
    )
    assert parallel_report[-1] == (
        "14 files: 12 created, 0 updated, 0 unchanged, 0 skipped, 0 held, 2 failed"
    )


def test_jobs_must_be_positive(tmp_path):
    article_file(tmp_path)
    with pytest.raises(CommandError, match="--jobs 0: must be at least 1"):
        run(str(tmp_path), "--jobs", "0")


def test_a_dry_run_with_jobs_2_reports_like_jobs_1_and_writes_nothing(tmp_path):
    _parallel_fixture(tmp_path)

    serial_report = _import_reporting(tmp_path, "1", "--dry-run")
    parallel_report = _import_reporting(tmp_path, "2", "--dry-run")

    assert parallel_report == serial_report
    # Nothing is written in a dry run, so only the run's own bookkeeping can tell that the
    # file read while its twin was still being rendered claims a slug already taken.
    assert f"failed: {tmp_path / 'a-dupla-2.md'}: slug 'dupla-cim' already used by " in (
        "\n".join(parallel_report)
    )
    assert not Article.objects.exists() and not media_files()


def test_the_progress_line_shows_a_rate_and_the_time_left():
    from articles.management.commands.import_articles import _Progress

    now = [100.0]
    progress = _Progress(1000, clock=lambda: now[0])
    progress.stream = io.StringIO()
    now[0] += 4.0
    progress.draw(120)  # 30 files/s, 880 to go: 29 s
    now[0] += 31.0
    progress.draw(1000)
    first, last = progress.stream.getvalue().split("\r")[1:]
    assert first == "[" + "#" * 3 + "-" * 27 + "] 120/1000  30.0 files/s  0:29 left"
    assert last == "[##############################] 1000/1000  28.6 files/s  done in 0:35"


def test_the_terminal_progress_keeps_one_line_per_file_on_stdout(tmp_path, monkeypatch):
    for i in range(21):
        article_file(tmp_path, f"{i:02}.md", title=f"Cikk {i}")
    monkeypatch.setattr("sys.stderr", io.StringIO())
    out = _Terminal()
    call_command("import_articles", str(tmp_path), stdout=out, no_color=True)
    lines = out.getvalue().splitlines()
    assert sum(line.startswith("created: ") for line in lines) == 21
    assert "files/s" in sys.stderr.getvalue() and "21/21" in sys.stderr.getvalue()


def test_a_moved_file_says_how_and_takes_the_article_over_with_force(tmp_path):
    old = article_file(tmp_path / "regi", body="Eredeti.\n")
    call_command("import_articles", str(old), stdout=io.StringIO())
    article = Article.objects.get()
    new = tmp_path / "uj" / "cikk.md"
    new.parent.mkdir()
    old.rename(new)

    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_articles", str(new), stdout=out)
    message = out.getvalue()
    assert f"failed: {new}: slug 'proba-cikk' belongs to the article imported from" in message
    assert "which no longer exists" in message and "import it again with --force" in message

    out = io.StringIO()
    call_command("import_articles", str(new), "--force", stdout=out)
    assert f"updated: {new}" in out.getvalue()
    assert "took over the article imported from" in out.getvalue()
    adopted = Article.objects.get()
    assert (adopted.pk, adopted.slug) == (article.pk, article.slug)
    assert adopted.source_path == source_key(new) != article.source_path
    # The old path is forgotten: importing the new path again is "unchanged".
    out = io.StringIO()
    call_command("import_articles", str(new), stdout=out)
    assert f"unchanged: {new}" in out.getvalue()


def test_a_copy_beside_the_original_is_refused_even_with_force(tmp_path):
    first = article_file(tmp_path / "a")
    call_command("import_articles", str(first), stdout=io.StringIO())
    copy = article_file(tmp_path / "b")
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_articles", str(copy), "--force", stdout=out)
    assert "(that file still exists): give one of the two files another 'slug:'" in out.getvalue()
    assert Article.objects.get().source_path == source_key(first)

"""Import Markdown + YAML frontmatter files (or folders of them) as articles.

    python manage.py import_articles content/ [more paths] [--assets DIR] [--dry-run] [--force]
                                     [--jobs N] [--time-limit SECONDS] [--allow-errors]

One line per file — created / updated / unchanged / skipped: reason / held: reasons / failed:
reason — with findings (warnings such as a missing image) indented under it, then a summary.
Each file is imported in its own transaction; a failed file changes nothing and the others still
import. A `released: yes` file whose editorial checks find errors is imported as a draft and
reported as held, unless --allow-errors. The exit status is non-zero when any file failed or was
held. Output is in English (operator-facing).

Rendering Markdown is most of the cost of a first import, so a large run renders in worker
processes (--jobs, default: one per CPU from PARALLEL_MIN_FILES files on) while this process
reads, checks and writes each file in its own transaction, in the same order as with --jobs 1.
"""

from __future__ import annotations

import os
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from articles.importing import (
    CREATED,
    DEFAULT_TIME_LIMIT,
    FAILED,
    HELD,
    SKIPPED,
    STATUSES,
    UNCHANGED,
    UPDATED,
    Importer,
    Outcome,
    find_sources,
)

# Below this many files a progress bar is just noise.
PROGRESS_MIN_FILES = 20
# Below this many files starting worker processes (~1 s) costs more than it saves.
PARALLEL_MIN_FILES = 50


def cpu_count() -> int:
    """CPUs this process may run on (a container's limit, not the host's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class Command(BaseCommand):
    help = (
        "Import articles from Markdown files with YAML frontmatter (files or folders, "
        "recursively *.md, *.markdown, *.txt). A file without 'released:' is imported as a draft."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="+", metavar="PATH", help="files or folders")
        parser.add_argument(
            "--assets",
            metavar="DIR",
            help="folder where absolute image paths such as /NVIDIA/nvda.png are looked up "
            "(default: the folder of each file)",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="check everything (images included) and report, but write nothing",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="overwrite articles edited in the admin since their last import, and let a "
            "moved file take over the article imported from its old path",
        )
        parser.add_argument(
            "--allow-errors",
            action="store_true",
            help="publish a 'released: yes' file even when the editorial checks find errors "
            "(without it, such a file is imported as a draft and reported as held)",
        )
        parser.add_argument(
            "--time-limit",
            type=float,
            metavar="SECONDS",
            default=DEFAULT_TIME_LIMIT,
            help="seconds one file may take to be read, checked and rendered; a file over it "
            f"fails and nothing of it is written (default: {DEFAULT_TIME_LIMIT:g}; 0: no limit)",
        )
        parser.add_argument(
            "--jobs",
            type=int,
            metavar="N",
            help="render in N worker processes (default: one per CPU for "
            f"{PARALLEL_MIN_FILES}+ files, else 1; 1 renders in this process)",
        )

    def handle(self, *args, **options) -> None:
        assets = options["assets"]
        if assets is not None and not Path(assets).is_dir():
            raise CommandError(f"--assets {assets}: no such folder")
        jobs = options["jobs"]
        if jobs is not None and jobs < 1:
            raise CommandError(f"--jobs {jobs}: must be at least 1")
        verbosity = options["verbosity"]
        seconds = options["time_limit"]
        if seconds < 0:
            raise CommandError(f"--time-limit {seconds:g}: must be 0 (no limit) or more")
        importer = Importer(
            assets=assets,
            dry_run=options["dry_run"],
            force=options["force"],
            time_limit=seconds or None,
            allow_errors=options["allow_errors"],
        )
        paths = list(find_sources(options["paths"]))
        if jobs is None:
            jobs = cpu_count() if len(paths) >= PARALLEL_MIN_FILES else 1
        progress = _Progress(len(paths)) if self._wants_progress(len(paths)) else None
        counts: Counter[str] = Counter()
        started = time.perf_counter()
        for index, outcome in enumerate(importer.run(paths, jobs=jobs), start=1):
            counts[outcome.status] += 1
            if progress:
                progress.clear()
            self._report(outcome, verbosity)
            if progress:
                progress.draw(index)
        if progress:
            progress.clear()
        elapsed = time.perf_counter() - started
        if verbosity >= 1:
            self._summary(counts, len(paths), elapsed, options["dry_run"])
        if counts[FAILED] or counts[HELD]:
            total = len(paths)
            problems = []
            if counts[FAILED]:
                problems.append(f"{counts[FAILED]} of {total} files failed to import")
            if counts[HELD]:
                problems.append(
                    f"{counts[HELD]} of {total} files were held back as drafts because of "
                    "editorial errors (--allow-errors publishes them anyway)"
                )
            raise CommandError("; ".join(problems))

    def _wants_progress(self, total: int) -> bool:
        isatty = getattr(self.stdout, "isatty", None)
        return total >= PROGRESS_MIN_FILES and bool(isatty and isatty())

    def _report(self, outcome: Outcome, verbosity: int) -> None:
        if outcome.status in (FAILED, HELD):
            self.stdout.write(self.style.ERROR(outcome.line()))
        elif verbosity >= 1:
            style = {
                CREATED: self.style.SUCCESS,
                UPDATED: self.style.SUCCESS,
                UNCHANGED: self.style.HTTP_NOT_MODIFIED,
                SKIPPED: self.style.WARNING,
            }[outcome.status]
            self.stdout.write(style(outcome.line()))
        else:
            return
        for finding in outcome.findings:
            self.stdout.write(self.style.WARNING(f"    warning: {finding}"))

    def _summary(self, counts: Counter[str], total: int, elapsed: float, dry_run: bool) -> None:
        parts = ", ".join(f"{counts[status]} {status}" for status in STATUSES)
        line = f"{total} files: {parts} in {elapsed:.1f}s"
        if dry_run:
            line += " (dry run: nothing was written)"
        style = self.style.ERROR if counts[FAILED] or counts[HELD] else self.style.SUCCESS
        self.stdout.write(style(line))


class _Progress:
    """A one-line bar on stderr, redrawn in place; only used when stdout is a terminal.

    `[#####---------] 120/1000  35.2 files/s  0:25 left`: the rate is the run's average so far
    (unchanged files are fast, new ones slow, so a moving average would jump), the time left
    that rate applied to the files still to do. The per-file lines on stdout stay for logs."""

    WIDTH = 30

    def __init__(self, total: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.total = total
        self.stream = sys.stderr
        self.clock = clock
        self.started = clock()

    def draw(self, done: int) -> None:
        filled = self.WIDTH * done // self.total
        bar = "#" * filled + "-" * (self.WIDTH - filled)
        elapsed = max(self.clock() - self.started, 1e-6)
        rate = done / elapsed
        line = f"\r[{bar}] {done}/{self.total}  {rate:.1f} files/s"
        if done < self.total:
            line += f"  {_duration((self.total - done) / rate)} left"
        else:
            line += f"  done in {_duration(elapsed)}"
        self.stream.write(line)
        self.stream.flush()

    def clear(self) -> None:
        self.stream.write("\r\033[K")
        self.stream.flush()


def _duration(seconds: float) -> str:
    """H:MM:SS or M:SS."""
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02}:{secs:02}" if hours else f"{minutes}:{secs:02}"

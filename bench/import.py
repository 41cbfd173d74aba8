"""Benchmark: import N seed-sized articles into a fresh SQLite database, then re-import them.

    .venv/bin/python bench/import.py              # N = 1000
    .venv/bin/python bench/import.py --n 1000 5000
    .venv/bin/python bench/import.py --stub-renderer   # the importer alone, rendering stubbed
    .venv/bin/python bench/import.py --jobs 1          # rendering in the importing process
    .venv/bin/python bench/import.py --steps           # + the importing process's CPU per step

For each N: writes N variations of the articles in content/ (unique titles and slugs, bodies
made seed-sized by joining the samples' bodies, images shared from content/kepek) into a temp
folder; migrates a temp SQLite database; runs `import_articles` in a child process (so the
figures are the command's own) and reports articles/s and the child's peak RSS; then runs it
again on the unchanged files and reports files/s. Targets (issue 6): ≥ 20 articles/s on the
first import, ≥ 1,000 files/s on the unchanged re-import, and peak memory for 5,000 within 20%
of 1,000 (the importer streams: it never holds all files).

Timings are measured inside the child around the command (Django start-up excluded) and the
child's wall time is printed too. DEBUG is off in the child, so Django keeps no query log.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONTENT = ROOT / "content"
SEED = ROOT.parent / "shared" / "seeds" / "000_d6cdef30db0b064b.txt"
SEED_SIZE_FALLBACK = 27_000  # bytes, the size of the magazine's real article


def seed_size() -> int:
    return SEED.stat().st_size if SEED.exists() else SEED_SIZE_FALLBACK


def load_samples() -> list[tuple[str, str]]:
    """(frontmatter without title/slug lines, body) of every sample article."""
    samples = []
    for path in sorted(CONTENT.glob("*.md")):
        text = path.read_text(encoding="utf-8")
        _, front, body = text.split("---\n", 2)
        front = "".join(
            line + "\n" for line in front.splitlines() if not re.match(r"^(title|slug):", line)
        )
        samples.append((front, body))
    return samples


def generate(folder: Path, count: int) -> int:
    """Write `count` article files into `folder`; return the total bytes written."""
    samples = load_samples()
    bodies = [body for _front, body in samples]
    target = seed_size()
    shutil.copytree(CONTENT / "kepek", folder / "kepek")
    total = 0
    for index in range(count):
        front, _body = samples[index % len(samples)]
        parts, size, turn = [], 0, index
        while size < target:
            part = bodies[turn % len(bodies)]
            parts.append(part)
            size += len(part.encode())
            turn += 1
        text = (
            f'---\ntitle: "Mérési cikk {index:05d}"\nslug: meres-{index:05d}\n{front}---\n\n'
            + f"Bevezető a {index}. mérési cikkhez.\n\n"
            + "\n".join(parts)
        )
        path = folder / f"cikk-{index:05d}.md"
        path.write_text(text, encoding="utf-8")
        total += path.stat().st_size
    return total


class StepTimer:
    """CPU of the importing process per step of a file's import (`--steps`): each wrapped
    function's main-thread CPU (`time.thread_time`, the wrapper's own included), inner steps
    subtracted from the step around them, each SQL statement by table and verb (Django's
    `connection.execute_wrapper`), the commit; "other threads" is the process's CPU beyond the
    main thread's (the pool's result thread: reading and unpickling what the workers send)."""

    def __init__(self) -> None:
        self.totals: dict[str, float] = {}
        self.counts: dict[str, int] = {}
        self._stack: list[float] = []  # CPU of the inner steps, per open step
        self.waited = 0.0  # wall seconds in Future.result()

    def timed(self, name: str, function):
        timer = self

        def wrapper(*args, **kwargs):
            timer._stack.append(0.0)
            started = time.thread_time()
            try:
                return function(*args, **kwargs)
            finally:
                spent = time.thread_time() - started
                inner = timer._stack.pop()
                timer.totals[name] = timer.totals.get(name, 0.0) + spent - inner
                timer.counts[name] = timer.counts.get(name, 0) + 1
                if timer._stack:
                    timer._stack[-1] += spent

        return wrapper

    def patch(self, owner, attribute: str, name: str) -> None:
        setattr(owner, attribute, self.timed(name, getattr(owner, attribute)))

    def install(self) -> None:
        import reversion
        from django.db import connection
        from django.db.backends.base.base import BaseDatabaseWrapper

        import articles.importing as importing
        import articles.models as models

        self.patch(importing.Importer, "_prepare_limited", "read, parse, check images")
        self.patch(importing.Importer, "_commit", "commit: rest (ORM, Python)")
        self.patch(importing, "check_article", "editorial checks")
        self.patch(models.Article, "render_body", "render_body (srcsets, texts)")
        self.patch(importing.Importer, "_set_authors", "bylines (Python)")
        self.patch(importing.Importer, "_set_tags", "tags (Python)")
        self.patch(reversion, "add_to_revision", "revision: serialise")
        if hasattr(importing, "serialize"):
            self.patch(importing, "serialize", "revision: serialise")
            self.patch(importing, "write_revision", "revision: save (ORM, Python)")
        original = reversion.create_revision
        exit_timer = self.timed(
            "revision: save (ORM, Python)", lambda context, *exc: context.__exit__(*exc)
        )

        class TimedRevision:  # times the block's exit, where reversion writes the revision
            def __init__(self, *args, **kwargs) -> None:
                self.context = original(*args, **kwargs)

            def __enter__(self):
                return self.context.__enter__()

            def __exit__(self, *exc):
                return exit_timer(self.context, *exc)

        reversion.create_revision = TimedRevision
        self.patch(BaseDatabaseWrapper, "commit", "transaction COMMIT")
        statement = re.compile(r'^\s*(\w+)\b.*?(?:FROM|INTO|UPDATE)\s+"?(\w+)', re.S)

        def sql_timer(execute, sql, params, many, context):
            match = statement.match(sql)
            kind = f"SQL {match.group(1).upper()} {match.group(2)}" if match else "SQL other"
            return self.timed(kind, execute)(sql, params, many, context)

        connection.execute_wrappers.append(sql_timer)

        # Wall time the importing process waits for a render (idle unless the workers are
        # behind): reported apart, it is not CPU.
        from concurrent.futures import Future

        result = Future.result

        def waited(future, timeout=None):
            started = time.perf_counter()
            try:
                return result(future, timeout)
            finally:
                self.waited += time.perf_counter() - started

        Future.result = waited

    def report(self, n: int, cpu: float, main_thread: float) -> dict:
        rows = {
            name: (total / n * 1000, self.counts[name] / n) for name, total in self.totals.items()
        }
        rows["other threads (pool results)"] = ((cpu - main_thread) / n * 1000, 0.0)
        rows["(wall, not CPU) waiting for a render"] = (self.waited / n * 1000, 0.0)
        rows["main thread, outside the steps"] = (
            (main_thread - sum(self.totals.values())) / n * 1000,
            0.0,
        )
        return rows


def child(folder: str, *, stub_renderer: bool, jobs: int | None, steps: bool = False) -> None:
    """Run in the child process: import once, print figures as JSON."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    from django.core.management import call_command
    from django.core.management.base import CommandError

    from articles.models import Article

    if stub_renderer:  # attribute the time: the importer's own cost without Markdown → HTML
        import articles.importing
        from articles.models import BodyDerived
        from articles.render import Rendered

        def copy_body(self: Article) -> None:
            self.body_html, self.search_text = self.body, self.body.lower()

        Article.render_body = copy_body
        # The importer renders before its transaction (under the per-file time limit).
        articles.importing.derive_body = lambda body: BodyDerived.of(Rendered(html=body, text=body))

    timer = StepTimer() if steps else None
    if timer is not None:
        timer.install()
    started = time.perf_counter()
    cpu_started = time.process_time()
    thread_started = time.thread_time()
    failed = False
    try:
        options = {"jobs": jobs} if jobs else {}  # default: the command's own choice
        call_command("import_articles", folder, verbosity=0, **options)
    except CommandError:
        failed = True
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    main_thread = time.thread_time() - thread_started
    workers_cpu = render_workers_cpu()
    print(
        json.dumps(
            {
                "seconds": seconds,
                "cpu": cpu,
                "workers_cpu": workers_cpu,
                "failed": failed,
                "articles": Article.objects.count(),
                "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                "steps": timer.report(Article.objects.count() or 1, cpu, main_thread)
                if timer
                else None,
            }
        )
    )


def render_workers_cpu() -> float | None:
    """CPU seconds of the render worker processes and of their parent, the multiprocessing
    forkserver, read after the run (Linux /proc: its own CPU and that of the children it has
    reaped), so that the figure covers every worker from start-up to exit. None without
    workers or /proc."""
    from multiprocessing import forkserver

    pid = getattr(getattr(forkserver, "_forkserver", None), "_forkserver_pid", None)
    stat = Path(f"/proc/{pid}/stat")
    if pid is None or not stat.exists():
        return None
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:  # the forkserver reaps exited workers on SIGCHLD
        children = "".join(p.read_text() for p in Path(f"/proc/{pid}/task").glob("*/children"))
        if not children.strip():
            break
        time.sleep(0.05)
    fields = stat.read_text().rsplit(")", 1)[1].split()
    # Fields 14-17 of /proc/PID/stat (utime, stime, cutime, cstime) are fields[11:15] here:
    # the forkserver's own CPU (it may preload the renderer for the workers) and that of the
    # children it has reaped, the workers.
    ticks = sum(int(value) for value in fields[11:15])
    return ticks / os.sysconf("SC_CLK_TCK")


def run_child(
    env: dict[str, str], folder: Path, stub_renderer: bool, jobs: int | None, steps: bool = False
) -> dict:
    started = time.perf_counter()
    stub = ["--stub-renderer"] if stub_renderer else []
    stub += ["--jobs", str(jobs)] if jobs else []
    stub += ["--steps"] if steps else []
    result = subprocess.run(
        [sys.executable, __file__, "--child", str(folder), *stub],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"child failed:\n{result.stdout}\n{result.stderr}")
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    figures["wall"] = wall
    return figures


def bench(
    count: int, stub_renderer: bool = False, jobs: int | None = None, steps: bool = False
) -> dict:
    with tempfile.TemporaryDirectory(prefix="cikk-bench-") as temp:
        temp_path = Path(temp)
        folder = temp_path / "cikkek"
        folder.mkdir()
        size = generate(folder, count)
        env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{temp_path / 'bench.sqlite3'}",
            "MEDIA_ROOT": str(temp_path / "media"),
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": "bench-only-not-secret",
            "DJANGO_SETTINGS_MODULE": "config.settings",
        }
        subprocess.run(
            # --skip-checks: the checks load the URLconf, which needs collected static files in
            # production settings; a benchmark database needs neither.
            [sys.executable, "manage.py", "migrate", "--noinput", "--skip-checks", "-v", "0"],
            env=env,
            cwd=ROOT,
            check=True,
        )
        first = run_child(env, folder, stub_renderer, jobs, steps)
        again = run_child(env, folder, stub_renderer, jobs)
    if first["failed"] or first["articles"] != count:
        sys.exit(f"import failed: {first}")
    return {"n": count, "bytes": size, "first": first, "again": again}


def report(result: dict) -> None:
    n, first, again = result["n"], result["first"], result["again"]
    print(f"N = {n} articles, {result['bytes'] / n / 1024:.1f} KB each on average")
    print(
        f"  first import:     {n / first['seconds']:8.1f} articles/s "
        f"({first['seconds']:.2f} s in the command, {first['wall']:.2f} s wall), "
        f"peak RSS {first['maxrss_kb'] / 1024:.0f} MB"
    )
    # The importing process's own CPU (render workers not included): unlike the rates, it
    # hardly depends on what else the machine is doing.
    print(f"    importing process CPU: {first['cpu'] / n * 1000:.1f} ms per article")
    if first.get("workers_cpu") is not None:
        # The CPU the run needs per article, wherever it ran: on C cores the first import
        # cannot go faster than C / total articles per second, whatever the load.
        workers, total = first["workers_cpu"] / n * 1000, (first["workers_cpu"] + first["cpu"]) / n
        print(
            f"    render workers CPU:    {workers:.1f} ms per article; total "
            f"{total * 1000:.1f} ms, ceiling on 2 cores {2 / total:.1f} articles/s"
        )
    if first.get("steps"):
        print("    importing process CPU per step (ms per article, calls per article):")
        for name, (ms, calls) in sorted(first["steps"].items(), key=lambda item: -item[1][0]):
            print(f"      {ms:6.2f}  {calls:5.1f}  {name}")
    print(
        f"  unchanged import: {n / again['seconds']:8.1f} files/s "
        f"({again['seconds']:.2f} s in the command, {again['wall']:.2f} s wall), "
        f"peak RSS {again['maxrss_kb'] / 1024:.0f} MB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, nargs="+", default=[1000], help="article counts")
    parser.add_argument(
        "--stub-renderer",
        action="store_true",
        help="replace Markdown rendering by a copy of the body, to see the importer's own cost",
    )
    parser.add_argument(
        "--jobs",
        type=int,
        help="import_articles --jobs (default: the command's choice, one per CPU for a large run)",
    )
    parser.add_argument(
        "--steps",
        action="store_true",
        help="time the importing process's steps (CPU per article; adds a little overhead)",
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        sys.path.insert(0, str(ROOT))
        child(args.child, stub_renderer=args.stub_renderer, jobs=args.jobs, steps=args.steps)
        return
    if args.stub_renderer:
        print("(renderer stubbed out: figures show the importer's own cost)")
    results = []
    for count in args.n:
        result = bench(count, args.stub_renderer, args.jobs, args.steps)
        report(result)
        results.append(result)
    if len(results) > 1:
        low, high = results[0], results[-1]
        ratio = high["first"]["maxrss_kb"] / low["first"]["maxrss_kb"]
        print(
            f"peak RSS of the first import, N={high['n']} vs N={low['n']}: "
            f"{ratio:.2f}× ({(ratio - 1) * 100:+.0f}%)"
        )


if __name__ == "__main__":
    main()

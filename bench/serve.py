"""Serving speed: Cikk's pages against the same bytes as a static file, in the same run.

    .venv/bin/python bench/serve.py [--articles 1000] [--duration 10] [--connections 64]

What it does, all on 127.0.0.1 and in a temporary folder:
1. a fresh SQLite database (migrate) and collectstatic, with production settings (DEBUG off,
   CompressedManifestStaticFilesStorage, the real middleware: CSP, axes, whitenoise);
2. N published articles, bulk-inserted: the seed article (or content/ when the seed is absent) is
   rendered ONCE by articles.render and its HTML reused for every row, as the importer would
   have stored it;
3. the article page's exact bytes written into STATIC_ROOT, so that whitenoise serves them as a
   static file;
4. gunicorn (config/gunicorn.conf.py, WEB_CONCURRENCY workers) and wrk (Debian's `wrk`; bounded
   runs of --duration seconds at --connections connections, after a short warm-up) against: the
   static copy, the home page, the article page and the RSS feed.
Prints a table (requests/s, p50/p90/p99 latency, errors) and checks the targets of issue 6:
article page >= 50% of the static file's requests/s, p99 <= 3 x p50, zero errors.
Exit status 0 when every target is met, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT.parent / "shared" / "seeds" / "000_d6cdef30db0b064b.txt"
PYTHON = sys.executable
STATIC_COPY = "bench/article.html"

POPULATE = r"""
import datetime as dt, json, sys
from pathlib import Path
import django
django.setup()
import frontmatter
from django.test import Client
from django.utils import timezone
from django.conf import settings
from articles.models import Article, Author, Byline
from articles.render import render
from articles.text import fold_accents, make_slug
from django.utils.html import strip_tags

count, source, static_copy = int(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
post = frontmatter.loads(source.read_text(encoding="utf-8"))
rendered = render(post.content)  # once: every row stores the same, already sanitized HTML
text = strip_tags(rendered.html)
authors = [Author(name=n, slug=make_slug(n)) for n in ("Egri Máté", "Takáts Bálint", "Kiss Anna")]
Author.objects.bulk_create(authors)
authors = list(Author.objects.order_by("pk"))
now = timezone.now()
title = str(post.get("title") or "Cikk")
rows = []
for i in range(count):
    t = f"{title} ({i + 1})"
    rows.append(Article(
        title=t, slug=f"{make_slug(title)}-{i + 1}",
        description=str(post.get("description") or ""),
        body=post.content, body_html=rendered.html, word_count=rendered.word_count,
        search_text=fold_accents(f"{t}\n{text}").lower(),
        date=now - dt.timedelta(hours=6 * i), released=True,
    ))
Article.objects.bulk_create(rows, batch_size=500)
ids = list(Article.objects.order_by("pk").values_list("pk", flat=True))
bylines = []
for n, pk in enumerate(ids):
    bylines.append(Byline(article_id=pk, author=authors[n % len(authors)], position=0))
    bylines.append(Byline(article_id=pk, author=authors[(n + 1) % len(authors)], position=1))
Byline.objects.bulk_create(bylines, batch_size=1000)
article = Article.objects.get(pk=ids[len(ids) // 2])
response = Client().get(article.get_absolute_url(), HTTP_HOST="127.0.0.1")
assert response.status_code == 200, response.status_code
target = Path(settings.STATIC_ROOT) / static_copy
target.parent.mkdir(parents=True, exist_ok=True)
target.write_bytes(response.content)
print(json.dumps({"article_url": article.get_absolute_url(), "bytes": len(response.content),
                  "source": str(source), "words": rendered.word_count}))
"""


@dataclass
class Result:
    name: str
    url: str
    requests_per_s: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    requests: int
    errors: int
    non_2xx: int
    bytes_per_response: int


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def to_ms(value: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value.strip())
    if not match:
        raise ValueError(f"cannot read wrk latency {value!r}")
    number, unit = float(match.group(1)), match.group(2)
    return number * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[unit]


def parse_wrk(name: str, url: str, output: str, size: int) -> Result:
    def latency(percent: str) -> float:
        match = re.search(rf"^\s+{percent}%\s+(\S+)", output, re.MULTILINE)
        if not match:
            raise ValueError(f"wrk printed no {percent}% latency:\n{output}")
        return to_ms(match.group(1))

    requests = int(re.search(r"(\d+) requests in", output).group(1))
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    errors = 0
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    if socket_errors:
        errors = sum(int(n) for n in socket_errors.groups())
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return Result(
        name=name,
        url=url,
        requests_per_s=rps,
        p50_ms=latency("50"),
        p90_ms=latency("90"),
        p99_ms=latency("99"),
        requests=requests,
        errors=errors,
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        bytes_per_response=size,
    )


def wrk(url: str, seconds: int, connections: int, threads: int) -> str:
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "--latency",
        url,
    ]
    return subprocess.run(
        command, capture_output=True, text=True, check=True, timeout=seconds + 60
    ).stdout


def wait_until_up(url: str, process: subprocess.Popen, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited with status {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"gunicorn did not answer {url} within {seconds} s")


def fetch(url: str) -> tuple[int, bytes, dict]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, response.read(), dict(response.headers)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--duration", type=int, default=10, help="seconds per measured run")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of warm-up per URL")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument(
        "--workers", type=int, default=None, help="gunicorn workers (default: WEB_CONCURRENCY)"
    )
    parser.add_argument("--cache-url", default="", help="CACHE_URL for the server (default locmem)")
    parser.add_argument(
        "--no-page-cache",
        action="store_true",
        help="CIKK_PAGE_CACHE=0: every request runs the view (config/page_cache.py off)",
    )
    parser.add_argument("--json", action="store_true", help="also print the results as JSON")
    parser.add_argument("--verbose", action="store_true", help="print wrk's own output too")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()

    if shutil.which("wrk") is None:
        print("wrk is not installed: apt-get install wrk", file=sys.stderr)
        return 2
    source = SEED if SEED.exists() else sorted((ROOT / "content").glob("*.md"))[0]

    workdir = Path(tempfile.mkdtemp(prefix="cikk-bench-serve-"))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "CIKK_", "DATABASE_URL", "CACHE_URL"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_DEBUG="0",
        # Production settings over plain http on loopback: no TLS to terminate here.
        DJANGO_HTTPS="0",
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DATABASE_URL=f"sqlite:///{workdir / 'db.sqlite3'}",
        STATIC_ROOT=str(workdir / "static"),
        MEDIA_ROOT=str(workdir / "media"),
        DJANGO_LOG_LEVEL="ERROR",
        GUNICORN_LOG_LEVEL="warning",
    )
    if args.no_page_cache:
        env["CIKK_PAGE_CACHE"] = "0"
    if args.cache_url:
        env["CACHE_URL"] = args.cache_url
    if args.workers:
        env["WEB_CONCURRENCY"] = str(args.workers)

    def manage(*command: str) -> None:
        subprocess.run(
            [PYTHON, "manage.py", *command], cwd=ROOT, env=env, check=True, capture_output=True
        )

    server = None
    try:
        started = time.monotonic()
        # collectstatic first: the URL configuration (checked by migrate) names hashed files.
        manage("collectstatic", "--noinput")
        manage("migrate", "--noinput")
        populated = subprocess.run(
            [PYTHON, "-c", POPULATE, str(args.articles), str(source), STATIC_COPY],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        info = json.loads(populated.stdout.strip().splitlines()[-1])
        print(
            f"{args.articles} articles from {Path(info['source']).name} "
            f"({info['words']} words; article page {info['bytes']:,} bytes) "
            f"ready in {time.monotonic() - started:.1f} s"
        )

        server = subprocess.Popen(
            [
                PYTHON,
                "-m",
                "gunicorn",
                "-c",
                "config/gunicorn.conf.py",
                "--bind",
                f"127.0.0.1:{port}",
            ],
            cwd=ROOT,
            env=env,
            start_new_session=True,
        )
        wait_until_up(base + "/", server)
        targets = [
            ("static copy", f"/static/{STATIC_COPY}"),
            ("home page", "/"),
            ("article page", info["article_url"]),
            ("RSS feed", "/feed/rss/"),
        ]
        sizes = {}
        for name, path in targets:
            status, body, _headers = fetch(base + path)
            if status != 200:
                raise SystemExit(f"{path} answered {status}")
            sizes[name] = len(body)
        if sizes["static copy"] != sizes["article page"]:
            print(
                f"note: the live article page is {sizes['article page']} bytes, "
                f"its static copy {sizes['static copy']}",
                file=sys.stderr,
            )
        load = os.getloadavg()[0]
        print(f"load average before the runs: {load:.2f} on {os.cpu_count()} cores")
        if load > 1.0:
            print("warning: the machine is busy; the figures below are disturbed", file=sys.stderr)
        workers = env.get("WEB_CONCURRENCY") or f"{2 * (os.cpu_count() or 1) + 1} (default)"
        print(
            f"gunicorn on {base}, workers {workers}; wrk -t{args.threads} "
            f"-c{args.connections} -d{args.duration}s --latency, after {args.warmup} s warm-up; "
            f"page cache {'off' if args.no_page_cache else 'on'}"
        )

        results = []
        for name, path in targets:
            url = base + path
            if args.warmup:
                wrk(url, args.warmup, args.connections, args.threads)
            output = wrk(url, args.duration, args.connections, args.threads)
            if args.verbose:
                print(output)
            results.append(parse_wrk(name, url, output, sizes[name]))
    finally:
        if server is not None and server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
        if args.keep:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)

    header = (
        f"{'target':<13} {'bytes':>8} {'req/s':>9} {'p50 ms':>8} {'p90 ms':>8} "
        f"{'p99 ms':>8} {'p99/p50':>7} {'requests':>9} {'errors':>7}"
    )
    print()
    print(header)
    print("-" * len(header))
    for r in results:
        print(
            f"{r.name:<13} {r.bytes_per_response:>8,} {r.requests_per_s:>9.1f} {r.p50_ms:>8.2f} "
            f"{r.p90_ms:>8.2f} {r.p99_ms:>8.2f} {r.p99_ms / max(r.p50_ms, 0.001):>7.2f} "
            f"{r.requests:>9} {r.errors + r.non_2xx:>7}"
        )
    by_name = {r.name: r for r in results}
    ratio = by_name["article page"].requests_per_s / by_name["static copy"].requests_per_s
    checks = [
        (f"article page / static copy requests/s = {ratio:.0%} (target >= 50%)", ratio >= 0.5),
    ]
    for r in results:
        checks.append(
            (
                f"{r.name}: p99 = {r.p99_ms / max(r.p50_ms, 0.001):.2f} x p50 (target <= 3)",
                r.requests > 0 and r.p99_ms <= 3 * r.p50_ms,
            )
        )
        if not r.requests:
            checks.append((f"{r.name}: no request finished within {args.duration} s", False))
    errors = sum(r.errors + r.non_2xx for r in results)
    checks.append((f"errors at {args.connections} connections: {errors} (target 0)", errors == 0))
    print()
    for text, ok in checks:
        print(f"{'PASS' if ok else 'FAIL'}  {text}")
    if args.json:
        print(json.dumps([r.__dict__ for r in results], indent=2))
    return 0 if all(ok for _, ok in checks) else 1


if __name__ == "__main__":
    sys.exit(main())

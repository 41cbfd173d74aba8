"""Serving speed: Cikk's reader pages against the same bytes as a static file, interleaved.

    .venv/bin/python bench/serve.py                  # page cache on and off, ~4 minutes
    .venv/bin/python bench/serve.py --modes on       # one mode; --no-page-cache = --modes off
    .venv/bin/python bench/serve.py --instructions   # no server: instructions per request

What it does, all on 127.0.0.1 and in a temporary folder (no network):
1. a fresh SQLite database (migrate) and collectstatic, with production settings (DEBUG off,
   CompressedManifestStaticFilesStorage, the real middleware: CSP, axes, whitenoise, the page
   cache); N published articles, bulk-inserted (the seed article rendered ONCE by
   articles.render and its HTML reused for every row, as the importer would have stored it; a
   rare word in the description of every 250th), an editor in the "Szerkesztő" group;
2. the article page's exact bytes written into STATIC_ROOT, so that whitenoise serves them as a
   static file: the baseline;
3. one gunicorn (config/gunicorn.conf.py) per mode, both on the same database: page cache on,
   and page cache off (CIKK_PAGE_CACHE=0: every request runs the view);
4. Debian's `wrk` (`apt-get install wrk`) at --connections, in --rounds rounds; each round, per
   mode: static, target 1, static, target 2, ..., static: every target sits between two runs of
   the static file on the same server, and its ratio is to their mean, so a change of load on
   this shared machine hits both alike. After every run the server's queue is drained (no
   connection left open on its port, then a probe request answering within a few times its idle
   latency) before the next run starts. Targets: the article page, home, search for a common and
   a rare word, one sitemap page;
5. then an editor logs in over HTTP and withdraws an article with the admin's bulk action while
   an anonymous reader, whose page cache holds the article in every worker, asks again: the
   reader's very next request must be 404, on both servers, and home must no longer link it.

Prints per mode and target: requests/s, its ratio to the static file beside it (median of the
rounds, and their range), p50/p90/p99 latency over all rounds (merged histograms), the workers'
CPU milliseconds per request (over the wrk runs only: wall-clock independent), errors; the load
average before every round. Checks the targets of issue 11: cached article >= 0.85 x static,
uncached article >= 0.25 x static, zero errors, withdraw visible on the next request.
Exit status 0 when every target is met, 1 otherwise.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import re
import runpy
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT.parent / "shared" / "seeds" / "000_d6cdef30db0b064b.txt"
PYTHON = sys.executable
STATIC_COPY = "bench/article.html"
RARE_WORD = "devizahitelesek"  # absent from the seed; put into every 250th description
PROBE_PATH = "/robots.txt"  # through Django's middleware, not cached, no database

POPULATE = r"""
import collections, datetime as dt, json, re, sys
from pathlib import Path
import django
django.setup()
import frontmatter
from django.contrib.auth.models import Group, User
from django.test import Client
from django.utils import timezone
from django.conf import settings
from articles.models import Article, Author, Byline, plain_text_of
from articles.render import render, report
from articles.text import fold_accents, make_slug

count, source, static_copy, rare, password = sys.argv[1:6]
count = int(count)
post = frontmatter.loads(Path(source).read_text(encoding="utf-8"))
rendered = render(post.content)  # once: every row stores the same, already sanitized HTML
text = plain_text_of(rendered.html)
description = str(post.get("description") or "")
title = str(post.get("title") or "Cikk")
assert rare not in fold_accents(f"{title} {description} {text}").lower(), rare
words = collections.Counter(w for w in re.findall(r"[^\W\d_]{6,}", fold_accents(text).lower()))
common = words.most_common(1)[0][0]
authors = [Author(name=n, slug=make_slug(n)) for n in ("Egri Máté", "Takáts Bálint", "Kiss Anna")]
Author.objects.bulk_create(authors)
authors = list(Author.objects.order_by("pk"))
now = timezone.now()
rows = []
for i in range(count):
    t = f"{title} ({i + 1})"
    d = f"{description} A {rare} ügyéről is." if i % 250 == 3 else description
    rows.append(Article(
        title=t, slug=f"{make_slug(title)}-{i + 1}", description=d,
        body=post.content, body_html=rendered.html, word_count=rendered.word_count,
        render_report=report(rendered),
        search_text=fold_accents(f"{t}\n{d}\n{text}").lower(), plain_text=text,
        date=now - dt.timedelta(hours=6 * i), content_changed_at=now - dt.timedelta(hours=6 * i),
        released=True,
    ))
Article.objects.bulk_create(rows, batch_size=500)
ids = list(Article.objects.order_by("-date").values_list("pk", flat=True))
bylines = []
for n, pk in enumerate(ids):
    bylines.append(Byline(article_id=pk, author=authors[n % len(authors)], position=0))
    bylines.append(Byline(article_id=pk, author=authors[(n + 1) % len(authors)], position=1))
Byline.objects.bulk_create(bylines, batch_size=1000)
editor = User.objects.create_user("szerkeszto", password=password, is_staff=True)
editor.groups.add(Group.objects.get(name="Szerkesztő"))
article = Article.objects.get(pk=ids[len(ids) // 2])
victim = Article.objects.get(pk=ids[1])  # the second newest: on the home page
response = Client().get(article.get_absolute_url(), HTTP_HOST="127.0.0.1")
assert response.status_code == 200, response.status_code
target = Path(settings.STATIC_ROOT) / static_copy
target.parent.mkdir(parents=True, exist_ok=True)
target.write_bytes(response.content)
print(json.dumps({"article_url": article.get_absolute_url(), "bytes": len(response.content),
                  "source": str(source), "words": rendered.word_count, "common": common,
                  "victim_pk": victim.pk, "victim_url": victim.get_absolute_url()}))
"""

# wrk's done() hook: the whole latency histogram (microseconds, count) and the error counters
# as one JSON line, so that the runs of several rounds merge into exact percentiles.
WRK_REPORT = r"""
done = function(summary, latency, requests)
  local e = summary.errors
  local parts = {}
  for i = 1, #latency do
    local v, c = latency(i)
    parts[#parts + 1] = string.format("[%d,%d]", v, c)
  end
  io.write(string.format(
    'CIKK-JSON {"duration_us":%d,"requests":%d,"bytes":%d,"connect":%d,"read":%d,' ..
    '"write":%d,"status":%d,"timeout":%d,"latency":[%s]}\n',
    summary.duration, summary.requests, summary.bytes, e.connect, e.read, e.write,
    e.status, e.timeout, table.concat(parts, ",")))
end
"""


@dataclass
class Run:
    """One wrk run of one URL."""

    requests: int
    seconds: float
    errors: int
    latency: Counter  # microseconds -> count
    cpu_s: float  # the workers' user + system CPU during the run

    @property
    def per_s(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


@dataclass
class Series:
    """All rounds of one target in one mode, with the static runs beside each."""

    mode: str
    name: str
    path: str
    size: int = 0
    runs: list[Run] = field(default_factory=list)
    ratios: list[float] = field(default_factory=list)

    def total(self, attribute: str) -> float:
        return sum(getattr(r, attribute) for r in self.runs)

    @property
    def per_s(self) -> float:
        seconds = self.total("seconds")
        return self.total("requests") / seconds if seconds else 0.0

    def percentile(self, p: float) -> float:
        """Milliseconds; from the merged histograms of every round."""
        merged: Counter = Counter()
        for run in self.runs:
            merged.update(run.latency)
        total = sum(merged.values())
        if not total:
            return float("nan")
        rank = p / 100 * total
        seen = 0
        for value in sorted(merged):
            seen += merged[value]
            if seen >= rank:
                return value / 1000
        return max(merged) / 1000

    @property
    def cpu_ms(self) -> float:
        requests = self.total("requests")
        return 1000 * self.total("cpu_s") / requests if requests else float("nan")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def open_connections(port: int) -> int:
    """Server-side TCP connections on `port` not yet closed by the server (LISTEN and
    TIME_WAIT do not count): requests accepted or queued, whose client may be long gone."""
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local, state = fields[1], fields[3]
            if int(local.rsplit(":", 1)[1], 16) == port and state not in ("0A", "06"):
                count += 1
    return count


class Server:
    """One gunicorn on a loopback port, with the CPU clock of its workers."""

    def __init__(self, mode: str, env: dict[str, str], log: Path) -> None:
        self.mode = mode
        self.log = log
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [
                PYTHON,
                "-m",
                "gunicorn",
                "-c",
                "config/gunicorn.conf.py",
                "--bind",
                f"127.0.0.1:{self.port}",
            ],
            cwd=ROOT,
            env=env,
            stdout=log.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.probe_limit = 0.0
        self.drain_seconds = 0.0
        self.drain_timeouts = 0

    def worker_cpu(self) -> float:
        """User + system seconds of the master's children (the workers)."""
        tick = os.sysconf("SC_CLK_TCK")
        total = 0.0
        try:
            children = Path(
                f"/proc/{self.process.pid}/task/{self.process.pid}/children"
            ).read_text()
        except OSError:
            return 0.0
        for pid in children.split():
            try:
                stat = Path(f"/proc/{pid}/stat").read_text()
            except OSError:
                continue
            fields = stat.rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
        return total

    def wait_until_up(self, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(
                    f"gunicorn exited with status {self.process.returncode}:\n"
                    + self.log.read_text(errors="replace")[-3000:]
                )
            try:
                if fetch(self.base + PROBE_PATH)[0] == 200:
                    return
            except OSError:
                time.sleep(0.2)
        raise SystemExit(f"gunicorn did not answer on {self.base} within {seconds} s")

    def probe(self) -> float:
        started = time.perf_counter()
        fetch(self.base + PROBE_PATH)
        return time.perf_counter() - started

    def calibrate(self) -> None:
        """The probe's idle latency; a drained server answers within 4 x that (>= 25 ms)."""
        for _ in range(20):  # every worker's first requests are slower
            self.probe()
        idle = statistics.median(self.probe() for _ in range(7))
        self.probe_limit = max(4 * idle, 0.025)

    def drain(self, timeout: float) -> None:
        """Wait until no connection is left open on the port and a probe answers quickly."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            if open_connections(self.port) == 0:
                try:
                    if self.probe() <= self.probe_limit:
                        break
                except OSError:
                    pass
            time.sleep(0.05)
        else:
            self.drain_timeouts += 1
        self.drain_seconds += time.monotonic() - started

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)


def fetch(url: str, opener=None, data: dict | None = None) -> tuple[int, bytes]:
    """Status and body; HTTP errors are answers too (a 404 is what the withdraw test wants)."""
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    try:
        with (opener or urllib.request.build_opener(NoRedirect)).open(
            url, data=body, timeout=30
        ) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def wrk(url: str, seconds: int, connections: int, threads: int, script: Path) -> dict:
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(script),
        url,
    ]
    output = subprocess.run(
        command, capture_output=True, text=True, check=True, timeout=seconds + 60
    ).stdout
    match = re.search(r"^CIKK-JSON (.*)$", output, re.MULTILINE)
    if not match:
        raise SystemExit(f"wrk printed no report for {url}:\n{output}")
    return json.loads(match.group(1))


def measure(server: Server, path: str, args: argparse.Namespace, script: Path) -> Run:
    before = server.worker_cpu()
    report = wrk(server.base + path, args.duration, args.connections, args.threads, script)
    cpu = server.worker_cpu() - before
    server.drain(args.drain_timeout)
    errors = sum(report[k] for k in ("connect", "read", "write", "status", "timeout"))
    return Run(
        requests=report["requests"],
        seconds=report["duration_us"] / 1e6,
        errors=errors,
        latency=Counter({int(v): int(c) for v, c in report["latency"]}),
        cpu_s=cpu,
    )


def chosen_targets(info: dict, names: str, parser: argparse.ArgumentParser) -> list[tuple]:
    all_targets = {
        "article": ("article page", info["article_url"]),
        "home": ("home page", "/"),
        "search-common": (f"search {info['common']!r}", f"/kereses/?q={info['common']}"),
        "search-rare": (f"search {RARE_WORD!r}", f"/kereses/?q={RARE_WORD}"),
        "sitemap": ("sitemap page", "/sitemap-articles.xml?p=1"),
    }
    chosen = [t.strip() for t in names.split(",") if t.strip()]
    unknown = set(chosen) - set(all_targets)
    if unknown:
        parser.error(f"unknown targets {sorted(unknown)}; choose from {list(all_targets)}")
    return [all_targets[t] for t in chosen]


# --instructions: the same production settings and database, no server; Django's WSGI handler
# called in-process under callgrind, instrumentation on only around each target's requests.
CALLGRIND_HELPER = """
#include <valgrind/callgrind.h>
void measure_start(void) { CALLGRIND_ZERO_STATS; CALLGRIND_START_INSTRUMENTATION; }
void measure_stop(void) { CALLGRIND_STOP_INSTRUMENTATION; CALLGRIND_DUMP_STATS; }
"""
IN_PROCESS = r"""
import ctypes, io, sys
import django
django.setup()
from django.core.handlers.wsgi import WSGIHandler
helper, count, paths = ctypes.CDLL(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]
app = WSGIHandler()

def call(path):
    path_info, _, query = path.partition("?")
    environ = {
        "REQUEST_METHOD": "GET", "PATH_INFO": path_info, "QUERY_STRING": query,
        "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "80", "HTTP_HOST": "127.0.0.1",
        "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1", "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(), "wsgi.errors": sys.stderr,
    }
    status = []
    body = app(environ, lambda s, headers, exc_info=None: status.append(s))
    b"".join(body)
    body.close()
    assert status[0].startswith("200"), (path, status)

for path in paths:  # templates compiled, caches filled, connections open
    for _ in range(30):
        call(path)
for path in paths:
    helper.measure_start()
    for _ in range(count):
        call(path)
    helper.measure_stop()
"""


def count_instructions(
    env: dict[str, str],
    workdir: Path,
    info: dict,
    args: argparse.Namespace,
    modes: list[str],
    parser: argparse.ArgumentParser,
) -> int:
    """CPU instructions per request, in-process, per mode and target: a figure the load of a
    shared machine does not move (the servers' CPU ms do)."""
    source, helper = workdir / "helper.c", workdir / "helper.so"
    source.write_text(CALLGRIND_HELPER)
    subprocess.run(["gcc", "-O2", "-shared", "-fPIC", "-o", helper, source], check=True)
    static = ("static file", f"/static/{STATIC_COPY}")
    targets = [static, *chosen_targets(info, args.targets, parser)]
    print(f"in-process under callgrind, {args.requests} requests per target after 30 warm-up ones")
    print(f"{'cache':<5} {'target':<24} {'M instructions':>14} {'static / target':>15}")
    for mode in modes:
        mode_env = dict(env, CIKK_PAGE_CACHE="0" if mode == "off" else "1")
        out = workdir / f"callgrind-{mode}"
        out.mkdir()
        command = [
            "valgrind", "--tool=callgrind", "--instr-atstart=no",
            f"--callgrind-out-file={out}/out.%p", PYTHON, "-c", IN_PROCESS, str(helper),
            str(args.requests), *(path for _, path in targets),
        ]  # fmt: skip
        done = subprocess.run(command, cwd=ROOT, env=mode_env, capture_output=True, text=True)
        if done.returncode:
            raise SystemExit(f"the in-process run failed:\n{done.stderr[-3000:]}")
        dumps = sorted(out.glob("out.*.*"), key=lambda p: int(p.suffix[1:]))
        totals = [
            int(re.search(r"^totals: (\d+)", d.read_text(), re.MULTILINE).group(1)) / args.requests
            for d in dumps
        ]
        for (name, _), total in zip(targets, totals, strict=True):
            print(f"{mode:<5} {name:<24} {total / 1e6:>14.2f} {totals[0] / total:>15.2f}")
    return 0


def gunicorn_settings(env: dict[str, str]) -> dict:
    """config/gunicorn.conf.py's values as a server started with `env` gets them."""
    names = ("WEB_CONCURRENCY", "GUNICORN_THREADS")
    saved = {k: os.environ.pop(k) for k in names if k in os.environ}
    os.environ.update({k: env[k] for k in names if k in env})
    try:
        return runpy.run_path(str(ROOT / "config" / "gunicorn.conf.py"))
    finally:
        for name in names:
            os.environ.pop(name, None)
        os.environ.update(saved)


def load_average() -> str:
    one, five, _ = os.getloadavg()
    return f"{one:.2f} (5 min {five:.2f})"


def withdraw_test(
    servers: dict[str, Server], info: dict, password: str, script: Path, args: argparse.Namespace
) -> list[tuple[str, bool]]:
    """An editor withdraws an article through the admin over HTTP; an anonymous reader's next
    request must be 404 on every server (and home must not link the article any more)."""
    url = info["victim_url"]
    checks: list[tuple[str, bool]] = []
    for server in servers.values():
        # Every worker renders (and, page cache on, stores) the article and home first.
        wrk(server.base + url, 1, 16, 1, script)
        wrk(server.base + "/", 1, 16, 1, script)
        server.drain(args.drain_timeout)
        if fetch(server.base + url)[0] != 200:
            raise SystemExit(f"{url} answered not 200 before the withdraw")
    editor_server = servers.get("on") or next(iter(servers.values()))
    jar = http.cookiejar.CookieJar()
    editor = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect)
    login = editor_server.base + "/admin/login/"
    fetch(login, editor)
    csrf = next(c.value for c in jar if c.name.endswith("csrftoken"))
    status, _ = fetch(
        login + "?next=/admin/",
        editor,
        {"username": "szerkeszto", "password": password, "csrfmiddlewaretoken": csrf},
    )
    if status != 302:
        raise SystemExit(f"the editor's login answered {status}, not 302")
    changelist = editor_server.base + "/admin/articles/article/"
    status, _ = fetch(changelist, editor)
    if status != 200:
        raise SystemExit(f"the editor's article list answered {status}")
    csrf = next(c.value for c in jar if c.name.endswith("csrftoken"))
    started = time.perf_counter()
    status, _ = fetch(
        changelist,
        editor,
        {
            "csrfmiddlewaretoken": csrf,
            "action": "withdraw",
            "_selected_action": str(info["victim_pk"]),
            "index": "0",
            "select_across": "0",
        },
    )
    acted = time.perf_counter()
    if status != 302:
        raise SystemExit(f"the withdraw action answered {status}, not 302")
    print(
        f"\nwithdraw: the editor's admin action (HTTP, {editor_server.mode} server) answered "
        f"302 in {1000 * (acted - started):.0f} ms; then the anonymous reader:"
    )
    # First every server's next request (in turn, at once), then the follow-ups.
    firsts = {}
    for mode, server in servers.items():
        attempts, first_404 = 0, None
        deadline = time.perf_counter() + args.withdraw_timeout
        while time.perf_counter() < deadline:
            attempts += 1
            if fetch(server.base + url)[0] == 404:
                first_404 = time.perf_counter()
                break
            time.sleep(0.05)
        firsts[mode] = attempts, first_404
    for mode, server in servers.items():
        attempts, first_404 = firsts[mode]
        after = [fetch(server.base + url)[0] for _ in range(20)]
        _, home = fetch(server.base + "/")
        linked = url.encode() in home
        delay = f"{1000 * (first_404 - acted):.0f} ms" if first_404 else "never"
        print(
            f"  page cache {mode}: first 404 at request #{attempts}, {delay} after the action; "
            f"then {after.count(404)}/{len(after)} more requests 404; home links it: "
            f"{'yes' if linked else 'no'}"
        )
        checks.append(
            (
                f"page cache {mode}: withdrawn article 404 on the reader's next request "
                f"(#{attempts}), and every one after ({after.count(404)}/{len(after)}), "
                f"home no longer links it",
                attempts == 1 and first_404 is not None and set(after) == {404} and not linked,
            )
        )
    return checks


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument(
        "--source", type=Path, default=None, help="the article (default: the seed, or content/)"
    )
    parser.add_argument("--rounds", type=int, default=2, help="rounds of every target")
    parser.add_argument("--duration", type=int, default=2, help="seconds per wrk run")
    parser.add_argument("--warmup", type=int, default=1, help="seconds of warm-up per URL")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument(
        "--modes", default="on,off", help="page cache on, off or both (default on,off)"
    )
    parser.add_argument("--no-page-cache", action="store_true", help="same as --modes off")
    parser.add_argument(
        "--targets",
        default="article,home,search-common,search-rare,sitemap",
        help="which pages (default all)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="gunicorn workers (WEB_CONCURRENCY; default: config/gunicorn.conf.py's)",
    )
    parser.add_argument(
        "--server-threads",
        type=int,
        default=None,
        help="gunicorn threads per worker (GUNICORN_THREADS; > 1 means the gthread worker)",
    )
    parser.add_argument("--cache-url", default="", help="CACHE_URL for the servers (locmem)")
    parser.add_argument("--drain-timeout", type=float, default=30.0)
    parser.add_argument("--withdraw-timeout", type=float, default=90.0)
    parser.add_argument("--no-withdraw", action="store_true", help="skip the withdraw test")
    parser.add_argument(
        "--instructions",
        action="store_true",
        help="no server: count CPU instructions per request in-process under callgrind",
    )
    parser.add_argument(
        "--requests", type=int, default=20, help="requests per target with --instructions"
    )
    parser.add_argument("--json", action="store_true", help="also print the results as JSON")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()

    modes = ["off"] if args.no_page_cache else [m.strip() for m in args.modes.split(",")]
    if not modes or set(modes) - {"on", "off"}:
        parser.error("--modes takes on, off or on,off")
    if args.instructions and not shutil.which("valgrind"):
        print("valgrind is not installed: apt-get install valgrind", file=sys.stderr)
        return 2
    if shutil.which("wrk") is None and not args.instructions:
        print("wrk is not installed: apt-get install wrk", file=sys.stderr)
        return 2
    source = args.source or (SEED if SEED.exists() else sorted((ROOT / "content").glob("*.md"))[0])

    workdir = Path(tempfile.mkdtemp(prefix="cikk-bench-serve-"))
    script = workdir / "report.lua"
    script.write_text(WRK_REPORT)
    password = secrets.token_urlsafe(16)
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "CIKK_", "DATABASE_URL", "CACHE_URL", "GUNICORN_"))
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
    if args.cache_url:
        env["CACHE_URL"] = args.cache_url
    if args.workers:
        env["WEB_CONCURRENCY"] = str(args.workers)
    if args.server_threads:
        env["GUNICORN_THREADS"] = str(args.server_threads)

    def manage(*command: str) -> None:
        done = subprocess.run(
            [PYTHON, "manage.py", *command], cwd=ROOT, env=env, capture_output=True, text=True
        )
        if done.returncode:
            raise SystemExit(f"manage.py {' '.join(command)} failed:\n{done.stderr[-3000:]}")

    servers: dict[str, Server] = {}
    series: list[Series] = []
    checks: list[tuple[str, bool]] = []
    bench_started = time.monotonic()
    try:
        # collectstatic first: the URL configuration (checked by migrate) names hashed files.
        manage("collectstatic", "--noinput")
        manage("migrate", "--noinput")
        populated = subprocess.run(
            [
                PYTHON,
                "-c",
                POPULATE,
                str(args.articles),
                str(source),
                STATIC_COPY,
                RARE_WORD,
                password,
            ],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
        )
        if populated.returncode:
            raise SystemExit(f"populating the database failed:\n{populated.stderr[-3000:]}")
        info = json.loads(populated.stdout.strip().splitlines()[-1])
        print(
            f"{args.articles} articles from {Path(info['source']).name} "
            f"({info['words']} words; article page {info['bytes']:,} bytes) "
            f"ready in {time.monotonic() - bench_started:.1f} s"
        )
        if args.instructions:
            return count_instructions(env, workdir, info, args, modes, parser)
        for mode in modes:
            server_env = dict(env)
            if mode == "off":
                server_env["CIKK_PAGE_CACHE"] = "0"
            servers[mode] = Server(mode, server_env, workdir / f"gunicorn-{mode}.log")
        for server in servers.values():
            server.wait_until_up()
            server.calibrate()

        targets = chosen_targets(info, args.targets, parser)
        static = ("static file", f"/static/{STATIC_COPY}")
        by_key: dict[tuple[str, str], Series] = {}
        for mode, server in servers.items():
            for name, path in [static, *targets]:
                status, body = fetch(server.base + path)
                if status != 200:
                    raise SystemExit(f"{path} answered {status} (page cache {mode})")
                entry = Series(mode, name, path, len(body))
                by_key[mode, name] = entry
                series.append(entry)
            if by_key[mode, "article page"].size != by_key[mode, "static file"].size:
                print(
                    f"note: page cache {mode}: the live article page is "
                    f"{by_key[mode, 'article page'].size} bytes, its static copy "
                    f"{by_key[mode, 'static file'].size}",
                    file=sys.stderr,
                )

        conf = gunicorn_settings(env)
        concurrency = conf["workers"] * conf["threads"]
        print(
            f"gunicorn per mode ({', '.join(f'{m} {s.base}' for m, s in servers.items())}): "
            f"{conf['workers']} {conf['worker_class']} workers x {conf['threads']} threads; "
            f"wrk -t{args.threads} -c{args.connections} -d{args.duration}s, {args.rounds} rounds, "
            f"{args.warmup} s warm-up per URL; each target between two static runs"
        )
        print(f"load average at the start: {load_average()} on {os.cpu_count()} cores")
        if args.warmup:
            # Page cache on: every worker stores every page. Off: a few requests per worker
            # compile the templates; more connections would only leave a queue to drain.
            for mode, server in servers.items():
                connections = args.connections if mode == "on" else concurrency
                connections = max(connections, args.threads)
                for _, path in [static, *targets]:
                    wrk(server.base + path, args.warmup, connections, args.threads, script)
                    server.drain(args.drain_timeout)

        for round_number in range(args.rounds):
            print(f"round {round_number + 1}: load average {load_average()}", flush=True)
            # Rotate the order each round, so no target always follows the same one.
            shift = round_number % len(targets)
            order = targets[shift:] + targets[:shift]
            for mode, server in servers.items():
                previous = measure(server, static[1], args, script)
                by_key[mode, static[0]].runs.append(previous)
                for name, path in order:
                    run = measure(server, path, args, script)
                    after = measure(server, static[1], args, script)
                    by_key[mode, static[0]].runs.append(after)
                    entry = by_key[mode, name]
                    entry.runs.append(run)
                    beside = (previous.per_s + after.per_s) / 2
                    entry.ratios.append(run.per_s / beside if beside else 0.0)
                    previous = after
        print(f"load average at the end: {load_average()}")

        if not args.no_withdraw:
            checks += withdraw_test(servers, info, password, script, args)
    finally:
        for server in servers.values():
            server.stop()
        if args.keep:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)

    header = (
        f"{'cache':<5} {'target':<24} {'bytes':>8} {'req/s':>8} {'x static':>8} "
        f"{'(range)':>11} {'p50 ms':>7} {'p90 ms':>7} {'p99 ms':>7} {'CPU ms':>7} "
        f"{'requests':>8} {'errors':>6}"
    )
    print()
    print(header)
    print("-" * len(header))
    for entry in series:
        if entry.ratios:
            ratio = f"{statistics.median(entry.ratios):>8.2f}"
            spread = f"{min(entry.ratios):.2f}-{max(entry.ratios):.2f}"
        else:
            ratio, spread = f"{'1':>8}", ""
        print(
            f"{entry.mode:<5} {entry.name:<24} {entry.size:>8,} {entry.per_s:>8.1f} {ratio} "
            f"{spread:>11} {entry.percentile(50):>7.1f} {entry.percentile(90):>7.1f} "
            f"{entry.percentile(99):>7.1f} {entry.cpu_ms:>7.2f} "
            f"{int(entry.total('requests')):>8} {int(entry.total('errors')):>6}"
        )
    print(
        "x static: the median over the rounds of req/s / the mean of the static runs just before "
        "and after; CPU ms: the workers' CPU per request during the runs"
    )
    for server in servers.values():
        print(
            f"page cache {server.mode}: queue drained in {server.drain_seconds:.1f} s in all "
            f"(probe limit {1000 * server.probe_limit:.0f} ms), "
            f"{server.drain_timeouts} drain timeouts"
        )
    print(f"whole run {time.monotonic() - bench_started:.0f} s")

    limits = {"on": 0.85, "off": 0.25}
    for mode in servers:
        entry = by_key.get((mode, "article page"))
        if entry and entry.ratios:
            ratio = statistics.median(entry.ratios)
            checks.insert(
                0,
                (
                    f"page cache {mode}: article page = {ratio:.2f} x the static file "
                    f"(target >= {limits[mode]})",
                    ratio >= limits[mode],
                ),
            )
    errors = sum(int(entry.total("errors")) for entry in series)
    checks.append((f"errors at {args.connections} connections: {errors} (target 0)", errors == 0))
    for entry in series:
        if not entry.total("requests"):
            checks.append((f"{entry.mode} {entry.name}: no request finished", False))
    print()
    for text, ok in checks:
        print(f"{'PASS' if ok else 'FAIL'}  {text}")
    if args.json:
        print(
            json.dumps(
                [
                    {
                        "mode": e.mode,
                        "target": e.name,
                        "path": e.path,
                        "bytes": e.size,
                        "requests_per_s": round(e.per_s, 1),
                        "ratios": [round(r, 3) for r in e.ratios],
                        "p50_ms": e.percentile(50),
                        "p90_ms": e.percentile(90),
                        "p99_ms": e.percentile(99),
                        "cpu_ms": round(e.cpu_ms, 3),
                        "requests": int(e.total("requests")),
                        "errors": int(e.total("errors")),
                    }
                    for e in series
                ],
                indent=2,
            )
        )
    return 0 if all(ok for _, ok in checks) else 1


if __name__ == "__main__":
    sys.exit(main())

"""How reader, search, sitemap and admin pages scale with the archive (issue 11).

Grows one database to each size in turn (bulk inserts: distinct generated Hungarian bodies,
rendered to HTML here, 40 authors, 60 tags, two tags and one or two authors an article) and
measures every page in-process with the page cache OFF (the view runs every time): median
CPU and wall milliseconds of `--repeat` warm requests, the number of queries of one request,
and the CPU ratio largest ÷ smallest. Finally, with the page cache ON: an editor's withdraw
(the admin's bulk action) to the first 404 an anonymous reader gets.

    .venv/bin/python bench/scale.py                       # SQLite: 1,000 / 10,000 / 100,000
    .venv/bin/python bench/scale.py --sizes 1000,10000    # fewer
    .ci/with-postgres .venv/bin/python bench/scale.py     # PostgreSQL (DATABASE_URL)
    .venv/bin/python bench/scale.py --sizes 1000 --instructions   # + instructions per request
    .venv/bin/python bench/scale.py --keep /tmp/scale-dbs         # keep the grown databases

`--keep DIR` (SQLite) keeps each size's database as DIR/scale-<size>.sqlite3 and reuses it in
later runs (of this tree or another: the comparison of two commits then measures the same
rows); a missing size starts from a copy of the largest smaller one.

`--instructions` also counts the CPU instructions of one request of each page (valgrind's
callgrind, instrumentation only around the requests, in a child process on the same
database): unlike CPU time, the count does not move with the machine's load.

SQLite runs in a temporary file (removed afterwards); PostgreSQL in the database DATABASE_URL
names, emptied first.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

WORDS = [
    "befektetés",
    "kamat",
    "infláció",
    "hozam",
    "kötvény",
    "részvény",
    "alap",
    "árfolyam",
    "forint",
    "euró",
    "dollár",
    "jegybank",
    "kamatdöntés",
    "megtakarítás",
    "nyugdíj",
    "portfólió",
    "kockázat",
    "diverzifikáció",
    "osztalék",
    "tőzsde",
    "index",
    "költség",
    "adó",
    "állampapír",
    "lakáshitel",
    "törlesztőrészlet",
    "bér",
    "fogyasztás",
    "gazdaság",
    "növekedés",
    "recesszió",
    "munkanélküliség",
    "chip",
    "félvezető",
    "gyártás",
    "kihozatal",
    "adatközpont",
    "áramigény",
    "mesterséges",
    "intelligencia",
    "modell",
    "számítás",
    "energia",
    "szerver",
    "felhő",
    "szoftver",
    "hardver",
    "beruházás",
    "vállalat",
    "bevétel",
    "nyereség",
    "gyorsjelentés",
    "elemzés",
    "piac",
    "kereslet",
    "kínálat",
    "ár",
    "verseny",
    "szabályozás",
    "bank",
    "ügyfél",
    "számla",
    "kártya",
    "fizetés",
    "digitális",
    "biztonság",
    "adat",
    "hálózat",
    "kapacitás",
    "hatékonyság",
    "termelékenység",
    "export",
    "import",
]
COMMON = "piac"  # in every generated article
RARE_PREFIX = "ritkaszo"  # one article per 1,000 gets "ritkaszoNNN"


def _sentence(rng: random.Random, n: int) -> str:
    words = [rng.choice(WORDS) for _ in range(n)]
    return " ".join(words).capitalize() + "."


def article_texts(i: int) -> tuple[str, str, str, str, str]:
    """title, description, Markdown body, its HTML, its plain text: distinct per i."""
    rng = random.Random(i)
    title = f"{_sentence(rng, rng.randint(4, 7))[:-1]} {i}"
    description = _sentence(rng, rng.randint(14, 22))
    md, html, text = [], [], []
    for section in range(rng.randint(3, 5)):
        heading = _sentence(rng, 3)[:-1]
        md.append(f"## {heading}")
        html.append(f'<h2 id="s{section}">{heading}</h2>')
        text.append(heading)
        for _ in range(rng.randint(1, 3)):
            para = " ".join(_sentence(rng, rng.randint(8, 18)) for _ in range(rng.randint(2, 4)))
            if section == 0:
                para += f" A {COMMON} ma is figyel."
                if i % 1000 == 7:
                    para += f" {RARE_PREFIX}{i}"
            md.append(para)
            html.append(f"<p>{para}</p>")
            text.append(para)
    return title, description, "\n\n".join(md), "\n".join(html), " ".join(text)


_HEADING = re.compile(r'<h2 id="([^"]+)">([^<]*)</h2>')


def _headings(html: str) -> list[dict]:
    """The renderer report's headings of a generated body (all h2, none empty)."""
    return [{"level": 2, "id": m[1], "text": m[2], "empty": False} for m in _HEADING.finditer(html)]


def grow(target: int, now) -> None:
    """Add articles until there are `target` (bulk inserts, 2,000 a batch)."""
    from articles.checks import description_keys
    from articles.models import Article, Author, Byline, Tag
    from articles.text import fold_accents

    if not Author.objects.exists():
        Author.objects.bulk_create(
            Author(name=f"Szerző {n:02d}", slug=f"szerzo-{n:02d}") for n in range(40)
        )
        Tag.objects.bulk_create(Tag(name=f"Téma {n:02d}", slug=f"tema-{n:02d}") for n in range(60))
    authors = list(Author.objects.order_by("pk"))
    tags = list(Tag.objects.order_by("pk"))
    start = Article.objects.count()
    through = Article.tags.through
    for batch_start in range(start, target, 2000):
        batch = []
        for i in range(batch_start, min(target, batch_start + 2000)):
            title, description, body, html, text = article_texts(i)
            key, head, tail = description_keys(description)
            date = now - timedelta(minutes=10 * (target - i))
            batch.append(
                Article(
                    title=title,
                    slug=f"cikk-{i}",
                    description=description,
                    body=body,
                    body_html=html,
                    plain_text=text,
                    search_text=fold_accents(f"{title}\n{description}\n{text}").lower(),
                    word_count=len(text.split()),
                    date=date,
                    released=True,
                    content_changed_at=date,
                    description_key=key,
                    description_head=head,
                    description_tail=tail,
                    findings=[],
                    # What Article.save stores for the page's table of contents.
                    render_report={"headings": _headings(html)},
                    finding_errors=0,
                    finding_warnings=0,
                )
            )
        created = Article.objects.bulk_create(batch)
        Byline.objects.bulk_create(
            Byline(article=a, author=authors[(a.pk * 7 + n) % len(authors)], position=n)
            for a in created
            for n in range(1 + a.pk % 2)
        )
        through.objects.bulk_create(
            through(article=a, tag=tags[(a.pk * 13 + n * 7) % len(tags)])
            for a in created
            for n in range(2)
        )


def forget_memos() -> None:
    """Empty what reader pages keep per process (a feed item's escaped content, by its stored
    HTML; the table of contents and its list items): `--cold` measures a worker that never
    saw them."""
    from blog import article_page, feeds

    feeds._content.cache_clear()
    article_page.toc_items.cache_clear()
    article_page._toc_from_json.cache_clear()


def measure(client, url: str, repeat: int, cold: bool = False) -> tuple[float, float, int, int]:
    """Median wall and CPU milliseconds (CPU time of this process, in which SQLite runs too:
    on a shared machine wall time mostly measures the others), queries, status."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    response = client.get(url)  # warm: per-state totals cached, templates compiled
    status = response.status_code
    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    queries = len(captured.captured_queries)  # before the next request resets the log
    times, cpu = [], []
    for _ in range(repeat):
        if cold:
            forget_memos()
        started, started_cpu = time.perf_counter(), time.process_time()
        client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    return statistics.median(times), statistics.median(cpu), queries, status


def withdraw_to_404(admin_client) -> tuple[float, int]:
    """Page cache ON: the article is cached; an editor withdraws it through the admin; how
    long until, and after how many anonymous requests, a reader gets the 404."""
    from django.conf import settings
    from django.test import Client

    from articles.models import Article

    settings.MIDDLEWARE = PRODUCTION_MIDDLEWARE
    reader = Client()
    article = Article.objects.published().order_by("-date")[5]
    url = article.get_absolute_url()
    assert reader.get(url).status_code == 200
    assert reader.get(url).status_code == 200  # now from the page cache
    admin = Client()
    admin.force_login(admin_client)
    response = admin.post(
        "/admin/articles/article/", {"action": "withdraw", "_selected_action": [article.pk]}
    )
    committed = time.perf_counter()
    assert response.status_code == 302, response.status_code
    requests = 0
    while True:
        requests += 1
        if reader.get(url).status_code == 404:
            break
    elapsed = (time.perf_counter() - committed) * 1000
    Article.objects.filter(pk=article.pk).update(released=True)
    settings.MIDDLEWARE = UNCACHED_MIDDLEWARE
    return elapsed, requests


PRODUCTION_MIDDLEWARE: list[str] = []
UNCACHED_MIDDLEWARE: list[str] = []

_CALLGRIND_HELPER = """
#include <valgrind/callgrind.h>
void measure_start(void) { CALLGRIND_ZERO_STATS; CALLGRIND_START_INSTRUMENTATION; }
void measure_stop(void) { CALLGRIND_STOP_INSTRUMENTATION; CALLGRIND_DUMP_STATS; }
"""
COUNTED_REQUESTS = 2


def count_instructions(pages: dict[str, str], admin_session: str) -> dict[str, float]:
    """Instructions of one request of each page (mean of COUNTED_REQUESTS warm ones), counted
    by callgrind in a child process that reads the same database with the page cache off."""
    with tempfile.TemporaryDirectory(prefix="cikk-callgrind-") as temp:
        source, helper = Path(temp) / "helper.c", Path(temp) / "helper.so"
        source.write_text(_CALLGRIND_HELPER)
        subprocess.run(["gcc", "-O2", "-shared", "-fPIC", "-o", helper, source], check=True)
        names = list(pages)
        command = [
            "valgrind", "--tool=callgrind", "--instr-atstart=no",
            f"--callgrind-out-file={temp}/out.%p", sys.executable, __file__,
            "--count-child", str(helper), admin_session, *(pages[n] for n in names),
        ]  # fmt: skip
        subprocess.run(command, check=True, capture_output=True, env=os.environ)
        dumps = sorted(Path(temp).glob("out.*.*"), key=lambda p: int(p.suffix[1:]))
        totals = [int(re.search(r"^totals: (\d+)", d.read_text(), re.M).group(1)) for d in dumps]
    return {name: total / COUNTED_REQUESTS for name, total in zip(names, totals, strict=True)}


def count_child(helper: str, admin_session: str, urls: list[str]) -> int:
    """Runs under callgrind: warm each page once, then count COUNTED_REQUESTS of it."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings_test")
    import django

    django.setup()
    from django.conf import settings
    from django.test import Client

    settings.ALLOWED_HOSTS = ["testserver"]
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if "page_cache" not in m]
    marks = ctypes.CDLL(helper)
    reader, admin = Client(), Client()
    admin.cookies[settings.SESSION_COOKIE_NAME] = admin_session
    for url in urls:
        client = admin if url.startswith("/admin/") else reader
        client.get(url)
        marks.measure_start()
        for _ in range(COUNTED_REQUESTS):
            client.get(url)
        marks.measure_stop()
    return 0


def _kept(keep: Path, size: int) -> Path:
    """The kept database of `size` articles; when missing, a copy of the largest smaller one
    (or none: a new database) that the run then grows."""
    path = keep / f"scale-{size}.sqlite3"
    if not path.exists():
        smaller = sorted(
            (int(p.stem.split("-")[1]), p)
            for p in keep.glob("scale-*.sqlite3")
            if int(p.stem.split("-")[1]) < size
        )
        if smaller:
            shutil.copyfile(smaller[-1][1], path)
    return path


def _switch_to(keep: Path, size: int) -> None:
    """Point the default connection at the kept database of `size` articles."""
    from django.db import connection

    path = _kept(keep, size)
    os.environ["DATABASE_URL"] = f"sqlite:///{path}"  # for the --instructions child
    if connection.settings_dict["NAME"] != str(path):
        connection.close()
        connection.settings_dict["NAME"] = str(path)
        from django.core.management import call_command

        call_command("migrate", verbosity=0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument(
        "--instructions", action="store_true", help="also count instructions per request"
    )
    parser.add_argument("--keep", metavar="DIR", help="SQLite: keep and reuse grown databases")
    parser.add_argument(
        "--cold", action="store_true", help="empty the per-process memos before every request"
    )
    parser.add_argument("--count-child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.count_child:
        helper, session, *urls = args.count_child
        return count_child(helper, session, urls)
    sizes = [int(s) for s in args.sizes.split(",")]

    tmp = None
    keep = Path(args.keep).resolve() if args.keep else None
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
        os.environ["DATABASE_URL"] = f"sqlite:///{_kept(keep, sizes[0])}"
    elif not os.environ.get("DATABASE_URL"):
        tmp = tempfile.TemporaryDirectory(prefix="cikk-scale-")
        os.environ["DATABASE_URL"] = f"sqlite:///{tmp.name}/scale.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings_test")
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.cache import cache
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    global PRODUCTION_MIDDLEWARE, UNCACHED_MIDDLEWARE
    # No setup_test_environment(): its instrumented template rendering would be measured too.
    settings.ALLOWED_HOSTS = ["testserver"]
    PRODUCTION_MIDDLEWARE = list(settings.MIDDLEWARE)
    UNCACHED_MIDDLEWARE = [m for m in PRODUCTION_MIDDLEWARE if "page_cache" not in m]
    settings.MIDDLEWARE = UNCACHED_MIDDLEWARE
    call_command("migrate", verbosity=0)
    if connection.vendor == "postgresql":
        call_command("flush", "--noinput", verbosity=0)
    print(
        f"database: {connection.vendor}; page cache off; median of {args.repeat} warm requests; "
        f"load average {os.getloadavg()[0]:.2f}",
        flush=True,
    )
    admin = Client()
    reader = Client()
    now = timezone.now()
    results: dict[int, dict[str, tuple[float, int, int]]] = {}
    instructions: dict[int, dict[str, float]] = {}
    withdrawals = {}
    for size in sizes:
        started = time.perf_counter()
        if keep is not None:
            _switch_to(keep, size)
        admin_user = get_user_model().objects.filter(username="bench").first()
        if admin_user is None:
            admin_user = get_user_model().objects.create_superuser("bench", "b@example.com", "x")
        admin.force_login(admin_user)
        grow(size, now)
        if connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        else:
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        print(f"\n{size:,} articles (grown in {time.perf_counter() - started:.0f} s)", flush=True)
        cache.clear()
        middle = size // 2
        rare = f"{RARE_PREFIX}{(size // 2000) * 1000 + 7}"
        pages = {
            "article": f"/cikk/cikk-{middle}/",
            "home": "/",
            "home page 500": "/?oldal=500" if size >= 5000 else "/?oldal=50",
            "tag": "/cimke/tema-07/",
            "author": "/szerzo/szerzo-03/",
            "RSS": "/feed/rss/",
            "Atom": "/feed/atom/",
            "search common": f"/kereses/?q={COMMON}",
            "search rare": f"/kereses/?q={rare}",
            "search no hit": "/kereses/?q=zsirafnyak",
            "sitemap index": "/sitemap.xml",
            "sitemap page": "/sitemap-articles.xml",
            "admin list": "/admin/articles/article/",
            "admin search": f"/admin/articles/article/?q={COMMON}",
        }
        results[size] = {}
        for name, url in pages.items():
            client = admin if name.startswith("admin") else reader
            ms, cpu, queries, status = measure(client, url, args.repeat, args.cold)
            results[size][name] = (ms, cpu, queries, status)
            print(
                f"  {name:<15} {ms:9.1f} ms wall {cpu:9.1f} ms CPU {queries:3d} queries {status}",
                flush=True,
            )
        if args.instructions:
            admin.get("/admin/")  # the session is in the database: the child reuses it
            counted = count_instructions(pages, admin.cookies[settings.SESSION_COOKIE_NAME].value)
            instructions[size] = counted
            for name, count in counted.items():
                print(f"  {name:<15} {count / 1e6:9.1f} M instructions a request", flush=True)
        withdrawals[size] = withdraw_to_404(admin_user)
        print(
            f"  withdraw → 404: {withdrawals[size][0]:.1f} ms, on request "
            f"#{withdrawals[size][1]} after the commit",
            flush=True,
        )

    first, last = sizes[0], sizes[-1]
    header = " | ".join(f"{s:,}" for s in sizes)
    print(f"\n| page (CPU ms, wall ms) | {header} | CPU {last // first}× ÷ 1× | queries |")
    print("| --- | " + " | ".join("---:" for _ in sizes) + " | ---: | ---: |")
    for name in results[first]:
        cells = [f"{results[s][name][1]:.1f} ({results[s][name][0]:.0f})" for s in sizes]
        ratio = results[last][name][1] / max(results[first][name][1], 0.001)
        queries = "/".join(str(results[s][name][2]) for s in sizes)
        print(f"| {name} | " + " | ".join(cells) + f" | {ratio:.2f} | {queries} |")
    print(
        "| withdraw → first 404 | "
        + " | ".join(f"{withdrawals[s][0]:.1f} (req #{withdrawals[s][1]})" for s in sizes)
        + " | | |"
    )
    if instructions:
        print(f"\n| page (M instructions a request) | {header} | {last // first}× ÷ 1× |")
        print("| --- | " + " | ".join("---:" for _ in sizes) + " | ---: |")
        for name in instructions[first]:
            cells = [f"{instructions[s][name] / 1e6:.1f}" for s in sizes]
            ratio = instructions[last][name] / instructions[first][name]
            print(f"| {name} | " + " | ".join(cells) + f" | {ratio:.2f} |")
    if tmp is not None:
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

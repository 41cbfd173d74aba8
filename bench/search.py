"""PostgreSQL search over many seed-sized articles: the stored, GIN-indexed vector that
`blog.search` uses against a vector computed per row at query time (the approach before
migration 0005), measured in the same run on the same rows.

Usage (from the repository root; needs PostgreSQL, e.g. the throwaway server of .ci/):

    .ci/with-postgres .venv/bin/python bench/search.py [--n 2000] [--words 2500]

It works in a database of its own (Django's test database, `test_<name>`), created, migrated
and dropped by the script, so the database in DATABASE_URL is never written to.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT.parent / "shared" / "seeds" / "000_d6cdef30db0b064b.txt"
# Terms held by about half, by nearly all and by none of the articles (prefix-matched).
QUERIES = ("tsmc", "gyártási kihozatal", "zzyzx")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="articles (default 2000)")
    parser.add_argument("--words", type=int, default=2500, help="words per article")
    parser.add_argument("--old-rounds", type=int, default=1, help="rounds of the old query")
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings_test")
    import django

    django.setup()
    from django.db import connection

    if connection.vendor != "postgresql":
        print("bench/search.py needs PostgreSQL: DATABASE_URL=postgres://… (see .ci/with-postgres)")
        return 2
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        run(args)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    return 0


def run(args: argparse.Namespace) -> None:
    from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
    from django.db import connection
    from django.db.models import F
    from django.utils import timezone

    from articles.models import Article
    from articles.text import fold_accents
    from blog.search import SEARCH_CONFIG, parse_query, search

    source = SEED.read_text(encoding="utf-8") if SEED.exists() else ""
    words = fold_accents(source).lower().split() or ["kamat", "hozam", "chip", "tsmc"]
    now = timezone.now()
    rows = []
    for n in range(args.n):
        rng = random.Random(n)
        rows.append(
            Article(
                title=f"Cikk {n}",
                slug=f"cikk-{n}",
                description="Rövid leírás.",
                body="-",
                body_html="<p>-</p>",
                search_text=" ".join(rng.choices(words, k=args.words)),
                released=True,
                date=now,
            )
        )
    start = time.perf_counter()
    Article.objects.bulk_create(rows, batch_size=200)
    elapsed = time.perf_counter() - start
    print(f"{args.n} articles of {args.words} words inserted in {elapsed:.1f} s", end=" ")
    print(f"({elapsed / args.n * 1000:.1f} ms each, the trigger computing their vectors)")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE articles_article")

    def old(query):
        vector = (
            SearchVector("title", weight="A", config=SEARCH_CONFIG)
            + SearchVector("description", weight="B", config=SEARCH_CONFIG)
            + SearchVector("search_text", weight="C", config=SEARCH_CONFIG)
        )
        raw = " & ".join(f"{term}:*" for term in query.terms)
        search_query = SearchQuery(raw, config=SEARCH_CONFIG, search_type="raw")
        return (
            Article.objects.published()
            .annotate(search=vector, rank=SearchRank(vector, search_query))
            .filter(search=search_query)
            .order_by(F("rank").desc(), "-date", "-pk")
        )

    def timed(fn, query, rounds):
        best, count = float("inf"), 0
        for _ in range(rounds):
            start = time.perf_counter()
            list(fn(query)[:10])  # the first results page …
            count = fn(query).count()  # … and the paginator's count, as the view does
            best = min(best, time.perf_counter() - start)
        return best * 1000, count

    print(f"{'query':<22} {'matches':>7} {'new ms':>9} {'old ms':>10} {'old/new':>8}")
    for text in QUERIES:
        query = parse_query(text)
        new_ms, count = timed(search, query, 5)
        old_ms, old_count = timed(old, query, args.old_rounds)
        assert count == old_count, (text, count, old_count)
        print(f"{text:<22} {count:>7} {new_ms:>9.1f} {old_ms:>10.1f} {old_ms / new_ms:>7.0f}x")


if __name__ == "__main__":
    raise SystemExit(main())

"""Time the full rendering pipeline against plain `markdown.markdown()` on the seed article.

Usage (from the repository root):

    .venv/bin/python bench/render.py [PATH] [--repeat N]

Both are measured interleaved in the same run (one of each per round, so machine noise hits both
alike) and the medians are compared. Target: full pipeline (preprocess + Markdown with all
extensions + sanitizing) at most 4x plain Python-Markdown on the same text.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SEED = ROOT.parent / "shared" / "seeds" / "000_d6cdef30db0b064b.txt"
TARGET_RATIO = 4.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", type=Path, default=DEFAULT_SEED)
    parser.add_argument("--repeat", type=int, default=200, help="rounds (default 200)")
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT))
    # Test settings: no secret key needed, and rendering reads no other setting.
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings_test")
    import django

    django.setup()
    import frontmatter
    import markdown

    from articles.rendering import render

    text = frontmatter.loads(args.path.read_text(encoding="utf-8")).content

    # Warm-up: module imports, Pygments lexers, the per-thread Markdown instance.
    for _ in range(5):
        render(text)
        markdown.markdown(text)

    full: list[float] = []
    plain: list[float] = []
    clock = time.perf_counter
    for _ in range(args.repeat):
        start = clock()
        render(text)
        full.append(clock() - start)
        start = clock()
        markdown.markdown(text)
        plain.append(clock() - start)

    full_ms = statistics.median(full) * 1000
    plain_ms = statistics.median(plain) * 1000
    ratio = full_ms / plain_ms
    print(f"seed: {args.path} ({len(text)} characters), {args.repeat} rounds, medians")
    print(f"full pipeline (render):     {full_ms:8.2f} ms per render")
    print(f"plain markdown.markdown():  {plain_ms:8.2f} ms per render")
    print(f"ratio: {ratio:.2f}x (target <= {TARGET_RATIO:.0f}x) {'OK' if ratio <= 4 else 'OVER'}")
    return 0 if ratio <= TARGET_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())

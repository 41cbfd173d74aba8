"""Time the full rendering pipeline against plain `markdown.markdown()` on the seed article.

Usage (from the repository root):

    .venv/bin/python bench/render.py [PATH] [--repeat N]

Both are measured interleaved in the same run (one of each per round, so machine noise hits both
alike) and the medians are compared. Target: full pipeline (preprocess + Markdown with all
extensions + sanitizing) at most 4x plain Python-Markdown on the same text.

    .venv/bin/python bench/render.py [PATH] --instructions [--repeat N]

counts CPU instructions per render instead of timing (valgrind's callgrind, instrumentation on
only around the renders): slow, but the same figure however loaded the machine is, so two
versions can be compared on a shared machine. Needs valgrind, gcc and valgrind's headers.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SEED = ROOT.parent / "shared" / "seeds" / "000_d6cdef30db0b064b.txt"
TARGET_RATIO = 4.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", type=Path, default=DEFAULT_SEED)
    parser.add_argument("--repeat", type=int, default=200, help="rounds (default 200)")
    parser.add_argument(
        "--instructions", action="store_true", help="count instructions under callgrind"
    )
    parser.add_argument("--callgrind-helper", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.instructions:
        return count_instructions(args.path, min(args.repeat, 5))

    sys.path.insert(0, str(ROOT))
    # Test settings: no secret key needed, and rendering reads no other setting.
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings_test")
    import django

    django.setup()
    import frontmatter
    import markdown

    from articles.render import render

    text = frontmatter.loads(args.path.read_text(encoding="utf-8")).content

    # Warm-up: module imports, Pygments lexers, the per-thread Markdown instance.
    for _ in range(5):
        render(text)
        markdown.markdown(text)

    if args.callgrind_helper:  # running under callgrind: one measured block per function
        import ctypes

        helper = ctypes.CDLL(args.callgrind_helper)
        for function in (render, markdown.markdown):
            helper.measure_start()
            for _ in range(args.repeat):
                function(text)
            helper.measure_stop()
        return 0

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


_HELPER_C = """
#include <valgrind/callgrind.h>
void measure_start(void) { CALLGRIND_ZERO_STATS; CALLGRIND_START_INSTRUMENTATION; }
void measure_stop(void) { CALLGRIND_STOP_INSTRUMENTATION; CALLGRIND_DUMP_STATS; }
"""


def count_instructions(path: Path, repeat: int) -> int:
    """Run this script under callgrind with instrumentation only around the renders."""
    with tempfile.TemporaryDirectory(prefix="cikk-callgrind-") as temp:
        source, helper = Path(temp) / "helper.c", Path(temp) / "helper.so"
        source.write_text(_HELPER_C)
        subprocess.run(["gcc", "-O2", "-shared", "-fPIC", "-o", helper, source], check=True)
        command = [
            "valgrind", "--tool=callgrind", "--instr-atstart=no",
            f"--callgrind-out-file={temp}/out.%p", sys.executable, __file__, str(path),
            "--repeat", str(repeat), "--callgrind-helper", str(helper),
        ]  # fmt: skip
        subprocess.run(command, check=True, capture_output=True)
        dumps = sorted(Path(temp).glob("out.*.*"), key=lambda p: int(p.suffix[1:]))
        totals = [int(re.search(r"^totals: (\d+)", d.read_text(), re.M).group(1)) for d in dumps]
    full, plain = (total / repeat for total in totals[:2])
    print(f"seed: {path}, {repeat} renders each under callgrind")
    print(f"full pipeline (render):     {full / 1e6:8.1f} M instructions per render")
    print(f"plain markdown.markdown():  {plain / 1e6:8.1f} M instructions per render")
    print(f"ratio: {full / plain:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())

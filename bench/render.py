"""Time the full rendering pipeline against plain `markdown.markdown()` on the seed article.

Usage (from the repository root):

    .venv/bin/python bench/render.py [PATH] [--repeat N]

Both are measured interleaved in the same run (one of each per round, so machine noise hits both
alike) and the medians are compared. Target: full pipeline (preprocess + Markdown with all
extensions + sanitizing + report) at most 1.5x plain Python-Markdown on the same text.

It also times the sanitizer alone on the seed's Markdown HTML, interleaved: today's
(`articles.render.sanitize`: nh3 plus the report's pre-scan), bare `nh3.clean`, and the bleach
sanitizer Cikk used before (`articles/sanitize.py` + `articles/html_tokenizer.py` read from git
at OLD_SANITIZER_REV; skipped with a note when git history or bleach is not available).

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
TARGET_RATIO = 1.5
# The last commit with the bleach sanitizer (before the render package).
OLD_SANITIZER_REV = "8451b75"


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
    verdict = "OK" if ratio <= TARGET_RATIO else "OVER"
    print(f"ratio: {ratio:.2f}x (target <= {TARGET_RATIO:.1f}x) {verdict}")
    compare_sanitizers(markdown.markdown(text, extensions=["tables", "footnotes", "md_in_html"]))
    return 0 if ratio <= TARGET_RATIO else 1


def _old_sanitizer():
    """The bleach-based Sanitizer class as it was at OLD_SANITIZER_REV, or a reason why not."""
    import importlib.util
    import types

    try:
        import bleach  # noqa: F401
    except ImportError:
        return None, "bleach is not installed (pip install 'bleach[css]' to compare)"
    sources = {}
    for name in ("sanitize", "html_tokenizer"):
        shown = subprocess.run(
            ["git", "show", f"{OLD_SANITIZER_REV}:articles/{name}.py"],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        if shown.returncode:
            return None, f"git show {OLD_SANITIZER_REV} failed: {shown.stderr.strip()}"
        sources[name] = shown.stdout.replace("articles.html_tokenizer", "_old_cikk.html_tokenizer")
    package = types.ModuleType("_old_cikk")
    package.__path__ = []
    sys.modules["_old_cikk"] = package
    for name in ("html_tokenizer", "sanitize"):
        spec = importlib.util.spec_from_loader(f"_old_cikk.{name}", loader=None)
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        code = compile(sources[name], f"{OLD_SANITIZER_REV}:articles/{name}.py", "exec")
        exec(code, vars(module))
    return sys.modules["_old_cikk.sanitize"].Sanitizer(), None


def compare_sanitizers(html: str, rounds: int = 50) -> None:
    import nh3

    from articles.render.sanitize import sanitize

    old, why_not = _old_sanitizer()
    candidates = {"articles.render.sanitize (nh3 + report)": sanitize, "bare nh3.clean": nh3.clean}
    if old is not None:
        candidates[f"old bleach Sanitizer.clean ({OLD_SANITIZER_REV})"] = old.clean
    times: dict[str, list[float]] = {name: [] for name in candidates}
    for function in candidates.values():
        function(html)  # warm-up
    clock = time.perf_counter
    for _ in range(rounds):
        for name, function in candidates.items():
            start = clock()
            function(html)
            times[name].append(clock() - start)
    print(f"sanitizer alone on the seed's Markdown HTML ({len(html)} characters), {rounds} rounds:")
    for name, values in times.items():
        print(f"  {name:48} {statistics.median(values) * 1000:8.2f} ms")
    if why_not:
        print(f"  (old sanitizer skipped: {why_not})")


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

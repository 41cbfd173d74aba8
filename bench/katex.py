"""Time server-side math: the seed rendered with KaTeX in the process vs without typesetting,
and a generated post with 250 distinct formulas.

Usage (from the repository root):

    .venv/bin/python bench/katex.py [--repeat N]

"Without" is the same pipeline with each formula emitted as its escaped TeX (what the renderer
did when the browser typeset math), measured interleaved with "with" in one run, so machine
noise hits both alike; medians are compared. "Cold" clears the formula cache before every
render (a first import); "warm" keeps it (an article saved again). Targets (issue 13): seed
cold ≤ 1.3× without; the 250-formula post cold ≤ 400 ms. Exit status 0 only when both are met.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from html import escape
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SEED = ROOT.parent / "shared" / "seeds" / "000_d6cdef30db0b064b.txt"
SEED_RATIO = 1.3
POST_MS = 400.0


def generated_post(count: int = 250) -> str:
    """A long post of `count` distinct formulas of the shapes a finance text uses."""
    shapes = [
        r"P_{{{i}}} = P_0 (1 + r)^{{{i}}}",
        r"\frac{{\Delta Y_{{{i}}}}}{{Y}} \approx \alpha + \beta_{{{i}}} x",
        r"\sum_{{t=1}}^{{{i}}} \frac{{C_t}}{{(1+r)^t}}",
        r"\sigma_{{{i}}} = \sqrt{{\frac{{1}}{{n}} \sum (x_k - \bar x)^2}}",
        r"e^{{-\lambda {i}}} \cdot \mathbb{{E}}[X_{{{i}}}]",
    ]
    paragraphs = []
    for i in range(count):
        tex = shapes[i % len(shapes)].format(i=i + 1)
        if i % 10 == 9:
            paragraphs.append(f"$$\n{tex}\n$$")
        else:
            paragraphs.append(f"A(z) {i + 1}. képlet: $${tex}$$, és a szöveg folytatódik.")
    return "# Képletek\n\n" + "\n\n".join(paragraphs) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", type=Path, default=DEFAULT_SEED)
    parser.add_argument("--repeat", type=int, default=40, help="rounds (default 40)")
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings_test")
    import django

    django.setup()
    import frontmatter

    from articles import katex
    from articles.render import math as render_math
    from articles.render import render

    seed = frontmatter.loads(args.path.read_text(encoding="utf-8")).content
    post = generated_post()
    setter = katex.typesetter()
    real = render_math.katex.typeset_many

    def escaped(items: list[tuple[str, bool]]) -> list[katex.Output]:
        return [
            katex.Output(f"\\[{escape(tex, quote=False)}\\]" if display else escape(tex))
            for tex, display in items
        ]

    def run(text: str, *, math: bool, cold: bool) -> float:
        render_math.katex.typeset_many = real if math else escaped
        engines = setter.engines_started
        if cold:
            setter.cache.clear()
        start = time.perf_counter()
        rendered = render(text)
        elapsed = time.perf_counter() - start
        typeset = "katex-mathml" in rendered.html
        assert typeset is math and setter.engines_started == engines, "measured the wrong thing"
        return elapsed

    started = time.perf_counter()
    setter.warm()
    print(f"KaTeX {katex.katex_version()} engine start: {time.perf_counter() - started:.3f} s")
    for _ in range(5):  # imports, Pygments lexers, V8's JIT
        run(seed, math=True, cold=True)
        run(seed, math=False, cold=True)
        run(post, math=True, cold=True)

    without, cold, warm, post_without, post_cold, post_warm = [], [], [], [], [], []
    for _ in range(args.repeat):
        without.append(run(seed, math=False, cold=True))
        cold.append(run(seed, math=True, cold=True))
        warm.append(run(seed, math=True, cold=False))
        post_without.append(run(post, math=False, cold=True))
        post_cold.append(run(post, math=True, cold=True))
        post_warm.append(run(post, math=True, cold=False))
    render_math.katex.typeset_many = real

    def ms(values: list[float]) -> float:
        return statistics.median(values) * 1000

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"load average {load:.2f}; {args.repeat} interleaved rounds; medians")
    print(f"seed without typesetting     {ms(without):8.2f} ms")
    print(f"seed with KaTeX, cold cache  {ms(cold):8.2f} ms  ({ms(cold) / ms(without):.2f}x)")
    print(f"seed with KaTeX, warm cache  {ms(warm):8.2f} ms  ({ms(warm) / ms(without):.2f}x)")
    print(f"250-formula post, without    {ms(post_without):8.2f} ms")
    print(f"250-formula post, cold cache {ms(post_cold):8.2f} ms")
    print(f"250-formula post, warm cache {ms(post_warm):8.2f} ms")
    ok = ms(cold) / ms(without) <= SEED_RATIO and ms(post_cold) <= POST_MS
    print(
        f"targets: seed cold ≤ {SEED_RATIO}x without, post cold ≤ {POST_MS:.0f} ms: "
        + ("met" if ok else "NOT met")
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

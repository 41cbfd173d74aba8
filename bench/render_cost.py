"""Cost of rendering hostile shapes (issue 15): CPU seconds to render or refuse each shape at
50 KB and 500 KB, and random mixes, with the 500/50 ratio (linear ≈ 10, quadratic ≈ 100).

    DJANGO_SETTINGS_MODULE=config.settings_test .venv/bin/python bench/render_cost.py
"""

from __future__ import annotations

import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings_test")

import django

django.setup()

from articles.render import render  # noqa: E402
from articles.render_limits import RenderRefused  # noqa: E402

SHAPES = ["![", "<img a", "$$", "#", "<div>", "[a](b ", "["]


def measure(text: str) -> tuple[float, str]:
    start = time.process_time()
    try:
        render(text)
        outcome = "rendered"
    except RenderRefused as exc:
        outcome = f"refused ({exc.construct}, line {exc.line})"
    return time.process_time() - start, outcome


def mix(seed: int, size: int) -> str:
    rng = random.Random(seed)
    pieces = [
        lambda: rng.choice([s for s in SHAPES if s != "<div>"]) * rng.randint(1, 3),
        lambda: "Szöveg egy [hivatkozással](https://example.org/a) és $$x^{2}$$ képlettel. ",
        lambda: '<div class="custom-text-box">Doboz <b>félkövér</b></div>',
        lambda: "## Alcím",
        lambda: "| a | b |\n|---|---|\n| [x](y) | $$z$$ |",
    ]
    out, length = [], 0
    while length < size:
        piece = rng.choice(pieces)() + rng.choice([" ", "\n", "\n\n", "\n\n"])
        out.append(piece)
        length += len(piece)
    return "".join(out)[:size]


def main() -> None:
    render("warm up")
    cases = [(repr(u), lambda n, u=u: u * (n // len(u))) for u in SHAPES]
    cases += [(f"mix {seed}", lambda n, seed=seed: mix(seed, n)) for seed in (15, 2026)]
    print(f"{'input':<10} {'50 KB s':>9} {'500 KB s':>9} {'ratio':>6}  outcome at 500 KB")
    for label, make in cases:
        small, _ = measure(make(50_000))
        large, outcome = measure(make(500_000))
        ratio = max(large, 0.001) / max(small, 0.001)
        print(f"{label:<10} {small:9.3f} {large:9.3f} {ratio:6.1f}  {outcome}")


if __name__ == "__main__":
    main()

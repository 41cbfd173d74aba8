"""Benchmark: the importing process's own CPU per imported article, renders made ahead.

    .venv/bin/python bench/import_alone.py            # N = 300, per-step table
    .venv/bin/python bench/import_alone.py --n 1000

Why beside bench/import.py: there the importing process shares two cores with two render
workers, and its CPU per article grows with that contention (and with whatever else the
machine runs). Here the same files (bench/import.py's generator) are first read and rendered,
untimed, exactly as the pool's workers would (pickled BodyDerived), with their images stored as
a run stores them before later files render; then a fresh Importer reads, checks and writes
each file - `_prepare_limited`, unpickling the rendering, `_commit` - timed with
`time.process_time`, each step by bench/import.py's StepTimer. One process, one core: the
figure to compare between two trees.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import pickle
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _bench_import():
    spec = importlib.util.spec_from_file_location(
        "bench_import", Path(__file__).parent / "import.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=300, help="article count")
    args = parser.parse_args()
    bench = _bench_import()
    temp = Path(tempfile.mkdtemp(prefix="cikk-bench-alone-"))
    folder = temp / "cikkek"
    folder.mkdir()
    bench.generate(folder, args.n)
    os.environ.update(
        {
            "DATABASE_URL": f"sqlite:///{temp / 'bench.sqlite3'}",
            "MEDIA_ROOT": str(temp / "media"),
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": "bench-only-not-secret",
            "DJANGO_SETTINGS_MODULE": "config.settings",
        }
    )
    manage = [sys.executable, "manage.py", "migrate", "--noinput", "--skip-checks", "-v", "0"]
    subprocess.run(manage, cwd=ROOT, check=True)
    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)
    import django

    django.setup()
    from articles.images import store_image
    from articles.importing import FAILED, Importer, Outcome
    from articles.models import derive_body

    files = sorted(folder.glob("*.md"))
    ahead = Importer()
    rendered = []
    for path in files:  # untimed: what the render workers do
        prepared = ahead._prepare_limited(path, Outcome(path=str(path), status=FAILED))
        for image in prepared.checked.values():
            store_image(image, ahead.storage)
        rendered.append(pickle.dumps(derive_body(prepared.body)))

    importer = Importer()
    timer = bench.StepTimer()
    timer.install()
    spent = {"read, parse, check images": 0.0, "unpickle": 0.0, "commit": 0.0}
    for path, blob in zip(files, rendered, strict=True):
        outcome = Outcome(path=str(path), status=FAILED)
        started = time.process_time()
        prepared = importer._prepare_limited(path, outcome)
        read = time.process_time()
        note_stored = getattr(importer, "_note_stored", None)  # as a render is submitted
        if note_stored is not None:
            note_stored(prepared)
        derived = pickle.loads(blob)
        unpickled = time.process_time()
        importer._commit(prepared, derived)
        spent["read, parse, check images"] += read - started
        spent["unpickle"] += unpickled - read
        spent["commit"] += time.process_time() - unpickled
        if outcome.status not in ("created", "held"):
            sys.exit(f"import failed: {outcome.line()}")
    n = len(files)
    total = sum(spent.values())
    load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    print(f"N = {n}: importing process CPU {total / n * 1000:.1f} ms per article (load {load})")
    for name, seconds in spent.items():
        print(f"  {seconds / n * 1000:6.2f} ms  {name}")
    print("  per step (ms per article, calls per article; the timers add ~0.5 ms):")
    rows = timer.report(n, 0.0, 0.0)
    for name, (ms, calls) in sorted(rows.items(), key=lambda item: -item[1][0]):
        if calls:
            print(f"    {ms:6.2f}  {calls:4.1f}  {name}")


if __name__ == "__main__":
    main()

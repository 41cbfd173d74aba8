"""The reader pages are valid HTML according to the Nu Html Checker (the W3C validator's engine).

The pages are fetched with Django's test client (what the server sends, before any script runs)
and checked in ONE run of `java -jar vnu.jar`: the JVM takes seconds to start, a page takes
milliseconds. Errors fail the test; warnings are shown but do not fail it.
"""

import json
import subprocess
import warnings
from pathlib import Path

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def run_vnu(vnu_command: list[str], files: list[Path]) -> list[dict]:
    """Every message the checker has about `files` (one JVM for all of them)."""
    result = subprocess.run(
        [
            *vnu_command,
            # style attributes that authors wrote (the sanitizer keeps them) are CSS too
            "--also-check-css",
            "--format",
            "json",
            "--stdout",
            "--exit-zero-always",
            *map(str, files),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    try:
        report = json.loads(result.stdout)
    except json.JSONDecodeError:
        pytest.fail(
            f"the Nu Html Checker did not answer with JSON (exit status {result.returncode}):\n"
            f"{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
        )
    return report["messages"]


def describe(name: str, message: dict) -> str:
    """One message as `page:line:column [kind] text` and the markup it points at."""
    kind = message.get("subType") or message["type"]
    where = f"{name}:{message.get('lastLine', '?')}:{message.get('firstColumn', '?')}"
    extract = (message.get("extract") or "").replace("\n", "⏎")
    return f"{where} [{kind}] {message['message']}\n    in: {extract}"


def test_reader_pages_are_valid_html(vnu_command, reader_pages, tmp_path):
    client = Client()
    files: list[Path] = []
    for name, (path, status) in reader_pages.items():
        response = client.get(path)
        assert response.status_code == status, (name, path, response.status_code)
        assert response["Content-Type"].startswith("text/html"), (name, response["Content-Type"])
        html = response.content.decode()
        if name == "search":
            assert 'class="card"' in html, "the search must have results to check their markup"
        file = tmp_path / f"{name}.html"
        file.write_text(html, encoding="utf-8")
        files.append(file)

    messages = run_vnu(vnu_command, files)

    # The checker names each file by a "file:/…" URL; the file's stem is the page's name.
    by_page = [(Path(m.get("url", "?")).stem, m) for m in messages]
    unknown = [m for name, m in by_page if name not in reader_pages]
    assert unknown == [], f"the checker reported on something it was not given: {unknown}"
    errors = [describe(name, m) for name, m in by_page if m["type"] != "info"]
    notes = [describe(name, m) for name, m in by_page if m["type"] == "info"]
    if notes:
        warnings.warn("Nu Html Checker:\n" + "\n".join(notes), stacklevel=1)
    assert errors == [], "the Nu Html Checker found errors:\n" + "\n".join(errors + notes)

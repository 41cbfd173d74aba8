"""Frontmatter through python-frontmatter with Cikk's own YAML handler, and bounded input:
aliases, nesting, sizes, control characters, and operator errors in words (issues 12 and 15)."""

from __future__ import annotations

import contextlib
import io
import json
import os
import time
from pathlib import Path

import frontmatter
import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from frontmatter.default_handlers import YAMLHandler
from hypothesis import given, settings
from hypothesis import strategies as st

from articles.frontmatter import (
    HANDLER,
    CikkYAMLHandler,
    SourceError,
    decode,
    load_meta,
    parse,
    split_raw,
)
from articles.importing import FAILED, import_paths
from articles.models import Article
from articles.validators import (
    find_control_character,
    validate_no_control_characters,
    validate_single_line_text,
)
from tests.import_helpers import article_file, db_state, media_files, png_bytes

pytestmark = pytest.mark.django_db

# Six levels of nested aliases, 431 bytes: 10**6 strings once expanded (the attack of issue 15).
ALIAS_BOMB = (
    "bomba:\n"
    "  a0: &a0 [x,x,x,x,x,x,x,x,x,x]\n"
    "  a1: &a1 [*a0,*a0,*a0,*a0,*a0,*a0,*a0,*a0,*a0,*a0]\n"
    "  a2: &a2 [*a1,*a1,*a1,*a1,*a1,*a1,*a1,*a1,*a1,*a1]\n"
    "  a3: &a3 [*a2,*a2,*a2,*a2,*a2,*a2,*a2,*a2,*a2,*a2]\n"
    "  a4: &a4 [*a3,*a3,*a3,*a3,*a3,*a3,*a3,*a3,*a3,*a3]\n"
    "  a5: &a5 [*a4,*a4,*a4,*a4,*a4,*a4,*a4,*a4,*a4,*a4]\n"
    "  a6: &a6 [*a5,*a5,*a5,*a5,*a5,*a5,*a5,*a5,*a5,*a5]\n"
)


def write(folder: Path, text: str | bytes, name: str = "cikk.md") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return path


def import_one(path: Path, **options):
    (outcome,) = import_paths([path], **options)
    return outcome


def assert_fails_cleanly(path: Path, *messages: str, **options) -> str:
    before, media_before = db_state(), media_files()
    outcome = import_one(path, **options)
    assert outcome.status == FAILED, outcome
    for message in messages:
        assert message in outcome.reason
    assert "Error" not in outcome.reason  # no exception class names
    assert db_state() == before
    assert media_files() == media_before
    return outcome.reason


# --------------------------------------------------------------------------- python-frontmatter


def test_the_handler_is_python_frontmatters_and_works_through_its_api(seed_path):
    assert isinstance(HANDLER, YAMLHandler)
    text = decode(seed_path.read_bytes())
    post = frontmatter.loads(text, handler=CikkYAMLHandler())
    fm, _body = split_raw(text, is_txt=False)
    assert post.metadata == load_meta(fm)
    assert post["title"] == "Megéri Nvidiába fektetni?"
    assert post["date"] == "2024-12-24"  # dates stay text
    assert post.content.startswith("Az NVIDIA mára")


def test_export_is_read_back_identically():
    meta = {"title": "Árfolyam: 5%", "date": "2024-01-02", "tags": ["a", "b"], "x": {"y": [1]}}
    text = "---\n" + HANDLER.export(meta) + "---\nbody\n"
    assert load_meta(split_raw(text, is_txt=False)[0]) == meta
    assert list(load_meta(split_raw(text, is_txt=False)[0])) == list(meta)  # order kept


def test_a_later_rule_line_belongs_to_the_body():
    text = "---\ntitle: a\n---\nfirst\n\n---\n\nsecond\n"
    fm, body = split_raw(text, is_txt=False)
    assert fm == "title: a\n"
    assert body == "first\n\n---\n\nsecond\n"


def test_unknown_keys_keep_dates_as_written_and_duplicates_are_refused(tmp_path):
    path = article_file(tmp_path, extra="megjelent: 2024-01-02\nfrissitve: 2024-01-02 10:00")
    import_one(path)
    extra = Article.objects.get().extra
    assert extra == {"megjelent": "2024-01-02", "frissitve": "2024-01-02 10:00"}

    dup = write(tmp_path / "dup", "---\ntitle: A\ndate: 2024-01-01\ntitle: B\n---\nx\n")
    assert_fails_cleanly(dup, "line 4, column 1", "duplicate key 'title' (first given on line 2)")


def test_bom_and_crlf_keep_the_files_line_numbers_in_errors(tmp_path):
    data = b"\xef\xbb\xbf---\r\ntitle: A\r\ndate: 2024-01-01\r\nx: [a\r\n---\r\nbody\r\n"
    assert_fails_cleanly(write(tmp_path, data), "YAML error at line 5")
    ok = b"\xef\xbb\xbf---\r\ntitle: A\r\ndate: 2024-01-01\r\n---\r\nbody\r\n"
    assert import_one(write(tmp_path / "ok", ok)).status == "created"


# --------------------------------------------------------------------------- aliases and nesting


@pytest.mark.parametrize("dry_run", [False, True])
def test_the_alias_bomb_under_an_unknown_key_fails_fast_naming_the_line(tmp_path, dry_run):
    text = "---\ntitle: Bomba\ndate: 2024-01-01\n" + ALIAS_BOMB + "---\nszöveg\n"
    assert len(ALIAS_BOMB.encode()) <= 431
    started = time.perf_counter()
    reason = assert_fails_cleanly(
        write(tmp_path, text),
        "line 5, column 7: the YAML anchor '&a0' is not allowed",
        dry_run=dry_run,
    )
    assert time.perf_counter() - started < 1.0
    assert reason.startswith("line 5, column 7: the YAML anchor '&a0' is not allowed")
    assert "write values out" in reason


def test_the_alias_bomb_fails_through_the_command_with_dry_run(tmp_path):
    write(tmp_path, "---\ntitle: Bomba\ndate: 2024-01-01\n" + ALIAS_BOMB + "---\nx\n")
    out = io.StringIO()
    started = time.perf_counter()
    with pytest.raises(CommandError):
        call_command("import_articles", str(tmp_path), "--dry-run", stdout=out)
    assert time.perf_counter() - started < 2.0
    assert "failed: " in out.getvalue() and "anchor '&a0' is not allowed" in out.getvalue()
    assert "0 created" in out.getvalue()


@pytest.mark.parametrize(
    ("yaml_text", "message"),
    [
        ("x: *nincs\n", "line 4, column 4: the YAML alias '*nincs' is not allowed"),
        ("a: &k 1\nb: 2\n", "line 4, column 4: the YAML anchor '&k' is not allowed"),
        ("base: &b {x: 1}\nother:\n  <<: *b\n", "anchor '&b' is not allowed"),
        ("deep: " + "[" * 9 + "]" * 9 + "\n", "nested more than 8 levels deep"),
        ("deep: " + "[" * 5000 + "]" * 5000 + "\n", "line 4"),
        ("".join(f"{' ' * i}k{i}:\n" for i in range(12)) + " " * 12 + "v: 1\n", "levels deep"),
        ("big: 1" + "0" * 5000 + "\n", "the frontmatter has a value YAML cannot read"),
        ("nan: .nan\n", "'nan' holds nan, which Cikk cannot keep"),
    ],
    ids=["alias", "anchor", "merge-key", "nested", "very-deep", "block-deep", "huge-int", "nan"],
)
def test_hostile_yaml_is_refused_with_a_line(tmp_path, yaml_text, message):
    text = "---\ntitle: A\ndate: 2024-01-01\n" + yaml_text + "---\nx\n"
    started = time.perf_counter()
    reason = assert_fails_cleanly(write(tmp_path, text), message)
    assert time.perf_counter() - started < 1.0
    assert "Recursion" not in reason
    assert reason.count("line ") <= 1  # one message, not one wrapped in another


def test_an_ampersand_or_star_in_text_is_not_an_anchor(tmp_path):
    path = article_file(tmp_path, title="R&D és *csillag*", extra='megjegyzes: "a & b * c"')
    assert import_one(path).status == "created"
    assert Article.objects.get().title == "R&D és *csillag*"


# --------------------------------------------------------------------------- sizes


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ('description: "' + "d" * 1001 + '"', "'description' is 1,001 characters long, the limit"),
        ('image: "https://kepek.example/' + "k" * 480 + '.png"', "'image' is 506 characters"),
        ('tags: ["' + "t" * 101 + '"]', "is 101 characters long, the limit is 100"),
        ("tags: [" + ",".join(f"t{i}" for i in range(51)) + "]", "'tags' lists 51 tags"),
        ("megjegyzes: " + "m" * 17_000, "hold 17,018 characters together, the limit is 16,384"),
        ("k" * 101 + ": 1", "characters long, the limit is 100"),
        ("hosszu: |\n" + ("  " + "s" * 70 + "\n") * 1000, "the frontmatter is 73,"),
    ],
    ids=["description", "image", "tag", "tag-count", "extras", "extra-key", "frontmatter"],
)
def test_every_stored_value_is_bounded(tmp_path, extra, message):
    assert_fails_cleanly(article_file(tmp_path, extra=extra), message)


def test_title_and_author_bounds(tmp_path):
    assert_fails_cleanly(
        article_file(tmp_path / "t", title="c" * 301), "'title' is 301 characters long"
    )
    assert_fails_cleanly(
        article_file(tmp_path / "a", author='"' + "n" * 201 + '"'), "is 201 characters long"
    )
    many = "[" + ", ".join(f"Szerző {i}" for i in range(21)) + "]"
    assert_fails_cleanly(article_file(tmp_path / "m", author=many), "names 21 people")


def test_values_at_the_limits_import(tmp_path):
    path = article_file(
        tmp_path,
        title="c" * 300,
        extra='description: "' + "d" * 1000 + '"\ntags: [' + "t" * 100 + "]",
    )
    assert import_one(path).status == "created"


# --------------------------------------------------------------------------- control characters


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ('description: "a\\u0001b"', "'description' contains a control character (U+0001) at "),
        ('description: "a\\x7fb"', "(U+007F)"),
        ('megjegyzes: {belso: ["ok", "x\\u0008"]}', "'megjegyzes' contains a control character"),
        ('tags: ["a\\u000bb"]', "the tag 'a\\x0bb' contains a line break or control character"),
        ('"kulcs\\u0002": 1', "the key 'kulcs\\x02' contains"),
    ],
    ids=["description", "delete", "nested-extra", "tag", "key"],
)
def test_control_characters_are_refused_naming_the_key(tmp_path, extra, message):
    reason = assert_fails_cleanly(article_file(tmp_path, extra=extra), message)
    assert "delete it" in reason


def test_control_characters_in_title_author_and_body(tmp_path):
    assert_fails_cleanly(
        article_file(tmp_path / "t", title="a\\nb"),
        "'title' contains a line break or control character (U+000A) at column 2",
    )
    assert_fails_cleanly(
        article_file(tmp_path / "a", author='"Kiss\\u0000 Éva"'), "the author name 'Kiss\\x00 Éva'"
    )
    # The body's line is the FILE's line: 4 frontmatter lines, 2 delimiters and a blank line
    # come before the body's first line.
    path = article_file(tmp_path / "b", body="Első sor.\n\nMásodik \x0c sor.\n")
    assert_fails_cleanly(path, "body contains a control character (U+000C) at line 10, column 9")
    assert path.read_text().split("\n")[9].startswith("Második")


def test_tabs_and_line_breaks_are_fine_where_text_has_lines(tmp_path):
    path = article_file(
        tmp_path, extra='description: "két\\nsor\\tés tab"', body="a\tb\n\nc\r\nd\n"
    )
    assert import_one(path).status == "created"


def test_the_validator_for_the_admin_form_is_hungarian_and_names_the_place():
    validate_no_control_characters("sor\n\tsor")
    validate_single_line_text("egy sor")
    with pytest.raises(ValidationError) as info:
        validate_no_control_characters("első\nmás\x01odik")
    assert info.value.code == "control_character"
    message = info.value.messages[0]
    assert "U+0001" in message and "2. sor" in message and "4. karakter" in message
    with pytest.raises(ValidationError):
        validate_single_line_text("két\nsor")
    found = find_control_character("ab\ufffe")
    assert (found.line, found.column, found.codepoint) == (1, 3, "U+FFFE")
    assert find_control_character("ékezet – “idézet” 🙂") is None


# --------------------------------------------------------------------------- operator errors


@pytest.mark.parametrize(
    "date",
    ["0001-01-01", "9999-12-31T23:59:59-05:00", "1799-12-31", "2201-01-01"],
)
def test_a_date_out_of_range_is_a_clear_error(tmp_path, date):
    reason = assert_fails_cleanly(
        article_file(tmp_path, date=date), "'date'", "is out of range: use a year between 1800"
    )
    assert "Overflow" not in reason


def test_a_file_name_too_long_is_a_clear_error(tmp_path):
    path = tmp_path / ("h" * 300 + ".md")
    reason = assert_fails_cleanly(path, "the name is too long for the file system", "rename")
    assert "OSError" not in reason and "Errno" not in reason


def test_an_image_path_too_long_is_a_clear_error(tmp_path):
    path = article_file(tmp_path, body="![kép](" + "k" * 300 + ".png)\n")
    assert_fails_cleanly(path, "image 'kkk", "the name is too long for the file system")


def test_a_fifo_given_as_an_image_or_an_article_is_named_as_such(tmp_path):
    os.mkfifo(tmp_path / "kep.png")
    path = article_file(tmp_path, body="![kép](kep.png)\n")
    assert_fails_cleanly(path, "image 'kep.png' is a named pipe (FIFO), not an image file")
    (tmp_path / "mappa.png").mkdir()
    path = article_file(tmp_path / "m", extra="image: ../mappa.png")
    # (outside the file's own folder and the assets folder: refused before its type matters)
    assert_fails_cleanly(path, "leads outside the assets folder")
    path = article_file(tmp_path, "m2.md", extra="image: mappa.png")
    assert_fails_cleanly(path, "cover image 'mappa.png' is a folder, not an image file")

    os.mkfifo(tmp_path / "cso.md")
    started = time.perf_counter()
    assert_fails_cleanly(tmp_path / "cso.md", "not a regular file but a named pipe (FIFO)")
    assert time.perf_counter() - started < 1.0  # did not wait for a writer


def test_an_unreadable_file_says_permission_denied(tmp_path, monkeypatch):
    import errno

    import articles.importing as importing

    path = article_file(tmp_path)
    real_open = os.open

    def refuse(name, *args, **kwargs):
        if str(name) == str(path):
            raise PermissionError(errno.EACCES, "Permission denied", str(name))
        return real_open(name, *args, **kwargs)

    monkeypatch.setattr(importing.os, "open", refuse)
    reason = assert_fails_cleanly(path, "the file cannot be read: permission denied")
    assert "check the file's permissions" in reason and "Errno" not in reason


def test_parse_reports_like_the_importer():
    with pytest.raises(SourceError, match="line 3, column 4: the YAML alias"):
        parse(b"---\ntitle: A\nx: *a\n---\n")
    assert png_bytes()  # helpers import cleanly


# --------------------------------------------------------------------------- time limit


def test_a_file_over_the_time_limit_fails_and_writes_nothing(tmp_path, monkeypatch):
    import articles.importing as importing

    slow = article_file(tmp_path, "lassu.md", title="Lassú", body="LASSU\n")
    fast = article_file(tmp_path, "gyors.md", title="Gyors")
    real_derive = importing.derive_body

    def derive_body(body: str):
        if "LASSU" in body:
            time.sleep(30)  # interrupted by the limit
        return real_derive(body)

    monkeypatch.setattr(importing, "derive_body", derive_body)
    before, media_before = db_state(), media_files()
    started = time.perf_counter()
    outcomes = import_paths([slow], time_limit=0.5)
    assert time.perf_counter() - started < 3
    (outcome,) = outcomes
    assert outcome.status == FAILED
    assert outcome.reason.startswith("took longer than 0.5 s (the per-file limit)")
    assert "nothing was written" in outcome.reason and "--time-limit" in outcome.reason
    assert db_state() == before and media_files() == media_before
    # The run goes on with the next file, and the timer is gone afterwards.
    assert import_paths([fast], time_limit=0.5)[0].status == "created"
    time.sleep(0.7)


def test_the_worker_renders_under_the_same_limit(monkeypatch):
    import articles.importing as importing
    from articles.time_limit import TimeLimitExceeded

    monkeypatch.setattr(importing, "derive_body", lambda body: time.sleep(30))
    started = time.perf_counter()
    with pytest.raises(TimeLimitExceeded):
        importing.render_within("x", 0.3)
    assert time.perf_counter() - started < 2


@pytest.mark.parametrize("shape", ["![", "<img a", "[a](b ", "<div>", "$$"])
def test_pathological_bodies_finish_or_fail_within_the_limit(tmp_path, shape):
    """The shapes of issue 15, 60 KB each: either the renderer copes quickly, or the file fails
    at the limit; never a stalled run, never a half-written article."""
    path = article_file(tmp_path, body=shape * (60_000 // len(shape)) + "\n")
    before = db_state()
    started = time.perf_counter()
    (outcome,) = import_paths([path], time_limit=3)
    assert time.perf_counter() - started < 6
    assert outcome.status in ("created", FAILED), outcome
    if outcome.status == FAILED:
        # Refused up front by the renderer's cost check (naming the construct), or stopped
        # by the time limit; never an "internal error".
        assert "the body is refused: " in outcome.reason or "took longer than 3 s" in (
            outcome.reason
        ), outcome.reason
        assert "internal error" not in outcome.reason
        assert db_state() == before


def test_the_command_takes_a_time_limit(tmp_path):
    article_file(tmp_path)
    with pytest.raises(CommandError, match="--time-limit -1: must be 0"):
        call_command("import_articles", str(tmp_path), "--time-limit", "-1", stdout=io.StringIO())
    out = io.StringIO()
    call_command("import_articles", str(tmp_path), "--time-limit", "0", stdout=out)
    assert "created: " in out.getvalue()


def test_render_workers_stop_a_pathological_file_at_the_limit(tmp_path):
    article_file(tmp_path, "a.md", title="Rendes")
    article_file(tmp_path, "b.md", title="Kóros", body="<img a" * 20_000 + "\n")
    out = io.StringIO()
    started = time.perf_counter()
    with contextlib.suppress(CommandError):
        call_command(
            "import_articles", str(tmp_path), "--jobs", "2", "--time-limit", "2", stdout=out
        )
    assert time.perf_counter() - started < 15
    lines = out.getvalue().splitlines()
    assert any(line.startswith("created: ") and "a.md" in line for line in lines)
    (second,) = [line for line in lines if "b.md" in line]
    assert second.startswith("created: ") or "took longer than 2 s" in second


# --------------------------------------------------------------------------- linear and total


@pytest.mark.parametrize("shape", ["![", "<img a", "<img src=", "![a](", "[", "`", "<!--"])
def test_the_image_scan_is_linear(shape):
    from articles.importing import find_image_refs

    timings = []
    for size in (50_000, 200_000):
        body = shape * (size // len(shape))
        started = time.perf_counter()
        find_image_refs(body)
        timings.append(time.perf_counter() - started)
    # 4× the input: far below 16× (quadratic); generous for a loaded machine.
    assert timings[1] < 0.5 and timings[1] < 8 * timings[0] + 0.05, timings


YAMLISH = st.text(
    alphabet=st.sampled_from([*list("ab:-[]{}&*!|>'\"#,? \n\t%@`\\0123456789"), "\x01", "é"]),
    max_size=300,
)


@given(front=YAMLISH, body=st.text(max_size=200))
@settings(max_examples=300, deadline=None)
def test_any_frontmatter_is_an_article_or_a_clear_error(front, body):
    """No input makes the reader raise anything but SourceError (no traceback reaches the
    operator), and whatever it accepts is bounded and free of control characters."""
    try:
        source = parse(f"---\ntitle: Cím\ndate: 2024-01-01\n{front}\n---\n{body}".encode())
    except SourceError as exc:
        assert str(exc) and "Error" not in str(exc)
        return
    assert find_control_character(source.title) is None
    assert len(json.dumps(source.extra, ensure_ascii=False)) <= 16 * 1024

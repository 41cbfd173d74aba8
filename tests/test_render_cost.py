"""Bounded cost of rendering (issue 15): the shapes that made the renderer quadratic, at 50 and
500 KB and in random mixes, are rendered or refused in time that grows linearly with their
size; the refusal names the construct and its line; and an interactive render (admin save,
live preview) has a hard time limit.

Time is measured as this process's CPU time (time.process_time), so other work on a shared
machine does not make the ratio lie; the render-in-a-worker tests use wall-clock time, which
is what an editor waits.
"""

from __future__ import annotations

import random
import time

import pytest
from django.contrib.auth.models import Permission, User

from articles.forms import ArticleAdminForm
from articles.render import render
from articles.render_limits import (
    RenderRefused,
    RenderTimeout,
    check_render_cost,
    markdownify,
    render_bounded,
)

# The seven shapes of the hostile-input run, each repeated to the size under test.
SHAPES = ["![", "<img a", "$$", "#", "<div>", "[a](b ", "["]
SMALL, LARGE = 50_000, 500_000
# Linear growth makes the 500 KB case ~10× the 50 KB one; allow noise and constant costs, but
# not quadratic growth (100×).
MAX_RATIO = 25
# Generous: the point is "seconds, not minutes", on a slow shared machine.
ABSOLUTE_CAP_S = 30.0
# Below this, timings are noise (and a refusal is that fast): the ratio uses this as the floor.
FLOOR_S = 0.05


def render_or_refuse(text: str) -> tuple[float, str]:
    """CPU seconds to render `text` (or to refuse it), and what happened."""
    start = time.process_time()
    try:
        render(text)
        outcome = "rendered"
    except RenderRefused as exc:
        outcome = f"refused: {exc}"
    return time.process_time() - start, outcome


def assert_linear(small_text: str, large_text: str, label: str) -> tuple[str, str]:
    small_s, small_outcome = render_or_refuse(small_text)
    large_s, large_outcome = render_or_refuse(large_text)
    ratio = max(large_s, FLOOR_S) / max(small_s, FLOOR_S)
    detail = f"{label}: {small_s:.3f} s at 50 KB, {large_s:.3f} s at 500 KB ({ratio:.1f}×)"
    assert large_s < ABSOLUTE_CAP_S, detail
    assert ratio <= MAX_RATIO, detail
    return small_outcome, large_outcome


@pytest.mark.parametrize("unit", SHAPES)
def test_each_hostile_shape_is_linear_or_refused(unit):
    small = unit * (SMALL // len(unit))
    large = unit * (LARGE // len(unit))
    _small, large_outcome = assert_linear(small, large, repr(unit))
    if unit != "#":  # a line of hashes is cheap and harmless: rendered
        # At 500 KB every other shape is refused, saying what and where (for the importer's log
        # and the editor); at 50 KB some are still cheap enough to render.
        assert large_outcome.startswith("refused: ") and "from line 1" in large_outcome


def _mix(rng: random.Random, size: int, longest_run: int) -> str:
    """A random document: runs of every hostile shape (up to `longest_run` repeats), prose,
    links, math, house HTML blocks, headings, lists and tables, glued by random separators."""
    # Unclosed <div>s nest everything after them (refused beyond MAX_HTML_DEPTH), so short-run
    # documents close theirs.
    shapes = SHAPES if longest_run > 10 else [s for s in SHAPES if s != "<div>"]
    pieces = [
        lambda: rng.choice(shapes) * rng.randint(1, longest_run),
        lambda: "<div>" * rng.randint(1, 3) + "x" + "</div>" * 3,
        lambda: "Szöveg egy [hivatkozással](https://example.org/a) és $$x^{2}$$ képlettel. ",
        lambda: "![ábra](/media/images/x.png) ",
        lambda: '<div class="custom-text-box">Doboz <b>félkövér</b></div>',
        lambda: "## Alcím " + str(rng.randint(1, 99)),
        lambda: "- lista [elem](b) " + "[" * rng.randint(0, 3),
        lambda: "$$\nL(N) = a N^{-\\alpha}\n$$",
        lambda: "| a | b |\n|---|---|\n| [x](y) | $$z$$ |",
    ]
    separators = [" ", "\n", "\n\n", "\n\n", "\n\n\n"]
    out: list[str] = []
    length = 0
    while length < size:
        piece = rng.choice(pieces)() + rng.choice(separators)
        out.append(piece)
        length += len(piece)
    return "".join(out)[:size]


@pytest.mark.parametrize("seed", [15, 2026])
def test_random_mixes_with_short_runs_render_in_linear_time(seed):
    """Stray brackets, tags and dollars here and there: rendered, not refused, and linear."""
    small = _mix(random.Random(seed), SMALL, longest_run=3)
    # The same kind of content (same generator, same seed) at 10× the size.
    large = _mix(random.Random(seed), LARGE, longest_run=3)
    outcomes = assert_linear(small, large, f"mix seed {seed}")
    assert outcomes == ("rendered", "rendered")


@pytest.mark.parametrize("seed", [15, 2026])
def test_random_mixes_with_long_runs_are_linear_or_refused(seed):
    small = _mix(random.Random(seed), SMALL, longest_run=2000)
    large = _mix(random.Random(seed), LARGE, longest_run=2000)
    assert_linear(small, large, f"hostile mix seed {seed}")


def test_the_magazine_article_and_ordinary_markup_are_never_refused(seed_text):
    check_render_cost(seed_text)
    check_render_cost("[a] [b](c) ![d](e) $$x$$ <div><div><b>x</b></div></div> a < b > c")
    check_render_cost(("Szöveg [link](u) és $$x$$ képlet.\n" * 2000 + "\n") * 20)


@pytest.mark.parametrize(
    ("text", "construct", "line"),
    [
        ("Bevezető.\n\n" + "![" * 5000, "brackets", 3),
        ("a\n\nb\n\n" + "[a](b " * 2000, "brackets", 5),
        ("Cím\n\n" + "$$" * 5000, "dollars", 3),
        ("a\n\n" * 3 + "x\n" * 4 + "<img a" * 40000, "inline", 7),
        ("x\n" * 4 + "<div>" * 500, "depth", 5),
    ],
)
def test_a_refusal_names_the_construct_and_the_line(text, construct, line):
    with pytest.raises(RenderRefused) as caught:
        check_render_cost(text)
    assert caught.value.construct == construct
    assert caught.value.line == line
    assert f"from line {line}" in str(caught.value)
    assert f"{line}. sortól" in caught.value.user_message  # the editor's message, Hungarian


def test_a_render_over_the_time_limit_is_stopped_and_the_next_one_works():
    # Passes the shape check, but is far too long to render in 10 ms.
    text = "Szöveg [link](u) és **kiemelés**.\n\n" * 20_000
    started = time.monotonic()
    with pytest.raises(RenderTimeout) as caught:
        render_bounded(text, timeout=0.01)
    assert time.monotonic() - started < 5
    assert "másodpercnél tovább" in caught.value.user_message
    # The stopped worker is replaced: the next render works.
    assert "<strong>rendben</strong>" in render_bounded("**rendben**", timeout=30).html


def test_the_live_preview_answers_a_hostile_paste_with_a_notice_not_a_500(client, db):
    user = User.objects.create_user("szerk", password="x", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="change_article"))
    client.force_login(user)
    started = time.monotonic()
    response = client.post(
        "/markdownx/markdownify/",
        {"content": "![" * 60_000},
        HTTP_X_REQUESTED_WITH="XMLHttpRequest",
    )
    assert time.monotonic() - started < 5
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="render-refused"' in html and "1. sortól" in html
    assert "<strong>x</strong>" in markdownify("**x**")


def test_the_admin_form_refuses_a_pathological_body_with_a_field_error(db):
    form = ArticleAdminForm(
        data={
            "title": "Gonosz",
            "slug": "gonosz",
            "date": "2024-12-24 10:00",
            "body": "Rendes bekezdés.\n\n" + "![" * 20_000,
            "extra": "{}",
        }
    )
    assert not form.is_valid()
    assert "3. sortól" in " ".join(form.errors["body"])

"""KaTeX on the server (articles/katex.py): real typesetting in V8, KaTeX's messages, the limits
that keep hostile TeX cheap and inert, threads, forks and the cache."""

import json
import multiprocessing
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from articles import katex
from articles.katex import Typesetter

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.skipif(
    not (ROOT / "node_modules" / "katex" / "dist" / "katex.min.js").exists()
    and os.environ.get("CI") != "true",
    reason="KaTeX is not installed (run make): node_modules/katex is missing",
)

# Markup that can make a browser do anything beyond drawing: elements, attributes, URLs.
_ACTIVE = re.compile(
    r"<(?:a|script|iframe|img|object|embed|form|input|link|style|image|use|foreignObject)\b"
    r"|\son\w+\s*=|\s(?:href|src|xlink:href|action|formaction|data-[\w-]+)\s*=|javascript:"
    r"|url\(",
    re.IGNORECASE,
)


@pytest.fixture(scope="module")
def setter() -> Typesetter:
    typesetter = Typesetter()
    yield typesetter
    typesetter.close()


def test_version_is_the_pinned_one_and_the_engine_runs_it(setter):
    lock = json.loads((ROOT / "package-lock.json").read_text())
    assert katex.katex_version() == lock["packages"]["node_modules/katex"]["version"]
    setter.warm()  # Engine() refuses a script of another release; it started, so they match


def test_inline_formula_has_html_and_mathml_with_the_tex(setter):
    out = setter.typeset(r"\mathbb{R}^n", display=False)
    assert out.error is None
    assert out.html.startswith('<span class="katex">')
    assert '<math xmlns="http://www.w3.org/1998/Math/MathML">' in out.html
    assert '<mi mathvariant="double-struck">R</mi>' in out.html
    assert '<annotation encoding="application/x-tex">\\mathbb{R}^n</annotation>' in out.html
    assert '<span class="katex-html" aria-hidden="true">' in out.html
    assert "katex-display" not in out.html


def test_display_formula_is_display(setter):
    out = setter.typeset(r"L(N) = a N^{-\alpha}", display=True)
    assert out.error is None
    assert out.html.startswith('<span class="katex-display">')
    assert 'display="block"' in out.html


def test_display_only_environment_refused_inline_with_katexs_message(setter):
    out = setter.typeset(r"\begin{align}a&=b\end{align}", display=False)
    assert out.html == ""
    assert out.error == "KaTeX parse error: {align} can be used only in display mode."
    assert setter.typeset(r"\begin{align}a&=b\end{align}", display=True).error is None


def test_parse_error_message_is_katexs_and_short(setter):
    out = setter.typeset(r"\frac{a}{", display=False)
    assert out.html == ""
    assert out.error.startswith("KaTeX parse error: Unexpected end of input")
    assert "\n" not in out.error and len(out.error) < 300  # no V8 stack, no script quoted
    undefined = setter.typeset(r"\foo + 1", display=False)
    assert undefined.error.startswith("KaTeX parse error: Undefined control sequence: \\foo")


def test_a_formula_cannot_define_macros_for_the_next_one(setter):
    assert setter.typeset(r"\gdef\cikkx{1}\cikkx", display=False).error is None
    later = setter.typeset(r"\cikkx", display=False)
    assert "Undefined control sequence" in later.error


@pytest.mark.parametrize(
    "tex",
    [
        r"\href{javascript:alert(1)}{x}",
        r"\url{javascript:alert(1)}",
        r"\htmlClass{skip-link}{x}",
        r"\htmlId{tartalom}{x}",
        r"\htmlStyle{position:fixed;inset:0}{x}",
        r"\htmlData{foo=bar}{x}",
        r"\includegraphics{http://example.com/x.png}",
    ],
)
def test_untrusted_commands_are_errors_and_never_markup(setter, tex):
    started = time.process_time()
    out = setter.typeset(tex, display=False)
    assert time.process_time() - started < 1
    assert out.html == ""
    command = tex[: tex.index("{")]
    assert out.error == (
        f"KaTeX: {command} is not allowed: a formula cannot make links, images or HTML"
    )


@pytest.mark.parametrize(
    "tex",
    [
        r"\color{red;background:url(http://example.com/x)}{x}",
        r"\textcolor{expression(alert(1))}{x}",
    ],
)
def test_colours_cannot_smuggle_css(setter, tex):
    out = setter.typeset(tex, display=False)
    assert out.html == ""
    assert "Invalid color" in out.error


def test_allowed_colour_and_rule_only_draw(setter):
    out = setter.typeset(r"\textcolor{#f00}{a} \rule{1em}{1em}", display=False)
    assert out.error is None
    assert not _ACTIVE.search(out.html), _ACTIVE.search(out.html)


def test_huge_rule_is_capped_at_max_size(setter):
    out = setter.typeset(r"\rule{100000em}{100000em}", display=True)
    assert out.error is None
    drawn = out.html.split("</annotation>", 1)[1]  # the TeX itself stays in the annotation
    assert "100000" not in drawn
    sizes = [float(v) for v in re.findall(r"[\w-]+:\s*([\d.]+)em", drawn)]
    assert sizes and max(sizes) <= katex.MAX_SIZE_EM + 1


def test_macro_loop_stops_at_max_expand_quickly(setter):
    started = time.process_time()
    out = setter.typeset(r"\def\a{\a\a}\a", display=False)
    assert time.process_time() - started < 1
    assert out.html == ""
    assert out.error.startswith("KaTeX parse error: Too many expansions")


def test_exponential_macro_is_stopped_by_the_time_or_memory_limit():
    # Eight copies per level, four levels: few expansions (KaTeX's limit does not trip) but
    # 4096 copies of the text, which takes seconds. The limits end it, and the engine is fine.
    setter = Typesetter(time_limit=0.3)
    try:
        tex = r"\def\a#1{#1#1#1#1#1#1#1#1}" + r"\a{" * 4 + "x" * 30 + "}" * 4
        # CPU time of the process (V8 runs in one of its threads), not wall time: on a busy
        # machine a starved formula is tried again (see below), which is wall time only.
        started = time.process_time()
        out = setter.typeset(tex, display=False)
        spent = time.process_time() - started
        assert out.html == ""
        retried = f"{katex.RETRY_TIME_LIMIT_SECONDS:g} s" in out.error
        assert spent < (katex.RETRY_TIME_LIMIT_SECONDS + 1 if retried else 2)
        # A formula starved of CPU on a busy machine is tried once more with the longer limit,
        # and that try's limit is then the one named.
        assert out.error in (
            "KaTeX: the formula took longer than 0.3 s",
            f"KaTeX: the formula took longer than {katex.RETRY_TIME_LIMIT_SECONDS:g} s",
            "KaTeX: the formula needs too much memory",
        )
        assert setter.typeset("x+1", display=False).error is None  # next formula typesets
        assert (katex.katex_version(), False, tex) not in setter.cache._items  # not cached
    finally:
        setter.close()


def test_memory_limit_ends_the_formula_and_a_fresh_engine_takes_over():
    setter = Typesetter(memory_limit=8 * 1024 * 1024)
    try:
        tex = r"\def\a#1{#1#1#1#1#1#1#1#1}" + r"\a{" * 4 + "x" * 30 + "}" * 4
        out = setter.typeset(tex, display=False)
        assert out.error == "KaTeX: the formula needs too much memory"
        assert setter.typeset(r"\sqrt{2}", display=False).error is None
        assert setter.engines_started == 2
    finally:
        setter.close()


def test_deep_nesting_is_an_error_not_a_crash(setter):
    out = setter.typeset("x^{" * 5000 + "x" + "}" * 5000, display=False)
    assert out.html == ""
    assert out.error  # V8's "Maximum call stack size exceeded", caught inside the engine
    assert setter.typeset("y", display=False).error is None


def test_too_long_tex_is_refused_without_running_katex(setter):
    out = setter.typeset("x+" * katex.MAX_TEX_LENGTH, display=False)
    assert out.error == f"KaTeX: the formula is longer than {katex.MAX_TEX_LENGTH} characters"


def test_identical_formulas_are_typeset_once(setter):
    tex = rf"\sum_{{i=1}}^{{n}} i^{{{time.monotonic_ns()}}}"
    first = setter.typeset(tex, display=False)
    key = (katex.katex_version(), False, tex)
    assert setter.cache.get(key) is first
    assert setter.typeset(tex, display=False) is first
    display = setter.typeset(tex, display=True)
    assert display is not first and display.html != first.html  # display mode is in the key


def test_cache_is_bounded_by_bytes():
    setter = Typesetter(cache_bytes=20_000)
    try:
        for index in range(60):
            setter.typeset(f"x_{{{index}}}", display=False)
        assert setter.cache.used <= 20_000
        assert 0 < len(setter.cache) < 60
        assert setter.typeset("x_{59}", display=False) is setter.cache.get(
            (katex.katex_version(), False, "x_{59}")
        )
    finally:
        setter.close()


def test_threads_share_one_engine_safely():
    setter = Typesetter()
    results: dict[int, list[str]] = {}
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            results[n] = [
                setter.typeset(rf"\frac{{{n}}}{{{i}}}", display=False).html for i in range(15)
            ]
        except BaseException as error:
            errors.append(error)

    try:
        threads = [threading.Thread(target=work, args=(n,)) for n in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert not errors
        assert setter.engines_started == 1
        for n, htmls in results.items():
            for i, html in enumerate(htmls):
                assert f"<mfrac><mn>{n}</mn><mn>{i}</mn></mfrac>" in html
    finally:
        setter.close()


def _typeset_in_child(tex: str) -> tuple[int, str]:
    from articles import katex as child_katex

    out = child_katex.typeset(tex, display=False)
    return os.getpid(), out.html


def test_forked_workers_build_their_own_engine():
    """An engine made before fork is unusable in the child (its threads stayed behind): a
    forked worker typesets with its own, and exits without hanging."""
    katex.typeset("a+b", display=False)  # the parent's engine exists
    context = multiprocessing.get_context("fork")
    with context.Pool(2) as pool:
        results = pool.map(_typeset_in_child, [r"\alpha", r"\beta", r"\gamma"], chunksize=1)
    assert {pid for pid, _ in results}.isdisjoint({os.getpid()})
    assert "<mi>α</mi>" in results[0][1]
    assert "<mi>γ</mi>" in results[2][1]
    assert "<mi>b</mi>" in katex.typeset("a+b", display=False).html  # parent still works


_CHILD_SCRIPT = """
import os, sys
import django
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings_test"
django.setup()
from articles import katex
setter = katex.Typesetter(time_limit=0.2)
tex = r"\\def\\a#1{#1#1#1#1#1#1#1#1}\\a{\\a{\\a{\\a{xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx}}}}"
print(setter.typeset(tex, display=False).error)
print(katex.typeset("x", display=False).error)
pid = os.fork()
if pid == 0:
    print("child", katex.typeset(r"\\beta", display=False).error, flush=True)
    sys.exit(0)  # a normal exit, with the parent's engine inherited
os.waitpid(pid, 0)
print("done", flush=True)
"""


def test_process_exit_never_hangs_after_a_timeout_or_a_fork():
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-c", _CHILD_SCRIPT],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "RAW:" not in result.stderr  # V8's abseil complaining about a finalised engine
    lines = result.stdout.splitlines()
    assert lines[0].startswith("KaTeX: the formula")
    assert lines[1:] == ["None", "child None", "done"]
    assert time.perf_counter() - started < 30


def test_works_from_a_thread_running_an_event_loop():
    """ASGI views and Playwright's sync API call us with a running asyncio loop."""
    import asyncio

    async def main() -> str:
        setter = Typesetter()
        try:
            return setter.typeset(r"\sqrt{x}", display=False).html
        finally:
            setter.close()

    # In a thread of its own: the test process's main thread may already run a loop (the
    # browser tests' Playwright does), where asyncio.run() is refused.
    results: list[str] = []
    worker = threading.Thread(target=lambda: results.append(asyncio.run(main())))
    worker.start()
    worker.join(timeout=30)
    assert results and "<msqrt><mi>x</mi></msqrt>" in results[0]


def test_many_formulas_in_one_call_give_the_same_results_as_one_by_one():
    batch = Typesetter()
    single = Typesetter()
    try:
        items = [(r"\frac{1}{2}", False), (r"\frac{1}{", False), ("x^2", True), ("x^2", False)]
        items += [(r"\href{javascript:x}{y}", False), (r"\frac{1}{2}", False)]
        many = batch.typeset_many(items)
        assert many == [single.typeset(tex, display=display) for tex, display in items]
        assert many[1].error.startswith("KaTeX parse error")
        assert "not allowed" in many[4].error
        assert len(batch.cache) == 5  # the repeated formula once
    finally:
        batch.close()
        single.close()


def test_a_hostile_formula_in_a_batch_costs_only_its_own_limit():
    setter = Typesetter(time_limit=0.3)
    try:
        slow = r"\def\a#1{#1#1#1#1#1#1#1#1}" + r"\a{" * 4 + "x" * 30 + "}" * 4
        started = time.process_time()  # CPU, not wall time: see the test above
        outputs = setter.typeset_many([("a+b", False), (slow, False), (r"\beta", False)])
        spent = time.process_time() - started
        assert outputs[0].error is None and outputs[2].error is None
        retry = f"KaTeX: the formula took longer than {katex.RETRY_TIME_LIMIT_SECONDS:g} s"
        assert outputs[1].error in (
            "KaTeX: the formula took longer than 0.3 s",
            retry,  # starved of CPU on a busy machine, tried once more with the longer limit
            "KaTeX: the formula needs too much memory",
        )
        assert spent < (katex.RETRY_TIME_LIMIT_SECONDS + 2 if outputs[1].error == retry else 3)
    finally:
        setter.close()


def test_a_formula_starved_of_cpu_gets_a_second_try(monkeypatch):
    """The limit is wall-clock: a formula that ran out of time without computing (the machine
    was busy) is tried again with a longer limit, so a real formula never becomes an error."""
    setter = Typesetter(time_limit=0.000001)
    try:
        setter.typeset("y", display=False)  # the engine starts (not under test)
        monkeypatch.setattr(katex.time, "process_time", lambda: 0.0)  # no CPU time at all
        out = setter.typeset(r"\frac{a}{b}", display=False)
        assert out.error is None and "<math" in out.html
    finally:
        setter.close()

"""KaTeX inside the Python process: formulas are typeset when an article is saved, never in a
reader's browser.

The engine is the pinned npm KaTeX (`node_modules/katex/dist/katex.min.js`, the same release
whose CSS and fonts the site serves) evaluated by V8 through mini-racer. It is built lazily,
once per process, and used under a lock (one V8 isolate runs one script at a time). The script
never gets a network, file or timer API beyond what mini-racer installs, so a formula can only
compute; the limits below bound how long and how much:

- KaTeX's own: `maxExpand` (macro expansions), `maxSize` (user sizes such as `\\rule`, in em),
  `trust: false` (no `\\href`, `\\url`, `\\includegraphics`, `\\html…`: KaTeX shows them as
  unsupported; we report them as errors so that an editor sees them);
- ours: the TeX's length, a wall-clock limit per formula (V8 terminates the script), a hard heap
  limit for the isolate (an engine that reached it is thrown away), and the output's length.

Forks: a V8 engine does not survive `fork()` (its threads stay behind in the parent), and closing
one that was inherited blocks forever. So each process builds its own engine: a child that
inherited one leaves it alone, pinned so that it is never finalised. An engine is closed
explicitly at exit, since V8 can otherwise block the interpreter's shutdown after a timeout.

Results are cached in a bounded LRU keyed by (KaTeX version, display, TeX): an article saved
again, or a formula used twice, is typeset once.
"""

from __future__ import annotations

import asyncio
import atexit
import ctypes
import json
import os
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.conf import settings
from py_mini_racer import (
    JSEvalException,
    JSOOMException,
    JSTimeoutException,
    MiniRacer,
    init_mini_racer,
)

# KaTeX's limits (see katex.org/docs/options): 50 em is a page's width; 1000 expansions is
# KaTeX's default and far more than any real formula needs.
MAX_SIZE_EM = 50
MAX_EXPAND = 1000
# Ours.
MAX_TEX_LENGTH = 10_000  # characters of TeX per formula; the seed's longest has ~100
MAX_HTML_LENGTH = 2_000_000  # characters of output per formula
TIME_LIMIT_SECONDS = 1.0  # per formula; a real one takes about a millisecond
# The limit is wall-clock: on a loaded machine (an import beside a test run) a real formula can
# run out of time while hardly running. One that got less than half its time on a CPU gets one
# more try this long; one that really computed all along (a hostile macro) does not.
RETRY_TIME_LIMIT_SECONDS = 4.0
MEMORY_LIMIT_BYTES = 96 * 1024 * 1024  # KaTeX itself needs ~2 MB of heap
CACHE_BYTES = 32 * 1024 * 1024  # of cached HTML (a seed formula is ~2 KB)


class KatexUnavailable(RuntimeError):
    """node_modules/katex is missing or not the version package-lock.json pins."""


@dataclass(frozen=True)
class Output:
    """One formula: KaTeX's HTML + MathML, or why it could not be typeset."""

    html: str
    error: str | None = None


def katex_dir() -> Path:
    return Path(settings.BASE_DIR) / "node_modules" / "katex"


@cache
def katex_version() -> str:
    """The KaTeX release package-lock.json pins (part of the renderer's version).

    Read from the lock rather than from the engine so that it is known without starting V8;
    the engine checks on start that the installed script is that release.
    """
    lock_path = Path(settings.BASE_DIR) / "package-lock.json"
    try:
        lock = json.loads(lock_path.read_text(encoding="utf-8"))
        return str(lock["packages"]["node_modules/katex"]["version"])
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise KatexUnavailable(f"{lock_path}: no pinned KaTeX version ({error})") from error


# Evaluated once per engine after katex.min.js. `__cikkTypeset` never throws for a bad formula:
# it returns KaTeX's message, so that V8's stack trace (which quotes the whole script) never
# reaches an editor. `trust` is a function that refuses everything and records what was asked,
# so that a formula using \href & co. is reported instead of silently showing red text.
_BOOTSTRAP = """
globalThis.__cikkTypeset = function (tex, display, maxHtml) {
  var refused = [];
  try {
    var html = katex.renderToString(tex, {
      displayMode: display,
      output: "htmlAndMathml",
      throwOnError: true,
      strict: "ignore",
      trust: function (context) { refused.push(context.command); return false; },
      maxSize: MAX_SIZE_EM,
      maxExpand: MAX_EXPAND
    });
    if (refused.length) {
      return JSON.stringify({error: "KaTeX: " + refused.join(", ") +
        " is not allowed: a formula cannot make links, images or HTML"});
    }
    if (html.length > maxHtml) {
      return JSON.stringify({error: "KaTeX: the typeset formula is too large"});
    }
    return JSON.stringify({html: html});
  } catch (error) {
    var message = (error && error.message) ? String(error.message) : String(error);
    if (!(error instanceof katex.ParseError)) { message = "KaTeX: " + message; }
    return JSON.stringify({error: message});
  }
};
globalThis.__cikkTypesetMany = function (items, maxHtml) {
  return "[" + items.map(function (item) {
    return __cikkTypeset(item[0], item[1], maxHtml);
  }).join(",") + "]";
};
katex.version
""".replace("MAX_SIZE_EM", str(MAX_SIZE_EM)).replace("MAX_EXPAND", str(MAX_EXPAND))


class Engine:
    """One V8 isolate with KaTeX loaded; not thread-safe on its own (see `Typesetter`)."""

    def __init__(self, *, memory_limit: int = MEMORY_LIMIT_BYTES) -> None:
        source = _katex_source()
        self.pid = os.getpid()
        self._racer = _new_racer()
        try:
            self._racer.set_hard_memory_limit(memory_limit)
            self._racer.eval(source)
            loaded = self._racer.eval(_BOOTSTRAP)
        except BaseException:
            self.close()
            raise
        if loaded != katex_version():
            self.close()
            raise KatexUnavailable(
                f"{katex_dir()} holds KaTeX {loaded}, package-lock.json pins "
                f"{katex_version()}: run `make` (npm ci) again"
            )
        self.broken = False

    def typeset(self, tex: str, display: bool, *, time_limit: float) -> Output:
        """Run KaTeX on one formula under the time limit."""
        flag = "true" if display else "false"
        code = f"__cikkTypeset({json.dumps(tex)}, {flag}, {MAX_HTML_LENGTH})"
        try:
            result = json.loads(self._racer.eval(code, timeout_sec=time_limit))
        except JSTimeoutException:
            return Output("", f"KaTeX: the formula took longer than {time_limit:g} s")
        except JSOOMException:
            self.broken = True  # V8 keeps the limit flag set: start a fresh isolate next time
            return Output("", "KaTeX: the formula needs too much memory")
        except JSEvalException as error:  # e.g. a RangeError outside KaTeX's own try
            self.broken = self._racer.was_hard_memory_limit_reached()
            return Output("", f"KaTeX: {str(error).splitlines()[0][:300]}")
        if "error" in result:
            return Output("", str(result["error"]))
        return Output(str(result["html"]))

    def typeset_many(
        self, items: list[tuple[str, bool]], *, time_limit: float
    ) -> list[Output] | None:
        """Several formulas in one call into V8 (one thread hop instead of one each); None
        when the whole batch did not finish in time (the caller then goes one by one, each
        formula under its own limit)."""
        code = f"__cikkTypesetMany({json.dumps(items)}, {MAX_HTML_LENGTH})"
        try:
            results = json.loads(self._racer.eval(code, timeout_sec=time_limit))
        except JSTimeoutException:
            return None
        except JSEvalException:  # out of memory or a stack overflow: one by one tells which
            self.broken = self._racer.was_hard_memory_limit_reached()
            return None
        return [
            Output("", str(r["error"])) if "error" in r else Output(str(r["html"])) for r in results
        ]

    def close(self) -> None:
        racer, self._racer = self._racer, None  # type: ignore[assignment]
        if racer is not None and self.pid == os.getpid():
            racer.close()


def _new_racer() -> MiniRacer:
    """A MiniRacer that runs on its own event-loop thread.

    Built in a thread with a running asyncio loop (an ASGI view, Playwright's sync API),
    MiniRacer adopts that loop, and then refuses an eval with a time limit there. So it is
    built in a short-lived thread of its own, where it starts its own loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return MiniRacer()
    made: list[MiniRacer | BaseException] = []

    def build() -> None:
        try:
            made.append(MiniRacer())
        except BaseException as error:  # re-raised in the caller's thread
            made.append(error)

    builder = threading.Thread(target=build, name="katex-engine-start")
    builder.start()
    builder.join()
    if isinstance(made[0], BaseException):
        raise made[0]
    return made[0]


@cache
def _katex_source() -> str:
    path = katex_dir() / "dist" / "katex.min.js"
    try:
        return path.read_text(encoding="utf-8")
    except OSError as error:
        raise KatexUnavailable(
            f"{path} is missing ({error.strerror}): install the browser assets with `make`"
        ) from error


class _LRU:
    """A thread-safe LRU of Outputs bounded by the characters of HTML it holds."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.used = 0
        self._items: OrderedDict[tuple[str, bool, str], Output] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, bool, str]) -> Output | None:
        with self._lock:
            output = self._items.get(key)
            if output is not None:
                self._items.move_to_end(key)
            return output

    def put(self, key: tuple[str, bool, str], output: Output) -> None:
        size = len(output.html) + len(key[2]) + len(output.error or "")
        if size > self.budget // 8:
            return  # one huge formula must not flush everything else
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self.used -= len(old.html) + len(key[2]) + len(old.error or "")
            self._items[key] = output
            self.used += size
            while self.used > self.budget:
                (k, v) = self._items.popitem(last=False)
                self.used -= len(v.html) + len(k[2]) + len(v.error or "")

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.used = 0

    def __len__(self) -> int:
        return len(self._items)

    def after_fork(self) -> None:
        self._lock = threading.Lock()  # another thread may have held it at fork time


# Engines inherited through fork(): never used, never closed (that blocks forever), and kept
# alive for good so that the interpreter's shutdown never finalises (closes) them either.
_inherited: list[Engine] = []


class Typesetter:
    """The process's engine (built on first use, rebuilt after a fork) behind a lock, plus
    the cache."""

    def __init__(
        self,
        *,
        time_limit: float = TIME_LIMIT_SECONDS,
        memory_limit: int = MEMORY_LIMIT_BYTES,
        cache_bytes: int = CACHE_BYTES,
    ) -> None:
        self.time_limit = time_limit
        self.memory_limit = memory_limit
        self.cache = _LRU(cache_bytes)
        self._engine: Engine | None = None
        self._lock = threading.Lock()
        self.engines_started = 0  # for tests and benchmarks
        atexit.register(self.close)
        if hasattr(os, "register_at_fork"):
            os.register_at_fork(after_in_child=self._after_fork)

    def typeset(self, tex: str, *, display: bool) -> Output:
        """KaTeX's HTML + MathML for one formula, or KaTeX's message when it cannot be typeset."""
        key = (katex_version(), display, tex)
        cached = self.cache.get(key)
        if cached is not None:
            return cached
        if len(tex) > MAX_TEX_LENGTH:
            output = Output("", f"KaTeX: the formula is longer than {MAX_TEX_LENGTH} characters")
        else:
            with self._lock:
                engine = self._engine_for_this_process()
                cpu = time.process_time()
                output = engine.typeset(tex, display, time_limit=self.time_limit)
                starved = time.process_time() - cpu < self.time_limit / 2
                if starved and output.error and output.error.startswith("KaTeX: the formula took"):
                    retry = max(self.time_limit, RETRY_TIME_LIMIT_SECONDS)
                    output = engine.typeset(tex, display, time_limit=retry)
                if engine.broken:
                    self._engine = None
                    engine.close()
            if output.error and output.error.startswith(
                ("KaTeX: the formula took", "KaTeX: the formula needs")
            ):
                return output  # depends on the machine's load: try again next time
        self.cache.put(key, output)
        return output

    def typeset_many(self, items: list[tuple[str, bool]]) -> list[Output]:
        """`typeset` for many formulas (an article's), with one call into V8 for all that are
        not cached: the same results, without a thread hop per formula."""
        version = katex_version()
        outputs: list[Output | None] = [self.cache.get((version, d, t)) for t, d in items]
        todo = sorted(
            {
                (tex, display)
                for (tex, display), out in zip(items, outputs, strict=True)
                if out is None and len(tex) <= MAX_TEX_LENGTH
            }
        )
        if len(todo) > 1:
            with self._lock:
                engine = self._engine_for_this_process()
                # A batch of real formulas takes milliseconds; a hostile one makes it time out,
                # and then each formula runs again under its own limit.
                limit = self.time_limit + 0.002 * len(todo)
                results = engine.typeset_many(todo, time_limit=limit)
                if engine.broken:
                    self._engine = None
                    engine.close()
            if results is not None:
                for (tex, display), output in zip(todo, results, strict=True):
                    self.cache.put((version, display, tex), output)
        return [
            out if out is not None else self.typeset(tex, display=display)
            for (tex, display), out in zip(items, outputs, strict=True)
        ]

    def warm(self) -> None:
        """Start the engine now (e.g. in a worker before its first article)."""
        with self._lock:
            self._engine_for_this_process()

    def _engine_for_this_process(self) -> Engine:
        engine = self._engine
        if engine is not None and engine.pid != os.getpid():
            # fork() without our hook (it runs for os.fork and multiprocessing): same rule.
            _pin(engine)
            engine = self._engine = None
        if engine is None:
            engine = self._engine = Engine(memory_limit=self.memory_limit)
            self.engines_started += 1
        return engine

    def _after_fork(self) -> None:
        self._lock = threading.Lock()
        self.cache.after_fork()  # the cached results stay valid in the child
        if self._engine is not None:
            _pin(self._engine)
            self._engine = None

    def close(self) -> None:
        """Close this process's engine (at exit; V8 may block shutdown otherwise)."""
        if not self._lock.acquire(timeout=2 * self.time_limit + 1):
            return  # a thread is stuck in V8: closing under it would be worse
        try:
            engine, self._engine = self._engine, None
            if engine is not None and engine.pid == os.getpid():
                engine.close()
        finally:
            self._lock.release()


def _pin(engine: Engine) -> None:
    """Keep an inherited engine alive until the process ends (see `_inherited`)."""
    _inherited.append(engine)
    ctypes.pythonapi.Py_IncRef(ctypes.py_object(engine))


def preload() -> None:
    """Read KaTeX's script and initialise V8 without building an engine: for a fork server,
    whose children then each build theirs quickly (an engine cannot cross a fork)."""
    _katex_source()
    katex_version()
    init_mini_racer(ignore_duplicate_init=True)


_default: Typesetter | None = None
_default_lock = threading.Lock()


def typesetter() -> Typesetter:
    """The process-wide typesetter, created on first use."""
    global _default
    if _default is None:
        with _default_lock:
            if _default is None:
                _default = Typesetter()
    return _default


def typeset(tex: str, *, display: bool) -> Output:
    """Typeset one formula with the process-wide engine (see the module docstring)."""
    return typesetter().typeset(tex, display=display)


def typeset_many(items: list[tuple[str, bool]]) -> list[Output]:
    """Typeset (TeX, display) pairs in order, with one call into the engine for all."""
    return typesetter().typeset_many(items)

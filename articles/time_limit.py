"""A hard time limit for one step of work in this process (the importer, per file).

One pathological file (a body of 20,000 `<img a`, say) must not stall a whole import run. The
limit is a real-time timer (SIGALRM) whose handler raises `TimeLimitExceeded` in the running
code: Python code, regular expressions and sleeps are interrupted at once. It derives from
BaseException so that no `except Exception` on the way can swallow it, and a transaction it
passes through is rolled back. Only the main thread can receive signals: elsewhere (or where
the platform has no timers) the work runs without a limit.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager


class TimeLimitExceeded(BaseException):
    """The work took longer than its limit (seconds in `args[0]`)."""

    def __init__(self, seconds: float) -> None:
        super().__init__(seconds)
        self.seconds = seconds


def can_limit() -> bool:
    """True when `time_limit` really limits here (main thread, a platform with timers)."""
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


@contextmanager
def time_limit(seconds: float | None) -> Iterator[None]:
    """Raise TimeLimitExceeded in the block when it runs longer than `seconds` (None: no limit).

    Nests: an outer limit's timer and handler are put back afterwards, its remaining time
    reduced by the time spent here."""
    if not seconds or seconds <= 0 or not can_limit():
        yield
        return

    def on_alarm(signum: int, frame: object) -> None:
        raise TimeLimitExceeded(seconds)

    previous = signal.signal(signal.SIGALRM, on_alarm)
    outer_delay, outer_interval = signal.setitimer(signal.ITIMER_REAL, seconds)
    started = time.monotonic()
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous if previous is not None else signal.SIG_DFL)
        if outer_delay:
            left = max(outer_delay - (time.monotonic() - started), 0.001)
            signal.setitimer(signal.ITIMER_REAL, left, outer_interval)

"""The fast lane: which tests `python3 run.py test --fast` leaves out, decided by the fixtures they use.

A test is `slow` when any fixture it uses, directly or through another fixture, starts a process
or a browser (Redis, RQ workers, the engine, gunicorn, `run.py`, Chromium, ffmpeg/espeak, Vosk):
those fixtures carry `@starts_processes`, and `tests/conftest.py` marks every test whose fixture
closure holds one. So is a test whose database fixture was parametrized to PostgreSQL. A test that
starts a process in its own body, or runs minutes of Hypothesis, says `@pytest.mark.slow` itself.
The rest runs in well under a minute (`-m "not slow"`).

A test not marked `slow` that starts a process anyway (subprocess or multiprocessing), in its body
or through a fixture nobody marked, fails in either lane: `guard_fast_lane` names the fix.
"""

from __future__ import annotations

import multiprocessing.process
import subprocess
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import pytest

F = TypeVar("F", bound=Callable[..., Any])
SLOW = "slow"


def starts_processes(fixture: F) -> F:
    """Put under `@pytest.fixture`: every test that uses this fixture is `slow`."""
    fixture.__dict__["starts_processes"] = True
    return fixture


def uses_a_process_fixture(item: pytest.Item) -> bool:
    """Whether the fixture closure of `item` (every fixture it uses, transitively) holds one marked
    `@starts_processes`. Reads the fixture definitions pytest resolved for this very item, so a
    fixture name shared by several conftests is judged by the definition that applies here."""
    info = getattr(item, "_fixtureinfo", None)
    if info is None:
        return False
    for definitions in info.name2fixturedefs.values():
        if any(getattr(d.func, "starts_processes", False) for d in definitions):
            return True
    return False


def on_postgresql(item: pytest.Item) -> bool:
    """Whether a fixture of `item` was parametrized to PostgreSQL: the fast lane runs SQLite only
    (a server's schema per test costs seconds); the full suite runs both."""
    callspec = getattr(item, "callspec", None)
    return callspec is not None and "postgresql" in callspec.params.values()


def mark_slow_tests(items: list[pytest.Item]) -> None:
    for item in items:
        if item.get_closest_marker(SLOW) is None and (uses_a_process_fixture(item) or on_postgresql(item)):
            item.add_marker(getattr(pytest.mark, SLOW))


@contextmanager
def guard_fast_lane(item: pytest.Item) -> Iterator[None]:
    """While a test not marked `slow` runs (set-up, call, tear-down), starting a process fails it."""
    if item.get_closest_marker(SLOW) is not None:
        yield
        return
    original = subprocess.Popen.__init__

    def refuse(self: subprocess.Popen[Any], args: Any, *rest: Any, **kwargs: Any) -> None:
        if threading.current_thread() is not threading.main_thread():  # a server thread of another module's
            original(self, args, *rest, **kwargs)                       # fixture is not this test's doing
            return
        raise AssertionError(
            f"{item.nodeid} is in the fast lane but starts a process ({args!r}): mark the fixture that starts "
            "it @starts_processes (tests/support/lanes.py), or the test @pytest.mark.slow")

    original_start = multiprocessing.process.BaseProcess.start

    def refuse_fork(self: multiprocessing.process.BaseProcess) -> None:
        if threading.current_thread() is not threading.main_thread():
            original_start(self)
            return
        raise AssertionError(
            f"{item.nodeid} is in the fast lane but starts a process (multiprocessing): mark the fixture that "
            "starts it @starts_processes (tests/support/lanes.py), or the test @pytest.mark.slow")

    subprocess.Popen.__init__ = refuse  # type: ignore[method-assign]
    multiprocessing.process.BaseProcess.start = refuse_fork  # type: ignore[method-assign]
    try:
        yield
    finally:
        subprocess.Popen.__init__ = original  # type: ignore[method-assign]
        multiprocessing.process.BaseProcess.start = original_start  # type: ignore[method-assign]

"""The SQLite write gate (hotline/base/sqlite_gate.py): writers queue on it across threads and
processes, reads pass, and it never turns what SQLite alone would do into a hang."""

from __future__ import annotations

import gc
import multiprocessing
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

import pytest

from hotline.base.sqlite_gate import WriteGate, connection_factory

pytestmark = pytest.mark.slow  # forks processes


def connect(db: Path, gate: WriteGate, timeout: float = 5.0) -> sqlite3.Connection:
    conn = sqlite3.connect(db, timeout=timeout, factory=connection_factory(gate), check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    return conn


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "gate.db"
    with closing(sqlite3.connect(path)) as conn:  # closed, not left to the collector: tests here fork, and
        conn.execute("PRAGMA journal_mode=WAL")  # a child closing an inherited connection loses writes
        conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER)")  # (tests/transcribe/test_fork_safety.py)
        conn.commit()
    return path


def _hold_the_gate(lock: str, held, release) -> None:  # type: ignore[no-untyped-def]
    gate = WriteGate(Path(lock), 5.0)
    assert gate.enter()
    held.set()
    release.wait(10)
    gate.leave()


@contextmanager
def another_process_holding(lock: Path) -> Iterator[Any]:
    """Yields the event that lets the other process leave the gate."""
    ctx = multiprocessing.get_context("fork")
    held, release = ctx.Event(), ctx.Event()
    other = ctx.Process(target=_hold_the_gate, args=(str(lock), held, release))
    other.start()
    assert held.wait(10)
    try:
        yield release
    finally:
        release.set()
        other.join(5)


def test_a_write_waits_for_another_process_then_succeeds_while_reads_pass(db: Path) -> None:
    lock = db.with_suffix(".lock")
    with another_process_holding(lock) as release:
        conn = connect(db, WriteGate(lock, 5.0))
        assert conn.execute("SELECT count(*) FROM t").fetchone() == (0,)  # a read never waits
        done = threading.Event()

        def write() -> None:
            conn.execute("INSERT INTO t (v) VALUES (1)")
            conn.commit()
            done.set()

        writer = threading.Thread(target=write)
        writer.start()
        assert not done.wait(0.3), "the write went ahead while another process held the gate"
        release.set()
        assert done.wait(5)
        writer.join()
        assert conn.execute("SELECT count(*) FROM t").fetchone() == (1,)
        conn.close()


def test_threads_and_processes_all_write_and_the_gate_is_free_afterwards(db: Path) -> None:
    lock = db.with_suffix(".lock")
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_write_many, args=(str(db), str(lock), 50)) for _ in range(3)]
    for p in procs:
        p.start()
    _write_many(str(db), str(lock), 50, threads=3)
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    with closing(sqlite3.connect(db)) as conn:
        assert conn.execute("SELECT count(*), sum(v) FROM t").fetchone() == (6 * 50, 6 * 50)
    gate = WriteGate(lock, 0.5)
    assert gate.enter()  # nobody left it taken
    gate.leave()


def _write_many(db: str, lock: str, n: int, threads: int = 1) -> None:
    gate = WriteGate(Path(lock), 10.0)

    errors: list[BaseException] = []

    def one() -> None:
        try:
            conn = connect(Path(db), gate)
            for _ in range(n):
                # a read, then writes in one transaction (the read's statement finished, as SQLAlchemy's are:
                # an unfinished one would keep its old snapshot, which SQLite refuses to write from)
                ((v,),) = conn.execute("SELECT count(*) FROM t").fetchall()
                conn.execute("INSERT INTO t (v) VALUES (?)", (1,))
                conn.execute("UPDATE t SET v = 1 WHERE id = (SELECT max(id) FROM t) AND ? >= 0", (v,))
                conn.commit()
            conn.close()
        except BaseException as exc:  # noqa: BLE001 - re-raised below, in the test's thread
            errors.append(exc)

    workers = [threading.Thread(target=one) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    if errors:
        raise errors[0]


def test_rollback_close_and_a_dropped_connection_each_give_the_gate_back(db: Path) -> None:
    gate = WriteGate(db.with_suffix(".lock"), 0.5)
    for end in ("commit", "rollback", "close", "drop"):
        conn = connect(db, gate)
        conn.execute("INSERT INTO t (v) VALUES (2)")
        if end == "drop":
            del conn
            gc.collect()  # a dropped connection may sit in a reference cycle until the collector runs
        else:
            getattr(conn, end)()
        results: list[bool] = []
        taker = threading.Thread(target=_take, args=(gate, results))  # this thread could re-enter one it held
        taker.start()
        taker.join()
        assert results == [True], end


def _take(gate: WriteGate, results: list[bool]) -> None:
    results.append(gate.enter())
    if results[-1]:
        gate.leave()


def test_a_nested_write_in_the_same_thread_fails_as_sqlite_would_instead_of_hanging(db: Path) -> None:
    gate = WriteGate(db.with_suffix(".lock"), 60.0)
    outer = connect(db, gate)
    inner = connect(db, gate, timeout=0.2)
    outer.execute("INSERT INTO t (v) VALUES (3)")
    started = time.monotonic()
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        inner.execute("INSERT INTO t (v) VALUES (4)")
    assert time.monotonic() - started < 30  # SQLite's own busy timeout (0.2 s), not the gate's (60 s)
    inner.rollback()
    outer.commit()
    assert outer.execute("SELECT count(*) FROM t").fetchone() == (1,)


def test_a_gate_that_cannot_be_had_in_time_lets_sqlite_decide(db: Path) -> None:
    lock = db.with_suffix(".lock")
    with another_process_holding(lock):
        conn = connect(db, WriteGate(lock, 0.2))
        conn.execute("INSERT INTO t (v) VALUES (5)")  # the gate timed out; SQLite's lock is free: it writes
        conn.commit()
    assert conn.execute("SELECT count(*) FROM t").fetchone() == (1,)
    conn.close()


def _wait_and_note(lock: str, urgent: bool, waiting, order) -> None:  # type: ignore[no-untyped-def]
    from hotline.base import sqlite_gate

    if urgent:
        sqlite_gate.give_precedence()
    gate = WriteGate(Path(lock), 10.0)
    waiting.set()
    assert gate.enter()
    order.put("paging" if urgent else "web")
    time.sleep(0.2)  # holds it a while, as a transaction would
    gate.leave()


def test_a_paging_process_passes_the_gate_before_web_work_that_waited_longer(db: Path) -> None:
    """Issue #29: a page job's writes must not wait for an event flood's writers to run out."""
    lock = db.with_suffix(".lock")
    ctx = multiprocessing.get_context("fork")
    order = ctx.Queue()
    with another_process_holding(lock) as release:
        waiters = []
        for urgent in (False, False, True):  # the web writers queue first
            waiting = ctx.Event()
            waiters.append(ctx.Process(target=_wait_and_note, args=(str(lock), urgent, waiting, order)))
            waiters[-1].start()
            assert waiting.wait(10)
            time.sleep(0.2)  # each is polling the gate before the next one arrives
        release.set()
    for p in waiters:
        p.join(30)
        assert p.exitcode == 0
    assert [order.get(timeout=5) for _ in waiters][0] == "paging"

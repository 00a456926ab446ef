"""RQ horses are forked from workers that have used the database (the transcriber after a dead
horse, `run.py worker` after callout jobs). SQLite's rule for fork: the child may neither use nor
close a connection it inherited; closing one (the collector does, once it is unreferenced) drops
every lock the child holds on the file: without the release below, this test either lost all of
the horses' 120 rows with no error anywhere, or the horses failed with "disk I/O error". The workers
therefore close their pooled connections in the parent before forking
(`runtime.release_db_before_fork`, called by both workers' `fork_work_horse`)."""

from __future__ import annotations

import gc
import multiprocessing
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest
from sqlalchemy import text

from hotline.base.config import load_config
from hotline.base.runtime import Runtime, get_runtime, release_db_before_fork, set_runtime
from hotline.service.workers import CalloutWorker
from hotline.transcribe.worker import PreloadingWorker

pytestmark = pytest.mark.slow  # forks processes

ROWS = 60


@pytest.fixture
def runtime(tmp_path: Path) -> Iterator[Runtime]:
    cfg = load_config(env={"HOTLINE_DATA_DIR": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path / 'fork.db'}"})
    rt = Runtime(cfg)
    set_runtime(rt)
    with rt.db.engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, who TEXT)"))
    yield rt
    set_runtime(None)
    rt.db.engine.dispose()


def _horse() -> None:
    """What a forked horse does: write through fresh connections, while the collector runs (and
    would finalise anything inherited and unreferenced)."""
    for i in range(ROWS):
        if i % 10 == 5:
            gc.collect()
        with get_runtime().db.engine.begin() as conn:
            conn.execute(text("INSERT INTO t (who) VALUES ('horse')"))


def test_a_horse_leaves_the_parents_connections_alone_and_no_write_is_lost(runtime: Runtime) -> None:
    with runtime.db.engine.connect() as conn:  # the worker used the database: a pooled connection
        conn.execute(text("SELECT count(*) FROM t")).all()
    release_db_before_fork()
    ctx = multiprocessing.get_context("fork")
    horses = [ctx.Process(target=_horse) for _ in range(2)]
    for h in horses:
        h.start()
    for _ in range(ROWS):  # others write at the same time, each on a connection it then closes
        with closing(sqlite3.connect(runtime.db.engine.url.database, timeout=30)) as other:
            other.execute("INSERT INTO t (who) VALUES ('parent')")
            other.commit()
    for h in horses:
        h.join(60)
        assert h.exitcode == 0
    with runtime.db.engine.connect() as conn:
        counts = dict(conn.execute(text("SELECT who, count(*) FROM t GROUP BY who")).all())
    assert counts == {"horse": 2 * ROWS, "parent": ROWS}


@pytest.mark.parametrize("worker", [PreloadingWorker, CalloutWorker])
def test_both_forking_workers_release_the_database_before_they_fork(worker, monkeypatch) -> None:
    calls: list[str] = []
    monkeypatch.setattr(f"{worker.__module__}.release_db_before_fork", lambda: calls.append("release"))
    monkeypatch.setattr("rq.Worker.fork_work_horse", lambda self, job, queue: calls.append("fork"))
    worker.fork_work_horse(object.__new__(worker), None, None)
    assert calls == ["release", "fork"]

"""The embedded SQLite default upgrades itself when `python3 run.py` starts: a database of the
release before Alembic, with a report in it, comes up on the new schema with a backup beside it;
a database newer than the code stops the start with one message and changes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from hotline.base import schema
from hotline.base.db import make_engine
from tests.support.hotline_process import RunPy
from tests.support.legacy_db import Db

pytestmark = pytest.mark.slow  # starts run.py as a process


def legacy_database(data: Path) -> Db:
    url = f"sqlite:///{data / 'hotline.db'}"
    db = Db("sqlite", url, make_engine(url))
    db.load_legacy()
    db.insert_legacy_rows()
    return db


def test_a_previous_release_database_is_upgraded_on_start_after_a_backup(tmp_path: Path) -> None:
    h = RunPy(tmp_path)
    db = legacy_database(h.data)
    try:
        h.start().wait_ready()
        backups = list((h.data / "backups").glob("hotline-before-alembic-to-*.db"))
        assert len(backups) == 1 and backups[0].stat().st_mode & 0o077 == 0  # private, like the database
        assert db.scalar("SELECT ref FROM incidents") == "1001"
        assert db.scalar("SELECT version_num FROM alembic_version") == schema.head()
        current = h.run("db", "current")
        assert current.returncode == 0 and "up to date" in current.stdout, current.stderr
    finally:
        h.stop()
        db.engine.dispose()
    h.start().wait_ready()  # nothing left to upgrade: no second backup
    h.stop()
    assert len(list((h.data / "backups").glob("*.db"))) == 1


def test_a_database_newer_than_the_code_stops_the_start(tmp_path: Path) -> None:
    h = RunPy(tmp_path)
    db = legacy_database(h.data)
    schema.upgrade(db.engine)
    with db.engine.begin() as c:
        c.execute(text("UPDATE alembic_version SET version_num = '0042'"))
    db.engine.dispose()
    started = h.run(timeout=120)  # `python3 run.py`, to its end
    assert started.returncode == 2, started.stdout + started.stderr
    assert "revision 0042" in started.stderr and "newer than this code" in started.stderr, started.stderr
    assert not (h.data / "backups").exists()
    upgrade = h.run("db", "upgrade")
    assert upgrade.returncode == 2 and "0042" in upgrade.stderr

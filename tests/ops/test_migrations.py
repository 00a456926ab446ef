"""Migrations and models agree, on SQLite and PostgreSQL; a database made by the release before
Alembic is upgraded with its data; a database newer than the code is refused.

`test_models_and_migrations_agree` is the one that makes every later table or column come with a
migration: add a column to a model without a revision in hotline/base/migrations/versions/ and it
fails, naming the difference (`python3 run.py db revision MESSAGE` writes a first draft).
"""

from __future__ import annotations

import io
import multiprocessing
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import select, text

from hotline.base import schema
from hotline.base.db import Database, create_schema, make_engine
from hotline.base.models import Base, Incident, utcnow
from tests.support.legacy_db import LEGACY_COUNTS, Db


def schema_diff(db: Db) -> list[object]:
    with db.engine.connect() as c:
        context = MigrationContext.configure(c, opts={"compare_type": True, "include_object": schema.modelled})
        return compare_metadata(context, Base.metadata)


def test_models_and_migrations_agree(db: Db) -> None:
    create_schema(db.engine)
    assert schema.current(db.engine).current == schema.head()
    diff = schema_diff(db)
    assert diff == [], f"the models and the migrations differ: add a revision (run.py db revision MSG): {diff}"


def test_baseline_is_exactly_the_previous_release(db: Db) -> None:
    """Revision 0001 from nothing and create_all of release 9268a80 give the same schema."""
    other = Db(db.kind, db.url, db.engine)
    other.load_legacy()
    legacy = _shape(other)
    with db.engine.begin() as c:
        for table in reversed(Base.metadata.sorted_tables):
            c.execute(text(f"DROP TABLE IF EXISTS {table.name}"))  # later releases add tables
    from alembic import command

    with db.engine.begin() as c:
        command.upgrade(schema.alembic_config(c), schema.BASELINE)
    assert _shape(db) == legacy


def _shape(db: Db) -> dict[str, object]:
    from sqlalchemy import inspect

    with db.engine.connect() as c:
        insp = inspect(c)
        tables = sorted(t for t in insp.get_table_names() if t != "alembic_version")
        return {t: (sorted((col["name"], str(col["type"]), col["nullable"]) for col in insp.get_columns(t)),
                    sorted((i["name"], tuple(i["column_names"]), bool(i["unique"])) for i in insp.get_indexes(t)),
                    sorted(tuple(u["column_names"]) for u in insp.get_unique_constraints(t)),
                    sorted((tuple(f["constrained_columns"]), f["referred_table"]) for f in insp.get_foreign_keys(t)))
                for t in tables}


def test_database_of_the_previous_release_is_upgraded_with_its_data(db: Db, tmp_path: Path) -> None:
    db.load_legacy()
    db.insert_legacy_rows()
    state = schema.current(db.engine)
    assert state.legacy and state.current is None
    if db.kind == "postgresql":
        # A shared PostgreSQL is not upgraded by a node starting: it says how, and changes nothing.
        with pytest.raises(schema.SchemaError, match="run.py db upgrade"):
            create_schema(db.engine)
        assert schema.current(db.engine).legacy
        before, after = schema.upgrade(db.engine)  # what `run.py db upgrade` does
    else:
        create_schema(db.engine)  # SQLite: on start, after a backup
        backups = list((Path(db.engine.url.database or "").parent / "backups").glob("hotline-before-alembic-to-*.db"))
        assert len(backups) == 1
        copy = make_engine(f"sqlite:///{backups[0]}")
        with copy.connect() as c:
            assert c.scalar(text("SELECT ref FROM incidents")) == "1001"
            assert c.scalar(text("SELECT count(*) FROM sqlite_master WHERE name = 'alembic_version'")) == 0
        copy.dispose()
    assert schema.current(db.engine).current == schema.head()
    for table, count in LEGACY_COUNTS.items():
        assert db.scalar(f"SELECT count(*) FROM {table}") == count, table
    assert schema_diff(db) == []
    database = Database(db.url, db.engine)
    with database.session() as s:
        old = s.scalar(select(Incident).where(Incident.ref == "1001"))
        assert old is not None and old.legal_hold_by is None and old.caller == "+886912000001"
        assert old.created_at.tzinfo is not None
        s.add(Incident(language="en-US", legal_hold_by="someone", created_at=utcnow()))


def test_a_database_newer_than_the_code_is_refused(db: Db, tmp_path: Path) -> None:
    create_schema(db.engine)
    with db.engine.begin() as c:
        c.execute(text("UPDATE alembic_version SET version_num = '0099_from_the_future'"))
    with pytest.raises(schema.SchemaError) as refused:
        create_schema(db.engine)
    message = str(refused.value)
    assert "0099_from_the_future" in message and "newer than this code" in message and "Fix:" in message
    from hotline.service import db_cli

    _runtime_on(db, tmp_path)
    try:
        assert db_cli.main(["upgrade"], out=io.StringIO()) == 2
        assert db_cli.main(["current"], out=io.StringIO()) == 2
    finally:
        _runtime_off()
    assert db.scalar("SELECT version_num FROM alembic_version") == "0099_from_the_future"


def _runtime_on(db: Db, tmp_path: Path) -> None:
    """Bind this process's runtime to `db`, as run.py does from config.toml and DATABASE_URL."""
    from hotline.base.config import load_config
    from hotline.base.runtime import Runtime, set_runtime

    cfg = load_config(env={"DATABASE_URL": db.url, "HOTLINE_DATA_DIR": str(tmp_path / "data")})
    set_runtime(Runtime(cfg))


def _runtime_off() -> None:
    from hotline.base.runtime import get_runtime, set_runtime

    get_runtime().db.engine.dispose()
    set_runtime(None)


def test_db_current_and_upgrade_commands(db: Db, tmp_path: Path) -> None:
    _runtime_on(db, tmp_path)
    from hotline.service import db_cli

    try:
        out = io.StringIO()
        assert db_cli.main(["current"], out=out) == 0
        assert "empty" in out.getvalue()
        out = io.StringIO()
        assert db_cli.main(["upgrade"], out=out) == 0
        assert f"to {schema.head()}" in out.getvalue()
        out = io.StringIO()
        assert db_cli.main(["current"], out=out) == 0
        assert "up to date" in out.getvalue()
        out = io.StringIO()
        assert db_cli.main(["upgrade"], out=out) == 0
        assert "already at revision" in out.getvalue()
    finally:
        _runtime_off()


def _start(url: str, on_purpose: bool, results: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    engine = make_engine(url)
    try:
        if on_purpose:
            schema.upgrade(engine)  # `run.py db upgrade`
        else:
            create_schema(engine)  # a process starting
        results.put("ok")
    except Exception as exc:  # noqa: BLE001 - reported to the test
        results.put(repr(exc))
    finally:
        engine.dispose()


@pytest.mark.parametrize("legacy", [False, True], ids=["fresh", "legacy"])
@pytest.mark.slow  # starts processes (multiprocessing)
def test_processes_starting_together_migrate_once(db: Db, legacy: bool) -> None:
    """Like gunicorn's workers: four processes open the same database at once. (A legacy PostgreSQL is
    upgraded only on purpose, so there four `run.py db upgrade` run at once instead.)"""
    on_purpose = legacy and db.kind == "postgresql"
    if legacy:
        db.load_legacy()
        db.insert_legacy_rows()
    ctx = multiprocessing.get_context("spawn")
    results = ctx.Queue()
    procs = [ctx.Process(target=_start, args=(db.url, on_purpose, results)) for _ in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert [results.get(timeout=5) for _ in procs] == ["ok"] * 4
    assert schema.current(db.engine).current == schema.head()
    assert db.scalar("SELECT count(*) FROM alembic_version") == 1
    if legacy and db.kind == "sqlite":  # one process upgraded, so one backup was taken
        folder = Path(db.engine.url.database or "").parent / "backups"
        assert len(list(folder.glob("*.db"))) == 1
    if legacy:
        assert db.scalar("SELECT count(*) FROM incidents") == 1


def test_a_call_filed_twice_is_kept_whole_and_named_by_the_upgrade_to_one_incident_per_call(db: Db) -> None:
    """Revision 0017 makes CallSid unique among incidents. A database with a call filed twice (the
    race it closes) keeps both incidents: the first keeps the call, the later one gets a line
    naming the first. Nothing is deleted."""
    from alembic import command

    from hotline.base.models import AuditEvent

    with db.engine.begin() as c:
        command.upgrade(schema.alembic_config(c), "0016")
    table = Incident.__table__
    with db.engine.begin() as c:
        for n, sid in enumerate(["CAtwice", "CAonce", "CAtwice", None, None], start=1):
            c.execute(table.insert().values(id=n, ref=str(1000 + n), language="en-US", call_sid=sid,
                                            created_at=utcnow(), updated_at=utcnow()))
    with db.engine.begin() as c:
        command.upgrade(schema.alembic_config(c), "head")
    assert schema_diff(db) == []
    database = Database(db.url, db.engine)
    with database.session() as s:
        assert s.execute(select(Incident.id, Incident.call_sid).order_by(Incident.id)).all() == [
            (1, "CAtwice"), (2, "CAonce"), (3, None), (4, None), (5, None)]
        lines = s.execute(select(AuditEvent.incident_id, AuditEvent.kind, AuditEvent.detail)).all()
        assert lines == [(3, "incident_duplicate_of", {"of": 1, "of_ref": "1001", "call_sid": "CAtwice"})]

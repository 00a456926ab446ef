"""The database schema's version: read it, and bring it to the code's head with Alembic.

Every process that opens the database (web workers, RQ workers, the engine, the CLI) calls
`prepare`; the first to find work does it while the others wait on a lock, so several gunicorn
workers starting at once migrate exactly once:
- PostgreSQL: a transaction-scoped advisory lock, keyed by the schema, held while migrating;
- SQLite: an exclusive `flock` on `<database>.migrate.lock` next to the file.

States a database can be in, and what `prepare` does with each:
- empty: upgraded from nothing to head (a fresh install, a fresh test schema);
- legacy: our tables but no `alembic_version` (made by `create_all` before Alembic): stamped as
  the baseline, then upgraded; refused if a baseline table is missing (not a release we know);
- behind: upgraded, on SQLite after an online backup (`on_upgrade`), on PostgreSQL only through
  `run.py db upgrade` (several nodes share it; see README "Upgrading");
- ahead (a revision this code does not know): refused, naming the revision and the fix.

The common case, a database already at head, is answered without Alembic (`at_head`): the head is
read from the migration files' `revision`/`down_revision` lines, the current revision from
`alembic_version`. Importing Alembic and loading its script directory cost a quarter to half a
second of CPU in each of the processes that start together (the supervisor, gunicorn's master,
the engine, the callout worker); anything unusual (no version table, another revision, a file
the quick reading does not understand) takes the full path under the lock, as before.
"""

from __future__ import annotations

import fcntl
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, inspect, text
from sqlalchemy.exc import SQLAlchemyError

from hotline.base.db_dump import backup_sqlite, sqlite_path
from hotline.base.models import utcnow

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig
    from alembic.script import ScriptDirectory

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
BASELINE = "0001"  # the schema of release 9268a80, the last one made by create_all
# The tables of the baseline: a legacy database must have them all to be stamped.
BASELINE_TABLES = frozenset({"incidents", "calls", "call_events", "recordings", "transcripts", "audit_events",
                             "leases", "callouts", "attempts", "callout_incidents"})


class SchemaError(Exception):
    """The database cannot be used by this code as it is; the message says why and the fix."""


@dataclass(frozen=True)
class SchemaState:
    current: str | None  # the revision in alembic_version; None when there is none
    head: str
    legacy: bool  # our tables, no version: made by the release before Alembic
    known: bool  # `current` is a revision this code has

    @property
    def empty(self) -> bool:
        return self.current is None and not self.legacy

    @property
    def up_to_date(self) -> bool:
        return self.current == self.head

    def describe(self) -> str:
        if self.empty:
            return f"empty (no tables); upgrading creates revision {self.head}"
        if self.legacy:
            return (f"created before migrations existed (no alembic_version); upgrading stamps {BASELINE}, "
                    f"then goes to {self.head}")
        if not self.known:
            return f"at revision {self.current}, which this code does not know (its head is {self.head})"
        if self.up_to_date:
            return f"at revision {self.current} (head): up to date"
        return f"at revision {self.current}; head is {self.head}: an upgrade is pending"


def alembic_config(connection: Connection | None = None, url: str | None = None) -> AlembicConfig:
    """Alembic's Config built in code: the environment ships inside the package, no alembic.ini."""
    from alembic.config import Config as AlembicConfig

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if url:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    cfg.attributes["connection"] = connection
    return cfg


def _scripts() -> ScriptDirectory:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config())


def head() -> str:
    return _scripts().get_current_head() or BASELINE


def read_state(conn: Connection) -> SchemaState:
    from alembic.runtime.migration import MigrationContext

    current = MigrationContext.configure(conn).get_current_revision()
    scripts = _scripts()
    tables = set(inspect(conn).get_table_names())
    known = current is None or _has_revision(scripts, current)
    legacy = current is None and bool(tables & BASELINE_TABLES)
    return SchemaState(current, scripts.get_current_head() or BASELINE, legacy, known)


def _has_revision(scripts: ScriptDirectory, rev: str) -> bool:
    try:
        return scripts.get_revision(rev) is not None
    except Exception:  # noqa: BLE001 - alembic raises several kinds for an unknown id
        return False


def too_new_message(state: SchemaState, url: str) -> str:
    return (f"the database {redact(url)} is at schema revision {state.current}, newer than this code "
            f"(its newest is {state.head}): it was upgraded by a newer release of the hotline. "
            "Fix: run that newer release (upgrade this node's code), or restore a backup taken before "
            "the upgrade (`python3 run.py restore DIR`). Never downgrade a database in place.")


def redact(url: str) -> str:
    """A database URL without its password, for messages and logs."""
    head_, sep, tail = url.partition("@")
    if not sep or "://" not in head_:
        return url
    scheme, _, creds = head_.partition("://")
    return f"{scheme}://{creds.split(':', 1)[0]}@{tail}"


@contextmanager
def migration_lock(engine: Engine) -> Iterator[Connection]:
    """A connection inside a transaction that only one process at a time holds for this database."""
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("SELECT pg_advisory_xact_lock(hashtext('hotline-migrate:' || current_schema()))"))
            yield conn
        return
    path = engine.url.database
    if not path or path == ":memory:":
        with engine.begin() as conn:
            yield conn
        return
    lock = Path(path).with_name(Path(path).name + ".migrate.lock")
    fd = open(lock, "a")  # noqa: SIM115 - held for the whole block
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        with engine.begin() as conn:
            yield conn
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        fd.close()


def upgrade(engine: Engine, on_upgrade: Callable[[SchemaState], object] | None = None,
            allow: Callable[[SchemaState], bool] = lambda _s: True) -> tuple[SchemaState, SchemaState]:
    """Bring the database to head under the migration lock; (state before, state after).

    `on_upgrade` runs (still under the lock) before anything changes in a database that holds
    data, e.g. to take a backup; `allow` may refuse an upgrade (it should raise SchemaError)."""
    with migration_lock(engine) as conn:
        before = read_state(conn)
        if not before.known:
            raise SchemaError(too_new_message(before, str(engine.url.render_as_string(hide_password=True))))
        if before.up_to_date:
            return before, before
        if not allow(before):
            return before, before
        if before.legacy:
            missing = sorted(BASELINE_TABLES - set(inspect(conn).get_table_names()))
            if missing:
                raise SchemaError(f"the database has some hotline tables but not {', '.join(missing)}, and no "
                                  "alembic_version: it is not a schema this code knows how to upgrade. Fix: restore "
                                  "a backup, or point DATABASE_URL at the right database.")
        if on_upgrade is not None and not before.empty:
            on_upgrade(before)
        from alembic import command

        cfg = alembic_config(conn)
        if before.legacy:
            command.stamp(cfg, BASELINE)
        command.upgrade(cfg, "head")
        return before, read_state(conn)


def current(engine: Engine) -> SchemaState:
    with engine.connect() as conn:
        return read_state(conn)


_REVISION = re.compile(r"""^revision\s*=\s*['"]([^'"]+)['"]\s*$""", re.MULTILINE)
_DOWN = re.compile(r"""^down_revision\s*=\s*(?:None|['"]([^'"]+)['"])\s*$""", re.MULTILINE)
_PLAIN = re.compile(r"^(branch_labels|depends_on)\s*=\s*None\s*$", re.MULTILINE)


@cache
def quick_head(versions: Path = MIGRATIONS / "versions") -> str | None:
    """The head revision, read from the migration files without Alembic; None unless every file
    names one revision and one parent (or none), without branch labels or dependencies, and they
    form one chain with a single head: then Alembic has to answer."""
    parents: dict[str, str | None] = {}
    for path in versions.glob("*.py"):
        if path.name.startswith("__"):
            continue
        source = path.read_text(encoding="utf-8")
        revs, downs = _REVISION.findall(source), _DOWN.findall(source)
        if len(revs) != 1 or len(downs) != 1 or len(_PLAIN.findall(source)) != 2 or revs[0] in parents:
            return None
        parents[revs[0]] = downs[0] or None
    heads = set(parents) - {p for p in parents.values() if p}
    roots = [r for r, p in parents.items() if p is None]
    if len(heads) != 1 or len(roots) != 1 or any(p is not None and p not in parents for p in parents.values()):
        return None
    return heads.pop()


def at_head(engine: Engine) -> bool:
    """True when `alembic_version` holds exactly the head: nothing to do. Any doubt (no such table,
    another revision, several rows, a head the files do not say plainly) is False: the caller
    then takes the full path, under the lock."""
    head_ = quick_head()
    if head_ is None:
        return False
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    except SQLAlchemyError:
        return False
    return rows == [head_]


def prepare(engine: Engine) -> SchemaState:
    """What every process does before it uses the database (see the module docstring)."""
    head_ = quick_head()
    if head_ is not None and at_head(engine):
        return SchemaState(head_, head_, legacy=False, known=True)
    if engine.dialect.name == "sqlite":
        return upgrade(engine, on_upgrade=lambda state: backup_before_upgrade(engine, state))[1]
    return upgrade(engine, allow=lambda state: _fresh_only(engine, state))[1]


def _fresh_only(engine: Engine, state: SchemaState) -> bool:
    """A shared PostgreSQL is upgraded by a person, once, with `run.py db upgrade`: nodes still running
    the old release keep working meanwhile (migrations only add), and a backup can be taken first."""
    if state.empty:
        return True
    raise SchemaError(f"the database {engine.url.render_as_string(hide_password=True)} is {state.describe()}. "
                      "On PostgreSQL the schema is upgraded on purpose, not on start. Fix: take a backup "
                      "(`python3 run.py backup DIR`), then run `python3 run.py db upgrade` once, then start the nodes.")


def backup_before_upgrade(engine: Engine, state: SchemaState) -> Path | None:
    """SQLite: an online backup next to the database before its schema changes; its path."""
    path = sqlite_path(str(engine.url))
    if path is None:
        return None
    stamp = utcnow().strftime("%Y%m%dT%H%M%SZ")
    dest = path.parent / "backups" / f"{path.stem}-before-{state.current or 'alembic'}-to-{state.head}-{stamp}.db"
    backup_sqlite(path, dest)
    return dest


# Made by migrations with plain SQL, unknown to the models: the search index beside
# `incident_search` (SQLite's FTS5 table and its shadow tables; PostgreSQL's GIN index).
NOT_MODELLED = ("incident_search_fts", "ix_incident_search_body")


def modelled(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    """Alembic's include_object: what a comparison of models and database may look at."""
    return not (reflected and name is not None and name.startswith(NOT_MODELLED))

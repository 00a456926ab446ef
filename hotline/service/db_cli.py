"""`python3 run.py db current|upgrade|revision`: the schema's version, and moving it to the code's.

`upgrade` is what an operator runs once per release on a shared PostgreSQL (nodes do not upgrade
it on start); on the embedded SQLite it is what every start does anyway, with a backup first.
`revision MESSAGE` is for developers: it writes a new migration from the difference between the
models and the migrations so far (check it by hand before committing).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import TextIO

from alembic import command
from sqlalchemy import Engine

from hotline.base import schema
from hotline.base.db import make_engine
from hotline.base.runtime import get_runtime


def main(argv: list[str] | None = None, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    parser = argparse.ArgumentParser(prog="run.py db", description="The database schema's version.")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("current", help="the database's schema revision, and the code's")
    sub.add_parser("upgrade", help="upgrade the schema to this code's revision (SQLite: after a backup)")
    rev = sub.add_parser("revision", help="(developers) write a migration for what the models added")
    rev.add_argument("message")
    args = parser.parse_args(argv)
    if args.command == "revision":
        return _revision(args.message, out)
    db = get_runtime().db
    url = schema.redact(db.url)
    try:
        if args.command == "current":
            state = schema.current(db.engine)
            print(f"database {url}: {state.describe()}", file=out)
            print(f"code: head revision {state.head}", file=out)
            return 0 if state.known else 2
        before, after = schema.upgrade(db.engine, on_upgrade=lambda st: _backup(db.engine, st, out))
    except schema.SchemaError as exc:
        print(f"run.py db {args.command}: {exc}", file=sys.stderr)
        return 2
    finally:
        db.engine.dispose()
    if before.up_to_date:
        print(f"database {url}: already at revision {after.current} (head)", file=out)
    else:
        print(f"database {url}: upgraded from {before.current or ('legacy' if before.legacy else 'empty')} "
              f"to {after.current}", file=out)
    return 0


def _backup(engine: Engine, state: schema.SchemaState, out: TextIO) -> None:
    path = schema.backup_before_upgrade(engine, state)
    if path is not None:
        print(f"backup of the database before upgrading: {path}", file=out)
    else:
        print("PostgreSQL: upgrading in place, with no automatic backup (`python3 run.py backup DIR` makes one)",
              file=out)


def _revision(message: str, out: TextIO) -> int:
    """Autogenerate against a scratch SQLite database brought to the current head."""
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'scratch.db'}"
        engine = make_engine(url)
        schema.upgrade(engine)
        engine.dispose()
        script = command.revision(schema.alembic_config(url=url), message=message, autogenerate=True,
                                  rev_id=_next_id())
    print(f"wrote {getattr(script, 'path', script)}: read it, fix what autogenerate cannot know, commit it",
          file=out)
    return 0


def _next_id() -> str:
    return f"{int(schema.head()) + 1:04d}"

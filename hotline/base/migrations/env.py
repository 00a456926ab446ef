"""Alembic's entry point for this schema. Run through `hotline.base.schema` (which passes its own
locked connection in `config.attributes["connection"]`) or, for a developer writing a revision,
through `python3 run.py db revision MESSAGE`. Either way the engine comes from our `make_engine`,
so SQLite gets the same pragmas as at run time.
"""

from __future__ import annotations

from typing import Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy.engine import Connection

from hotline.base.db import load_models, make_engine
from hotline.base.models import Base, UTCDateTime
from hotline.base.schema import modelled

config = context.config


def _render(type_: str, obj: object, autogen_context: AutogenContext) -> str | Literal[False]:
    """Our UTCDateTime is a plain timezone-aware DateTime in the database: write it as one."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


load_models()  # every feature's tables, for autogenerate and the checks that compare


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
        compare_type=True,
        render_item=_render,
        include_object=modelled,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=Base.metadata,
                      literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
elif (given := config.attributes.get("connection")) is not None:
    _run(given)
else:
    engine = make_engine(config.get_main_option("sqlalchemy.url") or "")
    try:
        with engine.connect() as conn:
            _run(conn)
            conn.commit()
    finally:
        engine.dispose()

"""The drill tests' helpers: ending every drill and incident a test left, and a runtime (SQLite, no
Redis) over a config with one weekly surprise scenario.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from hotline.base import jobs
from hotline.base.config import load_config
from hotline.base.db import create_schema
from hotline.base.lifecycle import Actor, Channel
from hotline.base.models import Incident
from hotline.base.runtime import Runtime, set_runtime
from hotline.base.states import IncidentStatus
from hotline.drills import commands as drills
from hotline.drills.models import DRILL_OPEN, Drill, DrillState
from hotline.paging import commands
from tests.support.callout import BASE_TOML
from tests.support.sandbox import Hotline


def clean_up(h: Hotline) -> None:
    """Nothing of one test (a running drill, an open real report) may block or ring into the next."""
    actor = Actor("test", Channel.CLI)
    with h.session() as s:
        open_drills = list(s.scalars(select(Drill.id).where(Drill.state.in_(DRILL_OPEN))))
        open_incidents = list(s.scalars(select(Incident.id).where(Incident.status != IncidentStatus.CLOSED)))
    for drill_id in open_drills:
        drills.run(drills.end, drill_id, DrillState.STOPPED, actor, "test teardown")
    for incident_id in open_incidents:
        jobs.run(commands.resolve, incident_id, actor, "test teardown")


SCENARIO = """
[policies.default]
steps = [ { person = "lin" } ]

[drills.scenarios.sunday]
kind = "surprise"
type = "other"
participants = ["lin"]
schedule = { every = "week", window = { days = ["sun"], from = "22:00", to = "23:00" } }
"""


@pytest.fixture(name="rt")
def runtime_with_a_surprise(tmp_path) -> Iterator[Runtime]:
    """A runtime (SQLite, no Redis) over a config with one weekly surprise scenario."""
    path = tmp_path / "config.toml"
    path.write_text(BASE_TOML + SCENARIO, encoding="utf-8")
    cfg = load_config(path, env={"DATABASE_URL": f"sqlite:///{tmp_path / 'h.db'}", "HOTLINE_DATA_DIR": str(tmp_path)})
    runtime = Runtime(cfg)
    create_schema(runtime.db.engine)
    set_runtime(runtime)
    yield runtime
    set_runtime(None)
    runtime.db.engine.dispose()

"""A tabletop drill goes on after its reports are taken: the facilitator injects the next event
(a second report, an unanswered phone) and finishes it, or its time limit does. It used to
finish by itself at the first acceptance, and every later inject was refused as "not running"."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from hotline.base.config import load_config
from hotline.base.db import create_schema
from hotline.base.lifecycle import Actor, Channel
from hotline.base.models import Incident, utcnow
from hotline.base.runtime import Runtime, set_runtime
from hotline.drills import commands as drills
from hotline.drills.models import Drill, DrillState
from hotline.drills.settings import Scenario
from hotline.paging import commands
from tests.support.callout import BASE_TOML

FACILITATOR = Actor("facilitator", Channel.CONSOLE)
POLICY = """
[policies.default]
steps = [ { person = "lin" } ]
"""


@pytest.fixture
def rt(tmp_path: Path) -> Iterator[Runtime]:
    """SQLite, no Redis; in sim mode (a tabletop drill runs only there), the sim out of reach."""
    path = tmp_path / "config.toml"
    path.write_text(BASE_TOML + POLICY, encoding="utf-8")
    cfg = load_config(path, env={"DATABASE_URL": f"sqlite:///{tmp_path / 'h.db'}", "HOTLINE_DATA_DIR": str(tmp_path),
                                 "HOTLINE_SIM_URL": "http://127.0.0.1:9"})
    runtime = Runtime(cfg)
    create_schema(runtime.db.engine)
    set_runtime(runtime)
    yield runtime
    set_runtime(None)
    runtime.db.engine.dispose()


def state(rt: Runtime, drill_id: int) -> str:
    with rt.db.session() as s:
        return s.get(Drill, drill_id).state  # type: ignore[union-attr]


def accept_every_report(rt: Runtime, drill_id: int) -> None:
    with rt.db.session() as s:
        ids = list(s.scalars(select(Incident.id).where(Incident.drill_id == drill_id, Incident.status != "accepted")))
    for incident_id in ids:
        with rt.db.session() as s:
            assert commands.accept(s, person="lin", name="Lin Mei", actor=Actor("lin", Channel.CONSOLE),
                                   incident_id=incident_id).ok


def test_a_tabletop_drill_ends_when_the_facilitator_finishes_it_not_when_its_reports_are_taken(rt: Runtime):
    sc = Scenario(key="", kind="tabletop", type_key="other", severity="danger", report_text="Smoke",
                  participants=("lin",))
    drill_id = drills.run(drills.create, rt.config, sc, FACILITATOR).drill_id
    assert drills.run(drills.start, rt.config, drill_id, FACILITATOR).ok
    accept_every_report(rt, drill_id)
    drills.tick(utcnow() + timedelta(seconds=5), rt.config)
    assert state(rt, drill_id) == DrillState.RUNNING  # every report taken, and still running
    second = drills.run(drills.inject, rt.config, drill_id, "second_report", FACILITATOR)
    assert second.ok, second.message
    accept_every_report(rt, drill_id)
    drills.tick(utcnow() + timedelta(seconds=10), rt.config)
    assert state(rt, drill_id) == DrillState.RUNNING
    assert drills.run(drills.end, drill_id, DrillState.FINISHED, FACILITATOR, "debrief").ok
    assert state(rt, drill_id) == DrillState.FINISHED


def test_a_simulation_drill_still_finishes_by_itself_once_every_report_is_taken(rt: Runtime):
    sc = Scenario(key="", kind="simulation", type_key="other", severity="danger", report_text="Smoke",
                  participants=("lin",))
    drill_id = drills.run(drills.create, rt.config, sc, FACILITATOR).drill_id
    assert drills.run(drills.start, rt.config, drill_id, FACILITATOR).ok
    accept_every_report(rt, drill_id)
    drills.tick(utcnow() + timedelta(seconds=5), rt.config)
    assert state(rt, drill_id) == DrillState.FINISHED


def test_a_forgotten_tabletop_drill_still_ends_at_its_time_limit(rt: Runtime):
    sc = Scenario(key="", kind="tabletop", type_key="other", severity="danger", report_text="Smoke",
                  participants=("lin",))
    drill_id = drills.run(drills.create, rt.config, sc, FACILITATOR).drill_id
    assert drills.run(drills.start, rt.config, drill_id, FACILITATOR).ok
    accept_every_report(rt, drill_id)
    with rt.db.session() as s:
        limit = s.get(Drill, drill_id).max_minutes  # type: ignore[union-attr]
    drills.tick(utcnow() + timedelta(minutes=limit, seconds=1), rt.config)
    assert state(rt, drill_id) == DrillState.STOPPED

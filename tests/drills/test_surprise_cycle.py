"""Surprises planned and started by the convergence cycle's drill step, on a real database, with
virtual time: one drill planned per scenario at a minute inside its window; when due it waits
while a real incident is open, then starts; the next is picked in the following period."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from hotline.base.lifecycle import Actor, Channel
from hotline.base.models import Incident
from hotline.base.runtime import Runtime
from hotline.base.states import IncidentStatus
from hotline.drills import commands as drills
from hotline.drills.models import Drill, DrillState
from hotline.drills.settings import DrillSettings
from tests.support.drills import runtime_with_a_surprise  # noqa: F401  (the `rt` fixture)

NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # Monday 09:00 in Taipei




def planned(rt: Runtime) -> list[Drill]:
    with rt.db.session() as s:
        return list(s.scalars(select(Drill).order_by(Drill.id)))


def test_planned_once_inside_the_window_waits_for_a_real_incident_then_runs(rt):
    drills.tick(NOW, rt.config)
    drills.tick(NOW + timedelta(seconds=2), rt.config)  # the next pass plans nothing more
    (drill,) = planned(rt)
    local = drill.scheduled_for.astimezone(ZoneInfo("Asia/Taipei"))
    assert drill.state == DrillState.SCHEDULED and local.weekday() == 6 and local.hour == 22
    assert NOW < drill.scheduled_for < NOW + timedelta(days=7)

    with rt.db.session() as s:
        real = Incident(type_key="other", language="zh-TW", status=IncidentStatus.ACCEPTED, ref="5001")
        s.add(real)
    due = drill.scheduled_for + timedelta(seconds=1)
    drills.tick(due, rt.config)
    (drill,) = planned(rt)
    assert drill.state == DrillState.WAITING and "5001" in (drill.wait_reason or "")
    assert drills.tick(due + timedelta(seconds=2), rt.config) == []  # still waiting: no news for the cycle's log

    with rt.db.session() as s:
        s.scalar(select(Incident).where(Incident.ref == "5001")).status = IncidentStatus.CLOSED
    drills.tick(due + timedelta(minutes=5), rt.config)
    (drill,) = planned(rt)
    assert drill.state == DrillState.RUNNING
    with rt.db.session() as s:
        (report,) = s.scalars(select(Incident).where(Incident.drill_id == drill.id))
        assert report.drill and report.type_key == "other"

    drills.run(drills.end, drill.id, DrillState.FINISHED, Actor("alice", Channel.CLI), "done")
    drills.tick(due + timedelta(minutes=10), rt.config)
    first, second = planned(rt)
    assert second.state == DrillState.SCHEDULED
    assert second.schedule["period_start"] == first.schedule["period_end"]  # one per period
    assert second.scheduled_for > datetime.fromisoformat(first.schedule["period_end"])


def test_a_running_drill_stops_at_its_time_limit(rt):
    scenario = rt.config.section(DrillSettings).scenarios["sunday"]
    out = drills.run(drills.create, rt.config, scenario, Actor("alice", Channel.CLI), NOW)
    drills.run(drills.start, rt.config, out.drill_id, Actor("alice", Channel.CLI), NOW)
    drills.tick(NOW + timedelta(minutes=59), rt.config)
    assert planned(rt)[0].state == DrillState.RUNNING
    drills.tick(NOW + timedelta(minutes=61), rt.config)
    drill = planned(rt)[0]
    assert drill.state == DrillState.STOPPED and "time limit" in (drill.end_reason or "")


def test_the_state_machine_refuses_illegal_moves(rt):
    scenario = rt.config.section(DrillSettings).scenarios["sunday"]
    actor = Actor("alice", Channel.CLI)
    drill_id = drills.run(drills.create, rt.config, scenario, actor, NOW).drill_id
    # scheduled cannot become finished: it never ran
    assert not drills.run(drills.end, drill_id, DrillState.FINISHED, actor, "never ran", NOW).ok
    assert drills.run(drills.end, drill_id, DrillState.STOPPED, actor, "called off", NOW).ok
    again = drills.run(drills.end, drill_id, DrillState.STOPPED, Actor("bob", Channel.CONSOLE), "me too", NOW)
    assert not again.ok and again.code == "not_open"  # two admins at once: one stop
    assert drills.run(drills.start, rt.config, drill_id, actor, NOW).code == "already_stopped"
    assert not drills.run(drills.inject, rt.config, drill_id, "second_report", actor, NOW).ok
    (drill,) = [d for d in planned(rt) if d.id == drill_id]
    assert (drill.state, drill.ended_by, drill.end_reason) == (DrillState.STOPPED, "alice", "called off")

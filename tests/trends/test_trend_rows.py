"""The trends' two queries on SQLite and PostgreSQL: the first ring and first answer aggregated
over every call of every callout that paged an incident (a storm's callout and a "page again"
included), the verdict joined, the window's edges, and calls marked as a drill's by their callout."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import insert

from hotline.base.db import Database
from hotline.base.models import Incident
from hotline.crisis.models import Crisis
from hotline.paging.models import Attempt, Callout, callout_incidents
from hotline.trends import rows
from tests.support.postgres import database

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    with database(request.param, tmp_path) as found:
        yield found


def seed(db: Database) -> dict[str, int]:
    with db.session() as s:
        a = Incident(ref="A1", type_key="fire", language="en-US", created_at=at(0), accepted_at=at(90),
                     accepted_by="lin", status="closed")
        b = Incident(ref="B1", type_key="fire", language="en-US", created_at=at(10), status="closed")
        d = Incident(ref="D1", type_key="cyber", language="en-US", created_at=at(20), drill=True, drill_id=7)
        late = Incident(ref="L1", type_key="fire", language="en-US", created_at=at(86_400 * 30))
        s.add_all([a, b, d, late])
        s.flush()
        storm = Callout(type_key="fire", policy_key="default")
        again = Callout(type_key="fire", policy_key="default")
        drill = Callout(type_key="cyber", policy_key="default", drill_id=7)
        s.add_all([storm, again, drill])
        s.flush()
        s.execute(insert(callout_incidents), [
            {"callout_id": storm.id, "incident_id": a.id, "active": False},
            {"callout_id": storm.id, "incident_id": b.id, "active": False},
            {"callout_id": again.id, "incident_id": a.id, "active": False},
            {"callout_id": drill.id, "incident_id": d.id, "active": True}])
        s.add_all([
            Attempt(callout_id=storm.id, person_key="chen", person_name="Chen Wei", phone="+1", round=1, step=0,
                    created_at=at(12), ring_started_at=at(15), outcome="no_answer", call_sid="CA1"),
            # placed, no ringing callback: its creation counts as the ring
            Attempt(callout_id=storm.id, person_key="lin", person_name="Lin Mei", phone="+2", round=1, step=1,
                    created_at=at(40), answered_at=at(60), outcome="declined", call_sid="CA2"),
            Attempt(callout_id=again.id, person_key="lin", person_name="Lin Mei", phone="+2", round=1, step=0,
                    created_at=at(70), ring_started_at=at(71), answered_at=at(80), outcome="accepted", call_sid="CA3"),
            Attempt(callout_id=again.id, person_key="wang", person_name="Wang Hao", phone="+3", round=1, step=1,
                    created_at=at(75), outcome="queued"),  # never placed: no ring
            Attempt(callout_id=drill.id, person_key="lin", person_name="Lin Mei", phone="+2", round=1, step=0,
                    created_at=at(25), ring_started_at=at(26), outcome="busy", call_sid="CA4")])
        s.add(Crisis(incident_id=a.id, type_key="fire", state="false_alarm", decided_by="lin", decided_via="phone"))
        return {"a": a.id, "b": b.id, "d": d.id}


def test_incident_rows(db: Database):
    ids = seed(db)
    with db.session() as s:
        found = {r.id: r for r in rows.incidents(s, T0, T0 + timedelta(days=7))}
    assert set(found) == set(ids.values())  # the one a month later is outside the window
    a, b, d = found[ids["a"]], found[ids["b"]], found[ids["d"]]
    assert (a.first_ring_at, a.first_answer_at, a.accepted_at, a.accepted_by, a.verdict) == (
        at(15), at(60), at(90), "lin", "false_alarm")
    assert (b.first_ring_at, b.first_answer_at, b.verdict) == (at(15), at(60), None)  # the storm's calls
    assert (d.drill, d.type_key, d.first_ring_at, d.first_answer_at) == (True, "cyber", at(26), None)
    assert a.reported_at == at(0) and a.reported_at.tzinfo is not None


def test_call_rows(db: Database):
    seed(db)
    with db.session() as s:
        calls = rows.calls(s, T0, T0 + timedelta(days=1))
    assert [(c.person, c.drill, c.outcome, c.answered) for c in calls] == [
        ("chen", False, "no_answer", False), ("lin", False, "declined", True), ("lin", False, "accepted", True),
        ("wang", False, "queued", False), ("lin", True, "busy", False)]

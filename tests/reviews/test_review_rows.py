"""A review on SQLite and PostgreSQL: its rows read back (timeline, calls of every callout that
paged the incident, the crisis checklist), started once and only for a closed incident, action
items with a `[people]` owner moved through their machine with a row on the incident's timeline."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import insert, select

from hotline.base import audit
from hotline.base.db import Database
from hotline.base.lifecycle import Actor, Channel
from hotline.base.models import AuditEvent, Incident
from hotline.crisis.models import Crisis, CrisisStep
from hotline.paging.models import Attempt, Callout, callout_incidents
from hotline.reviews import commands, report
from hotline.reviews.models import ActionItem, ActionState
from tests.support.postgres import database

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
ALICE = Actor("alice", Channel.CONSOLE)
CFG = SimpleNamespace(people={"lin": object(), "chen": object()})


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    with database(request.param, tmp_path) as found:
        yield found


def seed(db: Database, status: str = "closed", drill_id: int | None = None) -> int:
    with db.session() as s:
        incident = Incident(ref="R1", type_key="cyber_security", language="en-US", created_at=at(0), status=status,
                            drill=drill_id is not None, drill_id=drill_id)
        s.add(incident)
        s.flush()
        callout = Callout(type_key="cyber_security", policy_key="default")
        s.add(callout)
        s.flush()
        s.execute(insert(callout_incidents), [{"callout_id": callout.id, "incident_id": incident.id, "active": False}])
        s.add_all([Attempt(callout_id=callout.id, person_key="chen", person_name="Chen Wei", phone="+1", round=1,
                           step=0, created_at=at(3), ring_started_at=at(4), outcome="no_answer", call_sid="CA1"),
                   Attempt(callout_id=callout.id, person_key="lin", person_name="Lin Mei", phone="+2", round=1,
                           step=1, created_at=at(30), ring_started_at=at(31), answered_at=at(40), outcome="accepted",
                           call_sid="CA2")])
        crisis = Crisis(incident_id=incident.id, type_key="cyber_security", state="active", decided_by="lin",
                        decided_via="phone", decided_at=at(60))
        s.add(crisis)
        s.flush()
        s.add(CrisisStep(crisis_id=crisis.id, position=0, owner_role="legal", text={"en-US": "Call counsel"},
                         due_at=at(100), done_at=at(160), done_by="counsel"))
        for seconds, kind, actor, detail in ((45, "status_accepted", "lin", {}),
                                             (60, "crisis.activated", "lin", {"team": {"legal": "counsel"}}),
                                             (120, "crisis.member_confirmed", "counsel", {"role": "legal"}),
                                             (300, "status_closed", "alice", {})):
            audit.record(s, kind, incident.id, actor, **detail).at = at(seconds)
        return incident.id


@pytest.mark.parametrize("drill_id", [None, 7])
def test_rows_read_back_into_key_times(db: Database, drill_id: int | None):
    """A drill's incident is reviewed the same way: its key times come from the same rows."""
    incident_id = seed(db, drill_id=drill_id)
    with db.session() as s:
        assert commands.start(s, incident_id, ALICE).code == "started"
    with db.session() as s:
        found = report.load_rows(s, incident_id)
        assert found is not None
        incident, events, calls, steps = found
        f = report.figures(incident.created_at, events, calls, steps, {})
    assert {t.key: t.seconds for t in f.times} == {
        "report": 0.0, "first_ring": 4.0, "accept": 45.0, "verified": 60.0, "plan_activated": 60.0,
        "team_confirmed": 120.0, "first_statement": None, "closed": 300.0}
    assert [(c.step.done_by, c.late_seconds) for c in f.steps] == [("counsel", 60.0)]
    assert [p.person for p in f.people] == ["chen", "lin", "counsel", "alice"]


def test_a_review_is_started_once_and_only_when_closed(db: Database):
    open_id = seed(db, status="accepted")
    with db.session() as s:
        assert commands.start(s, open_id, ALICE).code == "not_closed"
        assert commands.start(s, 999_999, ALICE).code == "no_incident"
    with db.session() as s:
        s.get(Incident, open_id).status = "closed"  # (the lifecycle closes it; this test reads only the review)
    with db.session() as s:
        first = commands.start(s, open_id, ALICE)
    with db.session() as s:
        second = commands.start(s, open_id, ALICE)
    assert (first.code, second.code) == ("started", "already_started")
    assert first.subject_id == second.subject_id is not None
    with db.session() as s:
        kinds = list(s.scalars(select(AuditEvent.kind).where(AuditEvent.incident_id == open_id)))
    assert kinds.count("review.started") == 1


def test_action_items_move_through_their_machine(db: Database):
    incident_id = seed(db)
    with db.session() as s:
        review_id = commands.start(s, incident_id, ALICE).subject_id
    with db.session() as s:
        assert commands.add_action(s, CFG, review_id, "x", "nobody", date(2026, 3, 9), ALICE).code == "unknown_owner"
        assert commands.add_action(s, CFG, review_id, " ", "lin", date(2026, 3, 9), ALICE).code == "text_required"
        assert commands.add_action(s, CFG, review_id, "x", "lin", None, ALICE).code == "due_required"
        added = commands.add_action(s, CFG, review_id, "Fix the rota gap", "lin", date(2026, 3, 9), ALICE)
        assert commands.save_findings(s, review_id, "  Slow verification.  ", ALICE).ok
    action_id = added.subject_id
    with db.session() as s:
        assert commands.move_action(s, action_id, ActionState.DONE, ALICE).code == "action_done"
    with db.session() as s:
        assert commands.move_action(s, action_id, ActionState.DONE, ALICE).code == "already_done"
        item = s.get(ActionItem, action_id)
        assert (item.state, item.done_by) == ("done", "alice")
        assert commands.move_action(s, action_id, ActionState.OPEN, ALICE).code == "action_open"
    with db.session() as s:
        item = s.get(ActionItem, action_id)
        assert (item.state, item.done_by, item.due_on) == ("open", None, date(2026, 3, 9))
        assert commands.review_for(s, incident_id).findings == "Slow verification."
        kinds = list(s.scalars(select(AuditEvent.kind).where(AuditEvent.incident_id == incident_id,
                                                             AuditEvent.kind.like("review.%"))
                               .order_by(AuditEvent.id)))
    assert kinds == ["review.started", "review.action_added", "review.findings_saved", "review.action_done",
                     "review.action_open"]

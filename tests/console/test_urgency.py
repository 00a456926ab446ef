"""The list's order and its "now" sentence data, against a real SQLite database: open and
unaccepted first, then stopped, accepted, closed; who is being called now, by name and round."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from hotline.base.db import Database, create_schema
from hotline.base.models import Incident
from hotline.console import queries, urgency
from hotline.console.urgency import Band
from hotline.paging.models import Attempt, Callout, callout_incidents

T0 = datetime(2026, 11, 28, 7, 0, tzinfo=UTC)
NAMES = {"lin": "Lin Mei", "chen": "Chen Wei"}


@pytest.fixture()
def db(tmp_path: Path) -> Database:
    d = Database(f"sqlite:///{tmp_path / 'u.db'}")
    create_schema(d.engine)
    return d


def _incident(s, ref: str, status: str, minutes: int, **fields) -> Incident:
    i = Incident(ref=ref, status=status, language="zh-TW", created_at=T0 + timedelta(minutes=minutes), **fields)
    s.add(i)
    s.flush()
    return i


def test_open_unaccepted_first_then_stopped_accepted_closed(db: Database):
    with db.session() as s:
        _incident(s, "closed-new", "closed", 50, closed_at=T0)
        _incident(s, "acc", "accepted", 40, accepted_by="lin", accepted_at=T0)
        _incident(s, "stop", "stopped", 30, paging_stopped_by="alice", paging_stopped_reason="drill")
        _incident(s, "page-old", "paging", 10)
        _incident(s, "page-new", "new", 20)
        _incident(s, "unack", "unacknowledged", 5)
    with db.session() as s:
        rows, total = queries.incidents(s, queries.Filters(), NAMES)
        assert total == 6
        assert [r.incident.ref for r in rows] == ["unack", "page-old", "page-new", "stop", "acc", "closed-new"]
        assert [r.now.band for r in rows] == [Band.PAGING] * 3 + [Band.STOPPED, Band.ACCEPTED, Band.CLOSED]
        assert rows[3].now.stopped_by == "alice" and rows[3].now.stopped_reason == "drill"
        assert rows[4].now.accepted_by == "Lin Mei"  # a name, not the config key
        assert urgency.unaccepted_count(s) == 4


def test_unaccepted_reports_most_severe_then_longest_waiting_first(db: Database):
    """Issue #25: the oldest danger report was ninth of nine, under newer normal ones."""
    with db.session() as s:
        _incident(s, "normal-old", "paging", 0, severity="normal")
        _incident(s, "danger-old", "paging", 1, severity="danger")
        _incident(s, "normal-new", "paging", 30, severity="normal")
        _incident(s, "danger-new", "new", 40, severity="danger")
        _incident(s, "critical", "unacknowledged", 20, severity="critical")
        _incident(s, "unknown", "paging", 50, severity="unknown")
        _incident(s, "stopped-danger", "stopped", 45, severity="danger", paging_stopped_by="alice")
        _incident(s, "stopped-normal", "stopped", 2, severity="normal", paging_stopped_by="alice")
        _incident(s, "acc-old", "accepted", 3, severity="danger", accepted_by="lin", accepted_at=T0)
        _incident(s, "acc-new", "accepted", 60, severity="normal", accepted_by="lin", accepted_at=T0)
    with db.session() as s:
        rows, _ = queries.incidents(s, queries.Filters(), NAMES)
        assert [r.incident.ref for r in rows] == ["danger-old", "critical", "danger-new", "unknown", "normal-old",
                                                 "normal-new", "stopped-danger", "stopped-normal", "acc-new",
                                                 "acc-old"]


def test_the_person_being_called_now_with_round_and_since(db: Database):
    with db.session() as s:
        inc = _incident(s, "r1", "paging", 0)
        quiet = _incident(s, "r2", "paging", 1)
        c = Callout(state="dialing", type_key="other", policy_key="management", round=2, step=0)
        s.add(c)
        s.flush()
        s.execute(callout_incidents.insert().values(callout_id=c.id, incident_id=inc.id, active=True))
        s.add_all([
            Attempt(callout_id=c.id, person_key="chen", person_name="Chen Wei", phone="+1", round=1, step=0,
                    state="no_answer", outcome="no_answer"),
            Attempt(callout_id=c.id, person_key="lin", person_name="Lin Mei", phone="+2", round=2, step=0,
                    state="ringing", ring_started_at=T0 + timedelta(minutes=3)),
        ])
    with db.session() as s:
        rows = urgency.rows(s, list(s.scalars(select(Incident).order_by(Incident.id))), NAMES)
        now = rows[0].now
        assert (now.calling_key, now.calling, now.round, now.call_state) == ("lin", "Lin Mei", 2, "ringing")
        assert now.ringing_since == T0 + timedelta(minutes=3)
        assert rows[1].now == urgency.Now(Band.PAGING)  # no callout yet: "paging starts in a moment"
        assert rows[1].incident.id == quiet.id

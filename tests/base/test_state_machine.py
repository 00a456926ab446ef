"""The one state-machine helper: a move is a compare-and-set from the states its table allows,
refused moves write nothing, each move that happens is audited once, and a machine that can tell
a late event from a bug raises for the bug. On SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from hotline.base.db import Database
from hotline.base.models import AuditEvent, Incident
from hotline.base.state_machine import IllegalTransition, Machine, Move
from hotline.paging.incidents import INCIDENT
from tests.support.postgres import database


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    with database(request.param, tmp_path) as d:
        yield d


def new(db: Database, status: str = "new") -> int:
    with db.session() as s:
        row = Incident(type_key="other", language="en-US", status=status)
        s.add(row)
        s.flush()
        return row.id


def test_a_legal_move_writes_its_values_and_one_audit_row_and_an_illegal_one_nothing(db):
    a, b = new(db), new(db, "closed")
    with db.session() as s:
        loaded = s.get(Incident, a)
        assert INCIDENT.move(s, [a, b], "accepted", values={"accepted_by": "chen"}, actor="chen",
                             only_from=("new",)) == [a]
        assert loaded.status == "accepted" and loaded.accepted_by == "chen"  # the session sees the move
        assert INCIDENT.move(s, a, "paging") == []  # accepted -> paging is not in the table
    with db.session() as s:
        kinds = [(e.incident_id, e.kind, e.actor) for e in s.scalars(select(AuditEvent))]
        assert kinds == [(a, "status_accepted", "chen")]
        assert s.get(Incident, b).status == "closed" and s.get(Incident, b).accepted_by is None


def test_a_machine_that_knows_late_from_impossible_raises_only_for_the_impossible(db):
    order = ["new", "paging", "accepted", "closed"]
    audited: list[Move] = []
    machine = Machine("ordered", Incident, {"new": ("paging",), "paging": ("accepted",), "accepted": ("closed",),
                                            "closed": ()}, column="status",
                      audit=lambda s, m: audited.append(m), stale=lambda cur, to: order.index(to) <= order.index(cur))
    i = new(db)
    with db.session() as s:
        assert machine.move(s, i, "paging") == [i]
        assert machine.move(s, i, "paging") == []  # a repeat: late news
        with pytest.raises(IllegalTransition):
            machine.move(s, i, "closed")  # skips accepted: no sequence of events explains it
        with pytest.raises(IllegalTransition):
            machine.move(s, i, "exploded")  # not a state at all
    assert [(m.row_id, m.to) for m in audited] == [(i, "paging")]


def test_of_two_sessions_moving_one_row_only_the_first_wins(db):
    i = new(db)
    with db.session() as first, db.session() as second:
        second.get(Incident, i)  # the second has read the row as "new" too
        assert INCIDENT.move(first, i, "accepted", actor="chen") == [i]
        first.commit()
        assert INCIDENT.move(second, i, "stopped", only_from=("new",), actor="lin") == []
    with db.session() as s:
        assert s.get(Incident, i).status == "accepted"
        assert [e.kind for e in s.scalars(select(AuditEvent))] == ["status_accepted"]

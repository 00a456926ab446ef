"""The convergence cycle's lease: one holder at a time across nodes, taken over once it expires,
and a holder who finds it taken says so quietly (the engine log used to repeat SQLAlchemy's
"New instance <Lease> ... conflicts with persistent instance" on every pass of the second engine)."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from hotline.base import cycle
from hotline.base.cycle import LEASE_SECONDS, take_lease
from hotline.base.db import Database
from hotline.base.models import Lease, utcnow
from tests.support.postgres import database


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    with database(request.param, tmp_path) as d:
        yield d


def test_a_held_lease_is_refused_without_a_warning_and_taken_over_once_expired(db: Database) -> None:
    now = utcnow()
    with db.session() as s:
        assert take_lease(s, "converge", "node-a", now)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any SAWarning fails the test
        for seconds in (1, 5, LEASE_SECONDS - 1):
            with db.session() as s:
                assert not take_lease(s, "converge", "node-b", now + timedelta(seconds=seconds))
        with db.session() as s:
            assert take_lease(s, "converge", "node-b", now + timedelta(seconds=LEASE_SECONDS + 1))
    with db.session() as s:
        assert s.get(Lease, "converge").holder == "node-b"


class Clock:
    """The pass's monotonic clock, moved by the test (a long pass without waiting for it)."""

    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    moved = Clock()
    monkeypatch.setattr(cycle, "monotonic", moved)
    return moved


def test_a_long_pass_renews_its_lease_so_no_other_node_takes_it_midway(db: Database, clock: Clock) -> None:
    now = utcnow()
    lease = cycle.PassLease(db, "node-a", now)
    assert lease.hold()
    for elapsed in range(5, 5 * LEASE_SECONDS, 5):  # a pass of 2.5 leases, holding every 5 s
        clock.t = 1000.0 + elapsed
        assert lease.hold(), elapsed
        with db.session() as s:  # the other engine, at the same moment, is refused all along
            assert not take_lease(s, "converge", "node-b", now + timedelta(seconds=elapsed))
    with db.session() as s:
        assert s.get(Lease, "converge").holder == "node-a"


def test_a_pass_stuck_past_its_lease_loses_it_and_stops_where_it_is(db: Database, clock: Clock) -> None:
    now = utcnow()
    lease = cycle.PassLease(db, "node-a", now)
    assert lease.hold()
    clock.t += LEASE_SECONDS + 1  # one call hung past the lease: nothing renewed it meanwhile
    with db.session() as s:
        assert take_lease(s, "converge", "node-b", now + timedelta(seconds=LEASE_SECONDS + 1))
    report = cycle.CycleReport(lease=lease)
    assert not report.hold() and lease.lost  # the pass leaves the rest to node-b ...
    assert not report.hold()
    with db.session() as s:
        assert s.get(Lease, "converge").holder == "node-b"  # ... and never takes it back mid-pass

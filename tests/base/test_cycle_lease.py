"""The convergence cycle's lease: one holder at a time across nodes, taken over once it expires,
and a holder who finds it taken says so quietly (the engine log used to repeat SQLAlchemy's
"New instance <Lease> ... conflicts with persistent instance" on every pass of the second engine)."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

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

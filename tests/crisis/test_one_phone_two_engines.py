"""One person is one phone, even with two engines claiming at once (issue #23, item 5).

A person on two seats (two crises here): the first seat falls due now, the second a little
earlier. Two engines' passes run side by side on PostgreSQL, the second with a clock a few
seconds behind, so it sees only the second seat due. Each claim is a conditional UPDATE that
refuses a seat while another seat of that person was called within the call's length, but each
engine's UPDATE would see the other's call uncommitted and both would ring. The second pass must
wait for the first and then claim nothing.
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from sqlalchemy import text

from hotline.base.models import Incident, utcnow
from hotline.crisis import notify
from hotline.crisis.models import Crisis, CrisisMember, CrisisState, MemberState
from tests.support.postgres import database


def _waiting_on_a_lock(db: Any) -> bool:
    with db.engine.connect() as c:
        return bool(c.execute(text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                                   "AND datname = current_database()")).scalar())


def test_two_engines_never_ring_one_person_on_two_seats_at_once(tmp_path: Path) -> None:
    now = utcnow()
    settings: Any = SimpleNamespace(repeat_minutes=3)
    with database("postgresql", tmp_path) as db:
        with db.session() as s:
            for ref, due in (("5201", now), ("5202", now - timedelta(seconds=10))):
                incident = Incident(type_key="cyber_security", language="en-US", ref=ref, status="accepted")
                s.add(incident)
                s.flush()
                crisis = Crisis(incident_id=incident.id, type_key="cyber_security", state=CrisisState.ACTIVE,
                                decided_by="alice", decided_via="console")
                s.add(crisis)
                s.flush()
                s.add(CrisisMember(crisis_id=crisis.id, role="management", person_key="director",
                                   state=MemberState.DUE, next_call_at=due))
        first = db.sessions()
        assert len(notify._claim_due(first, settings, now)) == 1  # the first engine's pass, not committed yet

        second: list[int] = []

        def other_engine() -> None:
            with db.session() as s:
                second.extend(notify._claim_due(s, settings, now - timedelta(seconds=5)))

        engine = threading.Thread(target=other_engine)
        engine.start()
        deadline = time.monotonic() + 5
        while engine.is_alive() and not _waiting_on_a_lock(db) and time.monotonic() < deadline:
            time.sleep(0.05)
        first.commit()
        first.close()
        engine.join(10)
        assert not engine.is_alive()
        assert second == [], "the director's phone would ring for both crises at once"

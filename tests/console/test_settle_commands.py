"""The two lifecycle commands the console added, against a real database: an abandoned call is
settled once, by a named person, a dismissal needs a reason; a rota override needs a known rota,
person and a future end, and is stored in UTC whatever zone it was typed in."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from hotline.base.db import Database, create_schema
from hotline.base.lifecycle import Actor, Channel
from hotline.base.models import AuditEvent, Call
from hotline.base.states import CallbackState
from hotline.paging.callbacks import settle_abandoned
from hotline.rotas.models import stored_overrides
from hotline.rotas.overrides import add_override, cancel_override
from hotline.rotas.policy import OncallSettings, Rota

ALICE, BOB = Actor("alice", Channel.CONSOLE), Actor("bob", Channel.CONSOLE)


@pytest.fixture()
def db(tmp_path: Path) -> Database:
    d = Database(f"sqlite:///{tmp_path / 'c.db'}")
    create_schema(d.engine)
    return d


def test_an_abandoned_call_is_settled_once(db: Database):
    with db.session() as s:
        s.add(Call(sid="CA1", from_number="+886955000001", abandoned=True))
        s.add(Call(sid="CA2", from_number="+886955000002", abandoned=False))
    with db.session() as s:
        assert settle_abandoned(s, 1, CallbackState.DISMISSED, ALICE).code == "reason_required"
        assert settle_abandoned(s, 1, CallbackState.CALLED_BACK, Actor("system", Channel.CLI)).ok is False
        assert settle_abandoned(s, 1, CallbackState.CALLED_BACK, ALICE).ok
        again = settle_abandoned(s, 1, CallbackState.DISMISSED, BOB, "dup")
        assert (again.ok, again.code, again.message) == (False, "already_settled", "already called_back by alice")
        assert settle_abandoned(s, 2, CallbackState.CALLED_BACK, ALICE).code == "no_call"
    with db.session() as s:
        call = s.get(Call, 1)
        assert (call.callback_state, call.callback_by) == ("called_back", "alice")
        kinds = [e.kind for e in s.query(AuditEvent).all()]
        assert kinds == ["abandoned_call_called_back"]


def test_rota_override_rules_and_utc(db: Database):
    rota = Rota("pr", ("lin",), 0, time(9), "Asia/Taipei", datetime(2026, 1, 5).date())
    settings = OncallSettings(rotas={"pr": rota})
    taipei = ZoneInfo("Asia/Taipei")
    start = datetime.now(taipei).replace(microsecond=0) + timedelta(hours=1)
    with db.session() as s:
        kw = {"start": start, "end": start + timedelta(hours=8), "actor": ALICE}
        assert add_override(s, settings, {"lin", "chen"}, rota="it", person="chen", **kw).code == "no_rota"
        assert add_override(s, settings, {"lin", "chen"}, rota="pr", person="zoe", **kw).code == "no_person"
        assert add_override(s, settings, {"chen"}, rota="pr", person="chen", start=start, end=start,
                            actor=ALICE).code == "end_before_start"
        assert add_override(s, settings, {"chen"}, rota="pr", person="chen", start=start - timedelta(days=2),
                            end=start - timedelta(days=1), actor=ALICE).code == "in_the_past"
        assert add_override(s, settings, {"chen"}, rota="pr", person="chen", reason="holiday", **kw).ok
    with db.session() as s:
        (found,) = stored_overrides(s, datetime.now(UTC))
        assert found.start == start.astimezone(UTC) and found.person == "chen"  # the same instant, in UTC
        assert cancel_override(s, 1, BOB).ok and cancel_override(s, 1, BOB).code == "already_cancelled"
        assert stored_overrides(s, datetime.now(UTC)) == ()

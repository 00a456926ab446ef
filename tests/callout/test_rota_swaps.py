"""Swaps between two people, on SQLite and PostgreSQL: nothing changes until the partner accepts;
then the resolver (paging's, the hours report's) applies both stretches; only the partner can
accept or decline, only the requester withdraw, a decided swap stays decided, and every step is
audited."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from hotline.base.audit import AuditEvent
from hotline.base.lifecycle import Actor, Channel
from hotline.rotas.hours import hours_report
from hotline.rotas.models import overrides_between, stored_overrides
from hotline.rotas.policy import HoursSettings, Layer, OncallSettings, Rota
from hotline.rotas.resolve import person_on_call
from hotline.rotas.swaps import accept_swap, decline_swap, propose_swap, withdraw_swap
from tests.support.callout import DbUnderTest

# chen and wang take daily turns at 09:00 Taipei time, chen from the day this test runs.
TODAY = datetime.now(UTC).date()
DAILY = Rota("it", ("chen", "wang"), TODAY.weekday(), time(9), "Asia/Taipei", TODAY, 1, (),
             (Layer("daily", ("chen", "wang"), TODAY, time(9), 24),))
SETTINGS = OncallSettings(rotas={"it": DAILY})
PEOPLE = {"chen": object(), "wang": object(), "lin": object()}


def at(days: int, hour: int) -> datetime:
    """Taipei local time, `days` after the rota's first day."""
    return datetime.combine(TODAY + timedelta(days=days), time(hour), tzinfo=ZoneInfo("Asia/Taipei"))


def chen(via: Channel = Channel.CONSOLE) -> Actor:
    return Actor("chen", via)


def test_a_swap_takes_effect_only_when_both_agree(db: DbUnderTest):
    # chen has days +2 (09:00 to 09:00), wang days +3: they trade them
    give, back = (at(2, 9), at(3, 9)), (at(3, 9), at(4, 9))
    assert person_on_call(DAILY, at(2, 12)) == "chen" and person_on_call(DAILY, at(3, 12)) == "wang"
    with db.session() as s:
        out = propose_swap(s, SETTINGS, PEOPLE, (), rota="it", partner="wang", start=give[0], end=give[1],
                           back_start=back[0], back_end=back[1], actor=chen(), reason="my sister's wedding")
        assert out.ok, out
        swap_id = s.scalars(select(AuditEvent.detail)).all()[-1]["swap_id"]
    with db.session() as s:
        assert person_on_call(DAILY, at(2, 12), stored_overrides(s, at(0, 0))) == "chen"  # not yet agreed
        assert not accept_swap(s, swap_id, chen()).ok  # the requester cannot agree for the partner
        assert accept_swap(s, swap_id, Actor("wang", Channel.CONSOLE)).ok
    with db.session() as s:
        live = stored_overrides(s, at(0, 0))
        assert person_on_call(DAILY, at(2, 12), live) == "wang"
        assert person_on_call(DAILY, at(3, 12), live) == "chen"
        assert not decline_swap(s, swap_id, Actor("wang", Channel.CONSOLE)).ok  # already decided
        assert not withdraw_swap(s, swap_id, chen()).ok
        # the hours report reads the same overrides: chen's day +2 is wang's now, and back
        span = overrides_between(s, at(2, 9), at(4, 9))
        hours = HoursSettings("Asia/Taipei", time(22), time(7), frozenset())
        rows = {r.person: r.total for r in hours_report(hours, {"it": DAILY}, at(2, 9), at(4, 9), span)}
        assert rows == {"chen": 24.0, "wang": 24.0}
        rows = {r.person: r.total for r in hours_report(hours, {"it": DAILY}, at(2, 9), at(3, 9), span)}
        assert rows == {"wang": 24.0}
        kinds = [e.kind for e in s.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert kinds == ["rota_swap_proposed", "rota_swap_accepted"]


def test_a_swap_must_trade_real_turns_and_can_be_declined_or_withdrawn(db: DbUnderTest):
    with db.session() as s:
        wrong = propose_swap(s, SETTINGS, PEOPLE, (), rota="it", partner="wang", start=at(3, 9), end=at(4, 9),
                             actor=chen())
        assert (wrong.ok, wrong.code) == (False, "not_your_turn")  # day +3 is wang's
        wrong = propose_swap(s, SETTINGS, PEOPLE, (), rota="it", partner="wang", start=at(2, 9), end=at(3, 9),
                             back_start=at(4, 9), back_end=at(5, 9), actor=chen())
        assert (wrong.ok, wrong.code) == (False, "not_their_turn")  # day +4 is chen's again
        assert propose_swap(s, SETTINGS, PEOPLE, (), rota="it", partner="chen", start=at(2, 9), end=at(3, 9),
                            actor=chen()).code == "no_partner"
        assert propose_swap(s, SETTINGS, PEOPLE, (), rota="it", partner="wang", start=at(2, 9), end=at(3, 9),
                            actor=Actor("alice", Channel.CONSOLE)).code == "not_a_person"
        first = propose_swap(s, SETTINGS, PEOPLE, (), rota="it", partner="lin", start=at(2, 9), end=at(3, 9),
                             actor=chen())
        second = propose_swap(s, SETTINGS, PEOPLE, (), rota="it", partner="wang", start=at(4, 9), end=at(5, 9),
                              actor=chen())
        assert first.ok and second.ok
        ids = [e.detail["swap_id"] for e in s.scalars(select(AuditEvent).order_by(AuditEvent.id))]
        assert not decline_swap(s, ids[0], Actor("wang", Channel.CONSOLE)).ok  # not wang's to decline
        assert decline_swap(s, ids[0], Actor("lin", Channel.CONSOLE)).ok
        assert not withdraw_swap(s, ids[1], Actor("wang", Channel.CONSOLE)).ok
        assert withdraw_swap(s, ids[1], chen()).ok
        assert not accept_swap(s, ids[1], Actor("wang", Channel.CONSOLE)).ok  # withdrawn: too late
    with db.session() as s:
        assert stored_overrides(s, at(0, 0)) == ()
        kinds = [e.kind for e in s.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert kinds == ["rota_swap_proposed", "rota_swap_proposed", "rota_swap_declined", "rota_swap_cancelled"]

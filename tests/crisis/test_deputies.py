"""Issue #23, item 5, reproduced: in a cyber-security crisis the communications lead (lin) and
the legal lead (counsel) stay silent long enough that their shared deputy (the director, who is
also the management lead) is called in for both roles; then both leads confirm. Their deputy
must not be called again, and the director's phone must never get several of the crisis's
calls at once: one person is one phone, whatever seats they hold."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from sqlalchemy import select

from hotline.base import jobs
from hotline.base.lifecycle import Actor, Channel
from hotline.base.models import Incident, utcnow
from hotline.crisis import commands as crisis
from hotline.crisis.models import Crisis, CrisisMember, MemberState
from hotline.crisis.settings import CrisisSettings
from tests.support.sandbox import Hotline

ALICE = Actor("alice", Channel.CONSOLE)


def _people(h: Hotline, member_ids: list[int]) -> Counter[str]:
    with h.session() as s:
        return Counter(s.get_one(CrisisMember, m).person_key for m in member_ids)


def _seats(h: Hotline, crisis_id: int) -> list[CrisisMember]:
    with h.session() as s:
        return list(s.scalars(select(CrisisMember).where(CrisisMember.crisis_id == crisis_id)
                              .order_by(CrisisMember.id)))


def test_deputies_stand_down_when_their_leads_confirm_and_one_phone_rings_once(h: Hotline):
    for person in h.config.people.values():
        h.sim.phone(person.phone).manual()
    with h.session() as s:
        row = Incident(type_key="cyber_security", language="zh-TW", ref="5150", accepted_by="chen",
                       status="accepted")
        s.add(row)
        s.flush()
        incident_id = row.id
    t0 = utcnow()
    assert jobs.run(crisis.activate, incident_id, h.config, ALICE, acceptor_only=False, now=t0).ok
    with h.session() as s:
        crisis_id = s.scalars(select(Crisis.id).where(Crisis.incident_id == incident_id)).one()
    repeat = timedelta(minutes=h.config.section(CrisisSettings).repeat_minutes)
    rounds = h.config.section(CrisisSettings).rounds_before_deputy
    leads = {m.role: m for m in _seats(h, crisis_id)}
    assert (leads["communications"].person_key, leads["legal"].person_key) == ("lin", "counsel")
    assert leads["management"].person_key == "director"

    # Nobody answers: round after round, until the deputies are called in.
    for n in range(rounds + 1):
        report = h.converge(now=t0 + n * repeat + timedelta(seconds=n + 1))
        assert max(_people(h, report["crisis_calls"]).values(), default=0) == 1, report["crisis_calls"]
    deputies = {(m.role, m.person_key) for m in _seats(h, crisis_id) if m.is_deputy}
    assert {("communications", "director"), ("legal", "director")} <= deputies, deputies

    # The two leads confirm (14:04:30 in the issue).
    confirmed_at = t0 + rounds * repeat + timedelta(seconds=30)
    for role in ("communications", "legal"):
        assert jobs.run(crisis.member_confirmed, leads[role].id, Actor(leads[role].person_key, Channel.RESPONDER),
                        now=confirmed_at).ok
    stood = {m.role for m in _seats(h, crisis_id) if m.is_deputy and m.state == MemberState.STOOD_DOWN}
    assert stood == {"communications", "legal"}
    assert len(h.audit(incident_id, "crisis.deputy_stood_down")) == 2

    # 14:07 and later: the director is still rung as the management lead, never for the roles covered.
    for n in range(rounds + 1, rounds + 4):
        report = h.converge(now=t0 + n * repeat + timedelta(seconds=n + 1))
        with h.session() as s:
            called = [s.get_one(CrisisMember, m) for m in report["crisis_calls"]]
        assert not [m for m in called if m.is_deputy and m.role in ("communications", "legal")], called
        assert max(Counter(m.person_key for m in called).values(), default=0) == 1

    # The director confirms once, on one call: every seat they hold on this crisis is confirmed.
    director = leads["management"]
    assert jobs.run(crisis.member_confirmed, director.id, Actor("director", Channel.RESPONDER), now=utcnow()).ok
    assert all(m.state == MemberState.CONFIRMED for m in _seats(h, crisis_id) if m.person_key == "director")
    jobs.run(crisis.false_alarm, incident_id, ALICE, "test over", acceptor_only=False)  # refused: decided already
    with h.session() as s:
        s.get_one(Incident, incident_id).status = "closed"  # end its calls for the module's other tests

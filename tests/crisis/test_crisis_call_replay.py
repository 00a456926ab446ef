"""Issue #24, finding 6, for the crisis team's notification calls: a keypress counts only from
the member's latest call. A captured "1" replayed under another CallSid (an older call, or a
forged request naming another seat) confirms nobody and is audited; the real call's "1" does."""

from __future__ import annotations

from sqlalchemy import select

from hotline.base import jobs
from hotline.base.lifecycle import Actor, Channel
from hotline.base.models import AuditEvent, Incident, utcnow
from hotline.crisis import commands as crisis
from hotline.crisis.models import Crisis, CrisisMember
from tests.support.sandbox import Hotline
from tests.support.trust import signed_post

ALICE = Actor("alice", Channel.CONSOLE)


def test_finding6_a_crisis_keypress_from_another_call_confirms_nobody(h: Hotline):
    for person in h.config.people.values():
        h.sim.phone(person.phone).manual()
    with h.session() as s:
        row = Incident(type_key="cyber_security", language="zh-TW", ref="5160", accepted_by="chen", status="accepted")
        s.add(row)
        s.flush()
        incident_id = row.id
    assert jobs.run(crisis.activate, incident_id, h.config, ALICE, acceptor_only=False, now=utcnow()).ok
    h.converge()

    def called() -> CrisisMember | None:
        with h.session() as s:
            return s.scalar(select(CrisisMember).join(Crisis, Crisis.id == CrisisMember.crisis_id)
                            .where(Crisis.incident_id == incident_id, CrisisMember.last_call_sid.is_not(None))
                            .order_by(CrisisMember.id).limit(1))

    member = h.wait_for(called, what="a team member's notification call")
    path = f"/voice/crisis/menu?m={member.id}"
    replayed = signed_post(h, path, {"CallSid": "CA" + "9" * 32, "Digits": "1", "From": "+886900000000"})
    assert replayed.status_code == 200 and "<Hangup" in replayed.text
    with h.session() as s:
        assert s.get_one(CrisisMember, member.id).confirmed_at is None
        assert s.scalar(select(AuditEvent.id).where(AuditEvent.kind == "webhook_call_mismatch",
                                                    AuditEvent.incident_id == incident_id)) is not None
    real = signed_post(h, path, {"CallSid": member.last_call_sid or "", "Digits": "1"})
    assert real.status_code == 200
    with h.session() as s:
        assert s.get_one(CrisisMember, member.id).confirmed_at is not None

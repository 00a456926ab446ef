"""A broadcast that asks "are you safe?", end to end on the sim: texts go out in each person's
language, delivery callbacks move each message, an SMS answer and a keypress are tallied, an
undelivered text moves that person on to a call at once, "I need help" opens an incident that is
paged like a phone report, and a responder accepts a report by texting "1 REF"."""

from __future__ import annotations

from sqlalchemy import select

from hotline.base.models import Incident
from hotline.broadcasts import tally
from hotline.broadcasts.models import DeliveryState, Recipient, RecipientState
from hotline.paging.models import Attempt
from tests.support.broadcasts import deliveries, group, people, recipients, send, text_in
from tests.support.sandbox import Hotline
from tests.support.trust import signed_post

STAFF = """Name,Mobile,E-mail,Dept,Site,Language
Amy Chen,+886912100001,amy@example.org,HR,Taipei,en-US
Bo Lin,0912100002,bo@example.org,IT,Taipei,zh-TW
Cai Wu,+886912100003,,IT,Hsinchu,en
"""




def test_texts_answers_keypress_and_a_call_for_an_undelivered_text(h: Hotline):
    people(h, STAFF)
    group(h, "taipei", "site = Taipei")
    group(h, "it", "department = IT")
    h.sim.delivery.configure(outcomes={"+886912100003": "undelivered"})
    h.sim.phone("+886912100003").manual()
    b = send(h, ("taipei", "it"), ("sms", "voice"))

    # Everyone is texted once, in their language, and the callbacks say delivered.
    amy = h.wait_for(lambda: h.sim.phone("+886912100001").messages, what="Amy's text")
    assert "Earthquake: leave by the stairs." in amy[0]["body"] and "Reply 1 = I am safe, 2 = I need help" in \
        amy[0]["body"]
    bo = h.wait_for(lambda: h.sim.phone("+886912100002").messages, what="Bo's text")
    assert "地震：請走樓梯離開。" in bo[0]["body"] and "請回覆 1＝我平安" in bo[0]["body"]
    h.wait_for(lambda: [d for d in deliveries(h, b) if d.state == DeliveryState.DELIVERED][1:], what="delivered")

    # Cai's text was undelivered (30003): he is called at once, hears it, and presses 1.
    call = h.wait_for(lambda: next((c for c in h.sim.call_objects() if c.to == "+886912100003"), None),
                      what="a call to Cai")
    cai = h.sim.handle(call.sid)
    cai.answer()
    cai.expect_say("Earthquake: leave by the stairs.")
    cai.press("1")
    cai.expect_say("Your answer is recorded: I am safe")
    cai.expect_hangup()
    # A captured keypress replayed later (its own CallSid or another) changes nothing (issue #24, finding 6).
    voice = next(d for d in deliveries(h, b) if d.channel == "voice")
    for sid in (call.sid, "CA" + "8" * 32):
        assert signed_post(h, f"/voice/broadcast/key?d={voice.id}", {"CallSid": sid, "Digits": "2"}).status_code == 200
    assert recipients(h, b)["Cai Wu"].answer == "1"
    failed = [d for d in deliveries(h, b) if d.channel == "sms" and d.state == DeliveryState.FAILED]
    assert len(failed) == 1 and "30003" in (failed[0].error or "")

    # Amy answers by SMS; Bo's "平安" counts as 1; the tally shows both, per group and per site.
    assert text_in(h, "+886912100001", "1") == "Thank you. Your answer is recorded: I am safe."
    assert text_in(h, "+886912100002", "平安 ") == "謝謝，已記錄您的回覆：我平安。"
    # Not an answer: the text goes on to the next handler, and is a report of its own.
    assert "received" in (text_in(h, "+886912100002", "there is smoke on floor 3") or "")
    with h.session() as s:
        t = tally.tally(s, b)
    assert t is not None
    assert t.overall.answers["1"] == 3 and t.overall.waiting == 0
    assert t.by_group["it"].answers["1"] == 2 and t.by_site["Hsinchu"].answers["1"] == 1
    assert {r.answered_via for r in recipients(h, b).values()} == {"sms", "voice"}


def test_need_help_is_paged_like_a_phone_report(h: Hotline):
    b = send(h, ("taipei",), ("sms",))
    h.wait_for(lambda: len(h.sim.phone("+886912100001").messages) >= 2, what="the second broadcast")
    assert text_in(h, "+886912100001", "2") == ("Thank you. Your answer is recorded: I need help. Someone will "
                                                "contact you as soon as possible.")
    amy = recipients(h, b)["Amy Chen"]
    assert amy.state == RecipientState.ANSWERED and amy.help_incident_id
    with h.session() as s:
        incident = s.get(Incident, amy.help_incident_id)
        assert incident is not None
        assert (incident.source, incident.caller, incident.type_key) == ("broadcast", "+886912100001",
                                                                           "natural_disaster")
    # Paged at once, through the same callout as any report: a responder's phone rings. No engine
    # runs in this module, so the call comes from the follow-up /sms/incoming queued, not a cycle pass.
    h.wait_for(lambda: h.session().__enter__().scalar(select(Attempt.id).where(Attempt.call_sid.is_not(None))),
               what="the callout's first call")
    # Saying it again opens no second incident.
    text_in(h, "+886912100001", "help")
    assert recipients(h, b)["Amy Chen"].help_incident_id == amy.help_incident_id


def test_a_responder_accepts_by_text(h: Hotline):
    with h.session() as s:
        incident = s.scalar(select(Incident).where(Incident.source == "broadcast"))
        assert incident is not None
        ref = incident.ref
    lin = h.config.people["lin"].phone
    assert "accepted" not in (text_in(h, "+886999999999", f"1 {ref}") or "")  # not a responder
    assert text_in(h, lin, f"1 {ref}") == f"You accepted report {ref}. Call the hotline to hear it."
    with h.session() as s:
        assert s.scalar(select(Incident.accepted_by).where(Incident.ref == ref)) == "lin"
    chen = h.config.people["chen"].phone
    assert "already taken" in (text_in(h, chen, f"accept {ref}") or "")


def test_nobody_answers_the_text_so_they_are_called_after_retry_minutes(h: Hotline):
    from datetime import timedelta

    from hotline.base.models import utcnow

    for number in ("+886912100001", "+886912100002"):
        h.sim.phone(number).busy()  # the calls end at once; what matters is that they are placed
    b = send(h, ("taipei",), ("sms", "voice"), retry_minutes=5)
    h.wait_for(lambda: [d for d in deliveries(h, b) if d.state == DeliveryState.DELIVERED][1:], what="texts")
    before = {c.sid for c in h.sim.call_objects()}
    with h.session() as s:  # five minutes pass: their deadline to answer is behind us
        s.execute(Recipient.__table__.update().where(Recipient.broadcast_id == b).values(
            next_try_at=utcnow() - timedelta(seconds=1)))
    report = h.converge()
    assert len(report["broadcast_next_channel"]) == 2
    def broadcast_calls() -> list:
        return [c for c in h.sim.call_objects() if c.sid not in before and "/voice/broadcast/" in (c.options.url or "")]

    h.wait_for(lambda: len(broadcast_calls()) >= 2, what="two calls")
    assert sorted(c.to for c in broadcast_calls()) == ["+886912100001", "+886912100002"]
    assert {(d.channel, d.recipient_id) for d in deliveries(h, b) if d.channel == "voice"} == \
        {("voice", r.id) for r in recipients(h, b).values()}
    # Earlier tests' broadcasts share this hotline and may still be waiting for someone, so only
    # this broadcast's people count here.
    ours = {r.id for r in recipients(h, b).values()}
    later = h.converge(utcnow() + timedelta(minutes=6))["broadcast_next_channel"]
    assert not ours & set(later), later  # not due again yet
    later = h.converge(utcnow() + timedelta(minutes=11))["broadcast_next_channel"]
    assert not ours & set(later), later  # no third channel

"""Escalate now and page someone now (issue #25). Escalate: a named person moves paging on from
the call ringing now; that call ends as "canceled" (its late callbacks change nothing) and the
callout dials the next person at once. Page someone: a direct call beside the order, watched by
the callout like its own. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from hotline.base.lifecycle import Actor, Channel
from hotline.base.models import AuditEvent
from hotline.paging import commands
from hotline.paging.callout.decide import DIRECT_STEP, Dial, MarkUnacknowledged, RepeatAfter
from hotline.paging.callout.states import AttemptState as A
from hotline.paging.callout.states import CallStatus, KeyPress
from hotline.paging.callout.store import advance, linked_incident_ids, open_callout, record_call_placed
from hotline.paging.followups import Drive, EndCall, PlaceCall
from hotline.paging.models import Attempt
from hotline.rotas.policy import OncallSettings, Policy, Step
from tests.support.callout import PEOPLE, T0, DbUnderTest, add_incidents

SETTINGS = OncallSettings(rounds=1, repeat_minutes=5,
                          policies={"default": Policy("default", (Step("person", "chen", 25),
                                                                  Step("person", "lin", 25)))})
ALICE = Actor("alice", Channel.CONSOLE)
sec = timedelta(seconds=1)


def test_escalate_now_ends_the_ringing_call_and_dials_the_next_person(db: DbUnderTest):
    with db.session() as s:
        callout_id = open_callout(s, add_incidents(s, 2), "cyber_security", SETTINGS, T0).id
        incident_id = linked_incident_ids(s, callout_id)[0]
        assert commands.escalate_now(s, incident_id, ALICE, T0).code == "nothing_ringing"  # not dialled yet
    with db.session() as s:
        first = advance(s, callout_id, SETTINGS, PEOPLE, T0)
        assert isinstance(first, Dial) and first.contact.person == "chen"
        record_call_placed(s, first.attempt_id, "CA1", T0)
    with db.session() as s:
        assert commands.escalate_now(s, incident_id, Actor("system", Channel.CLI), T0).ok is False
        out = commands.escalate_now(s, incident_id, ALICE, T0 + 5 * sec)
        assert (out.ok, out.code) == (True, "escalated")
        assert out.then == (EndCall(first.attempt_id), Drive(callout_id))
    with db.session() as s:
        assert s.get(Attempt, first.attempt_id).state == A.CANCELED
        nxt = advance(s, callout_id, SETTINGS, PEOPLE, T0 + 6 * sec)  # what the Drive follow-up does
        assert isinstance(nxt, Dial) and nxt.contact.person == "lin"
        late = commands.responder_event(s, first.attempt_id, CallStatus("completed"), T0 + 7 * sec)[0]
        assert late.applied is False  # the ended call's own callback changes nothing
        rows = list(s.scalars(select(AuditEvent).where(AuditEvent.kind == "callout.escalated")))
        assert sorted(e.incident_id for e in rows) == sorted(linked_incident_ids(s, callout_id))  # the storm's too
        assert {(e.actor, e.detail["person"]) for e in rows} == {("alice", "chen")}


def test_page_a_person_now_beside_the_order(db: DbUnderTest):
    """Page someone now: a direct call beside the one ringing; once a second time is refused while
    it rings; an accept through it takes the callout; and the order's position is not moved."""
    with db.session() as s:
        callout_id = open_callout(s, add_incidents(s, 2), "cyber_security", SETTINGS, T0).id
        incident_id = linked_incident_ids(s, callout_id)[0]
    with db.session() as s:
        first = advance(s, callout_id, SETTINGS, PEOPLE, T0)
        record_call_placed(s, first.attempt_id, "CA1", T0)
    with db.session() as s:
        out = commands.page_person(s, incident_id, "wang", "Wang Hao", "+886912000003", ALICE, 25, T0 + sec)
        assert (out.ok, out.code) == (True, "paged_directly")
        (placed,) = out.then
        assert isinstance(placed, PlaceCall) and placed.callout_id == callout_id
        again = commands.page_person(s, incident_id, "wang", "Wang Hao", "+886912000003", ALICE, 25, T0 + 2 * sec)
        assert again.code == "already_calling"
    with db.session() as s:
        wang = s.get(Attempt, placed.attempt_id)
        assert (wang.person_key, wang.state, wang.step >= DIRECT_STEP) == ("wang", A.QUEUED, True)
        assert s.get(Attempt, first.attempt_id).state == A.QUEUED  # chen's call goes on
        rows = list(s.scalars(select(AuditEvent).where(AuditEvent.kind == "callout.paged_directly")))
        assert {(e.actor, e.detail["person"]) for e in rows} == {("alice", "wang")} and len(rows) == 2
        record_call_placed(s, placed.attempt_id, "CA2", T0 + 3 * sec)
    with db.session() as s:
        commands.responder_event(s, placed.attempt_id, CallStatus("in-progress", answered_by="human"), T0 + 5 * sec)
        _, out = commands.responder_event(s, placed.attempt_id, KeyPress("1"), T0 + 6 * sec)
        assert out is not None and out.ok and out.accepted_by == "wang" and len(out.incident_ids) == 2


def test_escalate_now_between_rounds_starts_the_next_round_at_once(db: DbUnderTest):
    """Nobody answered and the callout waits `repeat_minutes` to go round again: "escalate now"
    ends that wait (the next round is dialled at once, not 5 minutes later), says so on every
    linked timeline, and touches no later wait."""
    with db.session() as s:
        callout_id = open_callout(s, add_incidents(s, 2), "cyber_security", SETTINGS, T0).id
        incident_id = linked_incident_ids(s, callout_id)[0]
    now = T0
    for person, sid in (("chen", "CA1"), ("lin", "CA2")):
        with db.session() as s:
            dial = advance(s, callout_id, SETTINGS, PEOPLE, now)
            assert isinstance(dial, Dial) and dial.contact.person == person
            record_call_placed(s, dial.attempt_id, sid, now)
        now += 20 * sec
        with db.session() as s:
            commands.responder_event(s, dial.attempt_id, CallStatus("no-answer"), now)
    with db.session() as s:
        assert isinstance(advance(s, callout_id, SETTINGS, PEOPLE, now), MarkUnacknowledged)
    with db.session() as s:
        assert isinstance(advance(s, callout_id, SETTINGS, PEOPLE, now + sec), RepeatAfter)  # waiting 5 min
        out = commands.escalate_now(s, incident_id, ALICE, now + 2 * sec)
        assert (out.ok, out.code, out.then) == (True, "next_round", (Drive(callout_id),))
    with db.session() as s:
        nxt = advance(s, callout_id, SETTINGS, PEOPLE, now + 3 * sec)  # what the Drive follow-up does
        assert isinstance(nxt, Dial) and (nxt.contact.person, nxt.round) == ("chen", 2)
        rows = list(s.scalars(select(AuditEvent).where(AuditEvent.kind == "callout.escalated")))
        assert sorted(e.incident_id for e in rows) == sorted(linked_incident_ids(s, callout_id))
        assert {(e.actor, e.detail["next_round"]) for e in rows} == {("alice", 2)}
        record_call_placed(s, nxt.attempt_id, "CA3", now + 3 * sec)
    # The hurry was for that one wait: the next round's end waits its 5 minutes again.
    later = now + 3 * sec
    with db.session() as s:
        commands.responder_event(s, nxt.attempt_id, CallStatus("no-answer"), later + 20 * sec)
    with db.session() as s:
        dial = advance(s, callout_id, SETTINGS, PEOPLE, later + 21 * sec)
        assert isinstance(dial, Dial) and dial.contact.person == "lin"
        record_call_placed(s, dial.attempt_id, "CA4", later + 21 * sec)
    with db.session() as s:
        commands.responder_event(s, dial.attempt_id, CallStatus("no-answer"), later + 40 * sec)
    with db.session() as s:
        assert isinstance(advance(s, callout_id, SETTINGS, PEOPLE, later + 41 * sec), RepeatAfter)


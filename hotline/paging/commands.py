"""The one door to incident and callout state. Every channel (the caller's IVR, the responder's
call, staff dial-in, the operator relay, the console, the CLI, later the API and drills) calls
these commands and nothing else writes an incident's status or a callout's state.

The rules, written once:

1. An open, unaccepted incident is always either being paged, or explicitly stopped by a named
   person with a reason ("paging stopped by X: reason"); "page again" resumes it. A snooze is a
   stop for a set time (`SNOOZE_MINUTES`): the stopped incident keeps `page_due_at`, the moment
   the convergence cycle pages it again by itself (`snooze_ended`), so a snooze never lasts. Paging is due
   from the moment the incident is reported (`Incident.page_due_at`), at the latest when the
   report grace has passed, at once when the caller hangs up; the convergence cycle
   (`hotline.paging.cycle`) pages every incident whose paging is due and hasn't begun, so
   no lost webhook, job or worker can leave a report unpaged.
2. Closing, resolving or stopping one incident of a storm never stops paging for the others: it
   leaves the callout, and the callout ends only when none of its incidents needs it any more.
3. Accepting a callout takes every incident it is paging for: one responder owns a storm (they
   hear "N reports" and step through them). Accepting an incident through any channel
   (responder's 1, dial-in, console on someone's behalf) therefore takes its whole callout when
   one is paging it, and the incident alone when none is. The acceptor is recorded on every
   incident they take, in the same transaction as the callout's accept; the other calls are
   ended and the same SMS go out (`CloseOut`), and every feature hears of it afterwards
   (`Accepted`, its `accepted` hook in the registry).
4. At most one acceptor per incident; closed stays closed unless reopened (a reopened incident
   goes back to its acceptor, or is paged again when nobody had it); every change writes one
   audit row, with its actor and channel.
5. A real report always takes precedence over a drill: the moment a real incident is reported,
   every running drill is stopped, its incidents closed and its calls ended, so the people it
   was ringing are free for the real callout. The one call that is not real is the first call
   from a running full-scale drill's designated test number (`Drill.inbound_from`): that is
   the drill's report. A drill's callout rings only its participants
   (`hotline.paging.callout.store.contacts_for`) and never shares a callout with a real report.
   Paging asks the drills all this through one door, `hotline.drills.gate`.
6. A named person may steer a running callout, never stop it by the way: "escalate now" ends the
   call ringing and the next person in the order is called at once (while nobody answered and the
   callout waits to go round again, the next round starts at once); "page someone now" rings one
   more person beside the order, a call the callout watches like its own, while the order goes
   on from its own position (`hotline.paging.callout.decide.DIRECT_STEP`).
7. A storm is worked as a group, but each report moves by the same rules. "Accept all" is rule
   3 once per callout; "close all" closes each report with the named person's reason (rule 2
   for each). Merging a duplicate report into another incident makes it that incident's, by a
   named person with a reason: it leaves its own callout (rule 2) and takes the target's state
   (paged by the target's callout, accepted by the target's acceptor, or stopped with it); the
   target must be open and paged, accepted or stopped. Splitting a report out of a storm gives it
   a callout of its own, driven at once: it is never left unpaged. Both write a line on each side.

Each command takes a session and returns an `Outcome` (`hotline.base.lifecycle`); the caller
commits, then hands `outcome.then` to `hotline.base.jobs.dispatch` (or uses `run`, which does
both). Other features reach paging through these commands.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hotline.base.jobs import Followup
from hotline.base.lifecycle import SYSTEM, Actor, Channel, Outcome, audited
from hotline.base.models import Incident, Recording, utcnow
from hotline.base.states import (
    ATTEMPT_LIVE,
    CALLOUT_ACTIVE,
    NEEDS_PAGING,
    OPEN_UNACCEPTED,
    RECORDING_SETTLED,
    AttemptState,
    CalloutState,
    IncidentStatus,
)
from hotline.drills import gate as drills
from hotline.paging import incidents as rows
from hotline.paging.callout import receive as callout_receive
from hotline.paging.callout.decide import DIRECT_STEP
from hotline.paging.callout.states import CallStatus, KeyPress, digit_intent, set_attempt_state
from hotline.paging.callout.store import (
    cancel,
    link_incident,
    linked_incident_ids,
    open_callout,
    paging_callout,
    record_call_placed,
    responsible_callout_id,
    unlink_incident,
)
from hotline.paging.callout.storm import open_or_join
from hotline.paging.followups import (
    Accepted,
    CloseOut,
    Drive,
    EndCall,
    Fetch,
    Page,
    PlaceCall,
    StopCalls,
    Transcribe,
)
from hotline.paging.models import Attempt, Callout
from hotline.rotas.policy import OncallSettings

S = IncidentStatus
GRACE_MARGIN = timedelta(seconds=30)  # after the longest recording, before paging starts anyway


# --- Reporting ----------------------------------------------------------------------------

def report(s: Session, *, call_sid: str, type_key: str, lang: str, caller: str | None, actor: Actor,
           record_max_seconds: int, now: datetime | None = None, source: str | None = None,
           relayed_by: str | None = None, test_call_proved: bool = False) -> Outcome:
    """The caller (or operator) chose a type: the incident exists, and its paging is due by the
    time the longest recording could have ended, so a lost hang-up webhook cannot stall it.
    `test_call_proved`: the call entered the drill PIN (or its caller ID is carrier-verified and
    trusted), so a running full-scale drill may take it as its test call; caller ID alone may not."""
    now = now or utcnow()
    due = now + timedelta(seconds=record_max_seconds) + GRACE_MARGIN
    incident_id, created = rows.classify(s, call_sid, type_key, lang, caller, page_due_at=due, source=source,
                                         relayed_by=relayed_by)
    then = _drills_meet_a_report(s, incident_id, caller, actor, now, test_call_proved) if created else ()
    return Outcome(True, "reported", incident_ids=(incident_id,), then=then)


def reclassify(s: Session, incident_id: int, type_key: str, actor: Actor, now: datetime | None = None) -> Outcome:
    """The reporter picked the type after the report existed (a text's menu answer): while nobody
    has been paged yet the type changes, and paging comes forward to now, for that type's rota.
    Once paging has begun the type stays (the people called are already on it)."""
    now = now or utcnow()
    incident = s.get(Incident, incident_id)
    if incident is None:
        return Outcome(False, "no_incident")
    if incident.status != S.NEW or paging_callout(s, incident_id) is not None:
        return Outcome(False, "already_paging", incident_ids=(incident_id,))
    if incident.type_key != type_key:
        audited(s, "incident_reclassified", incident_id, actor, old=incident.type_key, new=type_key)
        incident.type_key = type_key
        s.flush()
    due = caller_done(s, incident_id, now)
    return Outcome(True, "reclassified", incident_ids=(incident_id,), then=due.then)


def _drills_meet_a_report(s: Session, incident_id: int, caller: str | None, actor: Actor,
                          now: datetime, test_call_proved: bool = False) -> tuple[Followup, ...]:
    """A new report while drills run (one query when none does): a full-scale drill's own test
    call becomes that drill's report, rung to its participants only; any other report is real
    and stops every running drill (rule 5)."""
    if not drills.any_running(s):
        return ()
    incident = s.get(Incident, incident_id)
    assert incident is not None
    if test_call_proved and drills.claim_test_call(s, incident, caller, actor.who, now):
        return ()
    if not test_call_proved and drills.awaiting_call_from(s, caller) is not None:
        # from the drill's test number without its PIN: spoofable, so a real report (rule 5)
        audited(s, "drill_test_call_unproved", incident.id, SYSTEM, caller=caller)
    return preempt_drills(s, incident, now)


def take_message(s: Session, *, call_sid: str, caller_raw: str | None, to_raw: str | None, caller: str | None,
                 callback: str | None, lang: str, record_max_seconds: int, now: datetime | None = None) -> Outcome:
    """A message the fallback took is a report (first law): the fallback flow, the apology after an
    error, the TwiML Bin while every node was down (found afterwards by the reconciliation). The
    call's incident (made now, unclassified, if the call has none) gets the caller's number and a
    callback number where it lacks them, and its paging is due now: the message is taken. The
    follow-ups are the report's (drills it stops) and the page's."""
    rows.register_call(s, call_sid, caller_raw, to_raw)
    rows.hold_call(s, call_sid, caller_raw)
    then: list[Followup] = []
    incident = rows.incident_for_call(s, call_sid)
    if incident is None:
        out = report(s, call_sid=call_sid, type_key="unclassified", lang=lang, caller=caller,
                     actor=Actor(caller or "anonymous", Channel.CALLER), record_max_seconds=record_max_seconds,
                     now=now, source="fallback")
        then.extend(out.then)
        incident = s.get(Incident, out.incident_ids[0])
        assert incident is not None
    missing = {"caller": caller if not incident.caller else None,
               "callback_number": callback if callback and incident.callback_number != callback
               else (caller if not incident.callback_number else None)}
    set_details(s, incident.id, {k: v for k, v in missing.items() if v}, Actor("fallback", Channel.CALLER))
    then.extend(caller_done(s, incident.id, now).then)
    return Outcome(True, "message_taken", incident_ids=(incident.id,), then=tuple(then))


def preempt_drills(s: Session, incident: Incident, now: datetime) -> tuple[Followup, ...]:
    """Rule 5: a real report stops every running drill; their calls end (the follow-ups)."""
    then: list[Followup] = []
    reason = f"a real report ({incident.ref}) arrived"
    for drill_id, open_incidents in drills.stop_running(s, reason, now):
        for incident_id in open_incidents:
            then.extend(resolve(s, incident_id, Actor("system", Channel.DRILL), f"drill stopped: {reason}", now).then)
        audited(s, "drill_preempted", incident.id, SYSTEM, drill_id=drill_id)
    return tuple(then)


def open_report(s: Session, *, type_key: str, lang: str, actor: Actor, source: str, severity: str | None = None,
                call_sid: str | None = None, drill_id: int | None = None, page_at: datetime | None = None
                ) -> tuple[Incident, Outcome]:
    """A report from another door than a phone call (a monitoring tool's event, a drill's scripted
    report): the incident exists at once; with `page_at`, its paging is due then (rule 1)."""
    incident = rows.new_incident(s, type_key, lang, None, actor=actor.who, call_sid=call_sid,
                                 drill=drill_id is not None, source=source)
    if severity is not None:
        incident.severity = severity[:20]
    if drill_id is not None:
        incident.drill_id = drill_id
    if page_at is None:
        return incident, Outcome(True, "reported", incident_ids=(incident.id,))
    incident.page_due_at = page_at
    return incident, Outcome(True, "reported", incident_ids=(incident.id,), then=(Page(incident.id),))


def watch(s: Session, incident_id: int, stopped_by: str, reason: str, actor: Actor, now: datetime) -> bool:
    """Recorded and explicitly not paged, by a rule rather than a person (`stopped_by` names it):
    rule 1 holds, the console shows the reason, and "page again" pages it like any stopped one."""
    return bool(rows.set_status(s, [incident_id], S.STOPPED, actor=actor.who, via=str(actor.channel), reason=reason,
                                watched=True, only_from=(S.NEW,),
                                fields={"paging_stopped_by": stopped_by[:64], "paging_stopped_reason": reason[:2000],
                                        "paging_stopped_at": now, "page_due_at": None}))


def accept_alone(s: Session, incident_id: int, actor: Actor, now: datetime) -> Outcome:
    """Accepted by `actor` for this incident only (a monitoring tool's acknowledge): it leaves its
    callout first, so a machine never takes the human reports of a storm (rule 3 is for people);
    the callout ends only if nothing else needs it (rule 2)."""
    moved = rows.set_status(s, [incident_id], S.ACCEPTED, actor=actor.who, via=str(actor.channel),
                            person=actor.who, only_from=OPEN_UNACCEPTED,
                            fields={"accepted_by": actor.who, "accepted_at": now, "page_due_at": None})
    if not moved:
        return Outcome(False, "already_taken", "already accepted or closed", (incident_id,))
    callout_id = unlink_incident(s, incident_id)
    then = release_callout(s, callout_id, f"acknowledged by {actor.who}", actor, now, (incident_id,))
    return Outcome(True, "accepted", f"accepted by {actor.who}", (incident_id,), callout_id, actor.who,
                   then=(*then, Accepted((incident_id,))))


# What a person may grade a report as: a caller's answers, and a monitoring tool's severities.
SEVERITIES = ("danger", "normal", "unknown", "critical", "error", "warning", "info")


def set_severity(s: Session, incident_id: int, severity: str, actor: Actor, reason: str) -> Outcome:
    """A named person re-grades a report (the caller said "no danger", but it is), with a reason:
    one audit row with the old and new value; the list orders unaccepted reports by it."""
    reason = reason.strip()
    if severity not in SEVERITIES:
        return Outcome(False, "bad_severity", f"use one of {', '.join(SEVERITIES)}")
    if not reason or actor.who in ("", "system"):
        return Outcome(False, "reason_required", "changing the severity needs a named person and a reason")
    incident = s.get(Incident, incident_id)
    if incident is None:
        return Outcome(False, "no_incident")
    if incident.severity == severity:
        return Outcome(False, "same_severity", f"already {severity}", (incident_id,))
    audited(s, "severity_changed", incident_id, actor, old=incident.severity, new=severity, reason=reason[:2000])
    incident.severity = severity
    s.flush()
    return Outcome(True, "severity_changed", f"severity {severity}", (incident_id,))


def set_details(s: Session, incident_id: int, fields: dict[str, str], actor: Actor) -> Outcome:
    rows.set_fields(s, incident_id, fields)
    return Outcome(True, "details_set", incident_ids=(incident_id,))


def caller_done(s: Session, incident_id: int, now: datetime | None = None) -> Outcome:
    """The caller hung up or finished recording: page now, not at the end of the grace."""
    now = now or utcnow()
    moved = rows.page_now(s, incident_id, now)
    # Only the first signal queues the page job (the hang-up, the recording and the status callback
    # all say "done"): a lost one is the convergence cycle's to find, not theirs to repeat.
    return Outcome(moved, "paging_due" if moved else "nothing_due", incident_ids=(incident_id,),
                   then=(Page(incident_id),) if moved else ())


def call_ended(s: Session, call_sid: str, status: str, duration: str | None, from_number: str | None,
               to_number: str | None, now: datetime | None = None) -> Outcome:
    """A status callback for a caller's call; its end brings the incident's paging forward."""
    call = rows.call_status(s, call_sid, status, duration, from_number, to_number)
    if call is None or call.ended_at is None or call.incident_id is None:
        return Outcome(True, "call_status")
    return caller_done(s, call.incident_id, now)


def recording_arrived(s: Session, *, incident_id: int | None, sid: str, url: str | None, duration: float | None,
                      kind: str, fetch: bool = True, now: datetime | None = None) -> Outcome:
    """Twilio holds a recording: note it and (once Twilio says it is complete) fetch it; a report
    recording means the caller is done, so paging is due now."""
    rec = rows.note_recording(s, incident_id, sid, url, duration, kind=kind)
    out = caller_done(s, incident_id, now) if incident_id is not None and kind == "report" else None
    # Paging's follow-ups are queued first: the first ring does not wait on the download's enqueue.
    then: list[Followup] = list(out.then) if out is not None else []
    if fetch and rec.status not in RECORDING_SETTLED:
        then.append(Fetch(rec.id))
    return Outcome(True, "recording_noted", incident_ids=(incident_id,) if incident_id else (), then=tuple(then))


def recording_stored(s: Session, recording_id: int) -> Outcome:
    """The fetch stored the audio: the incident shows it, and transcription follows."""
    rec = s.get(Recording, recording_id)
    if rec is None:
        return Outcome(False, "no_recording")
    if rec.incident_id is not None:
        rows.set_status(s, [rec.incident_id], S.RECORDED, only_from=(S.NEW,))
    return Outcome(True, "recording_stored", then=(Transcribe(recording_id),))


# --- Paging -------------------------------------------------------------------------------

def page(s: Session, incident_id: int, settings: OncallSettings, now: datetime | None = None) -> Outcome:
    """Open or join the callout for an incident whose paging is due (idempotent)."""
    now = now or utcnow()
    incident = s.get(Incident, incident_id)
    if incident is None:
        return Outcome(False, "no_incident")
    if incident.status not in NEEDS_PAGING or incident.page_due_at is None:
        return Outcome(False, f"not_paged_{incident.status}", incident_ids=(incident_id,))
    if incident.page_due_at > now:
        return Outcome(False, "not_due", incident_ids=(incident_id,))
    existing = paging_callout(s, incident_id)
    if existing is not None:
        return Outcome(True, "already_paging", incident_ids=(incident_id,), callout_id=existing.id)
    audited(s, "callout_requested", incident_id, SYSTEM)
    callout, joined = open_or_join(s, incident_id, incident.type_key, settings, now, incident.drill_id)
    sync_callout(s, callout.id, now)
    return Outcome(True, "joined" if joined else "opened", incident_ids=(incident_id,), callout_id=callout.id,
                   then=() if joined else (drive_soon(s, callout.id, now),))


def sync_callout(s: Session, callout_id: int, now: datetime | None = None) -> None:
    """Incidents show what their callout is doing (paging, unacknowledged, accepted)."""
    now = now or utcnow()
    callout = s.get(Callout, callout_id, populate_existing=True)
    if callout is None:
        return
    ids = linked_incident_ids(s, callout_id)
    if not ids:
        return
    if callout.state == CalloutState.ACCEPTED:
        rows.set_status(s, ids, S.ACCEPTED, actor=callout.accepted_by or "system", callout_id=callout_id,
                        only_from=OPEN_UNACCEPTED,
                        fields={"accepted_by": callout.accepted_by, "accepted_at": callout.accepted_at or now,
                                "page_due_at": None})
    elif callout.state == CalloutState.UNACKNOWLEDGED:
        rows.set_status(s, ids, S.UNACKNOWLEDGED, callout_id=callout_id)
    elif callout.state == CalloutState.DIALING:
        rows.set_status(s, ids, S.PAGING, callout_id=callout_id, only_from=(S.NEW, S.RECORDED, S.UNACKNOWLEDGED))


def release_callout(s: Session, callout_id: int | None, reason: str, actor: Actor,
                    now: datetime | None = None, because_of: tuple[int, ...] = ()) -> tuple[Followup, ...]:
    """End a callout that none of its incidents needs any more; its calls are then stopped."""
    if callout_id is None or linked_incident_ids(s, callout_id):
        return ()
    if cancel(s, callout_id, reason, now or utcnow(), actor=actor.who, because_of=because_of):
        return (StopCalls(callout_id),)
    return ()


# --- Accepting ----------------------------------------------------------------------------

def accept(s: Session, *, person: str, name: str, actor: Actor, incident_id: int | None = None,
           attempt_id: int | None = None, now: datetime | None = None) -> Outcome:
    """One person takes the incident (and its whole callout, if one is paging it); exactly one
    caller of this ever gets ok=True for a given incident, on SQLite and PostgreSQL."""
    now = now or utcnow()
    callout_id = _callout_to_accept(s, incident_id, attempt_id)
    if callout_id is not None:
        result = callout_receive.accept(s, callout_id, now, attempt_id=attempt_id, person=person, name=name)
        if not result.ok:
            return Outcome(False, "already_taken", result.message, result.incident_ids, callout_id,
                           result.accepted_by, result.accepted_by_name)
        # The acceptor on every incident the callout pages, in this transaction; one audit row each.
        rows.set_status(s, list(result.incident_ids), S.ACCEPTED, actor=actor.who, via=str(actor.channel),
                        person=person, callout_id=callout_id, only_from=OPEN_UNACCEPTED,
                        fields={"accepted_by": person, "accepted_at": now, "page_due_at": None})
        return Outcome(True, "accepted", f"accepted by {name}", result.incident_ids, callout_id, person, name,
                       then=(CloseOut(callout_id), Accepted(tuple(result.incident_ids))))
    if incident_id is None:
        return Outcome(False, "no_incident")
    moved = rows.set_status(s, [incident_id], S.ACCEPTED, actor=actor.who, via=str(actor.channel), person=person,
                            only_from=OPEN_UNACCEPTED,  # a closed one is reopened first, never taken
                            fields={"accepted_by": person, "accepted_at": now, "page_due_at": None})
    incident = s.get(Incident, incident_id)
    if moved:
        unlink_incident(s, incident_id)  # a stopped incident's old link, if any
        return Outcome(True, "accepted", f"accepted by {name}", (incident_id,), None, person, name,
                       then=(Accepted((incident_id,)),))
    if incident is None:
        return Outcome(False, "no_incident")
    code = "closed" if incident.status == S.CLOSED else "already_taken"
    return Outcome(False, code, f"already {incident.status}", (incident_id,), None, incident.accepted_by,
                   incident.accepted_by)


def _callout_to_accept(s: Session, incident_id: int | None, attempt_id: int | None) -> int | None:
    if attempt_id is not None:
        attempt = s.get(Attempt, attempt_id)
        return attempt.callout_id if attempt else None
    if incident_id is None:
        return None
    return responsible_callout_id(s, incident_id)  # paging it, or already accepted through it


def responder_key(s: Session, attempt_id: int, digits: str, person_name: str, now: datetime | None = None
                  ) -> tuple[callout_receive.Received, Outcome | None]:
    """A rung responder pressed a key: 1 accepts through the lifecycle, the pass key moves on."""
    now = now or utcnow()
    attempt = s.get(Attempt, attempt_id)
    intent = digit_intent(digits)
    if attempt is not None and intent == "accept":
        if attempt.state in (AttemptState.QUEUED, AttemptState.RINGING):
            set_attempt_state(s, attempt_id, AttemptState.ANSWERED, now)
        out = accept(s, person=attempt.person_key, name=person_name, attempt_id=attempt_id,
                     actor=Actor(attempt.person_key, Channel.RESPONDER), now=now)
        followup = callout_receive.NextStep.ACCEPTED if out.ok else callout_receive.NextStep.TOO_LATE
        return callout_receive.Received(out.ok, followup, False, attempt_id, attempt.callout_id, out.message), out
    received = callout_receive.receive(s, attempt_id, KeyPress(digits), now)
    return received, _step_if(s, received, now)


def responder_event(s: Session, attempt_id: int, event: CallStatus | KeyPress, now: datetime | None = None,
                    call_sid: str | None = None) -> tuple[callout_receive.Received, Outcome | None]:
    """Any request about a responder's call: a status change (answered, no answer, busy, machine)
    or, on any route, a key. A callback can beat the dialer's own note of the CallSid; the
    attempt id in the URL ties them anyway."""
    now = now or utcnow()
    attempt = s.get(Attempt, attempt_id)
    if call_sid and attempt is not None and attempt.call_sid is None:
        record_call_placed(s, attempt_id, str(call_sid), now)
    if isinstance(event, KeyPress):
        return responder_key(s, attempt_id, event.digits, attempt.person_name if attempt else "", now)
    received = callout_receive.receive(s, attempt_id, event, now)
    return received, _step_if(s, received, now)


def responder_gave_no_key(s: Session, attempt_id: int, now: datetime | None = None) -> Outcome | None:
    """The menu was repeated and nothing was pressed: that person counts as not answering."""
    now = now or utcnow()
    attempt = s.get(Attempt, attempt_id)
    if attempt is None or attempt.state != AttemptState.ANSWERED:
        return None
    if not set_attempt_state(s, attempt_id, AttemptState.NO_KEY, now):
        return None
    s.refresh(attempt)
    callout_receive.audit_attempt(s, attempt.callout, attempt)
    active = attempt.callout.state in CALLOUT_ACTIVE
    return Outcome(True, "no_key", then=(drive_soon(s, attempt.callout_id, now),) if active else ())


def _step_if(s: Session, received: callout_receive.Received, now: datetime) -> Outcome | None:
    if received.advance and received.callout_id is not None:
        return Outcome(True, "step", then=(drive_soon(s, received.callout_id, now),))
    return None


HANDOFF = timedelta(seconds=3)  # how long the drive a command queued has before the cycle's pass does it


def drive_soon(s: Session, callout_id: int, now: datetime) -> Drive:
    """The drive a command asks for, also written down: the callout is due `HANDOFF` from now in
    the database. If the queued drive is lost (Redis frozen or gone, its job dropped), the
    convergence cycle's next pass does it, not the callout's watchdog a minute later (a declined
    call waited 57 s with Redis frozen). A drive that runs in time sets the next wake-up itself
    (hotline.paging.callout.store.advance), so it leaves the pass nothing to do."""
    soon = now + HANDOFF
    s.execute(update(Callout).where(Callout.id == callout_id, Callout.state.in_(CALLOUT_ACTIVE),
                                    Callout.next_wake_at.is_(None) | (Callout.next_wake_at > soon))
              .values(next_wake_at=soon))
    return Drive(callout_id)


def escalate_now(s: Session, incident_id: int, actor: Actor, now: datetime | None = None) -> Outcome:
    """A named person moves paging on without waiting for the ring timeout: the live call of the
    incident's callout ends (as the call was ended) and the callout dials the next person in its
    order at once. Between calls (nobody is being rung) there is nothing to move on from."""
    now = now or utcnow()
    if actor.who in ("", "system"):
        return Outcome(False, "reason_required", "escalating needs a named person")
    callout = paging_callout(s, incident_id)
    if callout is None or callout.state not in CALLOUT_ACTIVE:
        return Outcome(False, "not_paging", "nothing is being paged", (incident_id,))
    live = [a for a in callout.attempts if a.outcome is None and a.state in ATTEMPT_LIVE]
    if not live and callout.state == CalloutState.UNACKNOWLEDGED:
        return _next_round_now(s, callout, incident_id, actor, now)
    ended = [a for a in live if set_attempt_state(s, a.id, AttemptState.CANCELED, now)]
    if not ended:
        return Outcome(False, "nothing_ringing", "nobody is being called right now", (incident_id,), callout.id)
    for linked in linked_incident_ids(s, callout.id):
        audited(s, "callout.escalated", linked, actor, callout_id=callout.id,
                person=ended[0].person_key, round=ended[0].round)
    return Outcome(True, "escalated", f"moved on from {ended[0].person_name}", (incident_id,), callout.id,
                   then=(*(EndCall(a.id) for a in ended), drive_soon(s, callout.id, now)))


def _next_round_now(s: Session, callout: Callout, incident_id: int, actor: Actor, now: datetime) -> Outcome:
    """Escalate now while nobody answered and the callout waits to go round again: the wait ends,
    the next round starts at once (`hurried_at`, read by `decide.next_action`)."""
    moved = s.execute(update(Callout).where(Callout.id == callout.id, Callout.state == CalloutState.UNACKNOWLEDGED)
                      .values(hurried_at=now, next_wake_at=now))
    if not cast(CursorResult[Any], moved).rowcount:
        return Outcome(False, "not_paging", "nothing is being paged", (incident_id,))
    for linked in linked_incident_ids(s, callout.id):
        audited(s, "callout.escalated", linked, actor, callout_id=callout.id, next_round=callout.round + 1)
    return Outcome(True, "next_round", "the next round starts now", (incident_id,), callout.id,
                   then=(drive_soon(s, callout.id, now),))


def page_person(s: Session, incident_id: int, person: str, name: str, phone: str, actor: Actor,
                ring_timeout: int = 25, now: datetime | None = None) -> Outcome:
    """A named person pages someone now, in or outside the escalation order, alongside the call
    ringing: the callout watches that call like its own (an accept through it takes the storm,
    rule 3), and its order goes on from where it was once that call ends (`DIRECT_STEP`)."""
    now = now or utcnow()
    if actor.who in ("", "system"):
        return Outcome(False, "reason_required", "paging someone needs a named person")
    callout = paging_callout(s, incident_id)
    if callout is None or callout.state not in CALLOUT_ACTIVE:
        return Outcome(False, "not_paging", "nothing is being paged", (incident_id,))
    if any(a.person_key == person and a.outcome is None and a.state in ATTEMPT_LIVE for a in callout.attempts):
        return Outcome(False, "already_calling", f"{name} is being called already", (incident_id,), callout.id)
    direct = sum(1 for a in callout.attempts if a.step >= DIRECT_STEP)
    attempt = Attempt(callout_id=callout.id, person_key=person, person_name=name, phone=phone,
                      round=max(callout.round, 1), step=DIRECT_STEP + direct, source=f"paged by {actor.who}"[:80],
                      ring_timeout=ring_timeout, state=AttemptState.QUEUED, created_at=now)
    try:
        with s.begin_nested():
            s.add(attempt)
            s.flush()
    except IntegrityError:  # someone paged this person at the same moment
        return Outcome(False, "already_calling", f"{name} is being called already", (incident_id,), callout.id)
    for linked in linked_incident_ids(s, callout.id):
        audited(s, "callout.paged_directly", linked, actor, callout_id=callout.id, person=person)
    return Outcome(True, "paged_directly", f"calling {name} now", (incident_id,), callout.id,
                   then=(PlaceCall(attempt.id, callout.id),))


# --- Storms: the group's actions, merge and split (rule 7) -------------------------------

def accept_all(s: Session, incident_ids: list[int], *, person: str, name: str, actor: Actor,
               now: datetime | None = None) -> Outcome:
    """Accept every report of the list for one person: each callout once (rule 3 brings its
    other reports along), and any report no callout pages on its own."""
    now = now or utcnow()
    taken: list[int] = []
    then: list[Followup] = []
    for incident_id in incident_ids:
        incident = s.get(Incident, incident_id, populate_existing=True)
        if incident is None or incident.status not in OPEN_UNACCEPTED or incident_id in taken:
            continue
        out = accept(s, person=person, name=name, actor=actor, incident_id=incident_id, now=now)
        if out.ok:
            taken.extend(out.incident_ids)
            then.extend(out.then)
    if not taken:
        return Outcome(False, "already_taken", "nothing left to accept", tuple(incident_ids))
    return Outcome(True, "accepted_all", f"{len(taken)} accepted by {name}", tuple(dict.fromkeys(taken)),
                   accepted_by=person, accepted_by_name=name, then=tuple(then))


def close_all(s: Session, incident_ids: list[int], actor: Actor, reason: str, now: datetime | None = None) -> Outcome:
    """Close each report of the list (a storm, or false alarms picked in the list), with one
    reason written on each; a storm's callout ends when its last report is closed (rule 2)."""
    now = now or utcnow()
    reason = reason.strip()
    if not reason or actor.who in ("", "system"):
        return Outcome(False, "reason_required", "closing several reports needs a named person and a reason")
    closed: list[int] = []
    then: list[Followup] = []
    for incident_id in dict.fromkeys(incident_ids):
        out = resolve(s, incident_id, actor, reason, now)
        if out.ok:
            closed.append(incident_id)
            then.extend(out.then)
    if not closed:
        return Outcome(False, "already_closed", "nothing left to close", tuple(incident_ids))
    return Outcome(True, "closed_all", f"{len(closed)} closed", tuple(closed), then=tuple(then))


def merge(s: Session, incident_id: int, into_id: int, actor: Actor, reason: str,
          now: datetime | None = None) -> Outcome:
    """A duplicate report of the same event joins another incident (rule 7): it leaves its own
    callout and takes the target's state; its recording and transcript stay its own rows, shown
    from the target through the "merged" line on the target's timeline."""
    now = now or utcnow()
    reason = reason.strip()
    if not reason or actor.who in ("", "system"):
        return Outcome(False, "reason_required", "merging needs a named person and a reason")
    source, target = s.get(Incident, incident_id), s.get(Incident, into_id)
    if source is None or target is None:
        return Outcome(False, "no_incident")
    if incident_id == into_id:
        return Outcome(False, "same_incident", "an incident cannot be merged into itself", (incident_id,))
    if source.status not in OPEN_UNACCEPTED:
        return Outcome(False, "cannot_merge", f"{source.ref} is {source.status}", (incident_id,))
    if source.drill_id != target.drill_id or source.drill != target.drill:  # rule 5: never mixed
        return Outcome(False, "cannot_merge", "a drill's report and a real one are never merged", (incident_id,))
    target_callout = responsible_callout_id(s, into_id)
    paged = target.status in NEEDS_PAGING and paging_callout(s, into_id) is not None
    if not (paged or target.status in (S.ACCEPTED, S.STOPPED)):
        return Outcome(False, "target_not_ready", f"{target.ref} is {target.status}", (into_id,))
    then: list[Followup] = []
    own = responsible_callout_id(s, incident_id)
    if own is not None and own != target_callout:
        unlink_incident(s, incident_id)
        then.extend(release_callout(s, own, f"{source.ref} merged into {target.ref}", actor, now, (incident_id,)))
    detail = {"via": str(actor.channel), "reason": reason[:2000], "action": "merge", "into": target.ref}
    if target.status == S.ACCEPTED:
        rows.set_status(s, [incident_id], S.ACCEPTED, actor=actor.who, person=target.accepted_by,
                        only_from=OPEN_UNACCEPTED, **detail,
                        fields={"accepted_by": target.accepted_by, "accepted_at": now, "page_due_at": None})
        if target_callout is not None:
            link_incident(s, target_callout, incident_id)
    elif target.status == S.STOPPED:
        rows.set_status(s, [incident_id], S.STOPPED, actor=actor.who, only_from=NEEDS_PAGING, **detail,
                        fields={"paging_stopped_by": actor.who, "paging_stopped_at": now, "page_due_at": None,
                                "paging_stopped_reason": f"merged into {target.ref}: {reason}"[:2000]})
    else:
        assert target_callout is not None
        if source.status == S.STOPPED:
            rows.set_status(s, [incident_id], S.NEW, actor=actor.who, only_from=(S.STOPPED,), **detail,
                            fields={"paging_stopped_by": None, "paging_stopped_reason": None,
                                    "paging_stopped_at": None, "page_due_at": now})
        link_incident(s, target_callout, incident_id)
        sync_callout(s, target_callout, now)
    audited(s, "incident_merged", incident_id, actor, into_id=into_id, into=target.ref, reason=reason[:2000])
    audited(s, "incident_merged_in", into_id, actor, from_id=incident_id, ref=source.ref, reason=reason[:2000])
    return Outcome(True, "merged", f"{source.ref} merged into {target.ref}", (incident_id, into_id),
                   target_callout, then=tuple(then))


def split(s: Session, incident_id: int, actor: Actor, reason: str, settings: OncallSettings,
          now: datetime | None = None) -> Outcome:
    """A report that is not part of the storm leaves its callout for one of its own, opened and
    driven now (rule 7: never left unpaged); the storm's callout goes on for the others."""
    now = now or utcnow()
    reason = reason.strip()
    if not reason or actor.who in ("", "system"):
        return Outcome(False, "reason_required", "splitting needs a named person and a reason")
    incident = s.get(Incident, incident_id)
    if incident is None:
        return Outcome(False, "no_incident")
    storm = paging_callout(s, incident_id)
    if incident.status not in NEEDS_PAGING or storm is None:
        return Outcome(False, "not_in_storm", f"{incident.ref} is not being paged with others", (incident_id,))
    others = [i for i in linked_incident_ids(s, storm.id) if i != incident_id]
    if not others:
        return Outcome(False, "not_in_storm", f"{incident.ref} is paged alone already", (incident_id,))
    unlink_incident(s, incident_id)
    callout = open_callout(s, [incident_id], incident.type_key, settings, now)
    callout.drill_id = incident.drill_id
    incident.page_due_at = incident.page_due_at or now
    s.flush()
    refs = dict(s.execute(select(Incident.id, Incident.ref).where(Incident.id.in_(others))).all())
    audited(s, "incident_split", incident_id, actor, callout_id=callout.id, reason=reason[:2000],
            refs=[refs[i] for i in others])
    for other in others:
        audited(s, "incident_split_off", other, actor, ref=incident.ref, reason=reason[:2000])
    sync_callout(s, callout.id, now)
    return Outcome(True, "split", f"{incident.ref} has its own callout", (incident_id,), callout.id,
                   then=(drive_soon(s, callout.id, now),))


# --- Stopping, closing, reopening ---------------------------------------------------------

def stop_paging(s: Session, incident_id: int, actor: Actor, reason: str, now: datetime | None = None) -> Outcome:
    """A named person stops paging for one incident, with a reason; "page again" undoes it."""
    now = now or utcnow()
    reason = reason.strip()
    if not reason or actor.who in ("", "system"):
        return Outcome(False, "reason_required", "stopping paging needs a named person and a reason")
    moved = rows.set_status(s, [incident_id], S.STOPPED, actor=actor.who, via=str(actor.channel), reason=reason,
                            only_from=NEEDS_PAGING,
                            fields={"paging_stopped_by": actor.who, "paging_stopped_reason": reason[:2000],
                                    "paging_stopped_at": now, "page_due_at": None})
    if not moved:
        return _not_moved(s, incident_id, "not_paging")
    callout_id = unlink_incident(s, incident_id)
    then = release_callout(s, callout_id, f"paging stopped by {actor.who}: {reason}", actor, now, (incident_id,))
    return Outcome(True, "stopped", f"paging stopped by {actor.who}: {reason}", (incident_id,), callout_id, then=then)


SNOOZE_MINUTES = (15, 30, 60)


def snooze(s: Session, incident_id: int, actor: Actor, minutes: int, reason: str,
           now: datetime | None = None) -> Outcome:
    """A named person stops paging for `minutes`, with a reason (someone is already on it, the
    caller is being called back): nobody is called until then, and then paging starts again
    from the top by itself (rule 1). "Page again" ends it sooner."""
    now = now or utcnow()
    reason = reason.strip()
    if minutes not in SNOOZE_MINUTES:
        return Outcome(False, "bad_snooze", f"snooze for one of {SNOOZE_MINUTES} minutes")
    if not reason or actor.who in ("", "system"):
        return Outcome(False, "reason_required", "snoozing paging needs a named person and a reason")
    until = now + timedelta(minutes=minutes)
    moved = rows.set_status(s, [incident_id], S.STOPPED, actor=actor.who, via=str(actor.channel), reason=reason,
                            only_from=NEEDS_PAGING, action="snooze", minutes=minutes, until=until.isoformat(),
                            fields={"paging_stopped_by": actor.who, "paging_stopped_reason": reason[:2000],
                                    "paging_stopped_at": now, "page_due_at": until})
    if not moved:
        return _not_moved(s, incident_id, "not_paging")
    callout_id = unlink_incident(s, incident_id)
    then = release_callout(s, callout_id, f"paging snoozed by {actor.who} for {minutes} min: {reason}", actor,
                           now, (incident_id,))
    return Outcome(True, "snoozed", f"paging snoozed by {actor.who} for {minutes} min: {reason}", (incident_id,),
                   callout_id, then=then)


def snooze_ended(s: Session, incident_id: int, now: datetime | None = None) -> Outcome:
    """A snooze ran out (the convergence cycle asks): paging again, from the top, as the system.
    Only a stopped incident whose `page_due_at` has come moves; a plain stop has none."""
    now = now or utcnow()
    incident = s.get(Incident, incident_id)
    if incident is None or incident.status != S.STOPPED or incident.page_due_at is None or incident.page_due_at > now:
        return Outcome(False, "not_due", incident_ids=(incident_id,))
    moved = rows.set_status(s, [incident_id], S.NEW, actor=SYSTEM.who, via=str(SYSTEM.channel), only_from=(S.STOPPED,),
                            action="snooze ended",
                            fields={"paging_stopped_by": None, "paging_stopped_reason": None,
                                    "paging_stopped_at": None, "page_due_at": now})
    if not moved:
        return _not_moved(s, incident_id, "not_stopped")
    return Outcome(True, "paging_again", "snooze ended: paging again", (incident_id,), then=(Page(incident_id),))


def page_again(s: Session, incident_id: int, actor: Actor, now: datetime | None = None) -> Outcome:
    now = now or utcnow()
    moved = rows.set_status(s, [incident_id], S.NEW, actor=actor.who, via=str(actor.channel), only_from=(S.STOPPED,),
                            action="page again",
                            fields={"paging_stopped_by": None, "paging_stopped_reason": None,
                                    "paging_stopped_at": None, "page_due_at": now})
    if not moved:
        return _not_moved(s, incident_id, "not_stopped")
    return Outcome(True, "paging_again", "paging again", (incident_id,), then=(Page(incident_id),))


def resolve(s: Session, incident_id: int, actor: Actor, note: str = "", now: datetime | None = None) -> Outcome:
    """Close one incident. Its callout goes on for the other incidents of a storm."""
    now = now or utcnow()
    if note.strip():
        audited(s, "note", incident_id, actor, text=note.strip()[:4000])
    moved = rows.set_status(s, [incident_id], S.CLOSED, actor=actor.who, via=str(actor.channel),
                            fields={"page_due_at": None})
    if not moved:
        return _not_moved(s, incident_id, "already_closed")
    callout_id = unlink_incident(s, incident_id)
    then = release_callout(s, callout_id, f"incident closed by {actor.who}", actor, now, (incident_id,))
    return Outcome(True, "closed", "incident closed", (incident_id,), callout_id, then=then)


def reopen(s: Session, incident_id: int, actor: Actor, reason: str = "", now: datetime | None = None) -> Outcome:
    """Back to its acceptor if someone had it; otherwise it is paged again at once."""
    now = now or utcnow()
    incident = s.get(Incident, incident_id)
    if incident is None:
        return Outcome(False, "no_incident")
    target = S.ACCEPTED if incident.accepted_by else S.NEW
    fields: dict[str, object] = {"closed_at": None}
    if target == S.NEW:
        fields["page_due_at"] = now
    moved = rows.set_status(s, [incident_id], target, actor=actor.who, via=str(actor.channel), only_from=(S.CLOSED,),
                            action="reopen", reason=reason.strip()[:2000], fields=fields)
    if not moved:
        return _not_moved(s, incident_id, "not_closed")
    return Outcome(True, "reopened", f"reopened ({target})", (incident_id,),
                   then=(Page(incident_id),) if target == S.NEW else ())


def add_note(s: Session, incident_id: int, actor: Actor, text: str) -> Outcome:
    if not text.strip():
        return Outcome(False, "empty_note", "empty note")
    if s.get(Incident, incident_id) is None:
        return Outcome(False, "no_incident")
    audited(s, "note", incident_id, actor, text=text.strip()[:4000])
    return Outcome(True, "noted", "note saved", (incident_id,))


def _not_moved(s: Session, incident_id: int, code: str) -> Outcome:
    incident = s.get(Incident, incident_id)
    if incident is None:
        return Outcome(False, "no_incident", f"no incident {incident_id}")
    return Outcome(False, code, f"incident is {incident.status}", (incident_id,))

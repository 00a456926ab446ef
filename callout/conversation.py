"""The responder's side of a callout call: what each webhook means, and what they hear next.

Each function applies one Twilio request to the database (through `callout.receive`) and
returns a `Reply` (rendered as TwiML by `callout.responder_twiml`) plus what the webhook
must queue: a `step` when the attempt reached its verdict, `after_accept` on acceptance.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from callout import briefing, links
from callout.engine import record_call_placed
from callout.incident_sync import sync_incidents
from callout.models import Attempt, Callout
from callout.receive import FollowUp, receive
from callout.states import AttemptState, CalloutState, KeyPress, event_from_twilio, set_attempt_state
from hotline import audit
from hotline.config import Config
from hotline.models import Incident, Recording, Transcript
from hotline.phone import spoken_digits

MENU_REPEATS = 2  # after the first menu, repeated this often before the attempt counts as no key


class Kind:
    MENU = "menu"
    RECORDING = "recording"
    ACCEPTED = "accepted"
    CONNECT = "connect"
    END = "end"  # say the lines, hang up
    NOTHING = "nothing"


@dataclass(frozen=True)
class Reply:
    kind: str
    lines: tuple[str, ...] = ()
    menu: str = ""
    tries: int = 0
    rec: int = 0  # index of the recording "2" plays next
    play_url: str | None = None
    dial: str | None = None
    step_callout: int | None = None  # queue `drive` for this callout
    accepted_callout: int | None = None  # queue the after-accept work for this callout
    audit: dict[str, Any] = field(default_factory=dict)


def answered(s: Session, cfg: Config, attempt_id: int, form: Mapping[str, Any], now: datetime) -> Reply:
    """Twilio fetched our Url: the call was answered, by a person or (AnsweredBy) a machine."""
    _remember_sid(s, attempt_id, form, now)
    r = receive(s, attempt_id, event_from_twilio(form), now)
    attempt, callout = _load(s, attempt_id)
    if attempt is None or callout is None:
        return Reply(Kind.END, ("This call is no longer needed. Goodbye.",))
    step = callout.id if r.advance else None
    if attempt.state == AttemptState.MACHINE or r.followup == FollowUp.HANG_UP:
        first = callout.incidents[0] if callout.incidents else None
        text = briefing.machine_message(cfg.org_name, cfg.type_name(first.type_key if first else None,
                                                                    briefing.LANG), cfg.numbers[0])
        return Reply(Kind.END, (text,), step_callout=step)
    if callout.state not in CalloutState.ACTIVE:
        return Reply(Kind.END, (_closed_text(callout),), step_callout=step)
    return _menu(s, cfg, callout, attempt_id, tries=0, rec=0, intro=True, step=step)


def menu_choice(s: Session, cfg: Config, attempt_id: int, digits: str, tries: int, rec: int,
                now: datetime) -> Reply:
    attempt, callout = _load(s, attempt_id)
    if attempt is None or callout is None:
        return Reply(Kind.END, ("This call is no longer needed. Goodbye.",))
    key = digits[:1]
    if key == "1":
        r = receive(s, attempt_id, KeyPress("1"), now)
        if r.followup != FollowUp.ACCEPTED:
            return Reply(Kind.END, (briefing.too_late(r.message),))
        sync_incidents(s, callout, now)
        return _accepted(s, callout, attempt, accepted=callout.id)
    if callout.state not in CalloutState.ACTIVE:
        return Reply(Kind.END, (_closed_text(callout),))
    if key == "3":
        r = receive(s, attempt_id, KeyPress("3"), now)
        return Reply(Kind.END, ("Thank you. We will call the next person now. Goodbye.",),
                     step_callout=callout.id if r.advance else None)
    if key == "2":
        return _recording(s, cfg, callout, attempt_id, rec)
    if key == "9":
        return _menu(s, cfg, callout, attempt_id, tries=0, rec=rec, intro=True)
    if key:
        return _menu(s, cfg, callout, attempt_id, tries=tries, rec=rec, intro=False,
                     before=("That key does nothing here.",))
    if tries < MENU_REPEATS:
        return _menu(s, cfg, callout, attempt_id, tries=tries + 1, rec=rec, intro=False)
    applied = set_attempt_state(s, attempt_id, AttemptState.NO_KEY, now) if attempt.state == AttemptState.ANSWERED \
        else False
    if applied:
        _audit_verdict(s, callout, attempt_id)
    return Reply(Kind.END, ("We did not hear a choice, so we will call the next person. Goodbye.",),
                 step_callout=callout.id if applied else None)


def after_accept_choice(s: Session, cfg: Config, attempt_id: int, digits: str) -> Reply:
    """The acceptor's menu: 1 connects them to the caller, 9 repeats the number."""
    attempt, callout = _load(s, attempt_id)
    if attempt is None or callout is None or callout.accepted_attempt_id != attempt_id:
        return Reply(Kind.END, ("Goodbye.",))
    number = _callback(callout)
    if digits[:1] == "1" and number:
        for incident in callout.incidents:
            audit.record(s, "callout.live_connect", incident.id, actor=attempt.person_key, callout_id=callout.id,
                         to=number)
        return Reply(Kind.CONNECT, ("Connecting you to the caller now.",), dial=number)
    if digits[:1] == "9":
        return _accepted(s, callout, attempt)
    return Reply(Kind.END, ("Goodbye.",))


def connect_result(s: Session, attempt_id: int, dial_status: str) -> Reply:
    attempt, callout = _load(s, attempt_id)
    if callout is not None:
        for incident in callout.incidents:
            audit.record(s, "callout.live_connect_ended", incident.id, callout_id=callout.id, status=dial_status)
    if dial_status == "completed":
        return Reply(Kind.END, ("The call with the caller has ended. Goodbye.",))
    number = _callback(callout) if callout else None
    words = spoken_digits(number) if number else "their number"
    return Reply(Kind.END, (f"We could not reach the caller. Please try again later on {words}. Goodbye.",))


def status(s: Session, attempt_id: int, form: Mapping[str, Any], now: datetime) -> int | None:
    """A status callback; returns the callout to step when the attempt just reached its verdict."""
    _remember_sid(s, attempt_id, form, now)
    r = receive(s, attempt_id, event_from_twilio(form), now)
    return r.callout_id if r.advance else None


# -- helpers ------------------------------------------------------------------------------

def _load(s: Session, attempt_id: int) -> tuple[Attempt | None, Callout | None]:
    attempt = s.get(Attempt, attempt_id)
    if attempt is None:
        return None, None
    s.refresh(attempt)
    callout = attempt.callout
    s.refresh(callout)
    return attempt, callout


def _remember_sid(s: Session, attempt_id: int, form: Mapping[str, Any], now: datetime) -> None:
    """A callback can beat `record_call_placed`; the attempt id in the URL ties them anyway."""
    sid = form.get("CallSid")
    attempt = s.get(Attempt, attempt_id)
    if sid and attempt is not None and attempt.call_sid is None:
        record_call_placed(s, attempt_id, str(sid), now)


def reports(s: Session, cfg: Config, callout: Callout) -> list[briefing.Report]:
    return [briefing.Report(i.ref or str(i.id), cfg.type_name(i.type_key, briefing.LANG), i.severity,
                            i.created_at, i.callback_number or i.caller, _transcript(s, i.id))
            for i in callout.incidents]


def _transcript(s: Session, incident_id: int) -> str | None:
    """Whatever transcript exists now; the callout never waits for transcription."""
    try:
        from transcribe.results import latest_transcript
    except ImportError:
        latest_transcript = None
    if latest_transcript is not None:
        row = latest_transcript(s, incident_id)
    else:
        row = s.scalars(select(Transcript).join(Recording, Recording.id == Transcript.recording_id)
                        .where(Recording.incident_id == incident_id).order_by(Transcript.id.desc())).first()
    if row is None or row.status != "done":
        return None
    return row.text.strip() or None


def _menu(s: Session, cfg: Config, callout: Callout, attempt_id: int, *, tries: int, rec: int, intro: bool,
          step: int | None = None, before: tuple[str, ...] = ()) -> Reply:
    found = reports(s, cfg, callout)
    lines = tuple(briefing.intro(cfg.org_name, found, cfg.timezone)) if intro else ()
    return Reply(Kind.MENU, before + lines, briefing.menu(len(found)), tries, rec, step_callout=step)


def _recording(s: Session, cfg: Config, callout: Callout, attempt_id: int, rec: int) -> Reply:
    rows = [(i.ref or str(i.id), r) for i in callout.incidents
            for r in s.scalars(select(Recording).where(Recording.incident_id == i.id, Recording.kind == "report")
                               .order_by(Recording.id))]
    menu = briefing.menu(len(callout.incidents))
    if not rows:
        return Reply(Kind.MENU, ("The recording is not ready yet.",), menu, 0, 0)
    index = rec % len(rows)
    ref, recording = rows[index]
    label = briefing.recording_label(index, len(rows), ref)
    if recording.status != "stored" or not recording.path:
        return Reply(Kind.MENU, (label, "This recording is not ready yet."), menu, 0, index + 1)
    return Reply(Kind.RECORDING, (label,), menu, 0, index + 1, play_url=links.recording_url(cfg, recording.id))


def _accepted(s: Session, callout: Callout, attempt: Attempt, accepted: int | None = None) -> Reply:
    found = [briefing.Report(i.ref or str(i.id), "", i.severity, i.created_at, i.callback_number)
             for i in callout.incidents]
    number = _callback(callout)
    lines = tuple(briefing.accepted(attempt.person_name, found, number))
    return Reply(Kind.ACCEPTED, lines, briefing.CONNECT_MENU if number else "", accepted_callout=accepted)


def _callback(callout: Callout) -> str | None:
    incident: Incident | None = next((i for i in callout.incidents if i.callback_number), None)
    return incident.callback_number if incident else None


def _closed_text(callout: Callout) -> str:
    if callout.state == CalloutState.ACCEPTED:
        return briefing.too_late(f"already accepted by {callout.accepted_by_name or callout.accepted_by}")
    return "Thank you. This callout has been stopped, nothing more is needed. Goodbye."


def _audit_verdict(s: Session, callout: Callout, attempt_id: int) -> None:
    attempt = s.get(Attempt, attempt_id)
    assert attempt is not None
    for incident in callout.incidents:
        audit.record(s, "callout.attempt", incident.id, callout_id=callout.id, attempt_id=attempt_id,
                     person=attempt.person_key, round=attempt.round, step=attempt.step, outcome=attempt.outcome)


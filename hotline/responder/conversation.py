"""The responder's side of a callout call: what each webhook means, and what they hear next.

Each function applies one Twilio request to the database (through `callout.receive`) and
returns a `Reply` (rendered as TwiML by `callout.responder_twiml`) plus what the webhook
must queue: a `step` when the attempt reached its verdict, `after_accept` on acceptance.
Every reply is in the responder's own language (`callout.phrases.person_language`), and the
keys are dispatched from the same tables the menus are read out from.
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
from callout.phrases import CONNECT_KEYS, MENU_KEYS, Key, person_language, responder_language, text
from callout.receive import FollowUp, receive
from callout.states import AttemptState, CalloutState, KeyPress, event_from_twilio, set_attempt_state
from hotline.base import audit
from hotline.base.callout_models import Attempt, Callout
from hotline.base.config import Config
from hotline.base.models import Incident, Recording, Transcript
from hotline.base.phone import spoken_digits
from hotline.lifecycle.incident_sync import sync_incidents

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
    language: str = field(kw_only=True)  # no default: every reply must say whose language it speaks
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
        return _no_longer_needed(cfg)
    lang = person_language(cfg, attempt.person_key)
    step = callout.id if r.advance else None
    if attempt.state == AttemptState.MACHINE or r.followup == FollowUp.HANG_UP:
        first = callout.incidents[0] if callout.incidents else None
        message = briefing.machine_message(cfg.org_name, cfg.type_name(first.type_key if first else None, lang),
                                           cfg.numbers[0], lang)
        return Reply(Kind.END, (message,), step_callout=step, language=lang)
    if callout.state not in CalloutState.ACTIVE:
        return Reply(Kind.END, (closed_text(callout, lang),), step_callout=step, language=lang)
    return _menu(s, cfg, callout, lang, tries=0, rec=0, intro=True, step=step)


def menu_choice(s: Session, cfg: Config, attempt_id: int, digits: str, tries: int, rec: int,
                now: datetime) -> Reply:
    attempt, callout = _load(s, attempt_id)
    if attempt is None or callout is None:
        return _no_longer_needed(cfg)
    lang = person_language(cfg, attempt.person_key)
    key = digits[:1]
    action = MENU_KEYS.get(key)
    if action == Key.ACCEPT:
        r = receive(s, attempt_id, KeyPress(key), now)
        s.refresh(callout)
        if r.followup != FollowUp.ACCEPTED:
            return Reply(Kind.END, (closed_text(callout, lang),), language=lang)
        sync_incidents(s, callout, now)
        return _accepted(s, callout, attempt, lang, accepted=callout.id)
    if callout.state not in CalloutState.ACTIVE:
        return Reply(Kind.END, (closed_text(callout, lang),), language=lang)
    if action == Key.DECLINE:
        r = receive(s, attempt_id, KeyPress(key), now)
        return Reply(Kind.END, (text(lang, "passed"),), step_callout=callout.id if r.advance else None,
                     language=lang)
    if action == Key.RECORDING:
        return _recording(s, cfg, callout, lang, rec)
    if action == Key.REPEAT:
        return _menu(s, cfg, callout, lang, tries=0, rec=rec, intro=True)
    if key:
        return _menu(s, cfg, callout, lang, tries=tries, rec=rec, intro=False, before=(text(lang, "invalid_key"),))
    if tries < MENU_REPEATS:
        return _menu(s, cfg, callout, lang, tries=tries + 1, rec=rec, intro=False)
    applied = set_attempt_state(s, attempt_id, AttemptState.NO_KEY, now) if attempt.state == AttemptState.ANSWERED \
        else False
    if applied:
        _audit_verdict(s, callout, attempt_id)
    return Reply(Kind.END, (text(lang, "no_choice"),), step_callout=callout.id if applied else None, language=lang)


def after_accept_choice(s: Session, cfg: Config, attempt_id: int, digits: str) -> Reply:
    """The acceptor's menu (`CONNECT_KEYS`): connect them to the caller, or repeat the number."""
    attempt, callout = _load(s, attempt_id)
    lang = person_language(cfg, attempt.person_key) if attempt is not None else _default_language(cfg)
    if attempt is None or callout is None or callout.accepted_attempt_id != attempt_id:
        return Reply(Kind.END, (text(lang, "goodbye"),), language=lang)
    number = _callback(callout)
    action = CONNECT_KEYS.get(digits[:1])
    if action == Key.CONNECT and number:
        for incident in callout.incidents:
            audit.record(s, "callout.live_connect", incident.id, actor=attempt.person_key, callout_id=callout.id,
                         to=number)
        return Reply(Kind.CONNECT, (text(lang, "connecting"),), dial=number, language=lang)
    if action == Key.REPEAT:
        return _accepted(s, callout, attempt, lang)
    return Reply(Kind.END, (text(lang, "goodbye"),), language=lang)


def connect_result(s: Session, cfg: Config, attempt_id: int, dial_status: str) -> Reply:
    attempt, callout = _load(s, attempt_id)
    lang = person_language(cfg, attempt.person_key) if attempt is not None else _default_language(cfg)
    if callout is not None:
        for incident in callout.incidents:
            audit.record(s, "callout.live_connect_ended", incident.id, callout_id=callout.id, status=dial_status)
    if dial_status == "completed":
        return Reply(Kind.END, (text(lang, "call_ended"),), language=lang)
    number = _callback(callout) if callout else None
    words = spoken_digits(number) if number else text(lang, "their_number")
    return Reply(Kind.END, (text(lang, "connect_failed", number=words),), language=lang)


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


def reports(s: Session, cfg: Config, callout: Callout, lang: str) -> list[briefing.Report]:
    return [briefing.Report(i.ref or str(i.id), cfg.type_name(i.type_key, lang), i.severity,
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


def _menu(s: Session, cfg: Config, callout: Callout, lang: str, *, tries: int, rec: int, intro: bool,
          step: int | None = None, before: tuple[str, ...] = ()) -> Reply:
    found = reports(s, cfg, callout, lang)
    lines = tuple(briefing.intro(cfg.org_name, found, cfg.timezone, lang)) if intro else ()
    return Reply(Kind.MENU, before + lines, briefing.menu(len(found), lang), tries, rec, step_callout=step,
                 language=lang)


def _recording(s: Session, cfg: Config, callout: Callout, lang: str, rec: int) -> Reply:
    rows = [(i.ref or str(i.id), r) for i in callout.incidents
            for r in s.scalars(select(Recording).where(Recording.incident_id == i.id, Recording.kind == "report")
                               .order_by(Recording.id))]
    menu = briefing.menu(len(callout.incidents), lang)
    if not rows:
        return Reply(Kind.MENU, (text(lang, "recordings_not_ready"),), menu, 0, 0, language=lang)
    index = rec % len(rows)
    ref, recording = rows[index]
    label = briefing.recording_label(index, len(rows), ref, lang)
    if recording.status != "stored" or not recording.path:
        return Reply(Kind.MENU, (label, text(lang, "recording_not_ready")), menu, 0, index + 1, language=lang)
    return Reply(Kind.RECORDING, (label,), menu, 0, index + 1, play_url=links.recording_url(cfg, recording.id),
                 language=lang)


def _accepted(s: Session, callout: Callout, attempt: Attempt, lang: str, accepted: int | None = None) -> Reply:
    found = [briefing.Report(i.ref or str(i.id), "", i.severity, i.created_at, i.callback_number)
             for i in callout.incidents]
    number = _callback(callout)
    lines = tuple(briefing.accepted(attempt.person_name, found, number, lang))
    return Reply(Kind.ACCEPTED, lines, briefing.connect_menu(lang) if number else "", accepted_callout=accepted,
                 language=lang)


def _callback(callout: Callout) -> str | None:
    incident: Incident | None = next((i for i in callout.incidents if i.callback_number), None)
    return incident.callback_number if incident else None


def closed_text(callout: Callout, lang: str) -> str:
    """What someone still on the line hears once the callout is over: who took it, or that it stopped."""
    if callout.state == CalloutState.ACCEPTED:
        return briefing.already_accepted(callout.accepted_by_name or callout.accepted_by or "", lang)
    return text(lang, "stopped")



def _default_language(cfg: Config) -> str:
    """For a call we cannot tie to a person any more: the hotline's own first language."""
    return responder_language((), cfg.languages)


def _no_longer_needed(cfg: Config) -> Reply:
    lang = _default_language(cfg)
    return Reply(Kind.END, (text(lang, "no_longer_needed"),), language=lang)


def _audit_verdict(s: Session, callout: Callout, attempt_id: int) -> None:
    attempt = s.get(Attempt, attempt_id)
    assert attempt is not None
    for incident in callout.incidents:
        audit.record(s, "callout.attempt", incident.id, callout_id=callout.id, attempt_id=attempt_id,
                     person=attempt.person_key, round=attempt.round, step=attempt.step, outcome=attempt.outcome)


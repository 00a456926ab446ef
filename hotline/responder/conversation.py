"""The responder's side of a callout call: what each webhook means, and what they hear next.

Each function applies one Twilio request through the lifecycle's responder commands and
returns a `Reply` (rendered as TwiML by `hotline.responder.twiml`) plus the follow-ups the
webhook must queue once the transaction commits (the next step; the close-out on acceptance).
Every reply is in the responder's own language (`hotline.paging.callout.phrases.person_language`), and the
keys are dispatched from the same tables the menus are read out from.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from hotline.base import audit
from hotline.base.config import Config
from hotline.base.jobs import Followup
from hotline.base.lifecycle import Actor, Channel
from hotline.base.models import Incident
from hotline.base.phone import spoken_digits
from hotline.base.states import CALLOUT_ACTIVE, AttemptState, CalloutState, RecordingStatus
from hotline.crisis import commands as crisis
from hotline.crisis.settings import CrisisSettings
from hotline.events.view import event_views, spoken_details
from hotline.paging import commands
from hotline.paging.callout import briefing, links
from hotline.paging.callout.phrases import (
    CONNECT_KEYS,
    MENU_KEYS,
    VERIFY_KEYS,
    Key,
    menu_text,
    person_language,
    responder_language,
    text,
)
from hotline.paging.callout.receive import NextStep
from hotline.paging.callout.states import CallStatus, event_from_twilio
from hotline.paging.models import Attempt, Callout
from hotline.paging.report_view import report_views
from hotline.textreports.view import texts_of

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
    then: tuple[Followup, ...] = ()  # queued by the webhook after commit
    audit: dict[str, Any] = field(default_factory=dict)


def answered(s: Session, cfg: Config, attempt_id: int, form: Mapping[str, Any], now: datetime) -> Reply:
    """Twilio fetched our Url: the call was answered, by a person or (AnsweredBy) a machine. A key
    sent here (some clients send Digits on the answer request) means what it means in the menu."""
    if form.get("Digits"):
        commands.responder_event(s, attempt_id, CallStatus("in-progress"), now, form.get("CallSid"))
        return menu_choice(s, cfg, attempt_id, str(form["Digits"]), 0, 0, now)
    r, step = commands.responder_event(s, attempt_id, event_from_twilio(form), now, form.get("CallSid"))
    then = step.then if step else ()
    attempt, callout = _load(s, attempt_id)
    if attempt is None or callout is None:
        return _no_longer_needed(cfg)
    lang = person_language(cfg, attempt.person_key)
    if attempt.state == AttemptState.MACHINE or r.followup == NextStep.HANG_UP:
        first = callout.incidents[0] if callout.incidents else None
        message = briefing.machine_message(cfg.org_name, cfg.type_name(first.type_key if first else None, lang),
                                           cfg.numbers[0], lang)
        return Reply(Kind.END, (message,), then=then, language=lang)
    if callout.state not in CALLOUT_ACTIVE:
        return Reply(Kind.END, (closed_text(callout, lang),), then=then, language=lang)
    return _menu(s, cfg, callout, lang, tries=0, rec=0, intro=True, then=then)


def menu_choice(s: Session, cfg: Config, attempt_id: int, digits: str, tries: int, rec: int,
                now: datetime) -> Reply:
    attempt, callout = _load(s, attempt_id)
    if attempt is None or callout is None:
        return _no_longer_needed(cfg)
    lang = person_language(cfg, attempt.person_key)
    key = digits[:1]
    action = MENU_KEYS.get(key)
    if action == Key.ACCEPT:
        r, out = commands.responder_key(s, attempt_id, key, attempt.person_name, now)
        s.refresh(callout)
        if r.followup != NextStep.ACCEPTED or out is None:
            return Reply(Kind.END, (closed_text(callout, lang),), language=lang)
        return _accepted(s, cfg, callout, attempt, lang, then=out.then)
    if callout.state not in CALLOUT_ACTIVE:
        return Reply(Kind.END, (closed_text(callout, lang),), language=lang)
    if action == Key.DECLINE:
        _, step = commands.responder_key(s, attempt_id, key, attempt.person_name, now)
        return Reply(Kind.END, (text(lang, "passed"),), then=step.then if step else (), language=lang)
    if action == Key.RECORDING:
        return _recording(s, cfg, callout, lang, rec)
    if action == Key.REPEAT:
        return _menu(s, cfg, callout, lang, tries=0, rec=rec, intro=True)
    if action == Key.DETAILS:
        return _menu(s, cfg, callout, lang, tries=0, rec=rec, intro=False, before=_details(s, callout, lang))
    if key:
        return _menu(s, cfg, callout, lang, tries=tries, rec=rec, intro=False, before=(text(lang, "invalid_key"),))
    if tries < MENU_REPEATS:
        return _menu(s, cfg, callout, lang, tries=tries + 1, rec=rec, intro=False)
    gave_up = commands.responder_gave_no_key(s, attempt_id, now)
    return Reply(Kind.END, (text(lang, "no_choice"),), then=gave_up.then if gave_up else (), language=lang)


def after_accept_choice(s: Session, cfg: Config, attempt_id: int, digits: str) -> Reply:
    """The acceptor's menu: connect them to the caller (`CONNECT_KEYS`), confirm the report as real
    or mark it a false alarm (`VERIFY_KEYS`, when the type has a crisis plan), or repeat."""
    attempt, callout = _load(s, attempt_id)
    lang = person_language(cfg, attempt.person_key) if attempt is not None else _default_language(cfg)
    if attempt is None or callout is None or callout.accepted_attempt_id != attempt_id:
        return Reply(Kind.END, (text(lang, "goodbye"),), language=lang)
    number = _callback(callout)
    action = _after_accept_keys(cfg, callout, number).get(digits[:1])
    if action in (Key.CONFIRM_CRISIS, Key.FALSE_ALARM):
        return _verify(s, cfg, callout, attempt, lang, action)
    if action == Key.CONNECT and number:
        for incident in callout.incidents:
            audit.record(s, "callout.live_connect", incident.id, actor=attempt.person_key, callout_id=callout.id,
                         to=number)
        return Reply(Kind.CONNECT, (text(lang, "connecting"),), dial=number, language=lang)
    if action == Key.REPEAT:
        return _accepted(s, cfg, callout, attempt, lang)
    return Reply(Kind.END, (text(lang, "goodbye"),), language=lang)


def _after_accept_keys(cfg: Config, callout: Callout, number: str | None) -> dict[str, str]:
    keys = {d: k for d, k in CONNECT_KEYS.items() if number or k != Key.CONNECT}
    first = callout.incidents[0] if callout.incidents else None
    if first is not None and first.type_key in cfg.section(CrisisSettings).plans:
        keys.update(VERIFY_KEYS)
    return keys if len(keys) > 1 else {}


def _verify(s: Session, cfg: Config, callout: Callout, attempt: Attempt, lang: str, action: str) -> Reply:
    """The acceptor says the report is real (the plan is activated) or a false alarm. A storm is
    one crisis: the verdict is on its first report."""
    actor = Actor(attempt.person_key, Channel.RESPONDER)
    incident_id = callout.incidents[0].id
    if action == Key.CONFIRM_CRISIS:
        out = crisis.activate(s, incident_id, cfg, actor, acceptor_only=True)
    else:
        out = crisis.false_alarm(s, incident_id, actor, "false alarm (phone menu)", acceptor_only=True)
    if out.code == "not_activator":  # the plan names its activators: they are asked instead
        out = crisis.propose(s, incident_id, cfg, actor)
        return Reply(Kind.END, (text(lang, "verify_refused", reason=out.message),), then=out.then, language=lang)
    if not out.ok:
        return Reply(Kind.END, (text(lang, "verify_refused", reason=out.message),), language=lang)
    done = "crisis_activated" if action == Key.CONFIRM_CRISIS else "false_alarm_noted"
    return Reply(Kind.END, (text(lang, done),), then=out.then, language=lang)


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


def status(s: Session, attempt_id: int, form: Mapping[str, Any], now: datetime) -> tuple[Followup, ...]:
    """A status callback; the follow-ups to queue (the next step when the attempt reached its verdict)."""
    _, step = commands.responder_event(s, attempt_id, event_from_twilio(form), now, form.get("CallSid"))
    return step.then if step else ()


def drill_notice(s: Session, cfg: Config, attempt_id: int) -> str:
    """The drill notice in the responder's language when this call is a drill's, else ""."""
    attempt = s.get(Attempt, attempt_id)
    if attempt is None or attempt.callout.drill_id is None:
        return ""
    return text(person_language(cfg, attempt.person_key), "drill_notice")


# -- helpers ------------------------------------------------------------------------------

def _load(s: Session, attempt_id: int) -> tuple[Attempt | None, Callout | None]:
    attempt = s.get(Attempt, attempt_id)
    if attempt is None:
        return None, None
    s.refresh(attempt)
    callout = attempt.callout
    s.refresh(callout)
    return attempt, callout


def reports(s: Session, cfg: Config, callout: Callout, lang: str) -> list[briefing.Report]:
    """The callout's reports as the responder hears them: whatever transcript exists now (the
    callout never waits for transcription)."""
    ids = [i.id for i in callout.incidents]
    events = event_views(s, ids)  # a report from a monitoring tool: its summary and source, as sent
    texted = texts_of(s, ids)  # a report by SMS: what the reporter wrote, read out like a transcript
    return [briefing.Report(v.ref, cfg.type_name(v.type_key, lang), v.severity, v.created_at, v.callback_number,
                            v.transcript or (events[v.incident_id].summary if v.incident_id in events else None)
                            or texted.get(v.incident_id),
                            events[v.incident_id].source if v.incident_id in events else None)
            for v in report_views(s, ids)]


def _details(s: Session, callout: Callout, lang: str) -> tuple[str, ...]:
    """Key 4: each event's custom details, report by report."""
    events = event_views(s, [i.id for i in callout.incidents])
    lines = tuple(text(lang, "event_details", ref=spoken_digits(i.ref or str(i.id)),
                       details=spoken_details(events[i.id].details))
                  for i in callout.incidents if i.id in events and events[i.id].details)
    return lines or (text(lang, "event_no_details"),)


def _menu(s: Session, cfg: Config, callout: Callout, lang: str, *, tries: int, rec: int, intro: bool,
          then: tuple[Followup, ...] = (), before: tuple[str, ...] = ()) -> Reply:
    found = reports(s, cfg, callout, lang)
    lines = tuple(briefing.intro(cfg.org_name, found, cfg.timezone, lang)) if intro else ()
    menu = briefing.menu(len(found), lang, details=any(r.source for r in found))
    return Reply(Kind.MENU, before + lines, menu, tries, rec, then=then, language=lang)


def _recording(s: Session, cfg: Config, callout: Callout, lang: str, rec: int) -> Reply:
    rows = [(v.ref, r) for v in report_views(s, [i.id for i in callout.incidents]) for r in v.recordings]
    menu = briefing.menu(len(callout.incidents), lang)
    if not rows:
        return Reply(Kind.MENU, (text(lang, "recordings_not_ready"),), menu, 0, 0, language=lang)
    index = rec % len(rows)
    ref, recording = rows[index]
    label = briefing.recording_label(index, len(rows), ref, lang)
    if recording.status == RecordingStatus.FAILED:
        return Reply(Kind.MENU, (label, text(lang, "recording_failed")), menu, 0, index + 1, language=lang)
    if not recording.playable:
        return Reply(Kind.MENU, (label, text(lang, "recording_not_ready")), menu, 0, index + 1, language=lang)
    return Reply(Kind.RECORDING, (label,), menu, 0, index + 1, play_url=links.recording_url(cfg, recording.id),
                 language=lang)


def _accepted(s: Session, cfg: Config, callout: Callout, attempt: Attempt, lang: str,
              then: tuple[Followup, ...] = ()) -> Reply:
    found = [briefing.Report(i.ref or str(i.id), "", i.severity, i.created_at, i.callback_number)
             for i in callout.incidents]
    number = _callback(callout)
    lines = tuple(briefing.accepted(attempt.person_name, found, number, lang))
    keys = _after_accept_keys(cfg, callout, number)
    return Reply(Kind.ACCEPTED, lines, menu_text(lang, keys, "connect_menu") if keys else "", then=then,
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


def no_longer_needed(cfg: Config) -> Reply:
    """For a webhook of a call that has ended (a replay) or of another call: nothing changes."""
    return _no_longer_needed(cfg)


def _no_longer_needed(cfg: Config) -> Reply:
    lang = _default_language(cfg)
    return Reply(Kind.END, (text(lang, "no_longer_needed"),), language=lang)

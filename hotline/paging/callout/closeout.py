"""After a callout ends: stop every other call still ringing or talking, send the SMS.

Runs as an RQ job with retries, so every part is idempotent: calls already over are
skipped, and a message already in the audit timeline is not sent twice. Whoever is still on
the line hears why in their own language; each SMS is in its reader's language.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session
from twilio.twiml.voice_response import VoiceResponse

from hotline.base import audit
from hotline.base.models import AuditEvent, utcnow
from hotline.base.runtime import get_runtime
from hotline.base.states import ATTEMPT_LIVE, AttemptState, CalloutState
from hotline.paging.callout import briefing, sms
from hotline.paging.callout.phrases import person_language, text, usable
from hotline.paging.callout.states import set_attempt_state
from hotline.paging.models import Attempt, Callout
from hotline.provider import dialer

log = logging.getLogger("callout.closeout")


def after_accept(callout_id: int) -> None:
    """The acceptor's incidents are already theirs (the lifecycle's accept wrote that in the same
    transaction); this ends the other calls and sends the SMS, then records `closed_out_at`, which
    the convergence cycle looks for, so a close-out cut short by a crash is finished later."""
    rt, cfg = get_runtime(), get_runtime().config
    now = utcnow()
    with rt.db.session() as s:
        callout = s.get(Callout, callout_id)
        if callout is None or callout.state != CalloutState.ACCEPTED or callout.closed_out_at is not None:
            return
        name = callout.accepted_by_name or callout.accepted_by or ""
        drill = callout.drill_id is not None
    stop_other_calls(callout_id, lambda lang: briefing.already_accepted(name, lang), now)
    with rt.db.session() as s:
        callout = s.get(Callout, callout_id)
        assert callout is not None
        acceptor = s.get(Attempt, callout.accepted_attempt_id) if callout.accepted_attempt_id else None
        phone = acceptor.phone if acceptor else (cfg.people[callout.accepted_by].phone
                                                  if callout.accepted_by in cfg.people else None)
        incidents = list(callout.incidents)
        lang = person_language(cfg, callout.accepted_by)  # dashboard and dial-in accepts have no attempt
        accepted_at = callout.accepted_at or now
        outbox: list[tuple[str, str, str, int | None]] = []  # (role, to, body, incident)
        if phone:
            link = sms.incident_link(cfg.public_url, incidents[0].id) if incidents else None
            summary = sms.acceptor_summary(cfg.org_name, cfg.type_name(callout.type_key, lang), incidents, lang, link)
            outbox.append(("acceptor", phone, _drill_marked(drill, summary, lang), None))
        seen: set[str] = set()
        for incident in incidents:
            number = incident.callback_number
            if incident.source == "sms":
                continue  # a reporter by text is told in their conversation (`Feature.accepted`), honouring STOP
            if number and number not in seen and sms.can_receive_sms(number):
                seen.add(number)
                caller_lang = usable(incident.language, cfg.languages)
                notice = sms.caller_notice(incident, accepted_at, cfg.timezone, caller_lang)
                outbox.append(("caller", number, _drill_marked(drill, notice, caller_lang), incident.id))
        first = incidents[0].id if incidents else None
        done = _already_sent(s, [i.id for i in incidents])
    for role, to, body, incident_id in outbox:
        if (role, to) in done:
            continue
        _send(callout_id, role, to, body, incident_id or first)
    with rt.db.session() as s:
        s.execute(update(Callout).where(Callout.id == callout_id, Callout.closed_out_at.is_(None))
                  .values(closed_out_at=utcnow()))
        for incident in incidents:
            audit.record(s, "callout.closed_out", incident.id, callout_id=callout_id)


def stop_other_calls(callout_id: int, message: Callable[[str], str], now: datetime) -> int:
    """End every live call of the callout except the acceptor's; returns how many were stopped.

    `message(lang)` is what an answered call hears before the hang-up, in that responder's language.
    """
    cfg = get_runtime().config
    with get_runtime().db.session() as s:
        callout = s.get(Callout, callout_id)
        if callout is None:
            return 0
        live = [(a.id, a.call_sid, a.state, person_language(cfg, a.person_key)) for a in callout.attempts
                if a.state in ATTEMPT_LIVE and a.call_sid and a.id != callout.accepted_attempt_id]
        drill = callout.drill_id is not None
        for attempt_id, _sid, state, _lang in live:
            if state == AttemptState.ANSWERED:
                set_attempt_state(s, attempt_id, AttemptState.TOO_LATE, now)
    for attempt_id, sid, state, lang in live:
        try:
            if state == AttemptState.ANSWERED:
                dialer.say_and_hang_up(str(sid), _goodbye_twiml(_drill_marked(drill, message(lang), lang),
                                                                cfg.voices.say(lang)))
            else:
                dialer.cancel_call(str(sid))
        except dialer.DialerError as exc:  # the menu still says "already accepted" when it next asks
            log.warning("could not stop call %s of attempt %s: %s", sid, attempt_id, exc.describe())
    return len(live)


def end_call(attempt_id: int, message: Callable[[str], str]) -> bool:
    """End one call whose attempt is already over in our books (escalate now): ringing, it is
    cancelled; answered, the person hears `message(lang)` first. False when it has no call."""
    cfg = get_runtime().config
    with get_runtime().db.session() as s:
        attempt = s.get(Attempt, attempt_id)
        if attempt is None or not attempt.call_sid or attempt.state in ATTEMPT_LIVE:
            return False
        sid, answered = attempt.call_sid, attempt.answered_at is not None
        lang = person_language(cfg, attempt.person_key)
        drill = attempt.callout.drill_id is not None
    try:
        if answered:
            dialer.say_and_hang_up(sid, _goodbye_twiml(_drill_marked(drill, message(lang), lang), cfg.voices.say(lang)))
        else:
            dialer.cancel_call(sid)
    except dialer.DialerError as exc:  # the call ends by itself at its ring timeout; its callback is stale
        log.warning("could not end call %s of attempt %s: %s", sid, attempt_id, exc.describe())
        return False
    return True


def after_cancel(callout_id: int, message: Callable[[str], str]) -> int:
    """A cancelled callout's calls end (paging stopped, its incidents closed or taken elsewhere),
    then `closed_out_at` records it: the convergence cycle finishes a cancelled callout without it,
    so a lost stop-calls job leaves no phone ringing for a report nobody needs paged. Returns how
    many calls were stopped."""
    stopped = stop_other_calls(callout_id, message, utcnow())
    with get_runtime().db.session() as s:
        s.execute(update(Callout).where(Callout.id == callout_id, Callout.state == CalloutState.CANCELLED,
                                        Callout.closed_out_at.is_(None)).values(closed_out_at=utcnow()))
    return stopped


def _drill_marked(drill: bool, body: str, lang: str) -> str:
    """Every message of a drill starts by saying so, in its reader's language."""
    return f"{text(lang, 'drill_notice')} {body}" if drill else body


def _goodbye_twiml(message: str, voice: dict[str, str]) -> str:
    """`voice`: the <Say> voice and language of the listener's language (`Voices.say`)."""
    twiml = VoiceResponse()
    twiml.say(message, **voice)
    twiml.hangup()
    return str(twiml)


def _already_sent(s: Session, incident_ids: list[int]) -> set[tuple[str, str]]:
    rows = s.scalars(select(AuditEvent).where(AuditEvent.incident_id.in_(incident_ids),
                                              AuditEvent.kind == "callout.sms_sent"))
    return {(str(e.detail.get("role")), str(e.detail.get("to"))) for e in rows}


def _send(callout_id: int, role: str, to: str, body: str, incident_id: int | None) -> None:
    cfg = get_runtime().config
    try:
        sid = dialer.send_sms(to, cfg.numbers[0], body)
    except dialer.PermanentError as exc:
        with get_runtime().db.session() as s:
            audit.record(s, "callout.sms_failed", incident_id, callout_id=callout_id, role=role, to=to,
                         error=exc.describe())
        return
    with get_runtime().db.session() as s:
        audit.record(s, "callout.sms_sent", incident_id, callout_id=callout_id, role=role, to=to, sid=sid, body=body)


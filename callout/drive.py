"""Carry out what `engine.advance` decides: place the call, schedule the watchdog, repeat.

`drive` runs until the callout is waiting on the outside world (a ringing phone, a repeat
timer) or is over. It is idempotent: any number of copies may run, late or at once (webhook
step, watchdog, reconciler after a crash); the database's unique attempt slot makes sure a
(round, step, person) is dialled at most once.

`due` is the moment a scheduled job was meant for. A job never runs early, so `now` is at
least `due`; using it makes the decision independent of how late the scheduler was (and
lets tests run scheduled jobs immediately, as if their time had come).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from callout import dialer, links, schedule
from callout.decide import CALLBACK_GRACE, Dial, Done, MarkUnacknowledged, Reconcile, RepeatAfter, Wait
from callout.engine import advance, record_call_placed, record_dial_failed
from callout.states import AttemptState, CalloutState
from callout.watchdog import reconcile_attempt
from hotline.base import audit
from hotline.base.callout_models import Attempt, Callout
from hotline.base.models import utcnow
from hotline.base.oncall_policy import OncallSettings
from hotline.base.runtime import get_runtime
from hotline.lifecycle.incident_sync import sync_incidents

log = logging.getLogger("callout.drive")
MAX_HOPS = 50  # a callout with every number invalid ends its round here rather than spin
REDIAL_BACKOFF = (1, 2, 4, 8, 15, 30)  # seconds between Calls.create retries on 429 / 5xx


def settings() -> OncallSettings:
    return get_runtime().config.extras["oncall"]


def moment(due: datetime | None = None) -> datetime:
    now = utcnow()
    return max(now, due) if due is not None else now


def drive(callout_id: int, due: datetime | None = None) -> str:
    """Advance the callout until it waits; returns the last action's name (for logs and tests)."""
    rt = get_runtime()
    name = "none"
    for _ in range(MAX_HOPS):
        now = moment(due)
        with rt.db.session() as s:
            action = advance(s, callout_id, settings(), rt.config.people, now)
            name = type(action).__name__
            callout = s.get(Callout, callout_id)
            assert callout is not None
            if isinstance(action, MarkUnacknowledged):
                sync_incidents(s, callout, now)
        match action:
            case Dial(attempt_id=attempt_id) if attempt_id is not None:
                if place(attempt_id, now):
                    return name
            case Dial():  # another copy queued this slot first; it places the call
                return name
            case Wait(until=until) | RepeatAfter(until=until) | MarkUnacknowledged(repeat_at=until):
                schedule.wake(callout_id, until)
                return name
            case Reconcile(attempt_id=attempt_id):
                if attempt_id is None or not reconcile_attempt(attempt_id, now):
                    schedule.wake(callout_id, now + CALLBACK_GRACE)
                    return name
            case Done():
                return name
    log.error("callout %s: no settled state after %d hops", callout_id, MAX_HOPS)
    schedule.wake(callout_id, moment(due) + CALLBACK_GRACE)
    return name


def place(attempt_id: int, now: datetime, tries: int = 0) -> bool:
    """Ask Twilio to ring this attempt's person. True when the callout now waits (placed or
    retrying); False when the attempt failed for good and the caller should move on at once."""
    rt, cfg = get_runtime(), get_runtime().config
    with rt.db.session() as s:
        attempt = s.get(Attempt, attempt_id)
        if attempt is None or attempt.state != AttemptState.QUEUED or attempt.call_sid:
            return True
        if attempt.callout.state not in CalloutState.ACTIVE:
            return True
        req = dialer.CallRequest(to=attempt.phone, from_=cfg.numbers[0],
                                 url=links.webhook(cfg, "answer", attempt_id),
                                 status_callback=links.webhook(cfg, "status", attempt_id),
                                 ring_timeout=attempt.ring_timeout)
        callout_id, ring_timeout = attempt.callout_id, attempt.ring_timeout
    try:
        sid = dialer.place_call(req)
    except dialer.PermanentError as exc:
        with rt.db.session() as s:
            record_dial_failed(s, attempt_id, exc.describe(), now)
            _audit(s, attempt_id, "callout.dial_failed", error=exc.describe())
        return False
    except dialer.TransientError as exc:
        if tries >= len(REDIAL_BACKOFF):
            with rt.db.session() as s:
                record_dial_failed(s, attempt_id, f"gave up after {tries} retries: {exc.describe()}", now)
                _audit(s, attempt_id, "callout.dial_failed", error=exc.describe(), retries=tries)
            return False
        with rt.db.session() as s:
            _audit(s, attempt_id, "callout.dial_retry", error=exc.describe(), retry=tries + 1)
        schedule.redial(attempt_id, tries + 1, REDIAL_BACKOFF[tries])
        return True
    with rt.db.session() as s:
        record_call_placed(s, attempt_id, sid, now)
        attempt = s.get(Attempt, attempt_id)
        assert attempt is not None
        callout = attempt.callout
        still_active = callout.state in CalloutState.ACTIVE
        if still_active:
            sync_incidents(s, callout, now)
        _audit(s, attempt_id, "callout.dialed", call_sid=sid, phone=attempt.phone)
    if not still_active:  # accepted or cancelled while Twilio was placing it
        _quietly(dialer.cancel_call, sid)
        return True
    schedule.wake(callout_id, now + timedelta(seconds=ring_timeout) + CALLBACK_GRACE)
    return True


def redial(attempt_id: int, tries: int) -> None:
    """A retried Calls.create (after 429/5xx); on final failure the callout moves on."""
    now = utcnow()
    if not place(attempt_id, now, tries):
        with get_runtime().db.session() as s:
            attempt = s.get(Attempt, attempt_id)
            callout_id = attempt.callout_id if attempt else None
        if callout_id is not None:
            drive(callout_id)


def _audit(s: Session, attempt_id: int, kind: str, **detail: object) -> None:
    attempt = s.get(Attempt, attempt_id)
    if attempt is None:
        return
    for incident in attempt.callout.incidents:
        audit.record(s, kind, incident.id, callout_id=attempt.callout_id, attempt_id=attempt_id,
                     person=attempt.person_key, round=attempt.round, step=attempt.step, **detail)


def _quietly(fn: object, *args: object) -> None:
    try:
        fn(*args)  # type: ignore[operator]
    except dialer.DialerError as exc:
        log.warning("could not stop call %s: %s", args, exc.describe())

"""Carry out what `engine.advance` decides: place the call, and say when to look again.

`drive` runs until the callout is waiting on the outside world (a ringing phone, a repeat
timer, a Twilio outage) or is over, and returns the moment it next needs attention. It
schedules nothing itself: the lifecycle turns that moment into a wake-up job, and the
convergence cycle finds an overdue callout in the database even if that job is lost. Any
number of copies may run, late or at once; the database's unique attempt slot and the
placement claim (`claim_placement`) make sure a person is rung at most once per slot.

`due` is the moment a scheduled wake-up was meant for. A job never runs early, so `now` is at
least `due`; using it makes the decision independent of how late the scheduler was (and lets
tests run scheduled work immediately, as if its time had come).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from hotline.base import audit
from hotline.base.metrics import CALLOUT_FIRST_DIAL_SECONDS, observe_since
from hotline.base.models import utcnow
from hotline.base.runtime import get_runtime
from hotline.base.states import CALLOUT_ACTIVE, AttemptState
from hotline.drills.gate import injected_outage
from hotline.paging.callout import links
from hotline.paging.callout.decide import (
    CALLBACK_GRACE,
    PLACE_BACKOFF,
    Dial,
    Done,
    MarkUnacknowledged,
    Reconcile,
    RepeatAfter,
    Wait,
)
from hotline.paging.callout.store import advance, record_call_placed, record_dial_failed
from hotline.paging.callout.watchdog import settle_quiet_attempt
from hotline.paging.models import Attempt, Callout
from hotline.provider import dialer
from hotline.rotas.models import stored_overrides
from hotline.rotas.policy import OncallSettings

log = logging.getLogger("callout.drive")
MAX_HOPS = 50  # a callout with every number invalid ends its round here rather than spin
PROBE_AHEAD = timedelta(seconds=2)  # a retry due sooner than this is left to its own wake-up
PROBE_BATCH = 500
CLAIM_SECONDS = 60  # a claim older than this belongs to a process that died mid-placement


@dataclass(frozen=True)
class Driven:
    """What one `drive` did, and when the callout next needs looking at (None: it is over)."""

    action: str
    wake_at: datetime | None


def settings() -> OncallSettings:
    return get_runtime().config.section(OncallSettings)


def moment(due: datetime | None = None) -> datetime:
    now = utcnow()
    return max(now, due) if due is not None else now


def drive(callout_id: int, due: datetime | None = None) -> Driven:
    """Advance the callout until it waits."""
    rt = get_runtime()
    name = "none"
    for _ in range(MAX_HOPS):
        now = moment(due)
        with rt.db.session() as s:
            action = advance(s, callout_id, settings(), rt.config.people, now, stored_overrides(s, now))
            claimed = claim_created(s, callout_id, action, now) if isinstance(action, Dial) else None
        name = type(action).__name__
        match action:
            case Dial(attempt_id=attempt_id) if attempt_id is not None:
                assert claimed is not None
                waiting = ring(claimed, now) if isinstance(claimed, Claimed) else claimed
                if waiting is not None:
                    return Driven(name, waiting)
            case Dial():  # another copy queued this slot first; it places the call
                return Driven(name, now + CALLBACK_GRACE)
            case Wait(until=until) | RepeatAfter(until=until) | MarkUnacknowledged(repeat_at=until):
                return Driven(name, until)
            case Reconcile(attempt_id=attempt_id):
                if attempt_id is None:
                    return Driven(name, now + CALLBACK_GRACE)
                settled = settle_quiet_attempt(attempt_id, now)
                if settled is None:  # never placed and a retry is due: place it now
                    waiting = place(attempt_id, now)
                    if waiting is not None:
                        return Driven(name, waiting)
                elif not settled:
                    return Driven(name, now + CALLBACK_GRACE)
            case Done():
                return Driven(name, None)
    log.error("callout %s: no settled state after %d hops", callout_id, MAX_HOPS)
    return Driven(name, moment(due) + CALLBACK_GRACE)


def claim_placement(s: Session, attempt_id: int, now: datetime) -> bool:
    """Only one process asks Twilio to ring an attempt at a time (a webhook's nudge and the
    convergence cycle may both get here)."""
    table = Attempt.__table__
    stale = now - timedelta(seconds=CLAIM_SECONDS)
    # An UPDATE through the session gives a CursorResult; SQLAlchemy's types promise only Result.
    result = cast(CursorResult[Any], s.execute(update(table).where(
        table.c.id == attempt_id, table.c.state == AttemptState.QUEUED, table.c.call_sid.is_(None),
        table.c.placing_at.is_(None) | (table.c.placing_at < stale)).values(placing_at=now)))
    return bool(result.rowcount)


@dataclass(frozen=True)
class Claimed:
    """An attempt this process has claimed (`claim_placement`) and may now ask Twilio to ring."""

    attempt_id: int
    request: dialer.CallRequest
    ring_timeout: int
    tries: int
    retry_at: datetime | None
    fault: str | None  # a drill's injected Twilio outage
    asked_before: bool = False  # an earlier Calls.create for it got no answer, or its claimer died


def claim(s: Session, attempt_id: int, now: datetime, probe: bool = False) -> Claimed | datetime:
    """In the caller's transaction: claim the attempt for placing, or say when to look again while
    the callout waits (placed, being placed elsewhere, or a retry is due)."""
    cfg = get_runtime().config
    attempt = s.get(Attempt, attempt_id)
    if attempt is None or attempt.callout.state not in CALLOUT_ACTIVE:
        return now + CALLBACK_GRACE
    if attempt.state != AttemptState.QUEUED or attempt.call_sid:
        return now + timedelta(seconds=attempt.ring_timeout) + CALLBACK_GRACE
    if attempt.retry_at is not None and attempt.retry_at > now and not probe:
        return attempt.retry_at
    asked_before = attempt.place_tries > 0 or attempt.placing_at is not None  # (a stale claim, to be taken)
    if not claim_placement(s, attempt_id, now):
        return now + CALLBACK_GRACE
    req = dialer.CallRequest(to=attempt.phone, from_=cfg.numbers[0],
                             url=links.webhook(cfg, "answer", attempt_id),
                             status_callback=links.webhook(cfg, "status", attempt_id),
                             ring_timeout=attempt.ring_timeout)
    return Claimed(attempt_id, req, attempt.ring_timeout, attempt.place_tries, attempt.retry_at,
                   injected_outage(s, attempt.callout.drill_id, now), asked_before)


def claim_created(s: Session, callout_id: int, dial: Dial, now: datetime) -> Claimed | datetime | None:
    """`claim` for the attempt `advance` has just created in this same transaction (None: it
    created none): a new attempt has no call, no tries and no retry time, and its contact is in
    hand, so only the claim and a drill's outage are asked of the database. The first ring of
    each step so costs no transaction of its own (nor the two reads `claim` makes)."""
    if dial.attempt_id is None:
        return None
    if not claim_placement(s, dial.attempt_id, now):
        return now + CALLBACK_GRACE
    cfg, contact = get_runtime().config, dial.contact
    req = dialer.CallRequest(to=contact.phone, from_=cfg.numbers[0],
                             url=links.webhook(cfg, "answer", dial.attempt_id),
                             status_callback=links.webhook(cfg, "status", dial.attempt_id),
                             ring_timeout=contact.ring_timeout)
    drill_id = s.scalar(select(Callout.drill_id).where(Callout.id == callout_id))
    return Claimed(dial.attempt_id, req, contact.ring_timeout, 0, None, injected_outage(s, drill_id, now))


def place(attempt_id: int, now: datetime, probe: bool = False) -> datetime | None:
    """Ask Twilio to ring this attempt's person. Returns when to look again while the callout
    waits (placed, being placed elsewhere, or a retry is due); None when the attempt failed for
    good and the callout should move on at once. A `probe` (see `probe`) goes before its retry
    time, and a passing failure of it is not one of the attempt's tries."""
    with get_runtime().db.session() as s:
        claimed = claim(s, attempt_id, now, probe)
    if not isinstance(claimed, Claimed):
        return claimed
    return ring(claimed, now, probe)


def ring(claimed: Claimed, now: datetime, probe: bool = False) -> datetime | None:
    """Calls.create for a committed claim, and the outcome recorded (as `place` returns)."""
    rt, attempt_id = get_runtime(), claimed.attempt_id
    try:
        if claimed.fault:  # a drill's facilitator made "Twilio" fail: the same path as a real outage
            raise dialer.TransientError(claimed.fault, 20500, 503)
        found = ringing_already(claimed) if claimed.asked_before else None
        sid = found or dialer.place_call(claimed.request)
    except dialer.PermanentError as exc:
        with rt.db.session() as s:
            record_dial_failed(s, attempt_id, exc.describe(), now)
            _audit(s, attempt_id, "callout.dial_failed", error=exc.describe())
        return None
    except dialer.TransientError as exc:
        if probe and claimed.retry_at is not None:  # Twilio still down: the attempt keeps its place and its tries
            with rt.db.session() as s:
                s.execute(update(Attempt).where(Attempt.id == attempt_id)
                          .values(placing_at=None, twilio_error=exc.describe()))
            return claimed.retry_at
        return _platform_failure(attempt_id, claimed.tries, exc, now)
    with rt.db.session() as s:
        record_call_placed(s, attempt_id, sid, now)
        attempt = s.get(Attempt, attempt_id)
        assert attempt is not None
        still_active = attempt.callout.state in CALLOUT_ACTIVE
        if not any(a.call_sid for a in attempt.callout.attempts if a.id != attempt_id):
            observe_since(CALLOUT_FIRST_DIAL_SECONDS, attempt.callout.created_at, utcnow())
        _audit(s, attempt_id, "callout.dialed", call_sid=sid, phone=attempt.phone,
               **({"found_at_twilio": True} if found else {}))
    if not still_active:  # accepted or cancelled while Twilio was placing it
        _quietly(dialer.cancel_call, sid)
    return now + timedelta(seconds=claimed.ring_timeout) + CALLBACK_GRACE


def ringing_already(claimed: Claimed) -> str | None:
    """A Calls.create that got no answer in time may have placed the call all the same (Twilio
    answered late, not never), and so may a process that died after asking. The call's status
    callbacks, which carry the attempt's id, would say so, but under load they come late too. So
    before asking again: a live call from our number to this person that no attempt owns is this
    attempt's, and is adopted rather than a second one placed (in a storm, responders were rung
    two to four times for one attempt). A call that already ended is left: ringing again then is
    the retry, not a second phone ringing at once. A failed look-up is a passing failure, like the
    create it stands before."""
    req = claimed.request
    live = dialer.live_calls(req.to, req.from_)
    if not live:
        return None
    with get_runtime().db.session() as s:
        owned = set(s.scalars(select(Attempt.call_sid).where(Attempt.call_sid.in_(live))))
    free = [sid for sid in live if sid not in owned]
    return free[-1] if free else None  # newest first: the oldest is the first request's


def waiting_out_failure(s: Session, now: datetime) -> list[tuple[int, int]]:
    """(attempt, callout) of the calls waiting out a Twilio failure, the longest-waiting first;
    those whose retry is due in a moment are left to their own wake-ups."""
    rows = s.execute(select(Attempt.id, Attempt.callout_id).join(Callout, Callout.id == Attempt.callout_id)
                     .where(Callout.state.in_(CALLOUT_ACTIVE), Attempt.state == AttemptState.QUEUED,
                            Attempt.call_sid.is_(None), Attempt.place_tries > 0, Attempt.retry_at > now + PROBE_AHEAD)
                     .order_by(Attempt.created_at).limit(PROBE_BATCH)).all()
    return [(row.id, row.callout_id) for row in rows]


def probe_waiting(now: datetime) -> list[int] | None:
    """One Calls.create while people wait out a Twilio failure: the attempt that has waited longest
    goes now. If Twilio takes it, every other waiting attempt is due now, and their callouts are
    returned for driving, so the end of an outage is not followed by a back-off. None: nothing was
    waiting, or Twilio is still down."""
    with get_runtime().db.session() as s:
        waiting = waiting_out_failure(s, now)
    if not waiting or not probe(waiting[0][0], now):
        return None
    rest = [attempt_id for attempt_id, _ in waiting[1:]]
    if rest:
        with get_runtime().db.session() as s:
            s.execute(update(Attempt).where(Attempt.id.in_(rest), Attempt.state == AttemptState.QUEUED,
                                            Attempt.call_sid.is_(None)).values(retry_at=now))
    return list(dict.fromkeys(callout_id for _, callout_id in waiting))


def probe(attempt_id: int, now: datetime) -> bool:
    """Place a call that waits out a Twilio failure now rather than at its retry time: True when
    Twilio answered the request (the call was placed, or refused for good), so it is back."""
    place(attempt_id, now, probe=True)
    with get_runtime().db.session() as s:
        attempt = s.get(Attempt, attempt_id)
        return attempt is None or attempt.call_sid is not None or attempt.state != AttemptState.QUEUED


def _platform_failure(attempt_id: int, tries: int, exc: dialer.DialerError, now: datetime) -> datetime | None:
    """Twilio (or the network) failed, not the person: keep them queued and try again later.
    Only after the whole backoff does the attempt fail, and the timeline says why."""
    db = get_runtime().db
    if tries >= len(PLACE_BACKOFF):
        with db.session() as s:
            record_dial_failed(s, attempt_id, f"Twilio unavailable; gave up after {tries} tries: {exc.describe()}",
                               now)
            _audit(s, attempt_id, "callout.dial_failed", error=exc.describe(), retries=tries, platform=True)
        return None
    retry_at = now + timedelta(seconds=PLACE_BACKOFF[tries])
    with db.session() as s:
        s.execute(update(Attempt).where(Attempt.id == attempt_id)
                  .values(place_tries=tries + 1, retry_at=retry_at, placing_at=None, twilio_error=exc.describe()))
        _audit(s, attempt_id, "callout.dial_retry", error=exc.describe(), retry=tries + 1,
               retry_at=retry_at.isoformat(), reason="Twilio did not place the call; the person was not rung")
    return retry_at


def _audit(s: Session, attempt_id: int, kind: str, **detail: Any) -> None:
    attempt = s.get(Attempt, attempt_id)
    if attempt is None:
        return
    for incident in attempt.callout.incidents:
        audit.record(s, kind, incident.id, callout_id=attempt.callout_id, attempt_id=attempt_id,
                     person=attempt.person_key, round=attempt.round, step=attempt.step, **detail)


def _quietly(fn: Callable[..., object], *args: object) -> None:
    try:
        fn(*args)
    except dialer.DialerError as exc:
        log.warning("could not stop call %s: %s", args, exc.describe())

"""What the callout should do next: a pure function of (state, contacts, attempts, now, settings).

No database, no clock, no Twilio: the job layer loads a snapshot, asks `next_action`, and
carries the answer out. That keeps every escalation rule testable as a table.

Order of calls: rounds 1..N ring the policy's contacts; the last round also rings the
fallback chain. If nobody accepts, the callout is UNACKNOWLEDGED and a repeat round (policy
contacts, then fallback) starts every `repeat_minutes` after the previous one ended, until
someone accepts or the callout is cancelled. Each (round, step) is rung at most once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from hotline.base.states import ATTEMPT_LIVE, CALLOUT_TERMINAL, AttemptState, CalloutState
from hotline.rotas.policy import OncallSettings
from hotline.rotas.resolve import Contact

CALLBACK_GRACE = timedelta(seconds=30)  # Twilio queueing plus callback delivery
# A person paged directly ("page Wang Hao now", not in the order) is an attempt at this step or
# beyond: watched like any live call, but not a position in the order, which goes on from where
# it was once that call ends.
DIRECT_STEP = 1000
# Seconds between tries of Calls.create after a 429 / 5xx / network failure or a dial that
# never left: about 10 minutes in all, so a Twilio outage delays a person's call, never skips it.
# Capped at 30 s, and not a wait once Twilio is back: every pass of the convergence cycle probes
# with the longest-waiting call (hotline.paging.cycle), and the first that goes through releases
# the others at once (issue #23: a 60 s back-off held people up to 60 s after an outage ended).
PLACE_BACKOFF = (1, 2, 4, 8, 15, *(30,) * 19)


@dataclass(frozen=True)
class AttemptView:
    """The parts of an attempt a decision needs."""

    id: int | None
    person: str
    round: int
    step: int
    state: str
    outcome: str | None
    created_at: datetime
    ring_timeout: int = 25
    answered_at: datetime | None = None
    ended_at: datetime | None = None
    retry_at: datetime | None = None  # not placed yet: Twilio refused for a passing reason, try then


@dataclass(frozen=True)
class Dial:
    contact: Contact
    round: int
    step: int
    attempt_id: int | None = None  # filled in once the attempt row exists


@dataclass(frozen=True)
class Wait:
    """A call is in progress; look again at `until` if no callback has arrived by then."""

    until: datetime
    attempt_id: int | None


@dataclass(frozen=True)
class Reconcile:
    """A call went quiet past its deadline: ask Twilio what happened to it (lost callback)."""

    attempt_id: int | None
    reason: str


@dataclass(frozen=True)
class MarkUnacknowledged:
    """Everyone was tried and nobody accepted: raise the alarm, and repeat from `repeat_at`."""

    repeat_at: datetime


@dataclass(frozen=True)
class RepeatAfter:
    until: datetime


@dataclass(frozen=True)
class Done:
    reason: str  # "accepted" | "cancelled"


Action = Dial | Wait | Reconcile | MarkUnacknowledged | RepeatAfter | Done


def deadline(attempt: AttemptView, settings: OncallSettings) -> datetime:
    """When a live attempt should have reported an outcome (or, never placed, be placed again)."""
    if attempt.state == AttemptState.QUEUED and attempt.retry_at is not None:
        return attempt.retry_at
    if attempt.answered_at is not None:
        return attempt.answered_at + timedelta(seconds=settings.answer_timeout) + CALLBACK_GRACE
    return attempt.created_at + timedelta(seconds=attempt.ring_timeout) + CALLBACK_GRACE


def _round_contacts(contacts: Sequence[Contact], rnd: int, settings: OncallSettings) -> list[Contact]:
    """The fallback chain joins from the last configured round on."""
    return sorted((c for c in contacts if not c.fallback or rnd >= settings.rounds), key=lambda c: c.step)


def next_action(callout_state: str, contacts: Sequence[Contact], attempts: Sequence[AttemptView],
                now: datetime, settings: OncallSettings, hurried_at: datetime | None = None) -> Action:
    """`hurried_at`: someone pressed "escalate now" while the callout waited between rounds; a
    wait that began before then is over (the next round starts at once)."""
    if callout_state in CALLOUT_TERMINAL:
        return Done(callout_state)
    if any(a.outcome == AttemptState.ACCEPTED for a in attempts):
        return Done(CalloutState.ACCEPTED)
    live = [a for a in attempts if a.outcome is None and a.state in ATTEMPT_LIVE]
    if live:
        current = max(live, key=lambda a: (a.round, a.step))
        until = deadline(current, settings)
        if now < until:
            return Wait(until, current.id)
        return Reconcile(current.id, f"no outcome by {until.isoformat()}")

    repeat = timedelta(minutes=settings.repeat_minutes)
    last = max((a for a in attempts if a.step < DIRECT_STEP), key=lambda a: (a.round, a.step), default=None)
    rnd, after = (last.round, last.step) if last else (1, -1)
    nxt = next((c for c in _round_contacts(contacts, rnd, settings) if c.step > after), None)
    new_round = nxt is None
    if new_round:
        rnd += 1 if last else 0
        nxt = next(iter(_round_contacts(contacts, rnd, settings)), None)
    if nxt is None:  # nobody can be reached at all: alarm, and look again later
        if callout_state != CalloutState.UNACKNOWLEDGED:
            return MarkUnacknowledged(now + repeat)
        return RepeatAfter(now + repeat)
    if rnd <= settings.rounds:
        return Dial(nxt, rnd, nxt.step)
    ended = max((a.ended_at or a.answered_at or a.created_at for a in attempts), default=now)
    if callout_state != CalloutState.UNACKNOWLEDGED:
        return MarkUnacknowledged(ended + repeat)
    if new_round and now < ended + repeat and (hurried_at is None or hurried_at < ended):
        return RepeatAfter(ended + repeat)
    return Dial(nxt, rnd, nxt.step)


@dataclass(frozen=True)
class NextCall:
    """Whom the callout rings next if nobody answers, from when (the console's "next: ...")."""

    contact: Contact
    at: datetime
    round: int


def next_call(callout_state: str, contacts: Sequence[Contact], attempts: Sequence[AttemptView],
              now: datetime, settings: OncallSettings, hurried_at: datetime | None = None) -> NextCall | None:
    """What `next_action` will decide once the call ringing now goes unanswered (at its ring or
    answer timeout) or the wait before a repeat round ends: the same rules, asked ahead of time,
    so the page can never name someone the callout would not ring. None when it ends or waits
    on nobody."""
    views, at, state = list(attempts), now, callout_state
    for _ in range(5):  # the live calls (one beside the order, paged directly), a repeat's wait, the dial
        live = [a for a in views if a.outcome is None and a.state in ATTEMPT_LIVE]
        if live:
            current = max(live, key=lambda a: (a.round, a.step))
            ends = (current.answered_at + timedelta(seconds=settings.answer_timeout) if current.answered_at
                    else current.created_at + timedelta(seconds=current.ring_timeout))
            at = max(at, ends)
            views = [replace(a, state=AttemptState.NO_ANSWER, outcome=AttemptState.NO_ANSWER, ended_at=at)
                     if a is current else a for a in views]
        action = next_action(state, contacts, views, at, settings, hurried_at)
        if isinstance(action, Dial):
            return NextCall(action.contact, at, action.round)
        if isinstance(action, MarkUnacknowledged):
            at, state = max(at, action.repeat_at), CalloutState.UNACKNOWLEDGED
        elif isinstance(action, RepeatAfter):
            at = max(at, action.until)
        elif not (isinstance(action, Wait) and live):  # Wait: another call still rings; it ends next
            return None
    return None

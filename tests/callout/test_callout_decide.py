"""`next_action` as a table: (state, attempts, now) -> action, plus a whole-run simulation."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest

from hotline.base.states import ATTEMPT_AFTER_ANSWER
from hotline.paging.callout.decide import (
    DIRECT_STEP,
    AttemptView,
    Dial,
    Done,
    MarkUnacknowledged,
    NextCall,
    Reconcile,
    RepeatAfter,
    Wait,
    next_action,
    next_call,
)
from hotline.paging.callout.states import AttemptState as A
from hotline.paging.callout.states import CalloutState as C
from hotline.rotas.policy import OncallSettings
from hotline.rotas.resolve import Contact
from tests.support.callout import T0

S = OncallSettings(rounds=2, repeat_minutes=5, answer_timeout=90)
CHEN = Contact("chen", "Chen Wei", "+886912000001", 25, 0, "rota it")
LIN = Contact("lin", "Lin Mei", "+886912000002", 25, 1, "person lin")
BOSS = Contact("director", "Director Lee", "+886912000009", 25, 2, "fallback person director", True)
CONTACTS = [CHEN, LIN, BOSS]
NOW = T0 + timedelta(hours=1)
sec = timedelta(seconds=1)


def done(person: str, rnd: int, step: int, outcome: str, ended_ago: int = 60) -> AttemptView:
    end = NOW - ended_ago * sec
    state = A.COMPLETED if outcome in ATTEMPT_AFTER_ANSWER else outcome
    return AttemptView(None, person, rnd, step, state, outcome, end - 20 * sec, 25, None, end)


def live(person: str, rnd: int, step: int, state: str, started_ago: int, answered_ago: int | None = None):
    answered = NOW - answered_ago * sec if answered_ago is not None else None
    return AttemptView(7, person, rnd, step, state, None, NOW - started_ago * sec, 25, answered, None)


R1 = [done("chen", 1, 0, A.NO_ANSWER, 90), done("lin", 1, 1, A.BUSY, 70)]
R2 = [done("chen", 2, 0, A.NO_ANSWER, 50), done("lin", 2, 1, A.DECLINED, 30),
      done("director", 2, 2, A.MACHINE, 10)]
R3 = [done("chen", 3, 0, A.FAILED, 8), done("lin", 3, 1, A.NO_KEY, 6), done("director", 3, 2, A.NO_ANSWER, 4)]

TABLE = [
    ("first dial", C.PENDING, [], NOW, Dial(CHEN, 1, 0)),
    ("ringing: wait for it", C.DIALING, [live("chen", 1, 0, A.RINGING, 10)], NOW,
     Wait(NOW - 10 * sec + 55 * sec, 7)),
    ("silent past deadline: ask Twilio", C.DIALING, [live("chen", 1, 0, A.RINGING, 56)], NOW,
     Reconcile(7, f"no outcome by {(NOW - sec).isoformat()}")),
    ("answered: time to press a key", C.DIALING, [live("chen", 1, 0, A.ANSWERED, 130, 100)], NOW,
     Wait(NOW - 100 * sec + 120 * sec, 7)),
    ("next in round 1", C.DIALING, R1[:1], NOW, Dial(LIN, 1, 1)),
    ("round 2 starts at once, no fallback yet", C.DIALING, R1, NOW, Dial(CHEN, 2, 0)),
    ("fallback joins the last round", C.DIALING, R1 + R2[:2], NOW, Dial(BOSS, 2, 2)),
    ("exhausted: mark, repeat 5 min after the last end", C.DIALING, R1 + R2, NOW,
     MarkUnacknowledged(NOW - 10 * sec + timedelta(minutes=5))),
    ("unacknowledged: wait for the repeat", C.UNACKNOWLEDGED, R1 + R2, NOW,
     RepeatAfter(NOW - 10 * sec + timedelta(minutes=5))),
    ("repeat round starts", C.UNACKNOWLEDGED, R1 + R2, NOW + timedelta(minutes=5), Dial(CHEN, 3, 0)),
    ("repeat round continues at once", C.UNACKNOWLEDGED, R1 + R2 + R3[:1], NOW, Dial(LIN, 3, 1)),
    ("repeat round includes fallback", C.UNACKNOWLEDGED, R1 + R2 + R3[:2], NOW, Dial(BOSS, 3, 2)),
    ("after a repeat round, wait again", C.UNACKNOWLEDGED, R1 + R2 + R3, NOW,
     RepeatAfter(NOW - 4 * sec + timedelta(minutes=5))),
    ("someone accepted", C.DIALING, [done("chen", 1, 0, A.ACCEPTED)], NOW, Done(C.ACCEPTED)),
    ("callout accepted", C.ACCEPTED, R1, NOW, Done(C.ACCEPTED)),
    ("callout cancelled", C.CANCELLED, [live("chen", 1, 0, A.RINGING, 1)], NOW, Done(C.CANCELLED)),
]


@pytest.mark.parametrize(("name", "state", "attempts", "now", "expected"), TABLE, ids=[t[0] for t in TABLE])
def test_next_action_table(name, state, attempts, now, expected):
    assert next_action(state, CONTACTS, attempts, now, S) == expected


@pytest.mark.parametrize("outcome", [A.NO_ANSWER, A.BUSY, A.FAILED, A.CANCELED, A.DECLINED, A.NO_KEY,
                                     A.MACHINE, A.TOO_LATE])
def test_moves_on_at_once_after_every_non_accept_outcome(outcome):
    assert next_action(C.DIALING, CONTACTS, [done("chen", 1, 0, outcome, 0)], NOW, S) == Dial(LIN, 1, 1)


def test_nobody_reachable_raises_the_alarm_and_rechecks():
    assert next_action(C.DIALING, [], [], NOW, S) == MarkUnacknowledged(NOW + timedelta(minutes=5))
    assert next_action(C.UNACKNOWLEDGED, [], [], NOW, S) == RepeatAfter(NOW + timedelta(minutes=5))


def test_single_round_still_calls_fallback():
    one = OncallSettings(rounds=1, repeat_minutes=5)
    assert next_action(C.DIALING, CONTACTS, R1, NOW, one) == Dial(BOSS, 1, 2)


def test_rota_handoff_mid_round_does_not_go_backwards():
    """Step 0 is now someone else, but step 0 of round 1 is done: carry on with step 1."""
    wang = Contact("wang", "Wang Hao", "+886912000003", 25, 0, "rota it")
    assert next_action(C.DIALING, [wang, LIN, BOSS], R1[:1], NOW, S) == Dial(LIN, 1, 1)


@pytest.mark.parametrize("outcomes", list(itertools.product([A.NO_ANSWER, A.DECLINED, A.MACHINE], repeat=2)))
def test_simulated_run_never_repeats_a_slot_and_keeps_going(outcomes):
    attempts: list[AttemptView] = []
    state, now = C.PENDING, NOW
    cycle = itertools.cycle(outcomes)
    unack_seen = 0
    for _ in range(40):
        action = next_action(state, CONTACTS, attempts, now, S)
        match action:
            case Dial(contact=c, round=r, step=s):
                state = C.DIALING if state == C.PENDING else state
                now += 20 * sec
                began = now - 20 * sec
                attempts.append(AttemptView(None, c.person, r, s, A.COMPLETED, next(cycle), began,
                                            ended_at=now))
            case MarkUnacknowledged(repeat_at=t):
                state, now, unack_seen = C.UNACKNOWLEDGED, max(now, t), unack_seen + 1
            case RepeatAfter(until=t):
                assert t > now
                now = t
            case _:
                pytest.fail(f"unexpected {action}")
    slots = [(a.round, a.step) for a in attempts]
    assert len(slots) == len(set(slots))
    assert unack_seen == 1
    assert max(a.round for a in attempts) >= 5  # still calling long after exhaustion
    assert [a.person for a in attempts[:5]] == ["chen", "lin", "chen", "lin", "director"]


# "Next: Lin Mei at 14:32 if nobody answers" (issue #25): the same rules, asked ahead of time.
NEXT_TABLE = [
    ("ringing chen: lin when his ring times out", C.DIALING, [live("chen", 1, 0, A.RINGING, 10)],
     NextCall(LIN, NOW - 10 * sec + 25 * sec, 1)),
    ("answered, listening: lin when the answer time is up", C.DIALING, [live("chen", 1, 0, A.ANSWERED, 30, 20)],
     NextCall(LIN, NOW - 20 * sec + 90 * sec, 1)),
    ("last of round 1 ringing: round 2 at once", C.DIALING, R1[:1] + [live("lin", 1, 1, A.RINGING, 5)],
     NextCall(CHEN, NOW - 5 * sec + 25 * sec, 2)),
    ("last call of the last round: everyone again after the repeat wait", C.DIALING,
     R1 + R2[:2] + [live("director", 2, 2, A.RINGING, 5)],
     NextCall(CHEN, NOW - 5 * sec + 25 * sec + timedelta(minutes=5), 3)),
    ("unacknowledged, waiting: chen when the repeat starts", C.UNACKNOWLEDGED, R1 + R2,
     NextCall(CHEN, NOW - 10 * sec + timedelta(minutes=5), 3)),
    ("accepted: nobody", C.ACCEPTED, [live("chen", 1, 0, A.RINGING, 10)], None),
]


@pytest.mark.parametrize(("state", "attempts", "expected"), [row[1:] for row in NEXT_TABLE],
                         ids=[row[0] for row in NEXT_TABLE])
def test_next_call(state, attempts, expected):
    assert next_call(state, CONTACTS, attempts, NOW, S) == expected


# A person paged directly (issue #25) is watched like any live call, but is no position in the order.
def direct(person: str, state: str, outcome: str | None, started_ago: int) -> AttemptView:
    ended = NOW - (started_ago - 20) * sec if outcome else None
    return AttemptView(9, person, 1, DIRECT_STEP, state, outcome, NOW - started_ago * sec, 25, None, ended)


def test_a_direct_call_is_watched_and_the_order_goes_on_from_where_it_was():
    ringing = [done("chen", 1, 0, A.NO_ANSWER, 90), direct("wang", A.RINGING, None, 10)]
    assert next_action(C.DIALING, CONTACTS, ringing, NOW, S) == Wait(NOW - 10 * sec + 55 * sec, 9)
    over = [done("chen", 1, 0, A.NO_ANSWER, 90), direct("wang", A.NO_ANSWER, A.NO_ANSWER, 40)]
    assert next_action(C.DIALING, CONTACTS, over, NOW, S) == Dial(LIN, 1, 1)  # not a new round
    # while both ring, the next call is after both have gone unanswered
    both = [done("chen", 1, 0, A.NO_ANSWER, 90), live("lin", 1, 1, A.RINGING, 5), direct("wang", A.RINGING, None, 10)]
    assert next_call(C.DIALING, CONTACTS, both, NOW, S) == NextCall(CHEN, NOW - 5 * sec + 25 * sec, 2)

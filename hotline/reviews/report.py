"""What a review shows, computed (never typed) from the incident's rows: the key times from
report to close, each person's part, the crisis checklist with its late steps, the recordings.

`figures` is a pure function of plain rows (tested as tables, with hand-built data); `load`
reads those rows for one incident in a handful of column queries, so a review of an incident
with 10,000 timeline rows is one pass over them (bench/review.py measures it).

The key times, each the first moment it happened (closed: the last, as a reopened incident is
closed again), from the audit timeline and the callout's calls:

- report: the incident's creation;
- first ring: the first callout call that rang (else was placed: the drills' report counts so too);
- accept: the first `status_accepted` row (else an accepted call's answer);
- verified: the crisis verdict, activated or false alarm;
- plan activated: `crisis.activated`;
- team confirmed: the moment every role of the activated team had a confirmed member;
- first statement: the first `crisis.statement_published`;
- closed: the last `status_closed`.

A moment that never happened is None and is shown as "—".
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from hotline.base.models import AuditEvent, Incident, Recording, Transcript
from hotline.crisis.models import Crisis, CrisisStep
from hotline.paging.models import Attempt, Callout, callout_incidents

KEYS = ("report", "first_ring", "accept", "verified", "plan_activated", "team_confirmed", "first_statement",
        "closed")
SYSTEM = "system"
READS_DETAIL = ("crisis.activated", "crisis.member_confirmed")  # the team, and each confirmed role
# The timeline rows that say what a person did, by the word the review shows (translated by the
# pages: the same words are listed in the feature's `words`).
DEEDS = {"status_accepted": "accepted", "status_closed": "closed", "status_stopped": "stopped paging",
         "status_paging": "paged again", "note": "added a note", "crisis.activated": "activated the plan",
         "crisis.false_alarm": "marked a false alarm", "crisis.member_confirmed": "confirmed on the team",
         "crisis.step_done": "did a checklist step", "crisis.statement_drafted": "drafted a statement",
         "crisis.statement_published": "approved a statement", "crisis.bridge_join": "joined the bridge"}


class Event(NamedTuple):
    """One audit row, as the review reads it (a tuple: a long timeline builds ten thousand)."""

    at: datetime
    kind: str
    actor: str
    detail: dict[str, Any]


@dataclass(frozen=True)
class Call:
    """One callout call to one person; `rang_at` its ringing, else its placing (None: never placed)."""

    person: str
    name: str
    created_at: datetime
    rang_at: datetime | None
    answered_at: datetime | None
    outcome: str | None


@dataclass(frozen=True)
class Step:
    """One checklist step of the incident's crisis."""

    position: int
    text: dict[str, str]
    owner_role: str
    due_at: datetime
    done_at: datetime | None
    done_by: str | None


@dataclass(frozen=True)
class KeyTime:
    key: str  # one of KEYS
    at: datetime | None
    seconds: float | None  # since the report


@dataclass(frozen=True)
class Part:
    """What one person did: their calls, and their rows on the timeline by what they were."""

    person: str
    name: str
    rang: int
    answered: int
    deeds: tuple[tuple[str, int], ...]  # (word from DEEDS, how many times)


@dataclass(frozen=True)
class CheckedStep:
    step: Step
    late_seconds: float | None  # done after its deadline (or never done before the close): how late


@dataclass(frozen=True)
class RecordingLine:
    id: int
    kind: str
    status: str
    duration: float | None
    created_at: datetime
    transcript: str | None


@dataclass(frozen=True)
class Figures:
    times: tuple[KeyTime, ...]
    people: tuple[Part, ...]
    steps: tuple[CheckedStep, ...]
    timeline_rows: int


def _seconds(start: datetime, moment: datetime | None) -> float | None:
    return None if moment is None else round((moment - start).total_seconds(), 1)


def key_times(reported_at: datetime, events: Iterable[Event], calls: Sequence[Call]) -> dict[str, datetime | None]:
    """The key moments (see the module docstring), in one pass over the timeline."""
    found: dict[str, datetime | None] = dict.fromkeys(KEYS)
    found["report"] = reported_at
    found["first_ring"] = min((c.rang_at for c in calls if c.rang_at), default=None)
    team: set[str] | None = None
    confirmed: set[str] = set()
    for e in sorted(events, key=lambda e: e.at):
        kind = e.kind
        if kind == "status_accepted" and found["accept"] is None:
            found["accept"] = e.at
        elif kind == "status_closed":
            found["closed"] = e.at
        elif kind in ("crisis.activated", "crisis.false_alarm") and found["verified"] is None:
            found["verified"] = e.at
            if kind == "crisis.activated":
                found["plan_activated"] = e.at
                team = set((e.detail.get("team") or {}).keys())
        elif kind == "crisis.member_confirmed":
            confirmed.add(str(e.detail.get("role", "")))
        elif kind == "crisis.statement_published" and found["first_statement"] is None:
            found["first_statement"] = e.at
        if team and found["team_confirmed"] is None and team <= confirmed:
            found["team_confirmed"] = e.at
    if found["accept"] is None:
        found["accept"] = min((c.answered_at for c in calls if c.outcome == "accepted" and c.answered_at),
                              default=None)
    return found


def people(events: Iterable[Event], calls: Sequence[Call], names: dict[str, str]) -> tuple[Part, ...]:
    """Everyone who was called or did something on the timeline, in the order they first appear."""
    rang: dict[str, list[int]] = {}
    for c in calls:
        tally = rang.setdefault(c.person, [0, 0])
        tally[0] += c.rang_at is not None
        tally[1] += c.answered_at is not None
        names.setdefault(c.person, c.name)
    deeds: dict[str, dict[str, int]] = {key: {} for key in rang}
    for e in events:
        word = DEEDS.get(e.kind)
        if word is None or e.actor == SYSTEM:
            continue
        mine = deeds.setdefault(e.actor, {})
        mine[word] = mine.get(word, 0) + 1
    parts = []
    for key, done in deeds.items():
        placed, answered = rang.get(key, [0, 0])
        parts.append(Part(key, names.get(key, key), placed, answered, tuple(done.items())))
    return tuple(parts)


def checked_steps(steps: Sequence[Step], closed_at: datetime | None) -> tuple[CheckedStep, ...]:
    """Each step with how late it was: done after its deadline, or not done by the close."""
    out = []
    for st in sorted(steps, key=lambda st: st.position):
        end = st.done_at or closed_at
        late = _seconds(st.due_at, end) if end is not None and end > st.due_at else None
        out.append(CheckedStep(st, late))
    return tuple(out)


def figures(reported_at: datetime, events: Sequence[Event], calls: Sequence[Call], steps: Sequence[Step],
            names: dict[str, str]) -> Figures:
    found = key_times(reported_at, events, calls)
    times = tuple(KeyTime(k, found[k], _seconds(reported_at, found[k])) for k in KEYS)
    return Figures(times, people(events, calls, dict(names)), checked_steps(steps, found["closed"]), len(events))


def load_rows(s: Session, incident_id: int) -> tuple[Incident, list[Event], list[Call], list[Step]] | None:
    """The incident and its plain rows: timeline, calls (of every callout that paged it), steps."""
    incident = s.get(Incident, incident_id)
    if incident is None:
        return None
    a = AuditEvent.__table__.c
    # Only the rows whose detail a key time reads have it decoded: JSON is most of a long timeline's cost.
    detail = case((a.kind.in_(READS_DETAIL), a.detail), else_=None)
    events = [Event(at, kind, actor, found or {}) for at, kind, actor, found in s.execute(
        select(a.at, a.kind, a.actor, detail).where(a.incident_id == incident_id).order_by(a.at, a.id)).all()]
    callout_ids = select(callout_incidents.c.callout_id).where(callout_incidents.c.incident_id == incident_id)
    rang = func.coalesce(Attempt.ring_started_at, case((Attempt.call_sid.is_not(None), Attempt.created_at)))
    calls = [Call(*row) for row in s.execute(
        select(Attempt.person_key, Attempt.person_name, Attempt.created_at, rang, Attempt.answered_at, Attempt.outcome)
        .join(Callout, Callout.id == Attempt.callout_id).where(Callout.id.in_(callout_ids)).order_by(Attempt.id))]
    steps = [Step(st.position, dict(st.text), st.owner_role, st.due_at, st.done_at, st.done_by)
             for st in s.scalars(select(CrisisStep).join(Crisis).where(Crisis.incident_id == incident_id))]
    return incident, events, calls, steps


def recordings(s: Session, incident_id: int) -> list[RecordingLine]:
    """The incident's recordings with their transcripts' text (linked from the review, served by
    the incident page's recording route behind the login)."""
    rows = s.execute(select(Recording, Transcript.text).outerjoin(Transcript, Transcript.recording_id == Recording.id)
                     .where(Recording.incident_id == incident_id).order_by(Recording.id))
    return [RecordingLine(r.id, r.kind, r.status, r.duration, r.created_at, text) for r, text in rows]


def crisis_of(s: Session, incident_id: int) -> Crisis | None:
    return s.scalars(select(Crisis).where(Crisis.incident_id == incident_id)).first()

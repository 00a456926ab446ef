"""A drill's results: its timeline, the times that matter, each person's part, what failed, and
which targets it missed. `figures` is a pure function of plain rows, so it is tested as a table;
`load` reads them; `to_csv` is the export the console and CLI hand out.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.base.models import AuditEvent, Incident
from hotline.base.states import AttemptState
from hotline.crisis.models import Crisis, CrisisMember, CrisisState, CrisisStatement
from hotline.drills.models import Drill, DrillEvent
from hotline.drills.settings import Targets
from hotline.paging.models import Attempt, Callout

FAILED = {AttemptState.FAILED: "wrong number or the call failed", AttemptState.NO_ANSWER: "no answer",
          AttemptState.BUSY: "busy", AttemptState.MACHINE: "voicemail", AttemptState.NO_KEY: "answered, no key",
          AttemptState.DECLINED: "passed"}


@dataclass(frozen=True)
class AttemptRow:
    person: str
    name: str
    round: int
    step: int
    created_at: datetime
    rang_at: datetime | None
    answered_at: datetime | None
    outcome: str | None
    error: str | None = None


@dataclass(frozen=True)
class PlanRow:
    """The crisis plan of a whole-plan drill, as its rows say (None: never activated)."""

    activated_at: datetime | None
    seats: int  # team seats called (participants only: hotline.crisis.drillmode)
    confirmed_at: tuple[datetime | None, ...]  # per seat; None: not confirmed
    first_statement_at: datetime | None
    would_send: int = 0  # broadcasts recorded, not sent
    not_called: tuple[str, ...] = ()  # team members outside the drill, never called


@dataclass(frozen=True)
class PlanResult:
    activate_seconds: float | None  # report -> plan activated
    team_confirmed_seconds: float | None  # activated -> every seat confirmed
    first_statement_seconds: float | None  # report -> first statement approved
    seats: int
    confirmed: int
    would_send: int
    not_called: tuple[str, ...]


@dataclass(frozen=True)
class PersonResult:
    person: str
    name: str
    rang: int
    answered: int
    accepted: bool
    first_answer_seconds: float | None


@dataclass(frozen=True)
class Results:
    drill_id: int
    reported_at: datetime | None
    first_ring_seconds: float | None
    first_answer_seconds: float | None
    accept_seconds: float | None
    accepted_by: str | None
    people: tuple[PersonResult, ...]
    failures: tuple[str, ...]
    misses: tuple[str, ...]
    timeline: tuple[tuple[datetime, str, str], ...] = field(default=())  # (at, what, who)
    plan: PlanResult | None = None  # a whole-plan drill's crisis figures

    @property
    def answer_rate(self) -> dict[str, float]:
        return {p.person: p.answered / p.rang for p in self.people if p.rang}


def _since(start: datetime | None, moment: datetime | None) -> float | None:
    return None if start is None or moment is None else round((moment - start).total_seconds(), 1)


def figures(drill_id: int, reported_at: datetime | None, attempts: Sequence[AttemptRow],
            accepted_at: datetime | None, accepted_by: str | None, unacknowledged: bool, targets: Targets,
            timeline: Sequence[tuple[datetime, str, str]] = (), plan: PlanRow | None = None,
            whole_plan: bool = False) -> Results:
    rang = [a.rang_at for a in attempts if a.rang_at]
    answered = [a.answered_at for a in attempts if a.answered_at]
    first_ring = _since(reported_at, min(rang, default=None))
    first_answer = _since(reported_at, min(answered, default=None))
    accept = _since(reported_at, accepted_at)
    people: dict[str, PersonResult] = {}
    for a in attempts:
        old = people.get(a.person, PersonResult(a.person, a.name, 0, 0, False, None))
        answer = _since(reported_at, a.answered_at)
        people[a.person] = PersonResult(
            a.person, a.name, old.rang + (a.rang_at is not None), old.answered + (a.answered_at is not None),
            old.accepted or a.outcome == AttemptState.ACCEPTED,
            old.first_answer_seconds if old.first_answer_seconds is not None else answer)
    failures = [f"{a.name} (round {a.round}, step {a.step + 1}): {FAILED[AttemptState(a.outcome)]}"
                + (f" [{a.error}]" if a.error else "") for a in attempts if a.outcome in FAILED]
    if unacknowledged:
        failures.append("nobody accepted in any round")
    misses = []
    for label, value, target in (("first ring", first_ring, targets.first_ring_seconds),
                                 ("first answer", first_answer, targets.first_answer_seconds),
                                 ("accept", accept, targets.accept_seconds)):
        if value is None:
            misses.append(f"{label}: never (target {target} s)")
        elif value > target:
            misses.append(f"{label}: {value:g} s (target {target} s)")
    planned = plan_figures(reported_at, plan or PlanRow(None, 0, (), None)) if whole_plan else None
    if planned is not None:
        misses.extend(plan_misses(planned, targets))
    return Results(drill_id, reported_at, first_ring, first_answer, accept, accepted_by, tuple(people.values()),
                   tuple(failures), tuple(misses), tuple(sorted(timeline, key=lambda t: t[0])), planned)


def plan_figures(reported_at: datetime | None, plan: PlanRow) -> PlanResult:
    """Each step of the plan against the clock: the team is confirmed when every seat called is."""
    confirmed = [c for c in plan.confirmed_at if c is not None]
    everyone = max(confirmed) if plan.seats and len(confirmed) == plan.seats else None
    return PlanResult(_since(reported_at, plan.activated_at), _since(plan.activated_at, everyone),
                      _since(reported_at, plan.first_statement_at), plan.seats, len(confirmed), plan.would_send,
                      plan.not_called)


def plan_misses(p: PlanResult, targets: Targets) -> list[str]:
    misses = []
    for label, value, target in (("plan activated", p.activate_seconds, targets.activate_seconds),
                                 ("team confirmed", p.team_confirmed_seconds, targets.team_confirmed_seconds),
                                 ("first statement approved", p.first_statement_seconds,
                                  targets.first_statement_seconds)):
        if value is None:
            misses.append(f"{label}: never (target {target} s)")
        elif value > target:
            misses.append(f"{label}: {value:g} s (target {target} s)")
    return misses


def load_plan(s: Session, incident_ids: Sequence[int]) -> PlanRow | None:
    """The crisis of the drill's first activated report (read only: hotline.crisis writes these rows)."""
    crisis = s.scalar(select(Crisis).where(Crisis.incident_id.in_(incident_ids), Crisis.state == CrisisState.ACTIVE)
                      .order_by(Crisis.decided_at).limit(1)) if incident_ids else None
    if crisis is None:
        return None
    seats = list(s.scalars(select(CrisisMember).where(CrisisMember.crisis_id == crisis.id,
                                                      CrisisMember.is_deputy.is_(False))))
    first = s.scalar(select(CrisisStatement.published_at).where(
        CrisisStatement.crisis_id == crisis.id, CrisisStatement.published_at.is_not(None))
        .order_by(CrisisStatement.published_at).limit(1))
    kinds = list(s.execute(select(AuditEvent.kind, AuditEvent.detail).where(
        AuditEvent.incident_id == crisis.incident_id,
        AuditEvent.kind.in_(("broadcast.drill_would_send", "crisis.drill_not_called")))))
    return PlanRow(crisis.decided_at, len(seats), tuple(m.confirmed_at for m in seats), first,
                   sum(1 for k, _ in kinds if k == "broadcast.drill_would_send"),
                   tuple(str(d.get("person")) for k, d in kinds if k == "crisis.drill_not_called"))


def load(s: Session, drill_id: int, targets: Targets) -> Results | None:
    drill = s.get(Drill, drill_id)
    if drill is None:
        return None
    incidents = list(s.scalars(select(Incident).where(Incident.drill_id == drill_id).order_by(Incident.id)))
    callouts = list(s.scalars(select(Callout).where(Callout.drill_id == drill_id).order_by(Callout.id)))
    attempts = list(s.scalars(select(Attempt).where(Attempt.callout_id.in_([c.id for c in callouts]))
                              .order_by(Attempt.id))) if callouts else []
    rows = [AttemptRow(a.person_key, a.person_name, a.round, a.step, a.created_at,
                       a.ring_started_at or (a.created_at if a.call_sid else None), a.answered_at, a.outcome,
                       a.twilio_error) for a in attempts]
    accepted = [c for c in callouts if c.accepted_at]
    first = min(accepted, key=lambda c: cast(datetime, c.accepted_at), default=None)  # each has one (above)
    timeline = [(e.at, e.kind + (f": {e.detail.get('text') or e.detail.get('reason') or ''}"
                                 if e.detail.get("text") or e.detail.get("reason") else ""), e.actor)
                for e in s.scalars(select(DrillEvent).where(DrillEvent.drill_id == drill_id))]
    if incidents:
        audits = s.scalars(select(AuditEvent).where(AuditEvent.incident_id.in_([i.id for i in incidents])))
        timeline += [(e.at, _audit_text(e), e.actor) for e in audits]
    reported_at = incidents[0].created_at if incidents else None
    return figures(drill_id, reported_at, rows, first.accepted_at if first else None,
                   first.accepted_by_name if first else None, any(c.unacknowledged_at for c in callouts), targets,
                   timeline, load_plan(s, [i.id for i in incidents]), drill.whole_plan)


def _audit_text(e: AuditEvent) -> str:
    who = e.detail.get("person")
    extra = e.detail.get("outcome") or e.detail.get("status") or e.detail.get("error") or ""
    return " ".join(str(x) for x in (e.kind, who or "", extra) if x)


def to_csv(r: Results) -> str:
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["section", "name", "value", "detail"])
    for label, value in (("report to first ring (s)", r.first_ring_seconds),
                         ("report to first answer (s)", r.first_answer_seconds),
                         ("report to accept (s)", r.accept_seconds)):
        w.writerow(["figure", label, "" if value is None else value, ""])
    w.writerow(["figure", "accepted by", r.accepted_by or "", ""])
    if r.plan is not None:
        for label, value in (("report to plan activated (s)", r.plan.activate_seconds),
                             ("plan activated to team confirmed (s)", r.plan.team_confirmed_seconds),
                             ("report to first statement approved (s)", r.plan.first_statement_seconds)):
            w.writerow(["plan", label, "" if value is None else value, ""])
        w.writerow(["plan", "team seats confirmed", f"{r.plan.confirmed}/{r.plan.seats}", ""])
        w.writerow(["plan", "broadcasts recorded, not sent", r.plan.would_send, ""])
        w.writerow(["plan", "not called (not in the drill)", len(r.plan.not_called), " ".join(r.plan.not_called)])
    for p in r.people:
        took = "yes" if p.accepted else "no"
        w.writerow(["person", p.person, f"rang {p.rang}, answered {p.answered}, accepted {took}",
                    "" if p.first_answer_seconds is None else p.first_answer_seconds])
    for f in r.failures:
        w.writerow(["failed", "", f, ""])
    for m in r.misses:
        w.writerow(["missed target", "", m, ""])
    for at, what, who in r.timeline:
        w.writerow(["timeline", at.isoformat(), what, who])
    return out.getvalue()

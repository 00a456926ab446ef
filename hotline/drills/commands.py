"""Drill commands: create, start, inject, stop, finish, and the drill part of the convergence cycle.

The rules, written once (the incident rules in `commands` apply to drill incidents as to any):

1. A drill pages only through the lifecycle: its reports are incidents (`drill=True`,
   `drill_id`) paged by the ordinary callout engine, and every change to them is an ordinary
   command (resolve on stop). The engine keeps its callout inside the participant list.
2. A drill never starts while a real incident is open: it waits (`WAITING`) and says why; the
   cycle starts it once nothing real is open. A real report stops a running drill at once
   (`commands.preempt_drills`).
3. Tabletop and simulation drills place no real calls: they run only where the sim plays Twilio
   (participants use the browser phones; a simulation's phones follow their script).
4. Every drill ends: when all its reports are taken (finished), when a person stops or finishes
   it, or at its time limit (`max_minutes`), so a forgotten drill cannot page for ever. A tabletop
   drill is the exception to the first: its facilitator goes on injecting events after the first
   report is taken, so it ends when they finish it, or at its time limit; so is a drill of the
   whole plan (`whole_plan`), whose report goes on through the crisis plan in drill mode
   (`hotline.crisis.drillmode`: only participants called, nothing public, broadcasts recorded).
5. A surprise is planned and started by the convergence cycle, which holds a database lease, so
   it starts exactly once across workers, at a minute picked at random inside its window.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from hotline.base import jobs
from hotline.base.config import Config
from hotline.base.jobs import Followup
from hotline.base.lifecycle import Actor, Channel
from hotline.base.models import Incident, utcnow
from hotline.base.runtime import get_runtime
from hotline.base.states import ATTEMPT_LIVE, OPEN_UNACCEPTED, CalloutState
from hotline.drills import phones as drill_phones
from hotline.drills import state as drill_state
from hotline.drills.models import DRILL_OPEN, Drill, DrillEvent, DrillKind, DrillState
from hotline.drills.schedule import pick_time
from hotline.drills.settings import DrillSettings, Scenario
from hotline.paging import commands, recordings
from hotline.paging.followups import Page
from hotline.paging.jobs import stop_calls
from hotline.paging.models import Attempt, Callout
from hotline.rotas.policy import OncallSettings

INJECTIONS = {
    "no_answer": "the first responder does not answer",
    "second_report": "a second report arrives",
    "twilio_down": "Twilio fails for 2 minutes",
}
TWILIO_DOWN = timedelta(minutes=2)


@dataclass(frozen=True)
class DrillOutcome:
    ok: bool
    code: str
    message: str = ""
    drill_id: int | None = None
    then: tuple[Followup, ...] = ()
    phones: dict[str, dict[str, object]] = field(default_factory=dict)  # number -> sim behaviour to set
    recordings: tuple[tuple[int, str], ...] = ()  # (incident, audio file): the scripted report, stored after commit


def participants_of(scenario: Scenario, oncall: OncallSettings) -> list[str]:
    """The people named, plus everyone the scenario's policy could ring (persons, rota members and
    their overrides); the fallback chain is not included unless named."""
    found = list(scenario.participants)
    policy = oncall.policies.get(scenario.policy_key or "")
    for step in policy.steps if policy else ():
        rota = oncall.rotas.get(step.ref) if step.kind == "rota" else None
        keys = [step.ref] if rota is None else [*rota.members, *(o.person for o in rota.overrides)]
        found.extend(k for k in keys if k not in found)
    return found


def create(s: Session, cfg: Config, scenario: Scenario, actor: Actor, now: datetime | None = None,
           scheduled_for: datetime | None = None, schedule: dict[str, object] | None = None) -> DrillOutcome:
    now = now or utcnow()
    drill = Drill(name=scenario.name or scenario.key, kind=scenario.kind, scenario_key=scenario.key or None,
                  type_key=scenario.type_key, severity=scenario.severity, language=cfg.default_language,
                  report_text=scenario.report_text, report_file=scenario.report_file, callers=list(scenario.callers),
                  inbound_from=scenario.inbound_from,
                  phones=dict(scenario.phones), policy_key=scenario.policy_key,
                  participants=participants_of(scenario, cfg.section(OncallSettings)),
                  runner=scenario.runner or actor.who,
                  created_by=actor.who, state=DrillState.SCHEDULED, scheduled_for=scheduled_for,
                  schedule=schedule or {}, max_minutes=scenario.max_minutes, whole_plan=scenario.whole_plan,
                  created_at=now)
    s.add(drill)
    s.flush()
    drill_state.note(s, drill.id, "created", actor.who, now, kind=drill.kind, participants=drill.participants)
    return DrillOutcome(True, "created", f"drill {drill.id} created", drill.id)


def start(s: Session, cfg: Config, drill_id: int, actor: Actor, now: datetime | None = None) -> DrillOutcome:
    """Report the scenario's first incident and let the lifecycle page it; or wait (rule 2)."""
    now = now or utcnow()
    drill = s.get(Drill, drill_id)
    if drill is None:
        return DrillOutcome(False, "no_drill", f"no drill {drill_id}")
    if drill.state not in (DrillState.SCHEDULED, DrillState.WAITING):
        return DrillOutcome(False, f"already_{drill.state}", f"drill {drill_id} is {drill.state}", drill_id)
    if drill.kind in (DrillKind.TABLETOP, DrillKind.SIMULATION) and not cfg.twilio.sim_mode:
        return DrillOutcome(False, "needs_sim", f"a {drill.kind} drill places no real calls: it runs only on the sim "
                                               "(no Twilio account set); use full_scale for real calls", drill_id)
    real = drill_state.open_real_incident(s)
    if real is not None:
        reason = f"real incident {real.ref} is open ({real.status})"
        if drill.state == DrillState.SCHEDULED:  # from now on the cycle tries it again (rule 2)
            drill_state.move(s, drill_id, DrillState.WAITING, now, actor.who, reason, wait_reason=reason,
                             scheduled_for=drill.scheduled_for or now)
        elif drill.wait_reason != reason:
            drill.wait_reason = reason
        return DrillOutcome(False, "waiting", f"drill {drill_id} waits: {reason}", drill_id)
    if not drill_state.move(s, drill_id, DrillState.RUNNING, now, actor.who, started_at=now, wait_reason=None):
        return DrillOutcome(False, "not_started", f"drill {drill_id} could not start", drill_id)
    if drill.inbound_from:  # the report is a real call to the hotline, from the test number
        return DrillOutcome(True, "started", f"drill {drill_id} started: waiting for the test call from "
                                             f"{drill.inbound_from}", drill_id)
    first = _report(s, drill, 1, drill.report_text, now)
    return DrillOutcome(True, "started", f"drill {drill_id} started: report {first.ref}", drill_id,
                        (Page(first.id),), _phones(cfg, drill), _recorded(drill, first))


def _recorded(drill: Drill, incident: Incident) -> tuple[tuple[int, str], ...]:
    return ((incident.id, drill.report_file),) if drill.report_file else ()


def _report(s: Session, drill: Drill, n: int, words: str, now: datetime) -> Incident:
    """One of the drill's reports: an incident like a caller's, due for paging at once."""
    incident, _ = commands.open_report(s, type_key=drill.type_key, lang=drill.language,
                                       actor=Actor(drill.runner, Channel.DRILL), source="drill",
                                       severity=drill.severity, call_sid=f"drill-{drill.id}-{n}", drill_id=drill.id,
                                       page_at=now)
    drill_state.note(s, drill.id, "report", drill.runner, now, incident_id=incident.id, ref=incident.ref,
                     text=words, file=drill.report_file)
    return incident


def _phones(cfg: Config, drill: Drill) -> dict[str, dict[str, object]]:
    """What each participant's sim phone does: the browser decides (tabletop) or the script does."""
    wanted: dict[str, dict[str, object]]
    if drill.kind == DrillKind.TABLETOP:
        wanted = {key: {"mode": "manual"} for key in drill.participants}
    elif drill.kind == DrillKind.SIMULATION:
        wanted = dict(drill.phones)
    else:
        return {}
    return {cfg.people[key].phone: spec for key, spec in wanted.items() if key in cfg.people}


def inject(s: Session, cfg: Config, drill_id: int, what: str, actor: Actor, now: datetime | None = None
           ) -> DrillOutcome:
    """A facilitator's event, timed in the drill's timeline."""
    now = now or utcnow()
    drill = s.get(Drill, drill_id)
    if drill is None or drill.state != DrillState.RUNNING:
        return DrillOutcome(False, "not_running", f"drill {drill_id} is not running", drill_id)
    if what not in INJECTIONS:
        return DrillOutcome(False, "unknown_event", f"use one of: {', '.join(INJECTIONS)}", drill_id)
    drill_state.note(s, drill_id, "injected", actor.who, now, event=what, text=INJECTIONS[what])
    if what == "second_report":
        n = len(drill_state.incident_ids(s, drill_id)) + 1
        incident = _report(s, drill, n, f"{drill.report_text} ({n})", now)
        return DrillOutcome(True, "injected", f"report {incident.ref} added", drill_id, (Page(incident.id),),
                            recordings=_recorded(drill, incident))
    if what == "twilio_down":
        drill.twilio_down_until = now + TWILIO_DOWN
        return DrillOutcome(True, "injected", "the drill's calls fail as if Twilio were down for 2 minutes", drill_id)
    if drill.kind == DrillKind.FULL_SCALE or drill.kind == DrillKind.SURPRISE or not cfg.twilio.sim_mode:
        return DrillOutcome(False, "real_phones", "real phones cannot be made not to answer", drill_id)
    first = next((cfg.people[k].phone for k in drill.participants if k in cfg.people), None)
    phones: dict[str, dict[str, object]] = {first: {"mode": "never"}} if first else {}
    return DrillOutcome(True, "injected", "the first responder's phone will not answer", drill_id, phones=phones)


def end(s: Session, drill_id: int, target: DrillState, actor: Actor, reason: str, now: datetime | None = None
        ) -> DrillOutcome:
    """Stop or finish: every open drill incident is closed through the lifecycle, ending its calls."""
    now = now or utcnow()
    if not drill_state.move(s, drill_id, target, now, actor.who, reason, ended_at=now, ended_by=actor.who,
                            end_reason=reason):
        drill = s.get(Drill, drill_id)
        return DrillOutcome(False, "not_open", f"drill {drill_id} is {drill.state if drill else 'unknown'}", drill_id)
    then: list[Followup] = []
    for incident_id in drill_state.incident_ids(s, drill_id, open_only=True):
        then.extend(commands.resolve(s, incident_id, actor, f"drill {target}: {reason}", now).then)
    return DrillOutcome(True, str(target), f"drill {drill_id} {target}: {reason}", drill_id, tuple(then))


# --- Carrying them out (own transaction, then the follow-ups) ------------------------------

def run(command: Callable[..., DrillOutcome], *args: Any, **kwargs: Any) -> DrillOutcome:
    """One drill command in its own transaction; then its jobs are queued and sim phones set."""
    rt = get_runtime()
    with rt.db.session() as s:
        out = command(s, *args, **kwargs)
    jobs.dispatch(out.then)
    for number, behaviour in out.phones.items():
        drill_phones.program(rt.config, number, behaviour)
    for incident_id, path in out.recordings:  # the caller's voice, from the scenario's file; then transcribed
        recording_id = recordings.store_local(incident_id, Path(path))
        jobs.run(commands.recording_stored, recording_id)
    return out


# --- The drill part of the convergence cycle ------------------------------------------------

def tick(now: datetime, cfg: Config) -> list[str]:
    """Plan surprises, start due drills, add scripted reports, end drills that are done or too long."""
    done: list[str] = []
    with get_runtime().db.session() as s:
        _plan_surprises(s, cfg, now, done)
        due = list(s.execute(select(Drill.id, Drill.state).where(
            Drill.state.in_((DrillState.SCHEDULED, DrillState.WAITING)), Drill.scheduled_for.is_not(None),
            Drill.scheduled_for <= now)))
    for drill_id, was in due:
        out = run(start, cfg, drill_id, Actor("schedule", Channel.DRILL), now)
        if out.code != "waiting" or was != DrillState.WAITING:  # still waiting is no news, every pass
            done.append(f"drill {drill_id}: {out.code}")
    with get_runtime().db.session() as s:
        drills = drill_state.running(s)
        ringing = list(s.scalars(select(Callout.id).where(
            Callout.drill_id.is_not(None), Callout.state == CalloutState.CANCELLED,
            exists().where(Attempt.callout_id == Callout.id, Attempt.state.in_(ATTEMPT_LIVE),
                           Attempt.call_sid.is_not(None)))))
    for drill in drills:
        done.extend(_advance(drill.id, cfg, now))
    for callout_id in ringing:  # an ended drill's calls, when the job that ends them was lost
        stop_calls(callout_id)
        done.append(f"callout {callout_id}: drill calls ended")
    return done


def _plan_surprises(s: Session, cfg: Config, now: datetime, done: list[str]) -> None:
    """Each scheduled scenario has one drill planned or open; the next is picked after it ends."""
    for scenario in cfg.section(DrillSettings).scenarios.values():
        if scenario.schedule is None:
            continue
        rows_ = list(s.scalars(select(Drill).where(Drill.scenario_key == scenario.key).order_by(Drill.id.desc())))
        if any(d.state in DRILL_OPEN for d in rows_):
            continue
        last_end = max((datetime.fromisoformat(str(d.schedule["period_end"])) for d in rows_
                        if d.schedule.get("period_end")), default=now)
        period_start = max(now, last_end)
        moment = pick_time(scenario.schedule, period_start)
        if moment is None:
            continue
        plan = {**scenario.schedule.to_json(), "period_start": period_start.isoformat(),
                "period_end": (period_start + scenario.schedule.period).isoformat()}
        out = create(s, cfg, scenario, Actor("schedule", Channel.DRILL), now, scheduled_for=moment, schedule=plan)
        done.append(f"drill {out.drill_id}: planned")  # the moment itself is kept from the output


def _advance(drill_id: int, cfg: Config, now: datetime) -> list[str]:
    with get_runtime().db.session() as s:
        drill = s.get(Drill, drill_id)
        assert drill is not None and drill.started_at is not None
        scripted = len(list(s.scalars(select(DrillEvent.id).where(DrillEvent.drill_id == drill_id,
                                                                  DrillEvent.kind == "scripted_report"))))
        pending = drill.callers[scripted:]
        callers = [c for c in pending[:1] if drill.started_at + timedelta(seconds=int(c.get("after", 0))) <= now]
        limit = drill.started_at + timedelta(minutes=drill.max_minutes)
        needing = s.scalars(select(Incident.id).where(Incident.drill_id == drill_id,
                                                      Incident.status.in_(OPEN_UNACCEPTED)))
        awaiting_call = bool(drill.inbound_from) and not drill_state.incident_ids(s, drill_id)
        settled = not pending and not awaiting_call and next(iter(needing), None) is None
    system = Actor("system", Channel.DRILL)
    if limit <= now:
        out = run(end, drill_id, DrillState.STOPPED, system, f"time limit of {drill.max_minutes} minutes", now)
    elif callers:
        out = run(_scripted_report, drill_id, str(callers[0].get("text", "")), now)
    elif settled and drill.kind != DrillKind.TABLETOP and not drill.whole_plan:  # theirs to finish (rule 4)
        out = run(end, drill_id, DrillState.FINISHED, system, "every report was taken", now)
    else:
        return []
    return [f"drill {drill_id}: {out.code}"]


def _scripted_report(s: Session, drill_id: int, words: str, now: datetime) -> DrillOutcome:
    drill = s.get(Drill, drill_id)
    if drill is None or drill.state != DrillState.RUNNING:
        return DrillOutcome(False, "not_running", drill_id=drill_id)
    incident = _report(s, drill, len(drill_state.incident_ids(s, drill_id)) + 1, words or drill.report_text, now)
    drill_state.note(s, drill_id, "scripted_report", "script", now, incident_id=incident.id)
    return DrillOutcome(True, "scripted_report", f"report {incident.ref}", drill_id, (Page(incident.id),))


"""Lifecycle commands for a crisis: verify, activate, track the team and the checklist, publish.

The rules, written once:

1. A report is verified once: its acceptor (from the phone menu after accepting, or in the
   console) confirms it as real, which activates the plan for its type, or marks it a false
   alarm with a note, which activates nothing; a false alarm on a report nobody accepted stops
   its paging too, in the same transaction, through paging's own command (`stop_paging`, by the
   person who gave the verdict, the verdict as the reason), so the on-call people are not rung
   for a report known to be false. An admin may activate straight from the console,
   accepted or not. One verdict per incident (a unique index): a second one is refused.
1b. A plan may name its activators (`[activators]` roles and people, `hotline.crisis.plans`):
   then only they may activate it, whatever the channel (a console user is the person whose key
   or name is their user name: `team.person_for`); the system (an "activate" event rule) always
   may. Anyone else is refused, audited, and may propose instead: the proposal is audited and
   texts every activator (`TextActivators`), and the crisis panel shows it to them with the
   Activate button. A plan without activators behaves as before.
2. Activation copies the plan onto the crisis (a snapshot): the team as resolved now (each role's
   lead, rotas resolved to whoever is on call), the checklist with absolute deadlines. Every
   team member is due to be called at once; the convergence cycle calls whoever is still due,
   so a lost job only delays the calls.
2b. A deputy is called in for a role whose lead has not confirmed, and stands down (no further
   call) the moment a lead of that role confirms. A person is one phone: the crisis engine rings
   it once at a time (hotline.crisis.notify), and their confirmation covers every seat they hold
   on that crisis (several roles, lead and deputy).
3. A statement is drafted by one person and published only when approved; under the two-person
   rule (`[crisis] two_person_rule`) the approver must be someone else. An empty statement is
   refused. The dark site shows only published statements of crises it is switched on for.
4. Every change writes one audit row on the incident's timeline, with actor and channel.
5. Staff are told through the plan's `[broadcast]` (`hotline.broadcasts.door`): a stage's notice
   (first notice, update, all clear) from its template, under the plan's two-person rule; and,
   with `with_statement`, the first statement itself, on the one approval that publishes it.

6. A crisis on a drill's report runs in drill mode (`hotline.crisis.drillmode`): only the drill's
   participants are called (the team written on the timeline is the team called), its statements
   never reach the public dark site (a console preview shows them), and its notices to staff are
   recorded as would-send, never sent.

Each command takes a session and returns `Outcome`, like the rest of the lifecycle.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hotline.base import audit
from hotline.base.config import Config
from hotline.base.lifecycle import SYSTEM, Actor, Outcome, audited
from hotline.base.models import Incident, utcnow
from hotline.base.states import NEEDS_PAGING, IncidentStatus
from hotline.base.xml_text import xml_safe
from hotline.broadcasts import door
from hotline.crisis import drillmode, team
from hotline.crisis.followups import NotifyTeam, TextActivators
from hotline.crisis.models import (
    MEMBER,
    STATEMENT,
    BridgeLeg,
    Crisis,
    CrisisMember,
    CrisisState,
    CrisisStatement,
    CrisisStep,
    MemberState,
    StatementState,
    covered_roles,
)
from hotline.crisis.plans import Plan
from hotline.crisis.settings import CrisisSettings
from hotline.paging import commands as paging
from hotline.rotas.models import stored_overrides
from hotline.rotas.policy import OncallSettings, Override

FALSE_ALARM_REASON = "false alarm"  # how a verdict's stop reads in paging's timeline: "false alarm: <note>"


def crisis_for(s: Session, incident_id: int) -> Crisis | None:
    return s.scalar(select(Crisis).where(Crisis.incident_id == incident_id))


def _verdict_allowed(s: Session, incident_id: int, actor: Actor, acceptor_only: bool) -> Outcome | Incident:
    incident = s.get(Incident, incident_id)
    if incident is None:
        return Outcome(False, "no_incident", f"no incident {incident_id}")
    if incident.status == IncidentStatus.CLOSED:
        return Outcome(False, "closed", "the incident is closed", (incident_id,))
    existing = crisis_for(s, incident_id)
    if existing is not None:
        return Outcome(False, f"already_{existing.state}", f"already decided: {existing.state} by "
                       f"{existing.decided_by}", (incident_id,))
    if acceptor_only and incident.accepted_by != actor.who:
        return Outcome(False, "not_acceptor", "only the person who accepted the report can verify it",
                       (incident_id,))
    return incident


def _add(s: Session, crisis: Crisis) -> bool:
    """Insert the one verdict; a concurrent second verdict loses on the unique index."""
    try:
        with s.begin_nested():
            s.add(crisis)
            s.flush()
    except IntegrityError:
        return False
    return True


def activate(s: Session, incident_id: int, cfg: Config, actor: Actor, *, acceptor_only: bool,
             now: datetime | None = None) -> Outcome:
    """Confirm the report as real and activate its plan: team, checklist, bridge, notification."""
    now = now or utcnow()
    checked = _verdict_allowed(s, incident_id, actor, acceptor_only)
    if isinstance(checked, Outcome):
        return checked
    plan = cfg.section(CrisisSettings).plans.get(checked.type_key)
    if plan is None:
        return Outcome(False, "no_plan", f"no crisis plan for type {checked.type_key!r}: add plans/"
                       f"{checked.type_key}.toml", (incident_id,))
    overrides = stored_overrides(s, now)  # the console's overrides and accepted swaps, as paging reads them
    allowed = activators_now(plan, cfg, now, overrides)
    if actor != SYSTEM and not may_activate(actor.who, allowed, cfg):
        audited(s, "crisis.activation_refused", incident_id, actor, plan=plan.type_key)
        return Outcome(False, "not_activator", "you may not activate this plan: propose it to those who may",
                       (incident_id,))
    crisis = Crisis(incident_id=incident_id, type_key=plan.type_key, state=CrisisState.ACTIVE, decided_by=actor.who,
                    decided_via=str(actor.channel), decided_at=now)
    if not _add(s, crisis):
        return Outcome(False, "already_decided", "already decided by someone else", (incident_id,))
    seats = team.leads(plan, cfg.section(OncallSettings).rotas, now, overrides)
    reachable = drillmode.participants(s, checked)  # a drill's crisis calls only its participants (drillmode 1)
    called = [seat for seat in seats if drillmode.may_reach(reachable, seat.person)]
    for seat in seats:
        if seat in called:
            s.add(CrisisMember(crisis_id=crisis.id, role=seat.role, person_key=seat.person, next_call_at=now))
        else:
            audited(s, "crisis.drill_not_called", incident_id, actor, role=seat.role, person=seat.person)
    for i, step in enumerate(plan.steps):
        s.add(CrisisStep(crisis_id=crisis.id, position=i, owner_role=step.owner, text=dict(step.text),
                         due_at=now + step.deadline))
    audited(s, "crisis.activated", incident_id, actor, plan=plan.type_key, crisis_id=crisis.id,
           team={seat.role: seat.person for seat in called}, steps=len(plan.steps), drill=checked.drill)
    return Outcome(True, "activated", f"crisis plan {plan.type_key} activated", (incident_id,),
                   then=(NotifyTeam(crisis.id),))


def activators_now(plan: Plan, cfg: Config, now: datetime, overrides: Sequence[Override] = ()
                   ) -> frozenset[str] | None:
    """Who may activate the plan now (None: the plan names nobody, so the channel's rule decides);
    `overrides`: the console's and the swaps' (`stored_overrides`), as the team is resolved."""
    if plan.activators is None:
        return None
    return team.activators(plan, team.leads(plan, cfg.section(OncallSettings).rotas, now, overrides))


def may_activate(who: str, allowed: frozenset[str] | None, cfg: Config) -> bool:
    """Rule 1b's decision: anyone when the plan names no activators, else only the people named."""
    if allowed is None:
        return True
    person = team.person_for(who, cfg.people, team.logins(cfg))
    return person is not None and person in allowed


def propose(s: Session, incident_id: int, cfg: Config, actor: Actor, now: datetime | None = None) -> Outcome:
    """Rule 1b: someone who may not activate the plan asks those who may; audited, and texted to them."""
    now = now or utcnow()
    checked = _verdict_allowed(s, incident_id, actor, acceptor_only=False)
    if isinstance(checked, Outcome):
        return checked
    plan = cfg.section(CrisisSettings).plans.get(checked.type_key)
    if plan is None:
        return Outcome(False, "no_plan", f"no crisis plan for type {checked.type_key!r}", (incident_id,))
    allowed = activators_now(plan, cfg, now, stored_overrides(s, now))
    if allowed is None or may_activate(actor.who, allowed, cfg):
        return Outcome(False, "may_activate", "you may activate this plan yourself", (incident_id,))
    reachable = drillmode.participants(s, checked)  # a drill's proposal texts only its participants (rule 6)
    people = tuple(sorted(p for p in allowed if drillmode.may_reach(reachable, p)))
    if not people:
        return Outcome(False, "no_activator_in_drill", "nobody who may activate this plan takes part in the drill",
                       (incident_id,))
    audited(s, "crisis.proposed", incident_id, actor, plan=plan.type_key, activators=list(people))
    return Outcome(True, "proposed", "activation proposed: those who may activate it are texted", (incident_id,),
                   then=(TextActivators(incident_id, people, actor.who),))


def false_alarm(s: Session, incident_id: int, actor: Actor, note: str, *, acceptor_only: bool,
                now: datetime | None = None) -> Outcome:
    """Not real: recorded with a note; no plan, no team, no bridge, no dark site."""
    note = note.strip()
    if not note:
        return Outcome(False, "note_required", "say why it is a false alarm", (incident_id,))
    checked = _verdict_allowed(s, incident_id, actor, acceptor_only)
    if isinstance(checked, Outcome):
        return checked
    crisis = Crisis(incident_id=incident_id, type_key=checked.type_key, state=CrisisState.FALSE_ALARM,
                    decided_by=actor.who, decided_via=str(actor.channel), decided_at=now or utcnow(), note=note[:2000])
    if not _add(s, crisis):
        return Outcome(False, "already_decided", "already decided by someone else", (incident_id,))
    audited(s, "crisis.false_alarm", incident_id, actor, note=note[:2000])
    if checked.accepted_by is None and checked.status in NEEDS_PAGING:
        stopped = paging.stop_paging(s, incident_id, actor, f"{FALSE_ALARM_REASON}: {note}", now)
        if stopped.ok:
            return Outcome(True, "false_alarm_stopped", "marked as a false alarm; paging stopped", (incident_id,),
                           callout_id=stopped.callout_id, then=stopped.then)
    return Outcome(True, "false_alarm", "marked as a false alarm", (incident_id,))


def member_confirmed(s: Session, member_id: int, actor: Actor, now: datetime | None = None) -> Outcome:
    """A team member pressed 1 (or 2: joining the bridge confirms too). Idempotent. The person's
    other seats on this crisis are confirmed with it (one person, one phone: rule 2b), and every
    deputy of a role a lead has now confirmed stands down at once."""
    member = s.get(CrisisMember, member_id)
    if member is None:
        return Outcome(False, "no_member")
    incident_id = member.crisis.incident_id
    now = now or utcnow()
    confirmed = {"confirmed_at": now, "next_call_at": None}
    if not MEMBER.move(s, member_id, MemberState.CONFIRMED, now=now, values=confirmed):
        return Outcome(True, "already_confirmed", incident_ids=(incident_id,))
    audited(s, "crisis.member_confirmed", incident_id, actor, role=member.role, person=member.person_key,
            deputy=member.is_deputy)
    seats = list(s.scalars(select(CrisisMember).where(CrisisMember.crisis_id == member.crisis_id)
                           .order_by(CrisisMember.id)))
    for seat in seats:
        if seat.person_key == member.person_key and seat.state != MemberState.CONFIRMED and \
                MEMBER.move(s, seat.id, MemberState.CONFIRMED, now=now, values=confirmed):
            audited(s, "crisis.member_confirmed", incident_id, actor, role=seat.role, person=seat.person_key,
                    deputy=seat.is_deputy, with_seat=member.id)
    stand_down_deputies(s, member.crisis_id, actor, now)
    return Outcome(True, "confirmed", incident_ids=(incident_id,))


def stand_down_deputies(s: Session, crisis_id: int, actor: Actor, now: datetime) -> list[int]:
    """Every unconfirmed deputy of a role whose lead confirmed: no further call (rule 2b)."""
    covered = covered_roles(s, crisis_id)
    if not covered:
        return []
    stood = []
    for seat in s.scalars(select(CrisisMember).where(
            CrisisMember.crisis_id == crisis_id, CrisisMember.is_deputy.is_(True), CrisisMember.role.in_(covered),
            CrisisMember.state.in_((MemberState.DUE, MemberState.FAILED)))):
        if MEMBER.move(s, seat.id, MemberState.STOOD_DOWN, now=now, values={"next_call_at": None}):
            audited(s, "crisis.deputy_stood_down", seat.crisis.incident_id, actor, role=seat.role,
                    deputy=seat.person_key)
            stood.append(seat.id)
    return stood


def newest_active(s: Session) -> Crisis | None:
    return s.scalar(select(Crisis).where(Crisis.state == CrisisState.ACTIVE).order_by(Crisis.decided_at.desc())
                    .limit(1))


def member_to_bridge(s: Session, person: str) -> int | None:
    """The person's seat on the newest active crisis they are on the team of, if any."""
    return s.scalar(select(CrisisMember.id).join(Crisis).where(
        Crisis.state == CrisisState.ACTIVE, CrisisMember.person_key == person)
        .order_by(Crisis.decided_at.desc(), CrisisMember.id).limit(1))


def _elsewhere(crisis: Crisis | None, incident_id: int | None) -> bool:
    """True when the console's URL names another incident than the row's: ids are guessable, so a
    step or statement of one crisis is never changed through another incident's page."""
    return crisis is not None and incident_id is not None and crisis.incident_id != incident_id


def complete_step(s: Session, step_id: int, actor: Actor, done: bool = True, now: datetime | None = None,
                  incident_id: int | None = None) -> Outcome:
    step = s.get(CrisisStep, step_id)
    if step is None or _elsewhere(step.crisis, incident_id):
        return Outcome(False, "no_step", "no such step")
    incident_id = step.crisis.incident_id
    if done == (step.done_at is not None):
        return Outcome(False, "unchanged", "already done" if done else "not done", (incident_id,))
    step.done_by, step.done_at = (actor.who, now or utcnow()) if done else (None, None)
    audited(s, "crisis.step_done" if done else "crisis.step_reopened", incident_id, actor, step_id=step_id,
           owner=step.owner_role, text=step.text.get("en-US") or next(iter(step.text.values()), ""))
    return Outcome(True, "step_done" if done else "step_reopened", incident_ids=(incident_id,))


def statement_template(s: Session, crisis: Crisis, cfg: Config) -> dict[str, str]:
    """The plan's first statement with its placeholders filled, per language."""
    plan = cfg.section(CrisisSettings).plans.get(crisis.type_key)
    return _filled(s, crisis, cfg, plan.statement) if plan else {}


def _filled(s: Session, crisis: Crisis, cfg: Config, templates: dict[str, str]) -> dict[str, str]:
    incident = s.get(Incident, crisis.incident_id)
    if incident is None:
        return {}
    at = crisis.decided_at.astimezone(ZoneInfo(cfg.timezone)).strftime("%Y-%m-%d %H:%M")
    site = cfg.sites.get(incident.site or "", cfg.org_name)
    return {lang: body.format(type=cfg.type_name(crisis.type_key, lang), time=at, site=site,
                              reference=incident.ref or str(incident.id)) for lang, body in templates.items()}


def tell_staff(s: Session, crisis_id: int, stage: str, cfg: Config, actor: Actor,
               incident_id: int | None = None) -> Outcome:
    """A stage's notice to the plan's groups (rule 5): sent, or drafted for a second admin."""
    crisis = s.get(Crisis, crisis_id)
    plan = cfg.section(CrisisSettings).plans.get(crisis.type_key) if crisis else None
    if crisis is None or crisis.state != CrisisState.ACTIVE or plan is None or _elsewhere(crisis, incident_id):
        return Outcome(False, "no_crisis", "no active crisis")
    told = plan.broadcast
    if told is None or stage not in told.stages:
        return Outcome(False, "no_notice", f"the plan has no [broadcast.{stage}]", (crisis.incident_id,))
    notice = door.Notice(crisis.incident_id, stage, f"{cfg.type_name(crisis.type_key, cfg.default_language)} "
                         f"({stage.replace('_', ' ')})", _filled(s, crisis, cfg, told.stages[stage]), told.groups,
                         told.channels, told.ask_safety and stage != "all_clear", crisis.type_key)
    two_person = door.two_person_rule(cfg) if told.two_person_rule is None else told.two_person_rule
    return door.send(s, cfg, notice, actor, two_person)


def _statement_to_staff(s: Session, statement: CrisisStatement, cfg: Config, actor: Actor) -> Outcome | None:
    """Rule 5: the published first statement to the plan's groups, approved by its one approval."""
    crisis = statement.crisis
    plan = cfg.section(CrisisSettings).plans.get(crisis.type_key)
    told = plan.broadcast if plan else None
    if told is None or not told.with_statement:
        return None
    notice = door.Notice(crisis.incident_id, "statement", cfg.type_name(crisis.type_key, cfg.default_language),
                         dict(statement.bodies), told.groups, told.channels, told.ask_safety, crisis.type_key)
    return door.send(s, cfg, notice, actor, False, approved_by=actor.who)


def draft_statement(s: Session, crisis_id: int, bodies: dict[str, str], actor: Actor,
                    now: datetime | None = None, incident_id: int | None = None) -> Outcome:
    crisis = s.get(Crisis, crisis_id)
    if crisis is None or crisis.state != CrisisState.ACTIVE or _elsewhere(crisis, incident_id):
        return Outcome(False, "no_crisis", "no active crisis")
    # XML cannot carry control characters: one in a published statement broke the public feed
    cleaned = {lang: xml_safe(text).strip()[:8000] for lang, text in bodies.items() if text and xml_safe(text).strip()}
    if not cleaned:
        return Outcome(False, "empty_statement", "a statement cannot be empty: write it in at least one language",
                       (crisis.incident_id,))
    statement = CrisisStatement(crisis_id=crisis_id, bodies=cleaned, drafted_by=actor.who, drafted_at=now or utcnow())
    s.add(statement)
    s.flush()
    audited(s, "crisis.statement_drafted", crisis.incident_id, actor, statement_id=statement.id,
           languages=sorted(cleaned))
    return Outcome(True, "drafted", "statement drafted; a second person must approve it", (crisis.incident_id,))


def approve_statement(s: Session, statement_id: int, actor: Actor, two_person_rule: bool,
                      now: datetime | None = None, cfg: Config | None = None,
                      incident_id: int | None = None) -> Outcome:
    """Publish a draft (rule 3); with `cfg`, staff are told too when the plan says so (rule 5)."""
    statement = s.get(CrisisStatement, statement_id)
    if statement is None or _elsewhere(statement.crisis, incident_id):
        return Outcome(False, "no_statement", "no such statement")
    incident_id = statement.crisis.incident_id
    if statement.state != StatementState.DRAFT:
        return Outcome(False, "already_published", "already published", (incident_id,))
    if not any(str(b).strip() for b in statement.bodies.values()):
        return Outcome(False, "empty_statement", "a statement cannot be empty", (incident_id,))
    if two_person_rule and statement.drafted_by == actor.who:
        return Outcome(False, "own_draft", "you drafted this statement: a second person must approve it",
                       (incident_id,))
    # Compare-and-set: of two admins approving at once, one publishes and the other is told so.
    if not STATEMENT.move(s, statement_id, StatementState.PUBLISHED, now=now,
                          values={"approved_by": actor.who, "published_at": now or utcnow()}):
        return Outcome(False, "already_published", "already published", (incident_id,))
    audited(s, "crisis.statement_published", incident_id, actor, statement_id=statement_id,
            drafted_by=statement.drafted_by)
    told = _statement_to_staff(s, statement, cfg, actor) if cfg is not None else None
    if told is not None and not told.ok:
        audited(s, "crisis.statement_not_broadcast", incident_id, actor, statement_id=statement_id,
                reason=told.message)
    if s.get_one(Incident, incident_id).drill:  # shown on the drill's preview only (hotline.crisis.drillmode 2)
        return Outcome(True, "published_drill", "drill statement approved: on the drill's preview page only",
                       (incident_id,))
    return Outcome(True, "published", "statement published", (incident_id,),
                   then=told.then if told is not None else ())


def set_dark_site(s: Session, crisis_id: int, on: bool, actor: Actor, incident_id: int | None = None) -> Outcome:
    crisis = s.get(Crisis, crisis_id)
    if crisis is None or crisis.state != CrisisState.ACTIVE or _elsewhere(crisis, incident_id):
        return Outcome(False, "no_crisis", "no active crisis")
    if crisis.dark_site_on == on:
        return Outcome(False, "unchanged", "the dark site is already " + ("on" if on else "off"),
                       (crisis.incident_id,))
    crisis.dark_site_on = on
    audited(s, "crisis.dark_site_on" if on else "crisis.dark_site_off", crisis.incident_id, actor, crisis_id=crisis_id)
    return Outcome(True, "dark_site_on" if on else "dark_site_off",
                   "the dark site is " + ("on" if on else "off"), (crisis.incident_id,))


def bridge_event(s: Session, crisis_id: int, call_sid: str, event: str, person: str | None,
                 now: datetime | None = None) -> Outcome:
    """A conference status callback: someone joined or left the crisis bridge.

    Twilio may deliver a leg's callbacks out of order: a leave that comes before its join
    records a leg already left, so the late join cannot show that person on the bridge forever."""
    crisis = s.get(Crisis, crisis_id)
    if crisis is None or not call_sid:
        return Outcome(False, "no_crisis")
    now = now or utcnow()
    leg = s.scalar(select(BridgeLeg).where(BridgeLeg.crisis_id == crisis_id, BridgeLeg.call_sid == call_sid))
    leaving = event == "participant-leave"
    if leg is None and (leaving or event == "participant-join"):
        s.add(BridgeLeg(crisis_id=crisis_id, call_sid=call_sid, person_key=person or None, joined_at=now,
                        left_at=now if leaving else None))
    elif leaving and leg is not None and leg.left_at is None:
        leg.left_at = now
    else:
        return Outcome(True, "unchanged", incident_ids=(crisis.incident_id,))
    audit.record(s, "crisis.bridge_" + event.removeprefix("participant-"), crisis.incident_id,
                 actor=person or "unknown", call_sid=call_sid)
    return Outcome(True, event, incident_ids=(crisis.incident_id,))

"""Notify the crisis team: every due member gets a call (and, the first time, an SMS) at once.

Driven by the convergence cycle (and by the job queued at activation), so nothing hangs after a
crash: a member is due while `next_call_at` has passed and they have not confirmed. Each call is
claimed in the database first (a conditional update moves `next_call_at` on), so two engines or
a job and the cycle never ring the same person twice for one round. A person is one phone: a
claim is refused while another seat of theirs (another role, another crisis) was called within
IN_CALL_SECONDS, so one person on several seats gets one call at a time, never several at once;
the seat left waiting is called once that call is over, unless the person confirmed on it (their
confirmation covers every seat they hold on that crisis, hotline.crisis.commands). The calls of one pass are
placed side by side on a small thread pool: the last member's phone must not wait for the first
member's Calls.create to return, and every call is placed before the first SMS is sent.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row, Select, exists, select, update
from sqlalchemy.orm import Session, aliased

from hotline.base import audit
from hotline.base.config import Config, Person
from hotline.base.db import hold_names
from hotline.base.models import Incident
from hotline.base.runtime import get_runtime
from hotline.base.states import IncidentStatus
from hotline.crisis import drillmode, links, phrases, team
from hotline.crisis.models import MEMBER, Crisis, CrisisMember, CrisisState, MemberState, covered_roles
from hotline.crisis.settings import CrisisSettings
from hotline.provider import dialer, rest
from hotline.rotas.models import stored_overrides
from hotline.rotas.policy import OncallSettings

log = logging.getLogger("crisis.notify")
PARALLEL = rest.IN_FLIGHT  # concurrent Calls.create requests per pass
RING_SECONDS = 30
# A notification call rings up to RING_SECONDS, then the briefing and its menu (read up to three
# times, hotline.responder.crisis_call) take about a minute: the phone is busy that long.
IN_CALL_SECONDS = RING_SECONDS + 75
TRANSIENT_RETRY = timedelta(seconds=30)
BATCH = 200


@dataclass(frozen=True)
class Placement:
    member_id: int
    crisis_id: int
    incident_id: int
    phone: str
    first: bool  # the first notification: an SMS goes with the call
    sms: str


def running() -> Select[int]:
    """Crises whose plan is active and whose incident is still open: closing the incident ends
    the team's calls and the checklist reminders (reopening it resumes them)."""
    return select(Crisis.id).join(Incident, Incident.id == Crisis.incident_id).where(
        Crisis.state == CrisisState.ACTIVE, Incident.status != IncidentStatus.CLOSED)


def notify_due(now: datetime) -> list[int]:
    """Call every member who is due; returns the member ids called."""
    rt = get_runtime()
    cfg, settings = rt.config, rt.config.section(CrisisSettings)
    with rt.db.session() as s:
        _call_in_deputies(s, cfg, settings, now)
    with rt.db.session() as s:
        claimed = _claim_due(s, settings, now)
        s.commit()  # the claims are visible to the other engines before any phone rings
        rows: Iterable[Row[CrisisMember, Crisis, Incident]] = s.execute(
            select(CrisisMember, Crisis, Incident).join(Crisis, Crisis.id == CrisisMember.crisis_id)
            .join(Incident, Incident.id == Crisis.incident_id).where(CrisisMember.id.in_(claimed))
            .order_by(CrisisMember.id)) if claimed else []
        placements = [p for p in (_placement(cfg, *row) for row in rows) if p is not None]
    if not placements:
        return []
    with ThreadPoolExecutor(max_workers=min(PARALLEL, len(placements))) as pool:
        dialled = list(pool.map(lambda p: _dial(cfg, p), placements))  # every phone first ...
        with rt.db.session() as s:
            for p, result in zip(placements, dialled, strict=True):
                _record(s, p, result, now)
        texts = [p for p in placements if p.first]  # a failed call makes the SMS matter more, not less
        list(pool.map(lambda p: send_sms(p.incident_id, p.phone, p.sms, kind="crisis.sms", member_id=p.member_id),
                      texts))  # ... then the texts
    return [p.member_id for p in placements]


def _claim_due(s: Session, settings: CrisisSettings, now: datetime) -> list[int]:
    """A conditional UPDATE takes each due member of an active crisis: whoever's UPDATE moves a row
    places that call; a concurrent pass finds `next_call_at` already in the future. One seat per
    person, and none while another seat of theirs is in a call (see the module's docstring)."""
    due = list(s.execute(select(CrisisMember.id, CrisisMember.person_key).where(
        CrisisMember.crisis_id.in_(running()), CrisisMember.state == MemberState.DUE, CrisisMember.next_call_at <= now)
        .order_by(CrisisMember.id).limit(BATCH)))
    # Two engines claiming two seats of one person would each see the other's call uncommitted:
    # they take turns per person, and the second's UPDATE then sees the first's call.
    hold_names(s, (f"crisis-phone:{person}" for _, person in due))
    claimed: list[int] = []
    people: set[str] = set()
    for member_id, person in due:
        if person in people:
            continue
        people.add(person)
        other = aliased(CrisisMember)
        in_call = exists().where(other.person_key == person, other.id != member_id,
                                 other.last_called_at > now - timedelta(seconds=IN_CALL_SECONDS))
        claimed += s.scalars(update(CrisisMember).where(
            CrisisMember.id == member_id, CrisisMember.state == MemberState.DUE, CrisisMember.next_call_at <= now,
            ~in_call).values(next_call_at=now + timedelta(minutes=settings.repeat_minutes),
                             calls=CrisisMember.calls + 1, last_called_at=now).returning(CrisisMember.id))
    return claimed


def _placement(cfg: Config, member: CrisisMember, crisis: Crisis, incident: Incident) -> Placement | None:
    person = cfg.people.get(member.person_key)
    if person is None:
        return None
    lang = phrases.language(person.languages, cfg.languages)
    sms = phrases.for_drill(lang, incident.drill, phrases.text(
        lang, "sms", org=cfg.org_name, type=cfg.type_name(crisis.type_key, lang), ref=incident.ref or incident.id,
        role=phrases.role_name(lang, member.role), deputy=phrases.text(lang, "deputy") if member.is_deputy else "",
        hotline=cfg.numbers[0]))
    return Placement(member.id, crisis.id, crisis.incident_id, person.phone, member.calls == 1, sms)


def _dial(cfg: Config, p: Placement) -> str | dialer.DialerError:
    """Calls.create for one member; the SID, or the error (recorded by `_record`)."""
    req = dialer.CallRequest(to=p.phone, from_=cfg.numbers[0], url=links.member_hook(cfg, "answer", p.member_id),
                             status_callback=links.member_hook(cfg, "status", p.member_id), ring_timeout=RING_SECONDS)
    try:
        return dialer.place_call(req)
    except dialer.DialerError as exc:
        return exc


def _record(s: Session, p: Placement, result: str | dialer.DialerError, now: datetime) -> None:
    """The call's SID, or why it failed: a passing failure is retried soon, a permanent one ends
    that member's notification (the timeline says why; the deputy is called in as for silence)."""
    member = s.get_one(CrisisMember, p.member_id)  # claimed in this pass: it exists
    if isinstance(result, dialer.DialerError):
        permanent = isinstance(result, dialer.PermanentError)
        member.error = result.describe()
        if permanent:
            MEMBER.move(s, member.id, MemberState.FAILED, now=now)
        else:
            member.next_call_at = now + TRANSIENT_RETRY
        _audit(s, p, "crisis.dial_failed", error=result.describe(), permanent=permanent)
        return
    member.last_call_sid = result
    member.first_dial_at = member.first_dial_at or now
    _audit(s, p, "crisis.called", call_sid=result, person=member.person_key, role=member.role)


def proposal_sms(cfg: Config, incident_id: int, person: Person, proposed_by: str) -> str:
    """The text to someone who may activate a plan that another person proposed."""
    with get_runtime().db.session() as s:
        incident = s.get(Incident, incident_id)
        ref, type_key = (incident.ref or incident.id, incident.type_key) if incident else (incident_id, "")
    lang = phrases.language(person.languages, cfg.languages)
    return phrases.text(lang, "proposal", org=cfg.org_name, who=proposed_by, type=cfg.type_name(type_key, lang),
                        ref=ref)


def send_sms(incident_id: int, phone: str, body: str, kind: str, **detail: Any) -> bool:
    cfg = get_runtime().config
    try:
        sid = dialer.send_sms(phone, cfg.numbers[0], body)
    except dialer.DialerError as exc:
        with get_runtime().db.session() as s:
            audit.record(s, f"{kind}_failed", incident_id, to=phone, error=exc.describe(), **detail)
        return False
    with get_runtime().db.session() as s:
        audit.record(s, kind, incident_id, to=phone, sid=sid, **detail)
    return True


def _call_in_deputies(s: Session, cfg: Config, settings: CrisisSettings, now: datetime) -> None:
    """A lead who has not confirmed after `rounds_before_deputy` calls: their deputy is called too,
    unless another lead of that role has confirmed (the role is covered)."""
    slow = list(s.scalars(select(CrisisMember).join(Crisis).where(
        Crisis.id.in_(running()), CrisisMember.is_deputy.is_(False),
        CrisisMember.state != MemberState.CONFIRMED, CrisisMember.calls >= settings.rounds_before_deputy)))
    rotas = cfg.section(OncallSettings).rotas
    overrides = stored_overrides(s, now) if slow else ()  # as paging and the activation resolve rotas
    for lead in slow:
        plan = settings.plans.get(lead.crisis.type_key)
        seat = team.deputy(plan, lead.role, rotas, now, lead.person_key, overrides) if plan else None
        if seat is None or _has_deputy(s, lead.crisis_id, lead.role) or \
                lead.role in covered_roles(s, lead.crisis_id):
            continue
        if not drillmode.may_reach(drillmode.participants(s, s.get(Incident, lead.crisis.incident_id)), seat.person):
            continue  # a drill's crisis never calls a deputy outside the drill (drillmode rule 1)
        s.add(CrisisMember(crisis_id=lead.crisis_id, role=seat.role, person_key=seat.person, is_deputy=True,
                           next_call_at=now))
        audit.record(s, "crisis.deputy_called_in", lead.crisis.incident_id, role=lead.role, lead=lead.person_key,
                     deputy=seat.person, calls=lead.calls)
        s.flush()


def _has_deputy(s: Session, crisis_id: int, role: str) -> bool:
    return s.scalar(select(CrisisMember.id).where(CrisisMember.crisis_id == crisis_id, CrisisMember.role == role,
                                                  CrisisMember.is_deputy.is_(True))) is not None


def _audit(s: Session, p: Placement, kind: str, **detail: Any) -> None:
    audit.record(s, kind, p.incident_id, member_id=p.member_id, **detail)

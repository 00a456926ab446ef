"""Overdue checklist steps: their owner (every member holding the step's role) gets an SMS,
again every `overdue_renotify_minutes` until the step is done. And a published statement's
promised next update (the plan's `update_every`): when it falls due, the drafter and the
communications lead are texted, once. Called by the convergence cycle; a reminder is claimed in
the database (`reminded_at` / `update_reminded_at` moves on) before the SMS goes, so two engines
never send the same reminder twice."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import CursorResult, select, update

from hotline.base.models import Incident
from hotline.base.runtime import get_runtime
from hotline.crisis import phrases
from hotline.crisis.models import Crisis, CrisisMember, CrisisStatement, CrisisStep, MemberState, StatementState
from hotline.crisis.notify import running, send_sms
from hotline.crisis.plans import UPDATE_EVERY
from hotline.crisis.settings import CrisisSettings
from hotline.crisis.team import logins, person_for


def remind_overdue(now: datetime) -> list[int]:
    """SMS the owners of every overdue step not reminded lately; returns the step ids."""
    rt = get_runtime()
    cfg = rt.config
    every = timedelta(minutes=cfg.section(CrisisSettings).overdue_renotify_minutes)
    messages: list[tuple[int, int, str, str]] = []
    with rt.db.session() as s:
        overdue = list(s.scalars(select(CrisisStep).join(Crisis).where(
            Crisis.id.in_(running()), CrisisStep.done_at.is_(None), CrisisStep.due_at <= now,
            CrisisStep.reminded_at.is_(None) | (CrisisStep.reminded_at <= now - every))))
        for step in overdue:
            claimed = cast(CursorResult[Any], s.execute(update(CrisisStep).where(
                CrisisStep.id == step.id, CrisisStep.done_at.is_(None),
                CrisisStep.reminded_at.is_(None) if step.reminded_at is None
                else CrisisStep.reminded_at == step.reminded_at).values(reminded_at=now))).rowcount
            if not claimed:
                continue
            incident = s.get_one(Incident, step.crisis.incident_id)  # a crisis names its incident (foreign key)
            owners = s.scalars(select(CrisisMember).where(
                CrisisMember.crisis_id == step.crisis_id, CrisisMember.role == step.owner_role,
                CrisisMember.state.not_in((MemberState.FAILED, MemberState.STOOD_DOWN))))
            for member in owners:
                person = cfg.people.get(member.person_key)
                if person is None:
                    continue
                lang = phrases.language(person.languages, cfg.languages)
                body = phrases.for_drill(lang, incident.drill, phrases.text(
                    lang, "overdue", org=cfg.org_name, ref=incident.ref or incident.id,
                    step=step.text.get(lang) or next(iter(step.text.values()), ""),
                    role=phrases.role_name(lang, step.owner_role),
                    due=step.due_at.astimezone(ZoneInfo(cfg.timezone)).strftime("%H:%M")))
                messages.append((incident.id, step.id, person.phone, body))
    for incident_id, step_id, phone, body in messages:
        send_sms(incident_id, phone, body, kind="crisis.step_overdue_sms", step_id=step_id)
    return sorted({m[1] for m in messages})


def next_update_due(published_at: datetime | None, every: timedelta) -> datetime | None:
    """When the next statement is due: the newest published one promised it `every` later."""
    return published_at + every if published_at is not None else None


def remind_update_due(now: datetime) -> list[int]:
    """The newest published statement of each running crisis whose next update is due: its drafter
    and the crisis's communications members are texted, once per due time. The claim
    (`update_reminded_at` moves from NULL) is a compare-and-set, so of two engines one sends it;
    a newer statement brings its own due time. Returns the statement ids reminded."""
    rt = get_runtime()
    cfg = rt.config
    plans = cfg.section(CrisisSettings).plans
    messages: list[tuple[int, int, str, str, str]] = []
    with rt.db.session() as s:
        newest: dict[int, CrisisStatement] = {}
        for statement in s.scalars(select(CrisisStatement).where(
                CrisisStatement.crisis_id.in_(running()), CrisisStatement.state == StatementState.PUBLISHED)
                .order_by(CrisisStatement.published_at, CrisisStatement.id)):
            newest[statement.crisis_id] = statement
        for statement in newest.values():
            crisis = statement.crisis
            plan = plans.get(crisis.type_key)
            due = next_update_due(statement.published_at, plan.update_every if plan else UPDATE_EVERY)
            if due is None or due > now or statement.update_reminded_at is not None:
                continue
            claimed = cast(CursorResult[Any], s.execute(update(CrisisStatement).where(
                CrisisStatement.id == statement.id, CrisisStatement.update_reminded_at.is_(None))
                .values(update_reminded_at=now))).rowcount
            if not claimed:
                continue
            incident = s.get_one(Incident, crisis.incident_id)
            keys = [k for k in (person_for(statement.drafted_by, cfg.people, logins(cfg)),) if k is not None]
            keys += s.scalars(select(CrisisMember.person_key).where(
                CrisisMember.crisis_id == crisis.id, CrisisMember.role == "communications",
                CrisisMember.state.not_in((MemberState.FAILED, MemberState.STOOD_DOWN))).order_by(CrisisMember.id))
            for key in dict.fromkeys(keys):  # each person once, the drafter first
                person = cfg.people.get(key)
                if person is None:
                    continue
                lang = phrases.language(person.languages, cfg.languages)
                body = phrases.text(lang, "update_due", org=cfg.org_name, ref=incident.ref or incident.id,
                                    due=due.astimezone(ZoneInfo(cfg.timezone)).strftime("%H:%M"),
                                    ago=max(0, int((now - due).total_seconds() // 60)))
                messages.append((incident.id, statement.id, person.phone, body, key))
    for incident_id, statement_id, phone, body, key in messages:
        send_sms(incident_id, phone, body, kind="crisis.update_due_sms", statement_id=statement_id, person=key)
    return sorted({m[1] for m in messages})

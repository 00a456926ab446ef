"""Overdue checklist steps: their owner (every member holding the step's role) gets an SMS,
again every `overdue_renotify_minutes` until the step is done. Called by the convergence cycle;
a reminder is claimed in the database (`reminded_at` moves on) before the SMS goes, so two
engines never send the same reminder twice."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import CursorResult, select, update

from hotline.base.models import Incident
from hotline.base.runtime import get_runtime
from hotline.crisis import phrases
from hotline.crisis.models import Crisis, CrisisMember, CrisisStep, MemberState
from hotline.crisis.notify import running, send_sms
from hotline.crisis.settings import CrisisSettings


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

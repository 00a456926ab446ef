"""Rota overrides from the console: "Lin covers Chen Saturday 22:00–06:00".

Rules:
- An override names a rota of config.toml, a person of [people], and a start before its end;
  it is made and cancelled by a named person, and both are on the audit timeline.
- It takes effect through the one resolver (hotline.rotas.resolve), the same way as an
  override written in config.toml: a callout resolves its contacts at every step, so a running
  callout reaches the covering person from the override's start.
- An override that has ended is kept (history); cancelling one keeps the row and says who.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from hotline.base import audit
from hotline.base.lifecycle import Actor, Outcome
from hotline.base.models import utcnow
from hotline.rotas.models import RotaOverride
from hotline.rotas.policy import OncallSettings


def add_override(s: Session, settings: OncallSettings, people: set[str], *, rota: str, person: str, start: datetime,
                 end: datetime, actor: Actor, reason: str = "") -> Outcome:
    if not actor.who or actor.who == "system":
        return Outcome(False, "who_required", "an override is made by a named person")
    if rota not in settings.rotas:
        return Outcome(False, "no_rota", f"no rota {rota!r}")
    if person not in people:
        return Outcome(False, "no_person", f"no person {person!r}")
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("override times must be aware")
    if end <= start:
        return Outcome(False, "end_before_start", "the end must be after the start")
    if end <= utcnow():
        return Outcome(False, "in_the_past", "the override would already be over")
    start, end = start.astimezone(UTC), end.astimezone(UTC)  # SQLite keeps no offset: store UTC
    row = RotaOverride(rota=rota, person=person, start=start, end=end, reason=reason.strip()[:500],
                       created_by=actor.who)
    s.add(row)
    s.flush()
    audit.record(s, "rota_override_added", None, actor=actor.who, via=str(actor.channel), override_id=row.id,
                 rota=rota, person=person, start=start.isoformat(), end=end.isoformat(), reason=row.reason)
    return Outcome(True, "override_added", f"{person} covers {rota} from {start.isoformat()} to {end.isoformat()}")


def cancel_override(s: Session, override_id: int, actor: Actor) -> Outcome:
    row = s.get(RotaOverride, override_id)
    if row is None:
        return Outcome(False, "no_override", "no such override")
    if row.cancelled_at is not None:
        return Outcome(False, "already_cancelled", f"already cancelled by {row.cancelled_by}")
    row.cancelled_at, row.cancelled_by = utcnow(), actor.who
    audit.record(s, "rota_override_cancelled", None, actor=actor.who, via=str(actor.channel), override_id=row.id,
                 rota=row.rota, person=row.person)
    return Outcome(True, "override_cancelled", "override cancelled")

"""A drill's state moves and its timeline, and the questions the drill rules ask of the database.

The only writer of `Drill.state`, through its `Machine` (`hotline.base.state_machine`): a move
is one conditional UPDATE from the states `DRILL_MOVES` allows, so two admins stopping the same
drill, or the convergence cycle starting it while someone stops it, cannot both win. Kept apart
from `hotline.drills.commands` so paging's door into the drills (`hotline.drills.gate`: a real
report stops every running drill) can use it without a cycle.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.base import audit
from hotline.base.models import Incident
from hotline.base.state_machine import Machine, Move
from hotline.base.states import IncidentStatus
from hotline.drills.models import DRILL_MOVES, Drill, DrillEvent, DrillState


def note(s: Session, drill_id: int, what: str, actor: str = "system", at: datetime | None = None,
         **detail: Any) -> None:
    s.add(DrillEvent(drill_id=drill_id, kind=what, actor=actor, detail=detail, **({"at": at} if at else {})))
    s.flush()


def _audit_move(s: Session, move: Move) -> None:
    """On the drill's own timeline, and on the system-wide trail."""
    note(s, move.row_id, move.to, move.actor, move.at, **move.detail)
    audit.record(s, f"drill_{move.to}", None, actor=move.actor, drill_id=move.row_id, **move.detail)


DRILL = Machine("drill", Drill, DRILL_MOVES, audit=_audit_move)


def move(s: Session, drill_id: int, target: DrillState, now: datetime, actor: str = "system",
         reason: str = "", **fields: Any) -> bool:
    """Move the drill to `target` if that is legal from where it is now; True if this call moved it."""
    why = {"reason": reason} if reason else {}
    return bool(DRILL.move(s, drill_id, target, now=now, values=fields, actor=actor, **why))


def running(s: Session) -> list[Drill]:
    return list(s.scalars(select(Drill).where(Drill.state == DrillState.RUNNING).order_by(Drill.id)))


_ANY_RUNNING = select(Drill.id).where(Drill.state == DrillState.RUNNING).limit(1)


def any_running(s: Session) -> bool:
    """Asked on every new report: one indexed Core row, no ORM objects (none run almost always)."""
    return s.execute(_ANY_RUNNING).first() is not None


def incident_ids(s: Session, drill_id: int, open_only: bool = False) -> list[int]:
    q = select(Incident.id).where(Incident.drill_id == drill_id).order_by(Incident.id)
    if open_only:
        q = q.where(Incident.status != IncidentStatus.CLOSED)
    return list(s.scalars(q))


def open_real_incident(s: Session) -> Incident | None:
    """A real (not drill) incident that is not closed: a drill must not start beside it."""
    return s.scalar(select(Incident).where(Incident.drill.is_(False), Incident.status != IncidentStatus.CLOSED)
                    .order_by(Incident.id).limit(1))


def awaiting_call_from(s: Session, caller: str | None) -> Drill | None:
    """A running drill whose report is to be a real call from `caller` and has not come yet."""
    if not caller:
        return None
    for drill in s.scalars(select(Drill).where(Drill.state == DrillState.RUNNING, Drill.inbound_from == caller)):
        if not incident_ids(s, drill.id):
            return drill
    return None

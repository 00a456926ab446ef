"""What paging asks of the drills, and nothing more: the one door from `hotline.paging` into this
package (the import contract in pyproject.toml names it).

Paging's rule 5: a real report stops every running drill, and a running full-scale drill's own
test call is that drill's report; a drill's callout rings only its participants, and a fault a
drill injects (Twilio down) touches only that drill's calls; a responder hears what a drill's
scripted report "said".
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.base.models import Incident
from hotline.drills import state
from hotline.drills.models import Drill, DrillEvent, DrillState

any_running = state.any_running
awaiting_call_from = state.awaiting_call_from


def claim_test_call(s: Session, incident: Incident, caller: str | None, actor: str, now: datetime) -> bool:
    """The first call from a running full-scale drill's test number is that drill's report. The
    caller (paging) asks only for a call that proved it is the test call (the drill PIN, or a
    trusted carrier-verified caller ID): caller ID alone is spoofable."""
    drill = state.awaiting_call_from(s, caller)
    if drill is None:
        return False
    incident.drill, incident.drill_id = True, drill.id
    state.note(s, drill.id, "report", actor, now, incident_id=incident.id, ref=incident.ref, inbound=caller)
    return True


def stop_running(s: Session, reason: str, now: datetime) -> list[tuple[int, list[int]]]:
    """Stop every running drill; for each one this call stopped, its open incidents (for paging
    to close, which ends their calls)."""
    stopped = []
    for drill in state.running(s):
        if state.move(s, drill.id, DrillState.STOPPED, now, "system", reason, ended_at=now, ended_by="system",
                      end_reason=reason):
            stopped.append((drill.id, state.incident_ids(s, drill.id, open_only=True)))
    return stopped


@dataclass(frozen=True)
class Participants:
    people: tuple[str, ...]  # nobody else is ever rung
    policy_key: str | None  # the order they are rung in, if a policy


def participants(s: Session, drill_id: int) -> Participants | None:
    drill = s.get(Drill, drill_id)
    return None if drill is None else Participants(tuple(drill.participants), drill.policy_key)


def injected_outage(s: Session, drill_id: int | None, now: datetime) -> str | None:
    """An outage a drill injected ("Twilio fails for 2 minutes"), for that drill's calls only."""
    drill = s.get(Drill, drill_id) if drill_id is not None else None
    if drill is None or drill.twilio_down_until is None or drill.twilio_down_until <= now:
        return None
    return f"drill {drill_id}: Twilio made to fail until {drill.twilio_down_until.isoformat()}"


def scripted_reports(s: Session, drill_ids: Collection[int]) -> dict[int, str]:
    """What each drill report "said", by incident: written in the drill's timeline at the report."""
    if not drill_ids:
        return {}
    events = s.scalars(select(DrillEvent).where(DrillEvent.drill_id.in_(drill_ids), DrillEvent.kind == "report"))
    return {int(e.detail["incident_id"]): str(e.detail["text"]) for e in events if e.detail.get("text")}

"""Who is on a plan's crisis team right now: pure functions of (plan, rotas, now).

A rota is resolved at activation with the callout's own resolver (`hotline.rotas.resolve.on_call_now`),
and the result is written onto the crisis (a snapshot): a hand-off during a crisis does not
swap the legal lead half-way through.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from hotline.crisis.plans import Assignee, Plan
from hotline.rotas.policy import Rota
from hotline.rotas.resolve import on_call_now


@dataclass(frozen=True)
class Seat:
    role: str
    person: str
    is_deputy: bool = False


def resolve(assignee: Assignee, rotas: Mapping[str, Rota], now: datetime) -> str | None:
    if assignee.kind == "person":
        return assignee.key
    rota = rotas.get(assignee.key)
    return on_call_now(rota, now).person if rota is not None else None


def leads(plan: Plan, rotas: Mapping[str, Rota], now: datetime) -> list[Seat]:
    """The seats of the plan's team: for each role, whoever leads it now (once per person and role)."""
    seats: list[Seat] = []
    for slot in plan.team:
        for lead in slot.leads:
            person = resolve(lead, rotas, now)
            if person and Seat(slot.role, person) not in seats:
                seats.append(Seat(slot.role, person))
    return seats


def deputy(plan: Plan, role: str, rotas: Mapping[str, Rota], now: datetime, lead: str) -> Seat | None:
    """The role's deputy, when the plan names one who is not the lead themselves."""
    slot = plan.slot(role)
    if slot is None or slot.deputy is None:
        return None
    person = resolve(slot.deputy, rotas, now)
    return Seat(role, person, True) if person and person != lead else None

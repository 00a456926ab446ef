"""Who is on a plan's crisis team right now: pure functions of (plan, rotas, overrides, now).

A rota is resolved at activation with the callout's own resolver (`hotline.rotas.resolve.on_call_now`),
under the same overrides paging uses (config.toml's, the console's and accepted swaps: the caller
passes `hotline.rotas.models.stored_overrides`), and the result is written onto the crisis (a
snapshot): a hand-off during a crisis does not swap the legal lead half-way through.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from hotline.base.config import Config, Person
from hotline.crisis.plans import Assignee, Plan
from hotline.rotas.policy import Override, Rota
from hotline.rotas.resolve import on_call_now
from hotline.web.settings import ConsoleSettings


@dataclass(frozen=True)
class Seat:
    role: str
    person: str
    is_deputy: bool = False


def resolve(assignee: Assignee, rotas: Mapping[str, Rota], now: datetime,
            overrides: Sequence[Override] = ()) -> str | None:
    if assignee.kind == "person":
        return assignee.key
    rota = rotas.get(assignee.key)
    return on_call_now(rota, now, overrides).person if rota is not None else None


def leads(plan: Plan, rotas: Mapping[str, Rota], now: datetime, overrides: Sequence[Override] = ()) -> list[Seat]:
    """The seats of the plan's team: for each role, whoever leads it now (once per person and role)."""
    seats: list[Seat] = []
    for slot in plan.team:
        for lead in slot.leads:
            person = resolve(lead, rotas, now, overrides)
            if person and Seat(slot.role, person) not in seats:
                seats.append(Seat(slot.role, person))
    return seats


def deputy(plan: Plan, role: str, rotas: Mapping[str, Rota], now: datetime, lead: str,
           overrides: Sequence[Override] = ()) -> Seat | None:
    """The role's deputy, when the plan names one who is not the lead themselves."""
    slot = plan.slot(role)
    if slot is None or slot.deputy is None:
        return None
    person = resolve(slot.deputy, rotas, now, overrides)
    return Seat(role, person, True) if person and person != lead else None


def activators(plan: Plan, seats: Sequence[Seat]) -> frozenset[str] | None:
    """The people who may activate the plan now (`seats`: the team as `leads` resolves it), or
    None when the plan names no activators: then the channel's own rule decides, as before."""
    if plan.activators is None:
        return None
    return frozenset(plan.activators.people) | {s.person for s in seats if s.role in plan.activators.roles}


def person_for(who: str, people: Mapping[str, Person], logins: Mapping[str, str | None] | None = None) -> str | None:
    """The person an actor is. A responder acts by person key; a console user is the person their
    login names (`person` under `[console.users.X]`, given here as `logins`: login -> person key),
    else the person whose key, else whose name, is the user's name (case and surrounding spaces
    ignored); None when nobody matches."""
    linked = (logins or {}).get(who)
    if linked in people:
        return linked
    wanted = who.strip().casefold()
    for key in people:
        if key.casefold() == wanted:
            return key
    return next((key for key, person in people.items() if person.name.strip().casefold() == wanted), None)


def logins(cfg: Config) -> dict[str, str | None]:
    """Console login -> the `[people]` key it names (`person_for`'s `logins`)."""
    return {name: user.person for name, user in cfg.section(ConsoleSettings).users.items()}

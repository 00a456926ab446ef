"""The words every feature's commands share: who acted (`Actor`, through which `Channel`), what
came of it (`Outcome`), and one way to write that on the incident's timeline (`audited`).

Commands of every feature (paging's `hotline.paging.commands`, crisis, drills, events, rotas,
retention) take a session and an actor and return an `Outcome`; the channel that called them
commits, then hands `outcome.then` to `hotline.base.jobs.dispatch` (or calls `run`, which does
both). Keeping these here lets features speak the same language without importing each other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from hotline.base import audit

if TYPE_CHECKING:
    from hotline.base.jobs import Followup


class Channel(StrEnum):
    CALLER = "caller"
    RESPONDER = "responder"
    DIAL_IN = "dial-in"
    OPERATOR = "operator"
    CONSOLE = "console"
    CLI = "cli"
    API = "api"
    DRILL = "drill"
    SMS = "sms"
    APP = "app"  # the staff reporting app (hotline.reportapp)
    BROADCAST = "broadcast"  # a recipient answering a broadcast's question (by SMS, keypress or link)
    SYSTEM = "system"


@dataclass(frozen=True)
class Actor:
    who: str  # a person key, console user, operator number or "system"
    channel: Channel


SYSTEM = Actor("system", Channel.SYSTEM)


@dataclass(frozen=True)
class Outcome:
    ok: bool
    code: str  # what happened, for the channel to render in its own words
    message: str = ""  # plain English for logs, the CLI and console notices
    incident_ids: tuple[int, ...] = ()
    callout_id: int | None = None
    accepted_by: str | None = None
    accepted_by_name: str | None = None
    then: tuple[Followup, ...] = field(default=())
    subject_id: int | None = None  # the row it made or acted on when that is not an incident (a broadcast)


def audited(s: Session, kind: str, incident_id: int | None, actor: Actor, **detail: object) -> None:
    """One row on the timeline, naming who did it and through which channel."""
    audit.record(s, kind, incident_id, actor=actor.who, via=str(actor.channel), **detail)

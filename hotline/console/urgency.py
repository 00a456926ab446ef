"""The incident list in the order a crisis needs it, and what is happening to each row right now.

Bands, most urgent first: reports nobody has accepted that are being paged (or about to be),
then those whose paging a named person stopped, then accepted ones, then closed ones. Reports
nobody has accepted come most severe first, then longest waiting first (the oldest danger report
on top, not ninth); accepted and closed ones newest first. The order is SQL `CASE`s, so paging
through thousands of rows stays one indexed query plus one query for the live attempts of the rows on screen.

`Now` is plain data; the templates turn it into a sentence in the viewer's language.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import IntEnum
from typing import TypeVarTuple

from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import Session

from hotline.base.models import Incident
from hotline.base.states import ATTEMPT_LIVE, OPEN_UNACCEPTED, AttemptState, IncidentStatus
from hotline.paging.models import Attempt, Callout, callout_incidents

Columns = TypeVarTuple("Columns")

S = IncidentStatus


class Band(IntEnum):
    PAGING = 0  # open, unaccepted, being paged or due to be
    STOPPED = 1  # open, unaccepted, paging stopped by a named person
    ACCEPTED = 2
    CLOSED = 3


BAND_OF: dict[str, Band] = {
    S.NEW: Band.PAGING, S.RECORDED: Band.PAGING, S.PAGING: Band.PAGING, S.UNACKNOWLEDGED: Band.PAGING,
    S.STOPPED: Band.STOPPED, S.ACCEPTED: Band.ACCEPTED, S.CLOSED: Band.CLOSED,
}
BAND_SQL = case({status: int(band) for status, band in BAND_OF.items()}, value=Incident.status, else_=0)


@dataclass(frozen=True)
class Now:
    """Who is being called, who took it, or who stopped it: what the row says in words."""

    band: Band
    calling_key: str | None = None  # the person whose phone is ringing (or about to)
    calling: str | None = None  # their name
    round: int | None = None
    ringing_since: datetime | None = None  # None while the call is queued, not yet ringing
    call_state: str | None = None  # an AttemptState of the live call: queued, ringing, answered
    callout_state: str | None = None
    accepted_by: str | None = None  # a name
    accepted_at: datetime | None = None
    stopped_by: str | None = None
    stopped_at: datetime | None = None
    stopped_reason: str | None = None
    snoozed_until: datetime | None = None  # a stop for a set time: paging starts again by itself then
    storm: tuple[str, ...] = ()  # every report its callout pages, this one included, when more than one


@dataclass(frozen=True)
class Row:
    incident: Incident
    now: Now


# Most severe first: a caller's "danger" and a monitoring tool's "critical" alike; "unknown" (the
# caller did not say) before anything known to be mild.
SEVERITY_RANK = {"critical": 0, "danger": 0, "error": 1, "unknown": 2, "warning": 3, "normal": 3, "info": 4}
SEVERITY_SQL = case(SEVERITY_RANK, value=Incident.severity, else_=2)
_UNACCEPTED = Incident.status.in_(OPEN_UNACCEPTED)


def ordered(q: Select[*Columns]) -> Select[*Columns]:
    """`q` (a select of Incident) most urgent first."""
    return q.order_by(BAND_SQL, case((_UNACCEPTED, SEVERITY_SQL), else_=0),
                      case((_UNACCEPTED, Incident.created_at), else_=None).asc(),
                      Incident.created_at.desc(), Incident.id.desc())


def rows(s: Session, incidents: list[Incident], people_names: dict[str, str]) -> list[Row]:
    """Each incident with its `Now`, fetching the live calls of the open ones in one query."""
    open_ids = [i.id for i in incidents if BAND_OF.get(i.status, Band.PAGING) == Band.PAGING]
    live = live_attempts(s, open_ids)
    storms = shared_callouts(s, open_ids)
    return [Row(i, now_of(i, live.get(i.id), people_names, storms.get(i.id, ()))) for i in incidents]


def shared_callouts(s: Session, incident_ids: list[int]) -> dict[int, tuple[str, ...]]:
    """Per incident paged by a callout that pages others too (a storm), the references of all
    of them: accepting one accepts every one, so the confirmation must name them all."""
    if not incident_ids:
        return {}
    mine, theirs = callout_incidents.alias("mine"), callout_incidents.alias("theirs")
    q = (select(mine.c.incident_id, Incident.id, Incident.ref)
         .join(theirs, (theirs.c.callout_id == mine.c.callout_id) & theirs.c.active)
         .join(Incident, Incident.id == theirs.c.incident_id)
         .where(mine.c.incident_id.in_(incident_ids), mine.c.active)
         .order_by(mine.c.incident_id, Incident.id))
    found: dict[int, list[str]] = {}
    for incident_id, other_id, ref in s.execute(q):
        found.setdefault(incident_id, []).append(ref or str(other_id))
    return {k: tuple(v) for k, v in found.items() if len(v) > 1}


@dataclass(frozen=True)
class LiveCall:
    person_key: str
    person_name: str
    round: int
    ringing_since: datetime | None
    call_state: str | None
    callout_state: str


def live_attempts(s: Session, incident_ids: list[int]) -> dict[int, LiveCall]:
    """Per incident, the newest call its active callout has queued or ringing (or its state)."""
    if not incident_ids:
        return {}
    q = (select(callout_incidents.c.incident_id, Callout.state, Attempt)
         .join(Callout, Callout.id == callout_incidents.c.callout_id)
         .outerjoin(Attempt, (Attempt.callout_id == Callout.id) & Attempt.state.in_(ATTEMPT_LIVE))
         .where(callout_incidents.c.incident_id.in_(incident_ids), callout_incidents.c.active)
         .order_by(Attempt.id))
    found: dict[int, LiveCall] = {}
    for incident_id, state, attempt in s.execute(q):
        if attempt is None:
            found.setdefault(incident_id, LiveCall("", "", 0, None, None, state))
        else:
            found[incident_id] = LiveCall(attempt.person_key, attempt.person_name, attempt.round,
                                          attempt.ring_started_at if attempt.state != AttemptState.QUEUED else None,
                                          attempt.state, state)
    return found


def now_of(i: Incident, live: LiveCall | None, people_names: dict[str, str],
           storm: tuple[str, ...] = ()) -> Now:
    band = BAND_OF.get(i.status, Band.PAGING)
    if band == Band.PAGING:
        if live is None:
            return Now(band, storm=storm)
        return Now(band, live.person_key or None, live.person_name or None, live.round or None,
                   live.ringing_since, live.call_state, live.callout_state, storm=storm)
    if band == Band.STOPPED:
        return Now(band, stopped_by=i.paging_stopped_by, stopped_at=i.paging_stopped_at,
                   stopped_reason=i.paging_stopped_reason, snoozed_until=i.page_due_at)
    accepted = people_names.get(i.accepted_by or "", i.accepted_by) if i.accepted_by else None
    return Now(band, accepted_by=accepted, accepted_at=i.accepted_at)


@dataclass(frozen=True)
class Group:
    """Rows the list shows together: a storm's reports (one callout pages them all), or one row."""

    storm: tuple[str, ...]  # every report the callout pages; () for a row of its own
    rows: list[Row]

    @property
    def ids(self) -> list[int]:
        return [r.incident.id for r in self.rows]

    @property
    def refs(self) -> list[str]:
        return [r.incident.ref or str(r.incident.id) for r in self.rows]


def grouped(rows: list[Row]) -> list[Group]:
    """The rows in their order, a storm's reports gathered where its most urgent one stands, so
    the list shows one storm as one group naming every report in it."""
    groups: list[Group] = []
    storms: dict[tuple[str, ...], Group] = {}
    for r in rows:
        if not r.now.storm:
            groups.append(Group((), [r]))
        elif r.now.storm in storms:
            storms[r.now.storm].rows.append(r)
        else:
            storms[r.now.storm] = Group(r.now.storm, [r])
            groups.append(storms[r.now.storm])
    return groups


def unaccepted_count(s: Session) -> int:
    """How many reports wait for someone to accept them: the number in the page title."""
    return s.scalar(select(func.count(Incident.id)).where(Incident.status.in_(OPEN_UNACCEPTED))) or 0


__all__ = ["Band", "Group", "Now", "Row", "grouped", "ordered", "rows", "now_of", "live_attempts", "shared_callouts",
           "unaccepted_count"]

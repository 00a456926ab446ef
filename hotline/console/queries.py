"""Read-only views of the database shaped for the console's templates.

Kept apart from the blueprints so the list page and its live refresh render the same rows, and
so the lead can reuse these for an API without Flask in the way.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, TypedDict, cast

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from hotline.base.models import AuditEvent, Call, Incident, Recording, Transcript, utcnow
from hotline.base.states import CALLOUT_ACTIVE, INCIDENT_STATUSES, OPEN_UNACCEPTED, IncidentStatus
from hotline.console import urgency
from hotline.paging import search
from hotline.paging.callout.store import callout_for_incident
from hotline.paging.models import callout_incidents
from hotline.web.i18n import N_, gettext

LIST_LIMIT = 200
EXPORT_LIMIT = 100_000


@dataclass(frozen=True)
class Filters:
    """What the list shows, all of it in the URL so a view can be bookmarked, shared or exported."""

    status: str = ""
    type_key: str = ""
    drill: str = ""  # "" all | "yes" drills only | "no" real only
    q: str = ""  # search words
    page: int = 1
    site: str = ""  # a site code of [sites]: the IVR's site menu, or the site an app report was nearest to
    mine: str = ""  # "my incidents": the viewer's [people] key (the URL says mine=1), accepted by them

    @classmethod
    def from_args(cls, args: Any, me: str | None = None) -> Filters:
        """`me`: the viewer's person; "mine=1" from a login linked to nobody filters nothing."""
        status = args.get("status", "")
        drill = args.get("drill", "")
        try:
            page = max(1, min(int(args.get("page", "1")), 100_000))
        except ValueError:
            page = 1
        site = args.get("site", "")
        return cls(status if status in INCIDENT_STATUSES else "", args.get("type", "")[:40],
                   drill if drill in ("yes", "no") else "", " ".join(args.get("q", "").split())[:200], page,
                   site if site.isdigit() and len(site) <= 6 else "",
                   me if me and args.get("mine") == "1" else "")

    def query(self, **changes: Any) -> FilterArgs:
        """URL arguments of this view (with `changes`), leaving out defaults."""
        f = replace(self, **changes)
        pairs = (("status", f.status), ("type", f.type_key), ("drill", f.drill), ("q", f.q), ("site", f.site),
                 ("page", str(f.page) if f.page > 1 else ""), ("mine", "1" if f.mine else ""))
        return cast(FilterArgs, {k: v for k, v in pairs if v})  # the keys above, the empty ones left out


class FilterArgs(TypedDict, total=False):
    """A list view's URL arguments (`Filters.query`)."""

    status: str
    type: str
    drill: str
    q: str
    site: str
    page: str
    mine: str


def _selected(s: Session, f: Filters) -> Select[Incident]:
    q = select(Incident)
    if f.status:
        q = q.where(Incident.status == f.status)
    if f.type_key:
        q = q.where(Incident.type_key == f.type_key)
    if f.site:
        q = q.where(Incident.site == f.site)
    # Drill incidents never count among live incidents unless the drill filter asks for them.
    q = q.where(Incident.drill.is_(f.drill == "yes"))
    if f.q:
        q = q.where(search.matches(s, f.q))
    if f.mine:
        q = q.where(Incident.accepted_by == f.mine)
    return q


def incidents(s: Session, f: Filters, people_names: dict[str, str]) -> tuple[list[urgency.Row], int]:
    """One page of the list, most urgent first, and how many incidents match in all."""
    q = _selected(s, f)
    total = s.scalar(select(func.count()).select_from(q.order_by(None).subquery())) or 0
    ranked = q.order_by(search.rank(f.q)) if f.q else q
    found = list(s.scalars(urgency.ordered(ranked).limit(LIST_LIMIT).offset((f.page - 1) * LIST_LIMIT)))
    return urgency.rows(s, found, people_names), total


def every_incident(s: Session, f: Filters, people_names: dict[str, str], limit: int = EXPORT_LIMIT
                   ) -> Iterator[urgency.Row]:
    """Every incident of the view (not one page), most urgent first, in chunks: for the export."""
    q = _selected(s, f).with_only_columns(Incident.id)
    ids = list(s.scalars(urgency.ordered(q.order_by(search.rank(f.q)) if f.q else q).limit(limit)))
    for start in range(0, len(ids), 500):
        part = ids[start:start + 500]
        found = {i.id: i for i in s.scalars(select(Incident).where(Incident.id.in_(part)))}
        yield from urgency.rows(s, [found[i] for i in part if i in found], people_names)
        s.expunge_all()  # a long export holds only one chunk in memory


def abandoned_calls(s: Session, limit: int = 50) -> list[Call]:
    """Callers who hung up before choosing a type: someone should ring them back."""
    q = (select(Call).where(Call.abandoned.is_(True), Call.callback_state.is_(None))
         .order_by(Call.created_at.desc()).limit(limit))
    return list(s.scalars(q))


AGE_UNITS = ((N_("%(n)s d"), 86400), (N_("%(n)s h"), 3600), (N_("%(n)s min"), 60))


def age(moment: datetime | None, now: datetime | None = None) -> str:
    """How long ago, in the largest whole unit: "3 min", "3 分鐘"."""
    if moment is None:
        return ""
    seconds = int(((now or utcnow()) - moment).total_seconds())
    for unit, size in AGE_UNITS:
        if seconds >= size:
            return gettext(unit, n=seconds // size)
    return gettext("%(n)s s", n=max(seconds, 0))


@dataclass(frozen=True)
class RecordingView:
    recording: Recording
    transcript: Transcript | None


def recordings(s: Session, incident_id: int) -> list[RecordingView]:
    recs = list(s.scalars(select(Recording).where(Recording.incident_id == incident_id).order_by(Recording.id)))
    by_rec = {t.recording_id: t for t in s.scalars(select(Transcript).where(
        Transcript.recording_id.in_([r.id for r in recs])))} if recs else {}
    return [RecordingView(r, by_rec.get(r.id)) for r in recs]


def audit_events(s: Session, incident_id: int, newest: int | None = None) -> list[AuditEvent]:
    """The incident's timeline in the order things happened (only its `newest` lines, if given).
    By time, then id: two transactions (a webhook and a worker) stamp their rows before either
    commits, so ids alone can put a later line before an earlier one."""
    q = select(AuditEvent).where(AuditEvent.incident_id == incident_id)
    if newest is None:
        return list(s.scalars(q.order_by(AuditEvent.at, AuditEvent.id)))
    return list(reversed(s.scalars(q.order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(newest)).all()))


def audit_count(s: Session, incident_id: int) -> int:
    return s.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.incident_id == incident_id)) or 0


@dataclass(frozen=True)
class AttemptRow:
    id: int
    person: str
    person_key: str
    phone: str
    round: int
    step: int
    started: datetime | None
    ring_seconds: float | None
    outcome: str
    state: str


@dataclass(frozen=True)
class CalloutView:
    id: int
    state: str
    accepted_by: str | None
    attempts: list[AttemptRow]
    incidents: tuple[tuple[int, str], ...] = ()  # (id, reference) of every report it pages or paged

    def others(self, incident_id: int) -> list[tuple[int, str]]:
        """The other reports of a storm sharing this callout."""
        return [(i, ref) for i, ref in self.incidents if i != incident_id]

    @property
    def active(self) -> bool:
        return self.state in CALLOUT_ACTIVE


def callout(s: Session, incident_id: int) -> CalloutView | None:
    """The callout covering the incident with every attempt; None before one is opened."""
    found = callout_for_incident(s, incident_id)
    if found is None:
        return None
    rows = []
    for a in found.attempts:
        started = a.ring_started_at or a.created_at
        rang_until = a.answered_at or a.ended_at
        ring = (rang_until - a.ring_started_at).total_seconds() if rang_until and a.ring_started_at else None
        rows.append(AttemptRow(a.id, a.person_name, a.person_key, a.phone, a.round, a.step, started, ring,
                               a.outcome or "", a.state))
    # Every report it pages or paged, but not one split off or merged away to another callout since.
    elsewhere = select(callout_incidents.c.incident_id).where(callout_incidents.c.active,
                                                              callout_incidents.c.callout_id != found.id)
    linked = s.execute(select(Incident.id, Incident.ref).join(
        callout_incidents, callout_incidents.c.incident_id == Incident.id)
        .where(callout_incidents.c.callout_id == found.id,
               callout_incidents.c.active | Incident.id.not_in(elsewhere)).order_by(Incident.id))
    return CalloutView(found.id, found.state, found.accepted_by_name or found.accepted_by, rows,
                       tuple((i, ref or str(i)) for i, ref in linked))


def merged_into(s: Session, incident_id: int) -> list[Incident]:
    """The reports merged into this incident (its "incident_merged_in" lines): their recordings
    and transcripts are shown on its page."""
    ids = [e.detail.get("from_id") for e in s.scalars(select(AuditEvent).where(
        AuditEvent.incident_id == incident_id, AuditEvent.kind == "incident_merged_in").order_by(AuditEvent.id))]
    wanted = [int(i) for i in dict.fromkeys(ids) if isinstance(i, int)]
    return list(s.scalars(select(Incident).where(Incident.id.in_(wanted)).order_by(Incident.id))) if wanted else []


def merge_targets(s: Session, incident: Incident, limit: int = 50) -> list[Incident]:
    """What a report nobody has accepted could be merged into: the other open incidents, newest first."""
    if incident.status not in OPEN_UNACCEPTED:
        return []
    return list(s.scalars(select(Incident).where(Incident.id != incident.id, Incident.status != IncidentStatus.CLOSED,
                                                 Incident.drill == incident.drill)
                          .order_by(Incident.id.desc()).limit(limit)))

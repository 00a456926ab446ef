"""The reporting app's commands. The rules, written once:

1. A device is enrolled only through a link an admin issued for a person of `[people]`: the
   link works once, until it expires; the phone that opens it gets a device token, shown once
   and stored here only as its digest. Issuing, enrolling and revoking each write an audit row
   (the device machine's moves, `hotline.reportapp.models.DEVICE`).
2. A revoked device's token is refused (401); so is an unknown one. Nothing says which.
3. A report is one incident, however many times the phone sends it: the row (device, the
   phone's report id) is claimed first, by an insert that does nothing when it exists (a unique
   constraint), and the incident is filed through paging's report command in the same
   transaction. A retry finds the row and answers with the same reference.
4. First law: a report that reaches us is an incident, paged at once like a caller who hung up.
   Its location, note and photo are extras; a bad location is dropped, not a reason to refuse.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from hotline.base.lifecycle import Actor, Channel, Outcome, audited
from hotline.base.models import Incident, utcnow
from hotline.paging import commands as paging
from hotline.reportapp.auth import digest, new_token
from hotline.reportapp.models import DEVICE, AppDevice, AppReport, DeviceState
from hotline.reportapp.places import Location, nearest_site
from hotline.reportapp.settings import AppSettings

CLIENT_ID_MAX = 40
NOTE_MAX = 2000


@dataclass(frozen=True)
class Report:
    """One report as the phone sent it (already read and bounded by the API)."""

    client_id: str
    type_key: str
    language: str
    note: str
    made_at: datetime
    location: Location | None
    photo: bytes | None = None
    photo_type: str | None = None


# --- Devices --------------------------------------------------------------------------------

def issue_link(s: Session, person: str, language: str, actor: Actor, settings: AppSettings,
               now: datetime | None = None) -> tuple[Outcome, str | None]:
    """A new pending device for `person`, and its enrolment link's token (shown once)."""
    now = now or utcnow()
    token = new_token()
    device = AppDevice(person=person, state=DeviceState.PENDING, link_hash=digest(token), language=language,
                       link_expires_at=now + timedelta(hours=settings.enrol_link_hours), issued_by=actor.who,
                       created_at=now)
    s.add(device)
    s.flush()
    audited(s, "app_device_issued", None, actor, device_id=device.id, person=person)  # where the row begins
    return Outcome(True, "issued", f"enrolment link issued for {person}", subject_id=device.id), token


def enrol(s: Session, link_token: str, user_agent: str, now: datetime | None = None) -> tuple[Outcome, str | None]:
    """The phone opened its link: a device token, once (a second opening, an expired or revoked
    link: refused)."""
    now = now or utcnow()
    device = s.scalar(select(AppDevice).where(AppDevice.link_hash == digest(link_token)))
    if device is None or device.state != DeviceState.PENDING:
        return Outcome(False, "link_used"), None
    if device.link_expires_at < now:
        return Outcome(False, "link_expired", subject_id=device.id), None
    token = new_token()
    moved = DEVICE.move(s, device.id, DeviceState.ENROLLED, now=now, actor=device.person,
                        only_from=(DeviceState.PENDING,),
                        values={"token_hash": digest(token), "enrolled_at": now, "user_agent": user_agent[:200]})
    if not moved:
        return Outcome(False, "link_used", subject_id=device.id), None
    return Outcome(True, "enrolled", subject_id=device.id), token


def revoke(s: Session, device_id: int, actor: Actor, now: datetime | None = None) -> Outcome:
    now = now or utcnow()
    moved = DEVICE.move(s, device_id, DeviceState.REVOKED, now=now, actor=actor.who,
                        values={"revoked_at": now, "revoked_by": actor.who}, via=str(actor.channel))
    if not moved:
        return Outcome(False, "not_revocable", subject_id=device_id)
    return Outcome(True, "revoked", subject_id=device_id)


def device_for(s: Session, token: str, now: datetime | None = None) -> AppDevice | None:
    """The enrolled device holding `token` (rule 2), its last contact noted."""
    device = s.scalar(select(AppDevice).where(AppDevice.token_hash == digest(token)))
    if device is None or device.state != DeviceState.ENROLLED:
        return None
    device.last_seen_at = now or utcnow()
    return device


# --- Reports --------------------------------------------------------------------------------

def file_report(s: Session, device_id: int, person: str, phone: str | None, report: Report,
                settings: AppSettings, now: datetime | None = None) -> Outcome:
    """Rule 3 and 4: the incident for this (device, report id), made now or found again."""
    now = now or utcnow()
    spot = report.location
    near = nearest_site(spot.lat, spot.lon, settings.site_locations) if spot else None
    claimed = s.execute(_claim(s), {
        "device_id": device_id, "client_id": report.client_id, "type_key": report.type_key,
        "note": report.note or None, "made_at": report.made_at, "received_at": now,
        "lat": spot.lat if spot else None, "lon": spot.lon if spot else None,
        "accuracy_m": spot.accuracy_m if spot else None, "located_at": spot.at if spot else None,
        "nearest_site": near[0] if near else None, "nearest_km": near[1] if near else None,
        "photo": report.photo, "photo_type": report.photo_type}).first()
    if claimed is None:
        incident_id = s.scalar(select(AppReport.incident_id).where(AppReport.device_id == device_id,
                                                                   AppReport.client_id == report.client_id))
        return Outcome(True, "already_reported", incident_ids=(incident_id,) if incident_id else ())
    actor = Actor(person, Channel.APP)
    out = paging.report(s, call_sid=f"app:{device_id}:{report.client_id}", type_key=report.type_key,
                        lang=report.language, caller=phone, actor=actor, record_max_seconds=0, now=now, source="app")
    incident_id = out.incident_ids[0]
    s.execute(AppReport.__table__.update().where(AppReport.__table__.c.id == claimed.id)
              .values(incident_id=incident_id))
    if near is not None:
        paging.set_details(s, incident_id, {"site": near[0]}, actor)
    paging.add_note(s, incident_id, actor, _note(report))
    due = paging.caller_done(s, incident_id, now)  # nobody is still recording: page now
    return Outcome(True, "reported", incident_ids=(incident_id,), then=(*out.then, *due.then))


def reference(s: Session, incident_id: int) -> str:
    return s.scalar(select(Incident.ref).where(Incident.id == incident_id)) or str(incident_id)


def _claim(s: Session) -> Any:
    """INSERT ... ON CONFLICT (device_id, client_id) DO NOTHING RETURNING id."""
    table = AppReport.__table__
    insert = postgresql.insert if s.get_bind().dialect.name == "postgresql" else sqlite.insert
    return insert(table).on_conflict_do_nothing(index_elements=["device_id", "client_id"]).returning(table.c.id)


def _note(report: Report) -> str:
    extras = [report.note.strip()] if report.note.strip() else []
    if report.photo:
        extras.append("(photo attached)")
    made = f" (made {report.made_at:%Y-%m-%d %H:%M:%S} UTC)"  # it may have waited on the phone, offline
    return f"Reported with the app{made}" + (": " + " ".join(extras) if extras else "")

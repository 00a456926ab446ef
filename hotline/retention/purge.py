"""Retention: callers' recordings and transcripts are deleted a set time after their incident is
closed (`[retention]` in config.toml; `hotline.retention.settings`).

Rules:
1. Only closed incidents, counted from `closed_at`; a reopened incident is open again and kept.
2. Never an incident on legal hold (`hotline.retention.legal_hold`).
3. What goes: the audio file of each recording, and each transcript's text and words; with the
   recordings, what reporters sent another way (a text's photos, an app report's photo and voice
   memo: each feature's `KeptMedia` in the registry). What stays: the rows, with their checksum,
   size and duration, marked `purged`, and the whole audit timeline, so the record shows a
   recording existed and when it was deleted, by which rule.
4. One audit row per purge of an incident (kind `retention_purged`), in the same transaction as
   the rows. The file is deleted first: if the commit then fails, the next pass finds the row
   still `stored`, its file already gone, and finishes the job.
5. Runs once a day across all nodes: the convergence cycle (which holds its lease) calls
   `run_daily`, and a `leases` row named `retention` says when the day's pass is next due.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, cast

from sqlalchemy import CursorResult, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hotline.base.lifecycle import SYSTEM, audited
from hotline.base.machines import RECORDING, TRANSCRIPT
from hotline.base.models import Incident, Lease, Recording, Transcript
from hotline.base.registry import registry
from hotline.base.runtime import get_runtime
from hotline.base.states import IncidentStatus, RecordingStatus, TranscriptStatus
from hotline.retention.settings import RetentionSettings, describe

log = logging.getLogger("hotline.retention")
DAILY = "retention"
PERIOD = timedelta(days=1)
BATCH = 200  # incidents per pass; a full batch leaves the day open so the next pass goes on


@dataclass
class PurgeReport:
    incidents: list[int] = field(default_factory=list)
    recordings: list[int] = field(default_factory=list)
    transcripts: list[int] = field(default_factory=list)
    more: bool = False  # the batch was full: more is due


def due_incidents(s: Session, settings: RetentionSettings, now: datetime, limit: int = BATCH) -> list[int]:
    """Closed, not held, and with something the policy says must go by `now`."""
    wanted = []
    if settings.recordings is not None:
        kept = or_(Incident.recordings.any(Recording.status == RecordingStatus.STORED),
                   *(media.held(Incident.id) for media in registry().media))
        wanted.append(kept & (Incident.closed_at <= now - settings.recordings))
    if settings.transcripts is not None:
        has_text = select(Transcript.id).join(Recording, Recording.id == Transcript.recording_id).where(
            Recording.incident_id == Incident.id, Transcript.status != TranscriptStatus.PURGED).exists()
        wanted.append(has_text & (Incident.closed_at <= now - settings.transcripts))
    if not wanted:
        return []
    clause = wanted[0] if len(wanted) == 1 else wanted[0] | wanted[1]
    return list(s.scalars(select(Incident.id).where(
        Incident.status == IncidentStatus.CLOSED, Incident.closed_at.is_not(None), Incident.legal_hold_by.is_(None),
        clause).order_by(Incident.closed_at).limit(limit)))


def purge_incident(s: Session, incident_id: int, settings: RetentionSettings, now: datetime,
                   report: PurgeReport) -> None:
    """Purge what is due of one incident, re-checking its state under a row lock."""
    incident = s.get(Incident, incident_id, with_for_update=True)
    if (incident is None or incident.status != IncidentStatus.CLOSED or incident.closed_at is None
            or incident.legal_hold_by):
        return
    closed_for = now - incident.closed_at
    recordings = list(s.scalars(select(Recording).where(Recording.incident_id == incident_id)))
    gone_audio, gone_text, gone_media = [], [], 0
    if settings.recordings is not None and closed_for >= settings.recordings:
        for rec in recordings:
            if rec.status != RecordingStatus.STORED:
                continue
            if rec.path:
                Path(rec.path).unlink(missing_ok=True)
            if RECORDING.move(s, rec.id, RecordingStatus.PURGED, values={"path": None}):
                gone_audio.append(rec.id)
        gone_media = sum(media.purge(s, incident_id) for media in registry().media)
    if settings.transcripts is not None and closed_for >= settings.transcripts and recordings:
        for tr in s.scalars(select(Transcript).where(Transcript.recording_id.in_([r.id for r in recordings]),
                                                     Transcript.status != TranscriptStatus.PURGED)):
            if TRANSCRIPT.move(s, tr.id, TranscriptStatus.PURGED, values={"text": "", "words": []}):
                gone_text.append(tr.id)
    if not gone_audio and not gone_text and not gone_media:
        return
    audited(s, "retention_purged", incident_id, SYSTEM, recordings=gone_audio, transcripts=gone_text, media=gone_media,
           closed_at=incident.closed_at.isoformat(), recordings_kept=describe(settings.recordings),
           transcripts_kept=describe(settings.transcripts))
    report.incidents.append(incident_id)
    report.recordings.extend(gone_audio)
    report.transcripts.extend(gone_text)


def purge(settings: RetentionSettings, now: datetime, limit: int = BATCH) -> PurgeReport:
    """One pass: each incident in its own transaction, so one failure leaves the others done."""
    db, report = get_runtime().db, PurgeReport()
    with db.session() as s:
        due = due_incidents(s, settings, now, limit)
    report.more = len(due) >= limit
    for incident_id in due:
        try:
            with db.session() as s:
                purge_incident(s, incident_id, settings, now, report)
        except Exception:  # noqa: BLE001 - the next pass tries this one again; the others go on
            log.exception("retention: purging incident %s failed", incident_id)
    return report


def claim_day(s: Session, now: datetime) -> bool:
    """True once per PERIOD across every node: moves the `retention` row's due time a day on.
    Reads first, so the passes of the day that are not due write nothing (SQLite has one writer)."""
    due = s.scalar(select(Lease.expires_at).where(Lease.name == DAILY))
    if due is not None:
        if due > now:
            return False
        return bool(cast(CursorResult[Any], s.execute(update(Lease).where(Lease.name == DAILY, Lease.expires_at <= now)
                                                  .values(holder="retention", expires_at=now + PERIOD))).rowcount)
    try:
        with s.begin_nested():
            s.add(Lease(name=DAILY, holder="retention", expires_at=now + PERIOD))
    except IntegrityError:  # another node made the row first: its pass is today's
        return False
    return True


def run_daily(now: datetime) -> PurgeReport | None:
    """Called by every convergence pass; purges at most once a day. None when not due."""
    settings: RetentionSettings | None = get_runtime().config.section(RetentionSettings)
    if settings is None or not settings.active:
        return None
    db = get_runtime().db
    with db.session() as s:
        if not claim_day(s, now):
            return None
    report = purge(settings, now)
    if report.more:  # not finished: the next pass goes on rather than tomorrow
        with db.session() as s:
            s.execute(update(Lease).where(Lease.name == DAILY).values(expires_at=now))
    if report.incidents:
        log.info("retention: purged %d recording(s) and %d transcript(s) of %d incident(s)",
                 len(report.recordings), len(report.transcripts), len(report.incidents))
    return report

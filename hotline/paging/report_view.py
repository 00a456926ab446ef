"""What a responder hears and sees of a report, read one way for every channel: the callout's
briefing, a staff member who dials in, and the console.

Nothing here waits: a recording not yet stored, or a transcript not yet made, is simply
reported as such, with the reason when it failed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.base.models import Incident, Recording, Transcript
from hotline.base.states import RecordingStatus, TranscriptStatus
from hotline.drills import gate as drills


@dataclass(frozen=True)
class RecordingView:
    id: int
    status: str  # a RecordingStatus
    path: str | None
    error: str | None
    transcript_status: str | None  # a TranscriptStatus, or None before transcription
    transcript: str | None  # the text, only when the transcript is done and not blank

    @property
    def playable(self) -> bool:
        return self.status == RecordingStatus.STORED and bool(self.path)


@dataclass(frozen=True)
class ReportView:
    incident_id: int
    ref: str
    type_key: str
    severity: str
    created_at: datetime
    caller: str | None
    callback_number: str | None  # what to ring back: the number given, else caller ID
    language: str
    recordings: tuple[RecordingView, ...]
    scripted: str | None = None  # a drill's report: the scenario's words, as if transcribed

    @property
    def transcript(self) -> str | None:
        """The newest transcript text there is (for a drill's report, its script when none)."""
        return next((r.transcript for r in reversed(self.recordings) if r.transcript), None) or self.scripted

    @property
    def fetch_failed(self) -> bool:
        """Every recording of the report failed to download: say so rather than "not ready"."""
        return bool(self.recordings) and all(r.status == RecordingStatus.FAILED for r in self.recordings)


def report_views(s: Session, incident_ids: Sequence[int], kinds: Sequence[str] = ("report",)) -> list[ReportView]:
    """The reports in the order given, with their recordings (oldest first) and transcripts."""
    if not incident_ids:
        return []
    incidents = {i.id: i for i in s.scalars(select(Incident).where(Incident.id.in_(incident_ids)))}
    recs = list(s.scalars(select(Recording).where(Recording.incident_id.in_(incident_ids), Recording.kind.in_(kinds))
                          .order_by(Recording.id)))
    transcripts = {t.recording_id: t for t in s.scalars(
        select(Transcript).where(Transcript.recording_id.in_([r.id for r in recs])))} if recs else {}
    by_incident: dict[int, list[RecordingView]] = {}
    for r in recs:
        t = transcripts.get(r.id)
        text = t.text.strip() if t is not None and t.status == TranscriptStatus.DONE and t.text else None
        by_incident.setdefault(r.incident_id or 0, []).append(
            RecordingView(r.id, r.status, r.path, r.error, t.status if t else None, text or None))
    scripts = _drill_scripts(s, [i for i in incidents.values() if i.drill_id is not None])
    return [_view(incidents[i], by_incident.get(i, []), scripts.get(i)) for i in incident_ids if i in incidents]


def _drill_scripts(s: Session, drill_incidents: Sequence[Incident]) -> dict[int, str]:
    """What each drill report "said": written in the drill's timeline when the report was made."""
    return drills.scripted_reports(s, {i.drill_id for i in drill_incidents if i.drill_id is not None})


def report_view(s: Session, incident_id: int) -> ReportView | None:
    found = report_views(s, [incident_id])
    return found[0] if found else None


def _view(i: Incident, recordings: list[RecordingView], scripted: str | None = None) -> ReportView:
    return ReportView(i.id, i.ref or str(i.id), i.type_key, i.severity, i.created_at, i.caller,
                      i.callback_number or i.caller, i.language, tuple(recordings), scripted)

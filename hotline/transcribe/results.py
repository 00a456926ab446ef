"""Transcript rows: written once per recording (idempotently). Every channel reads them through
`hotline.paging.report_view`, which never waits for transcription.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.base.audit import record
from hotline.base.models import Recording, Transcript, utcnow
from hotline.base.states import TranscriptStatus
from hotline.transcribe.engine import Outcome

FINAL = TranscriptStatus.FINAL  # a transcript in these states is never redone by a duplicate job


def existing(session: Session, recording_id: int) -> Transcript | None:
    return session.scalars(select(Transcript).where(Transcript.recording_id == recording_id)).first()


def save_outcome(session: Session, recording: Recording, outcome: Outcome) -> Transcript:
    """Insert or overwrite the recording's one transcript row and add the audit event."""
    row = existing(session, recording.id)
    if row is None:
        row = Transcript(recording_id=recording.id, status=outcome.status)
        session.add(row)
    row.status = outcome.status
    row.text = outcome.text
    row.words = list(outcome.words)
    row.model = outcome.model
    row.language = outcome.language
    row.audio_seconds = outcome.audio_seconds
    row.decode_seconds = outcome.decode_seconds
    row.rtf = outcome.rtf
    row.reason = outcome.reason
    row.created_at = utcnow()
    record(session, "transcribed", recording.incident_id, actor="transcribe", recording_id=recording.id,
           status=outcome.status, language=outcome.language, model=outcome.model,
           audio_seconds=outcome.audio_seconds, rtf=outcome.rtf, reason=outcome.reason)
    return row

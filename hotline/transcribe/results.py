"""Transcript rows: one per recording, written once and redone only from a state that allows it
(`hotline.base.machines.TRANSCRIPT`), idempotently. Every channel reads them through
`hotline.paging.report_view`, which never waits for transcription.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.base.audit import record
from hotline.base.machines import TRANSCRIPT
from hotline.base.models import Recording, Transcript, utcnow
from hotline.base.states import TRANSCRIPT_FINAL
from hotline.transcribe.engine import Outcome

FINAL = TRANSCRIPT_FINAL  # a transcript in these states is never redone by a duplicate job


def existing(session: Session, recording_id: int) -> Transcript | None:
    return session.scalars(select(Transcript).where(Transcript.recording_id == recording_id)).first()


def save_outcome(session: Session, recording: Recording, outcome: Outcome) -> Transcript:
    """Insert the recording's one transcript row, or redo it where its state allows, with the
    audit event; a final transcript is left as it is."""
    values = {"text": outcome.text, "words": list(outcome.words), "model": outcome.model,
              "language": outcome.language, "audio_seconds": outcome.audio_seconds,
              "decode_seconds": outcome.decode_seconds, "rtf": outcome.rtf, "reason": outcome.reason,
              "created_at": utcnow()}
    row = existing(session, recording.id)
    if row is None:
        row = Transcript(recording_id=recording.id, status=outcome.status, **values)
        session.add(row)
    elif not TRANSCRIPT.move(session, row.id, outcome.status, values=values):
        return row  # final already (a duplicate job): never redone
    record(session, "transcribed", recording.incident_id, actor="transcribe", recording_id=recording.id,
           status=outcome.status, language=outcome.language, model=outcome.model,
           audio_seconds=outcome.audio_seconds, rtf=outcome.rtf, reason=outcome.reason)
    return row

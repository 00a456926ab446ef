"""The machines of the rows every feature shares: a caller's recordings and their transcripts.

Paging fetches recordings, transcription writes transcripts, retention purges both; each moves
them only through these (`hotline.base.state_machine`), so a purge racing a late fetch cannot
bring deleted audio back, and a duplicate transcription job cannot redo a finished transcript.
"""

from __future__ import annotations

from hotline.base.models import Recording, Transcript
from hotline.base.state_machine import Machine
from hotline.base.states import RecordingStatus, TranscriptStatus

R, T = RecordingStatus, TranscriptStatus

RECORDING = Machine("recording", Recording, {
    R.PENDING: (R.STORED, R.FAILED),
    R.FAILED: (R.STORED, R.FAILED),  # fetched later after all; or failed again, with the new reason
    R.STORED: (R.PURGED,),
    R.PURGED: (),
}, column="status")

_REDONE = (T.DONE, T.EMPTY, T.FAILED, T.SKIPPED, T.PURGED)
TRANSCRIPT = Machine("transcript", Transcript, {
    T.FAILED: _REDONE,  # transcribed again (a later job, a model installed since)
    T.SKIPPED: _REDONE,
    T.DONE: (T.PURGED,),  # final: never redone
    T.EMPTY: (T.PURGED,),
    T.PURGED: (),
}, column="status")

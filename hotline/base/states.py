"""Every named state of the system, one enum each. No status is written as a bare string elsewhere.

`StrEnum` members are strings, so they go into the database and JSON as their values and
compare equal to them; the legal moves between them live with the code that makes them
(`hotline.paging.commands` for incidents, `hotline.paging.callout.states` for callouts and attempts).
The groups of states (`OPEN_UNACCEPTED`, `CALLOUT_ACTIVE`, ...) are module constants beside their enum.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final


class IncidentStatus(StrEnum):
    """What the dashboard filters by: where the incident is in its life."""

    NEW = "new"  # reported; paging is due (see Incident.page_due_at) but has not begun
    RECORDED = "recorded"  # as NEW, and the caller's recording is stored
    PAGING = "paging"  # a callout is ringing people for it
    UNACKNOWLEDGED = "unacknowledged"  # every round went unanswered; the callout keeps repeating
    STOPPED = "stopped"  # a named person stopped paging for it, with a reason; "page again" resumes
    ACCEPTED = "accepted"  # one person took it
    CLOSED = "closed"  # resolved or closed; only "reopen" brings it back


# Groups of states: module constants beside their enum (a type checker follows these).
INCIDENT_STATUSES: Final[tuple[IncidentStatus, ...]] = tuple(IncidentStatus)
# The first law applies to these: each is being paged or was stopped by a named person.
OPEN_UNACCEPTED: Final[tuple[IncidentStatus, ...]] = (
    IncidentStatus.NEW, IncidentStatus.RECORDED, IncidentStatus.PAGING, IncidentStatus.UNACKNOWLEDGED,
    IncidentStatus.STOPPED)
NEEDS_PAGING: Final[tuple[IncidentStatus, ...]] = (
    IncidentStatus.NEW, IncidentStatus.RECORDED, IncidentStatus.PAGING, IncidentStatus.UNACKNOWLEDGED)


class CallbackState(StrEnum):
    """How an abandoned call (hung up before choosing a type) was followed up."""

    CALLED_BACK = "called_back"  # someone rang the caller back
    DISMISSED = "dismissed"  # not worth a call back (a wrong number, a test), with a reason


class RecordingStatus(StrEnum):
    PENDING = "pending"  # Twilio has it; we have not stored it yet
    STORED = "stored"  # in recordings/, with its checksum
    FAILED = "failed"  # every fetch failed; `error` says why (the console shows it)
    PURGED = "purged"  # the audio was deleted by the retention policy; the row (and checksum) stays


# Never fetched again: the audio is ours, or retention deleted it on purpose.
RECORDING_SETTLED: Final[tuple[RecordingStatus, ...]] = (RecordingStatus.STORED, RecordingStatus.PURGED)


class TranscriptStatus(StrEnum):
    DONE = "done"
    EMPTY = "empty"  # the model heard no words
    FAILED = "failed"
    SKIPPED = "skipped"  # no model for the caller's language
    PURGED = "purged"  # the text was deleted by the retention policy


# Never redone.
TRANSCRIPT_FINAL: Final[tuple[TranscriptStatus, ...]] = (
    TranscriptStatus.DONE, TranscriptStatus.EMPTY, TranscriptStatus.PURGED)


class CalloutState(StrEnum):
    PENDING = "pending"
    DIALING = "dialing"
    UNACKNOWLEDGED = "unacknowledged"  # every round and the fallback went unanswered; still repeating
    ACCEPTED = "accepted"
    CANCELLED = "cancelled"  # no incident needs it any more (closed, stopped, or taken elsewhere)


CALLOUT_ACTIVE: Final[tuple[CalloutState, ...]] = (
    CalloutState.PENDING, CalloutState.DIALING, CalloutState.UNACKNOWLEDGED)
CALLOUT_TERMINAL: Final[tuple[CalloutState, ...]] = (CalloutState.ACCEPTED, CalloutState.CANCELLED)


class AttemptState(StrEnum):
    QUEUED = "queued"  # not placed yet, or Twilio refused for a passing reason and it is retried
    RINGING = "ringing"
    ANSWERED = "answered"
    # Verdicts of an answered call; the call then goes on to COMPLETED.
    ACCEPTED = "accepted"
    DECLINED = "declined"  # pressed the "pass" key
    NO_KEY = "no_key"  # answered, hung up without pressing a key
    MACHINE = "machine"  # voicemail or fax picked up
    TOO_LATE = "too_late"  # pressed 1 after someone else accepted
    # Ends of the call.
    COMPLETED = "completed"
    NO_ANSWER = "no_answer"
    BUSY = "busy"
    FAILED = "failed"
    CANCELED = "canceled"


_A = AttemptState
ATTEMPT_LIVE: Final[tuple[AttemptState, ...]] = (_A.QUEUED, _A.RINGING, _A.ANSWERED)
ATTEMPT_AFTER_ANSWER: Final[tuple[AttemptState, ...]] = (_A.ACCEPTED, _A.DECLINED, _A.NO_KEY, _A.MACHINE, _A.TOO_LATE)
ATTEMPT_ENDED: Final[tuple[AttemptState, ...]] = (_A.COMPLETED, _A.NO_ANSWER, _A.BUSY, _A.FAILED, _A.CANCELED)
# What `Attempt.outcome` can say.
ATTEMPT_VERDICTS: Final[tuple[AttemptState, ...]] = (
    *ATTEMPT_AFTER_ANSWER, _A.NO_ANSWER, _A.BUSY, _A.FAILED, _A.CANCELED)

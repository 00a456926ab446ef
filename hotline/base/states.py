"""Every named state of the system, one enum each. No status is written as a bare string elsewhere.

`StrEnum` members are strings, so they go into the database and JSON as their values and
compare equal to them; the legal moves between them live with the code that makes them
(`hotline.paging.commands` for incidents, `hotline.paging.callout.states` for callouts and attempts).
"""

from __future__ import annotations

from enum import StrEnum


class IncidentStatus(StrEnum):
    """What the dashboard filters by: where the incident is in its life."""

    NEW = "new"  # reported; paging is due (see Incident.page_due_at) but has not begun
    RECORDED = "recorded"  # as NEW, and the caller's recording is stored
    PAGING = "paging"  # a callout is ringing people for it
    UNACKNOWLEDGED = "unacknowledged"  # every round went unanswered; the callout keeps repeating
    STOPPED = "stopped"  # a named person stopped paging for it, with a reason; "page again" resumes
    ACCEPTED = "accepted"  # one person took it
    CLOSED = "closed"  # resolved or closed; only "reopen" brings it back




class CallbackState(StrEnum):
    """How an abandoned call (hung up before choosing a type) was followed up."""

    CALLED_BACK = "called_back"  # someone rang the caller back
    DISMISSED = "dismissed"  # not worth a call back (a wrong number, a test), with a reason


class RecordingStatus(StrEnum):
    PENDING = "pending"  # Twilio has it; we have not stored it yet
    STORED = "stored"  # in recordings/, with its checksum
    FAILED = "failed"  # every fetch failed; `error` says why (the console shows it)
    PURGED = "purged"  # the audio was deleted by the retention policy; the row (and checksum) stays


class TranscriptStatus(StrEnum):
    DONE = "done"
    EMPTY = "empty"  # the model heard no words
    FAILED = "failed"
    SKIPPED = "skipped"  # no model for the caller's language
    PURGED = "purged"  # the text was deleted by the retention policy



class CalloutState(StrEnum):
    PENDING = "pending"
    DIALING = "dialing"
    UNACKNOWLEDGED = "unacknowledged"  # every round and the fallback went unanswered; still repeating
    ACCEPTED = "accepted"
    CANCELLED = "cancelled"  # no incident needs it any more (closed, stopped, or taken elsewhere)




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


# Groups of states, as tuples on the enums (plain attributes, not members).
IncidentStatus.ALL = tuple(IncidentStatus)  # type: ignore[attr-defined]
# The first law applies to these: each is being paged or was stopped by a named person.
IncidentStatus.OPEN_UNACCEPTED = (IncidentStatus.NEW, IncidentStatus.RECORDED, IncidentStatus.PAGING,  # type: ignore[attr-defined]
                                  IncidentStatus.UNACKNOWLEDGED, IncidentStatus.STOPPED)
IncidentStatus.NEEDS_PAGING = (IncidentStatus.NEW, IncidentStatus.RECORDED, IncidentStatus.PAGING,  # type: ignore[attr-defined]
                               IncidentStatus.UNACKNOWLEDGED)
# Never fetched again: the audio is ours, or retention deleted it on purpose.
RecordingStatus.SETTLED = (RecordingStatus.STORED, RecordingStatus.PURGED)  # type: ignore[attr-defined]
TranscriptStatus.FINAL = (TranscriptStatus.DONE, TranscriptStatus.EMPTY, TranscriptStatus.PURGED)  # type: ignore[attr-defined]  # never redone
CalloutState.ACTIVE = (CalloutState.PENDING, CalloutState.DIALING, CalloutState.UNACKNOWLEDGED)  # type: ignore[attr-defined]
CalloutState.TERMINAL = (CalloutState.ACCEPTED, CalloutState.CANCELLED)  # type: ignore[attr-defined]
_A = AttemptState
_A.LIVE = (_A.QUEUED, _A.RINGING, _A.ANSWERED)  # type: ignore[attr-defined]
_A.AFTER_ANSWER = (_A.ACCEPTED, _A.DECLINED, _A.NO_KEY, _A.MACHINE, _A.TOO_LATE)  # type: ignore[attr-defined]
_A.ENDED = (_A.COMPLETED, _A.NO_ANSWER, _A.BUSY, _A.FAILED, _A.CANCELED)  # type: ignore[attr-defined]
_A.VERDICTS = (*_A.AFTER_ANSWER, _A.NO_ANSWER, _A.BUSY, _A.FAILED, _A.CANCELED)  # type: ignore[attr-defined]  # `outcome`

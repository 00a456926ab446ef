"""What paging's commands ask to happen after their transaction commits.

Commands write the desired state to the database first and return these as plain values;
`hotline.base.jobs.dispatch` hands each to its handler in `hotline.paging.feature`, which
enqueues a job. A follow-up that never runs (Redis down, a worker killed) delays its work but
loses nothing: the convergence cycle finds the same work in the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from hotline.base.jobs import Followup


@dataclass(frozen=True)
class Page(Followup):
    """Open or join a callout for an incident whose paging is due."""

    incident_id: int


@dataclass(frozen=True)
class Drive(Followup):
    """Run a callout's next step now (an attempt reached its verdict, a callout was opened)."""

    callout_id: int


@dataclass(frozen=True)
class Wake(Followup):
    """Look at a callout again at `at`, whether or not a callback came (the watchdog)."""

    callout_id: int
    at: datetime


@dataclass(frozen=True)
class CloseOut(Followup):
    """After an accept: end the other calls, send the SMS."""

    callout_id: int


@dataclass(frozen=True)
class Accepted(Followup):
    """Incidents were just accepted (by any channel): every feature's `accepted` hook hears of it
    (a report by text tells its sender someone is on it)."""

    incident_ids: tuple[int, ...]


@dataclass(frozen=True)
class StopCalls(Followup):
    """Paging stopped: end the callout's calls still ringing or talking, telling whoever answered."""

    callout_id: int


@dataclass(frozen=True)
class EndCall(Followup):
    """A person moved paging on (escalate now): end that one call, telling them if they answered."""

    attempt_id: int


@dataclass(frozen=True)
class PlaceCall(Followup):
    """A person paged directly: ring them now, then let the callout watch that call."""

    attempt_id: int
    callout_id: int


@dataclass(frozen=True)
class Fetch(Followup):
    """Download a caller's recording from Twilio into recordings/."""

    recording_id: int


@dataclass(frozen=True)
class Transcribe(Followup):
    recording_id: int

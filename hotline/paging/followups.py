"""What a lifecycle command asks to happen after its transaction commits.

Commands write the desired state to the database first and return these as plain values;
`hotline.lifecycle.queue.dispatch` turns them into jobs. A follow-up that never runs (Redis
down, a worker killed) delays its work but loses nothing: the convergence cycle finds the same
work in the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Page:
    """Open or join a callout for an incident whose paging is due."""

    incident_id: int


@dataclass(frozen=True)
class Drive:
    """Run a callout's next step now (an attempt reached its verdict, a callout was opened)."""

    callout_id: int


@dataclass(frozen=True)
class Wake:
    """Look at a callout again at `at`, whether or not a callback came (the watchdog)."""

    callout_id: int
    at: datetime


@dataclass(frozen=True)
class CloseOut:
    """After an accept: end the other calls, send the SMS."""

    callout_id: int


@dataclass(frozen=True)
class StopCalls:
    """Paging stopped: end the callout's calls still ringing or talking, telling whoever answered."""

    callout_id: int


@dataclass(frozen=True)
class Fetch:
    """Download a caller's recording from Twilio into recordings/."""

    recording_id: int


@dataclass(frozen=True)
class Transcribe:
    recording_id: int


@dataclass(frozen=True)
class NotifyTeam:
    """A crisis plan was activated: call and text every team member who is due, at once."""

    crisis_id: int


Followup = Page | Drive | Wake | CloseOut | StopCalls | Fetch | Transcribe | NotifyTeam

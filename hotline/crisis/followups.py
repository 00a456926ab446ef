"""What the crisis commands ask to happen after their transaction commits."""

from __future__ import annotations

from dataclasses import dataclass

from hotline.base.jobs import Followup


@dataclass(frozen=True)
class NotifyTeam(Followup):
    """A crisis plan was activated: call and text every team member who is due, at once."""

    crisis_id: int

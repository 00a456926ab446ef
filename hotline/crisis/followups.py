"""What the crisis commands ask to happen after their transaction commits."""

from __future__ import annotations

from dataclasses import dataclass

from hotline.base.jobs import Followup


@dataclass(frozen=True)
class NotifyTeam(Followup):
    """A crisis plan was activated: call and text every team member who is due, at once."""

    crisis_id: int


@dataclass(frozen=True)
class TextActivators(Followup):
    """Someone not allowed to activate a plan proposed it: text the people who may."""

    incident_id: int
    people: tuple[str, ...]
    proposed_by: str

"""A drill's review measures its key times against the drill targets (`[drills]` target_*): the
callout's (first ring, accept: from the report) and, for a drill of the whole plan, the plan's
(activated: from the report; team confirmed: from the activation; first statement: from the
report). A pure function of the review's key times, so a review and the drill's results agree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from hotline.drills.settings import Targets
from hotline.reviews.report import KeyTime


@dataclass(frozen=True)
class Measured:
    seconds: float | None  # what the drill took (None: it never happened)
    target: int
    missed: bool  # later than the target, or never


def against(times: Sequence[KeyTime], targets: Targets) -> dict[str, Measured]:
    """Key -> how the drill did against its target, for the keys that have one."""
    at = {t.key: t for t in times}

    def since(key: str, start: str) -> float | None:
        a, b = at.get(start), at.get(key)
        if a is None or b is None or a.at is None or b.at is None:
            return None
        return round((b.at - a.at).total_seconds(), 1)

    wanted = {"first_ring": ("report", targets.first_ring_seconds), "accept": ("report", targets.accept_seconds),
              "plan_activated": ("report", targets.activate_seconds),
              "team_confirmed": ("plan_activated", targets.team_confirmed_seconds),
              "first_statement": ("report", targets.first_statement_seconds)}
    out = {}
    for key, (start, target) in wanted.items():
        seconds = since(key, start)
        out[key] = Measured(seconds, target, seconds is None or seconds > target)
    return out

"""The crisis team's job: call and text every member who is due now."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rq import Retry

from hotline.base.jobs import JobSpec, enqueue
from hotline.base.models import utcnow
from hotline.crisis import notify
from hotline.crisis.followups import NotifyTeam


def notify_team(crisis_id: int) -> int:
    """Call and text every crisis team member who is due now (all crises: the same work as the
    cycle's, which catches up if this job is lost)."""
    return len(notify.notify_due(utcnow()))


SPECS: dict[Callable[..., Any], JobSpec] = {
    notify_team: JobSpec("callout", 120, Retry(max=3, interval=[1, 5, 15]), lambda c: f"crisis-notify-{c}"),
}
FOLLOWUPS: dict[type[Any], Callable[[Any], object]] = {NotifyTeam: lambda f: enqueue(notify_team, f.crisis_id)}

"""The crisis team's job: call and text every member who is due now."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rq import Retry

from hotline.base.jobs import JobSpec, enqueue
from hotline.base.models import utcnow
from hotline.base.runtime import get_runtime
from hotline.crisis import notify
from hotline.crisis.followups import NotifyTeam, TextActivators


def notify_team(crisis_id: int) -> int:
    """Call and text every crisis team member who is due now (all crises: the same work as the
    cycle's, which catches up if this job is lost)."""
    return len(notify.notify_due(utcnow()))


def text_activators(incident_id: int, people: tuple[str, ...], proposed_by: str) -> int:
    """Text each person who may activate the plan about a proposal (rule 1b of hotline.crisis.commands);
    every text is audited on the incident's timeline, sent or failed."""
    cfg = get_runtime().config
    sent = 0
    for key in people:
        person = cfg.people.get(key)
        if person is not None:
            sent += notify.send_sms(incident_id, person.phone, notify.proposal_sms(cfg, incident_id, person,
                                                                                   proposed_by),
                                    kind="crisis.proposal_sms", person=key)
    return sent


SPECS: dict[Callable[..., Any], JobSpec] = {
    notify_team: JobSpec("callout", 120, Retry(max=3, interval=[1, 5, 15]), lambda c: f"crisis-notify-{c}"),
    text_activators: JobSpec("callout", 120, None, None),
}
FOLLOWUPS: dict[type[Any], Callable[[Any], object]] = {
    NotifyTeam: lambda f: enqueue(notify_team, f.crisis_id),
    TextActivators: lambda f: enqueue(text_activators, f.incident_id, f.people, f.proposed_by),
}

"""Lifecycle commands for post-incident reviews.

The rules, written once:

1. A review is started for a closed incident only (its story is over), once: a unique index on
   the incident keeps a second one from being made, by two admins pressing at once too. A drill's
   incident is reviewed the same way as a real one.
2. What happened (key times, people, checklist, recordings) is computed from the incident's rows
   when the review is read; only findings and action items are written by people.
3. An action item has a text, an owner who is a `[people]` key (they get the reminder) and a due
   date; it is open until done, and may be reopened; every move goes through `ACTION`, with one
   row on the incident's timeline.
4. An open item past its due date reminds its owner by SMS, once a day until it is done
   (`hotline.reviews.reminders`).

Each command takes a session and returns `Outcome` (its `subject_id` the review or item), like the
rest of the lifecycle; the channel commits.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.base.config import Config
from hotline.base.db import insert_if_absent
from hotline.base.lifecycle import Actor, Outcome, audited
from hotline.base.models import Incident, utcnow
from hotline.base.states import IncidentStatus
from hotline.reviews.models import ACTION, ActionItem, ActionState, Review

MAX_TEXT = 4000


def review_for(s: Session, incident_id: int) -> Review | None:
    return s.scalars(select(Review).where(Review.incident_id == incident_id)).first()


def start(s: Session, incident_id: int, actor: Actor, now: datetime | None = None) -> Outcome:
    """Rule 1: a closed incident's review, made once; the existing one when it is there."""
    incident = s.get(Incident, incident_id)
    if incident is None:
        return Outcome(False, "no_incident", "no such incident")
    existing = review_for(s, incident_id)
    if existing is not None:
        return Outcome(True, "already_started", "the review exists", (incident_id,), subject_id=existing.id)
    if incident.status != IncidentStatus.CLOSED:
        return Outcome(False, "not_closed", "an incident is reviewed once it is closed", (incident_id,))
    now = now or utcnow()
    row = insert_if_absent(s, Review.__table__, "incident_id",
                           {"incident_id": incident_id, "started_by": actor.who, "started_at": now, "findings": "",
                            "updated_at": now}, "id")
    if row is None:  # someone else's press won
        found = review_for(s, incident_id)
        return Outcome(True, "already_started", "the review exists", (incident_id,),
                       subject_id=found.id if found else None)
    audited(s, "review.started", incident_id, actor, review_id=row.id)
    return Outcome(True, "started", "review started", (incident_id,), subject_id=row.id)


def save_findings(s: Session, review_id: int, text: str, actor: Actor, now: datetime | None = None) -> Outcome:
    review = s.get(Review, review_id)
    if review is None:
        return Outcome(False, "no_review", "no such review")
    review.findings = text.strip()[:MAX_TEXT]
    review.updated_at, review.updated_by = now or utcnow(), actor.who
    audited(s, "review.findings_saved", review.incident_id, actor, review_id=review_id)
    return Outcome(True, "findings_saved", "findings saved", (review.incident_id,), subject_id=review_id)


def add_action(s: Session, cfg: Config, review_id: int, text: str, owner: str, due_on: date | None,
               actor: Actor, now: datetime | None = None) -> Outcome:
    """Rule 3: an item needs its text, an owner from `[people]` and a due date."""
    review = s.get(Review, review_id)
    if review is None:
        return Outcome(False, "no_review", "no such review")
    text = text.strip()
    if not text:
        return Outcome(False, "text_required", "say what is to be done")
    if owner not in cfg.people:
        return Outcome(False, "unknown_owner", f"{owner!r} is not a key of [people]")
    if due_on is None:
        return Outcome(False, "due_required", "give a due date")
    now = now or utcnow()
    item = ActionItem(review_id=review_id, text=text[:MAX_TEXT], owner_key=owner, due_on=due_on,
                      state=ActionState.OPEN, created_by=actor.who, created_at=now, updated_at=now)
    s.add(item)
    s.flush()
    audited(s, "review.action_added", review.incident_id, actor, action_id=item.id, person=owner,
            due=due_on.isoformat())
    return Outcome(True, "action_added", "action item added", (review.incident_id,), subject_id=item.id)


def move_action(s: Session, action_id: int, to: ActionState, actor: Actor, now: datetime | None = None) -> Outcome:
    """Done, or open again; a press that lost (it had moved already) changes nothing."""
    item = s.get(ActionItem, action_id)
    if item is None:
        return Outcome(False, "no_action", "no such action item")
    now = now or utcnow()
    done = {"done_by": actor.who, "done_at": now} if to == ActionState.DONE else {"done_by": None, "done_at": None}
    if not ACTION.move(s, action_id, to, now=now, values=done, actor=actor.who, via=str(actor.channel)):
        return Outcome(True, f"already_{to}", f"the item is {to} already", subject_id=action_id)
    return Outcome(True, f"action_{to}", f"action item {to}", subject_id=action_id)

"""What the console shows of a broadcast: answers per group and per site, who needs help (with
the incident their answer opened), who has not answered yet, and where the messages are.

Read straight from the recipient and delivery rows each time the live page polls, so a reply is
in the tally the moment its transaction commits; counting is plain Python over a few columns
(ten thousand rows in a few milliseconds), one GROUP BY for the deliveries.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hotline.base.models import reference_for
from hotline.broadcasts.models import Broadcast, Delivery, Recipient, RecipientState
from hotline.broadcasts.questions import QUESTIONS, Question

LIST_LIMIT = 200


@dataclass
class Counts:
    total: int = 0
    answers: Counter[str] = field(default_factory=Counter)  # answer key -> people
    waiting: int = 0
    reached: int = 0
    unreachable: int = 0

    def add(self, state: str, answer: str | None) -> None:
        self.total += 1
        if state == RecipientState.ANSWERED and answer:
            self.answers[answer] += 1
        elif state == RecipientState.REACHED:
            self.reached += 1
        elif state == RecipientState.UNREACHABLE:
            self.unreachable += 1
        else:
            self.waiting += 1


@dataclass(frozen=True)
class Person:
    name: str
    phone: str | None
    site: str
    channel: str | None
    state: str
    incident_id: int | None = None  # the incident an "I need help" opened

    @property
    def incident_ref(self) -> str | None:
        return reference_for(self.incident_id) if self.incident_id else None


@dataclass
class Tally:
    broadcast: Broadcast
    question: Question | None
    overall: Counts
    by_group: dict[str, Counts]
    by_site: dict[str, Counts]
    needs_help: list[Person]
    not_answered: list[Person]
    not_answered_total: int
    deliveries: dict[str, Counter[str]]  # channel -> state -> count


def tally(s: Session, broadcast_id: int) -> Tally | None:
    b = s.get(Broadcast, broadcast_id)
    if b is None:
        return None
    question = QUESTIONS.get(b.question or "")
    helpers = {a.key for a in question.answers if a.needs_help} if question else set()
    overall, by_group, by_site = Counts(), {g: Counts() for g in b.groups}, {}
    needs_help, not_answered, missing = [], [], 0
    rows = s.execute(select(Recipient.name, Recipient.phone, Recipient.site, Recipient.groups, Recipient.state,
                            Recipient.answer, Recipient.channel, Recipient.help_incident_id)
                     .where(Recipient.broadcast_id == broadcast_id).order_by(Recipient.site, Recipient.name))
    for row in rows:
        overall.add(row.state, row.answer)
        for g in row.groups:
            by_group.setdefault(g, Counts()).add(row.state, row.answer)
        by_site.setdefault(row.site or "-", Counts()).add(row.state, row.answer)
        if row.state == RecipientState.ANSWERED and row.answer in helpers:
            needs_help.append(Person(row.name, row.phone, row.site, row.channel, row.state,
                                     row.help_incident_id or None))
        elif row.state in (RecipientState.WAITING, RecipientState.UNREACHABLE):
            missing += 1
            if len(not_answered) < LIST_LIMIT:
                not_answered.append(Person(row.name, row.phone, row.site, row.channel, row.state))
    found: dict[str, Counter[str]] = {}
    for channel, state, n in s.execute(select(Delivery.channel, Delivery.state, func.count())
                                       .where(Delivery.broadcast_id == broadcast_id)
                                       .group_by(Delivery.channel, Delivery.state)):
        found.setdefault(channel, Counter())[state] = n
    return Tally(b, question, overall, by_group, dict(sorted(by_site.items())), needs_help, not_answered, missing,
                 found)

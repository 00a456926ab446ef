"""What the console shows of a broadcast: answers per group and per site, who needs help (with
the incident their answer opened), who has not answered yet, and where the messages are.

Read straight from the recipient and delivery rows each time the live page polls, so a reply is
in the tally the moment its transaction commits. The database counts (GROUP BY site, state and
answer; one more per group when a broadcast has several), so ten thousand people cost a few
milliseconds, not a Python loop over every row.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import Select, String, cast, func, select
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

    def add(self, state: str, answer: str | None, n: int = 1) -> None:
        self.total += n
        if state == RecipientState.ANSWERED and answer:
            self.answers[answer] += n
        elif state == RecipientState.REACHED:
            self.reached += n
        elif state == RecipientState.UNREACHABLE:
            self.unreachable += n
        else:
            self.waiting += n


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


def _counted(s: Session, query: Select[str, str | None, int]) -> Counts:
    c = Counts()
    for state, answer, n in s.execute(query):
        c.add(state, answer, n)
    return c


def tally(s: Session, broadcast_id: int) -> Tally | None:
    b = s.get(Broadcast, broadcast_id)
    if b is None:
        return None
    question = QUESTIONS.get(b.question or "")
    helpers = [a.key for a in question.answers if a.needs_help] if question else []
    mine = Recipient.broadcast_id == broadcast_id
    overall = Counts()
    by_site: dict[str, Counts] = {}
    for site, state, answer, n in s.execute(select(Recipient.site, Recipient.state, Recipient.answer, func.count())
                                            .where(mine).group_by(Recipient.site, Recipient.state, Recipient.answer)):
        overall.add(state, answer, n)
        by_site.setdefault(site or "-", Counts()).add(state, answer, n)
    by_group = {}
    for g in b.groups:
        if len(b.groups) == 1:
            by_group[g] = overall
            continue
        in_group = cast(Recipient.groups, String).like(f'%"{g}"%')  # the JSON list names it
        by_group[g] = _counted(s, select(Recipient.state, Recipient.answer, func.count()).where(mine, in_group)
                               .group_by(Recipient.state, Recipient.answer))
    person = (Recipient.name, Recipient.phone, Recipient.site, Recipient.channel, Recipient.state)
    needs_help = [Person(*row[:5], row.help_incident_id or None) for row in s.execute(
        select(*person, Recipient.help_incident_id).where(mine, Recipient.state == RecipientState.ANSWERED,
                                                          Recipient.answer.in_(helpers))
        .order_by(Recipient.site, Recipient.name))] if helpers else []
    silent = (RecipientState.WAITING, RecipientState.UNREACHABLE)
    not_answered = [Person(*row) for row in s.execute(select(*person).where(mine, Recipient.state.in_(silent))
                                                      .order_by(Recipient.site, Recipient.name).limit(LIST_LIMIT))]
    missing = overall.waiting + overall.unreachable
    found: dict[str, Counter[str]] = {}
    for channel, state, n in s.execute(select(Delivery.channel, Delivery.state, func.count())
                                       .where(Delivery.broadcast_id == broadcast_id)
                                       .group_by(Delivery.channel, Delivery.state)):
        found.setdefault(channel, Counter())[state] = n
    return Tally(b, question, overall, by_group, dict(sorted(by_site.items())), needs_help, not_answered, missing,
                 found)

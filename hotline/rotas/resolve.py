"""Who is on call at a moment, and whom to ring, in order: pure functions of (rota, now).

Hand-offs happen at a wall-clock time in the rota's zone, so a 09:00 hand-off stays at 09:00
across DST changes. Aware datetimes sharing a tzinfo compare by wall clock in Python, so
every comparison here is made in UTC.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hotline.base.config import Person
from hotline.rotas.policy import Override, Policy, Rota, Step


@dataclass(frozen=True)
class Contact:
    """One person to ring, at one position (`step`) of the escalation order."""

    person: str
    name: str
    phone: str
    ring_timeout: int
    step: int
    source: str  # "rota it", "person director", "fallback rota mgmt"
    fallback: bool = False


@dataclass(frozen=True)
class OnCall:
    """A stretch of time during which one person covers a rota."""

    rota: str
    person: str
    since: datetime
    until: datetime
    reason: str  # "rotation" | "override"


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("naive datetime: pass an aware `now`")
    return moment.astimezone(UTC)


def _handoff_at(rota: Rota, day: date) -> datetime:
    return datetime.combine(day, rota.handoff_time, ZoneInfo(rota.timezone)).astimezone(UTC)


def _last_handoff_day(rota: Rota, now: datetime) -> date:
    """The local date of the latest weekly hand-off at or before `now`."""
    local = now.astimezone(ZoneInfo(rota.timezone))
    day = local.date() - timedelta(days=(local.weekday() - rota.handoff_weekday) % 7)
    if _handoff_at(rota, day) > now:
        day -= timedelta(days=7)
    return day


def rotation_at(rota: Rota, now: datetime) -> OnCall:
    """Who the rotation alone (ignoring overrides) puts on call at `now`."""
    now = _utc(now)
    day = _last_handoff_day(rota, now)
    weeks = (day - rota.start).days // 7
    turn = weeks // rota.shift_weeks
    first_day = rota.start + timedelta(weeks=turn * rota.shift_weeks)
    next_day = first_day + timedelta(weeks=rota.shift_weeks)
    person = rota.members[turn % len(rota.members)]
    return OnCall(rota.key, person, _handoff_at(rota, first_day), _handoff_at(rota, next_day), "rotation")


def _overrides_for(rota: Rota, extra: Iterable[Override]) -> list[Override]:
    return [*rota.overrides, *(o for o in extra if o.rota == rota.key)]


def on_call_now(rota: Rota, now: datetime, overrides: Sequence[Override] = ()) -> OnCall:
    """Who covers `rota` at `now`; the latest-starting override that covers `now` wins."""
    now = _utc(now)
    mine = _overrides_for(rota, overrides)
    active = [o for o in mine if o.covers(now)]
    if active:
        o = max(active, key=lambda o: o.start)
        current = OnCall(rota.key, o.person, o.start, o.end, "override")
    else:
        base = rotation_at(rota, now)
        resumed = max((o.end for o in mine if base.since < o.end <= now), default=base.since)
        current = OnCall(rota.key, base.person, resumed, base.until, "rotation")
    # An override starting before the stretch would end cuts it short.
    cut = min((o.start for o in mine if now < o.start < current.until), default=current.until)
    return OnCall(rota.key, current.person, current.since, cut, current.reason)


def upcoming(rota: Rota, now: datetime, count: int = 4, overrides: Sequence[Override] = ()) -> list[OnCall]:
    """The current stretch and the next `count - 1`, for a dashboard; neighbours merged by person."""
    now = _utc(now)
    out: list[OnCall] = []
    moment = now
    for _ in range(count * 4 + 8):  # bounded: every iteration advances `moment`
        cur = on_call_now(rota, moment, overrides)
        if out and out[-1].person == cur.person and out[-1].until >= moment:
            out[-1] = OnCall(rota.key, cur.person, out[-1].since, cur.until, out[-1].reason)
        else:
            out.append(cur)
        if len(out) > count:
            return out[:count]
        moment = cur.until
    return out[:count]


def next_on_call(rota: Rota, now: datetime, overrides: Sequence[Override] = ()) -> OnCall | None:
    """The next person to take over `rota` after the current one, and from when."""
    stretches = upcoming(rota, now, 2, overrides)
    return stretches[1] if len(stretches) > 1 else None


def shifts_of(person: str, rotas: Mapping[str, Rota], now: datetime, overrides: Sequence[Override] = (),
              horizon: timedelta = timedelta(days=28)) -> list[OnCall]:
    """Every stretch `person` covers, on any rota, from the one running at `now` to `horizon`
    ahead, soonest first: "my on-call shifts", from the same resolver the callout rings by."""
    now = _utc(now)
    out: list[OnCall] = []
    for rota in rotas.values():
        moment, mine = now, list[OnCall]()
        for _ in range(500):  # bounded: every iteration advances `moment`
            cur = on_call_now(rota, moment, overrides)
            if cur.person == person:
                if mine and mine[-1].until >= cur.since:
                    mine[-1] = OnCall(rota.key, person, mine[-1].since, cur.until, mine[-1].reason)
                else:
                    mine.append(cur)
            if cur.until >= now + horizon:
                break
            moment = cur.until
        out.extend(mine)
    return sorted(out, key=lambda o: (o.since, o.rota))


def resolve_contacts(policy: Policy, rotas: Mapping[str, Rota], overrides: Sequence[Override],
                     now: datetime, *, people: Mapping[str, Person],
                     fallback: Sequence[Step] = ()) -> list[Contact]:
    """The ordered people to ring for `policy` at `now`, then the fallback chain.

    A person reached by two steps is rung only at the first: ringing them twice in one round
    only delays the next person. Fallback steps are numbered after the policy's steps.
    """
    out: list[Contact] = []
    seen: set[str] = set()
    steps = [(s, False) for s in policy.steps] + [(s, True) for s in fallback]
    for index, (step, is_fallback) in enumerate(steps):
        key = step.ref if step.kind == "person" else on_call_now(rotas[step.ref], now, overrides).person
        person = people.get(key)
        if person is None or key in seen:
            continue
        seen.add(key)
        source = ("fallback " if is_fallback else "") + step.label
        out.append(Contact(key, person.name, person.phone, step.ring_timeout, index, source, is_fallback))
    return out

"""The weekly rota resolver as it was before layers (issue #28), kept verbatim as an oracle: the
property tests check that a weekly rota still gives its answers, and `bench/rotas.py` times the
layered resolver against it. Not used by the hotline."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hotline.base.config import Person
from hotline.rotas.policy import Override, Policy, Rota, Step
from hotline.rotas.resolve import Contact, OnCall


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("naive datetime: pass an aware `now`")
    return moment.astimezone(UTC)


def _handoff_at(rota: Rota, day: date) -> datetime:
    return datetime.combine(day, rota.handoff_time, ZoneInfo(rota.timezone)).astimezone(UTC)


def _last_handoff_day(rota: Rota, now: datetime) -> date:
    local = now.astimezone(ZoneInfo(rota.timezone))
    day = local.date() - timedelta(days=(local.weekday() - rota.handoff_weekday) % 7)
    if _handoff_at(rota, day) > now:
        day -= timedelta(days=7)
    return day


def rotation_at(rota: Rota, now: datetime) -> OnCall:
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
    cut = min((o.start for o in mine if now < o.start < current.until), default=current.until)
    return OnCall(rota.key, current.person, current.since, cut, current.reason)


def resolve_contacts(policy: Policy, rotas: Mapping[str, Rota], overrides: Sequence[Override],
                     now: datetime, *, people: Mapping[str, Person],
                     fallback: Sequence[Step] = ()) -> list[Contact]:
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

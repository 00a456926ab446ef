"""Who is on call at a moment, and whom to ring, in order: pure functions of (rota, now).

The one resolver: paging (`resolve_contacts`), the rota and calendar pages (`on_call_now`,
`timeline`), the coverage check and the on-call hours report all read it, so none can disagree
with whom a report would ring. A rota is layers (a weekly rota is one), the last layer active at
a moment winning, under overrides (config.toml's, the console's and accepted swaps).

Hand-offs and windows happen at a wall-clock time in the rota's zone, so a 09:00 hand-off stays
at 09:00 across DST changes. Aware datetimes sharing a tzinfo compare by wall clock in Python, so
every comparison here is made in UTC.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from functools import cache, lru_cache
from zoneinfo import ZoneInfo

from hotline.base.config import Person
from hotline.rotas.policy import Layer, Override, Policy, Rota, Step, Window

ONE_DAY = timedelta(days=1)
GAP_SEARCH = timedelta(days=14)


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
    reason: str  # "rotation" | "override" | "nobody" (a gap: no layer active, person "")
    layer: str = ""  # the layer's name, for "rotation"


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("naive datetime: pass an aware `now`")
    return moment.astimezone(UTC)


@cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


@lru_cache(maxsize=1 << 16)
def _at(timezone: str, day: date, clock: time) -> datetime:
    """The UTC moment of a local wall-clock time (a time in a DST gap falls an hour later, as
    `datetime.combine` with fold=0 puts it). Cached: hourly checks ask for the same few days."""
    return datetime.combine(day, clock, _zone(timezone)).astimezone(UTC)


def _turn(layer: Layer, timezone: str, now: datetime, local_day: date) -> int:
    """Which turn of `layer` is running at `now` (0: members[0]'s first; negative before it)."""
    if layer.length_hours % 24 == 0:
        day = local_day if _at(timezone, local_day, layer.handoff) <= now else local_day - ONE_DAY
        return (day.toordinal() - layer.start.toordinal()) // (layer.length_hours // 24)
    return (now - _at(timezone, layer.start, layer.handoff)) // timedelta(hours=layer.length_hours)


def _turn_span(layer: Layer, timezone: str, turn: int) -> tuple[datetime, datetime]:
    if layer.length_hours % 24 == 0:
        days = layer.length_hours // 24
        first = layer.start + timedelta(days=turn * days)
        return _at(timezone, first, layer.handoff), _at(timezone, first + timedelta(days=days), layer.handoff)
    since = _at(timezone, layer.start, layer.handoff) + timedelta(hours=turn * layer.length_hours)
    return since, since + timedelta(hours=layer.length_hours)


def _window_span(timezone: str, day: date, window: Window) -> tuple[datetime, datetime]:
    last = day + ONE_DAY if window.end <= window.start else day
    return _at(timezone, day, window.start), _at(timezone, last, window.end)


def _active(layer: Layer, timezone: str, now: datetime, local_day: date) -> bool:
    """Whether `now` falls in one of the layer's windows (a window opens on one of its days and
    lasts at most a day, so only today's and yesterday's can cover `now`)."""
    if not layer.windows:
        return True
    for day in (local_day - ONE_DAY, local_day):
        weekday = day.weekday()
        for window in layer.windows:
            if weekday in window.days:
                since, until = _window_span(timezone, day, window)
                if since <= now < until:
                    return True
    return False


# What makes a moment's answer: the winning override, or (layer index, turn), or nobody.
_Ident = tuple[object, ...]


def _state(rota: Rota, now: datetime, mine: Sequence[Override]) -> tuple[_Ident, str, str, str]:
    """(identity, person, reason, layer name) at `now` (UTC): the latest-starting override that
    covers `now`, else the last layer active at `now`, else nobody ("")."""
    best: Override | None = None
    for o in mine:
        if o.start <= now < o.end and (best is None or o.start > best.start):
            best = o
    if best is not None:
        return ("override", best), best.person, "override", ""
    local_day = now.astimezone(_zone(rota.timezone)).date()
    for index in range(len(rota.layers) - 1, -1, -1):
        layer = rota.layers[index]
        if _active(layer, rota.timezone, now, local_day):
            turn = _turn(layer, rota.timezone, now, local_day)
            return ("layer", index, turn), layer.members[turn % len(layer.members)], "rotation", layer.name
    return ("nobody",), "", "nobody", ""


def _overrides_for(rota: Rota, extra: Iterable[Override]) -> list[Override]:
    return [*rota.overrides, *(o for o in extra if o.rota == rota.key)]


def person_on_call(rota: Rota, now: datetime, overrides: Sequence[Override] = ()) -> str:
    """Who covers `rota` at `now` ("" when no layer is active and no override covers it): the
    answer of `on_call_now` without the stretch around it, for the callout's every step."""
    return _state(rota, _utc(now), _overrides_for(rota, overrides))[1]


def _changes(rota: Rota, lo: datetime, hi: datetime, mine: Sequence[Override]) -> list[datetime]:
    """Every moment in (lo, hi] at which the answer may change: hand-offs, window edges and the
    edges of overrides. Between two of them `_state` is constant."""
    tz = rota.timezone
    found = {m for o in mine for m in (o.start, o.end)}
    zone = _zone(tz)
    first_day, last_day = lo.astimezone(zone).date(), hi.astimezone(zone).date()
    for layer in rota.layers:
        turn = _turn(layer, tz, lo, first_day)
        while True:
            turn += 1
            since, _ = _turn_span(layer, tz, turn)
            if since > hi:
                break
            found.add(since)
        day = first_day - ONE_DAY
        while layer.windows and day <= last_day:
            for window in layer.windows:
                if day.weekday() in window.days:
                    found.update(_window_span(tz, day, window))
            day += ONE_DAY
    return sorted(m for m in found if lo < m <= hi)


def timeline(rota: Rota, start: datetime, end: datetime, overrides: Sequence[Override] = ()) -> list[OnCall]:
    """Who covers `rota` over [start, end), as stretches clipped to it: one per turn of a layer
    or per override (a stretch with person "" is a gap). The calendar and the hours report read
    this; it answers what `person_on_call` answers at every moment."""
    start, end = _utc(start), _utc(end)
    mine = _overrides_for(rota, overrides)
    points = [start, *(m for m in _changes(rota, start, end, mine) if m < end)]
    out: list[OnCall] = []
    last: _Ident | None = None
    for i, moment in enumerate(points):
        ident, person, reason, layer = _state(rota, moment, mine)
        until = points[i + 1] if i + 1 < len(points) else end
        if out and ident == last:
            out[-1] = OnCall(rota.key, person, out[-1].since, until, reason, layer)
        else:
            out.append(OnCall(rota.key, person, moment, until, reason, layer))
        last = ident
    return out


def rotation_at(rota: Rota, now: datetime) -> OnCall:
    """Who the layers alone (ignoring overrides) put on call at `now`, and for which stretch."""
    return on_call_now(replace(rota, overrides=()), now)


def on_call_now(rota: Rota, now: datetime, overrides: Sequence[Override] = ()) -> OnCall:
    """Who covers `rota` at `now`, from when until when: the latest-starting override that covers
    `now` wins, then the last active layer. The stretch is that override's or that turn's, cut
    where another override, layer or window takes over; a gap is searched two weeks either way."""
    now = _utc(now)
    mine = _overrides_for(rota, overrides)
    ident, _, _, _ = _state(rota, now, mine)
    if ident[0] == "override":
        o = ident[1]
        assert isinstance(o, Override)
        lo, hi = o.start, o.end
    elif ident[0] == "layer":
        index, turn = ident[1], ident[2]
        assert isinstance(index, int) and isinstance(turn, int)
        lo, hi = _turn_span(rota.layers[index], rota.timezone, turn)
    else:
        lo, hi = now - GAP_SEARCH, now + GAP_SEARCH
    return next(s for s in timeline(rota, lo, hi, overrides) if s.since <= now < s.until)


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
        key = step.ref if step.kind == "person" else person_on_call(rotas[step.ref], now, overrides)
        person = people.get(key)
        if person is None or key in seen:
            continue
        seen.add(key)
        source = ("fallback " if is_fallback else "") + step.label
        out.append(Contact(key, person.name, person.phone, step.ring_timeout, index, source, is_fallback))
    return out

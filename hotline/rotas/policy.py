"""The validated shape of the on-call sections of `config.toml`: rotas, policies, settings.

Plain frozen data with no parsing and no I/O, so the pure functions in `rota` and `decide`
can be fed hand-built values in tests. `hotline.rotas.settings` is what builds these from TOML.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@dataclass(frozen=True)
class Override:
    """`person` is on call for `rota` in [start, end) instead of whoever the rotation says (swap, holiday)."""

    rota: str
    person: str
    start: datetime  # aware
    end: datetime  # aware

    def covers(self, moment: datetime) -> bool:
        return self.start <= moment < self.end


@dataclass(frozen=True)
class Window:
    """A time-of-day and day-of-week restriction: the layer is active from `start` to `end` local
    time on each of `days` (the day the window opens). `end` at or before `start` ends the next
    day, so "22:00-07:00" is a night and "00:00-00:00" a whole day."""

    days: frozenset[int]  # 0 = Monday
    start: time
    end: time


@dataclass(frozen=True)
class Layer:
    """Members take turns of `length_hours`; `members[0]` takes the turn starting on local date
    `start` at `handoff`. A length of whole days (24, 48, 168, ...) is counted in local calendar
    days, so a 09:00 hand-off stays at 09:00 across DST changes; any other length (8, 12 hours)
    counts real hours from that first hand-off. Outside its `windows` (if it has any) the layer
    is inactive and the layers below it answer."""

    name: str
    members: tuple[str, ...]
    start: date
    handoff: time
    length_hours: int
    windows: tuple[Window, ...] = ()


@dataclass(frozen=True)
class Rota:
    """Who is on call for a rota: its `layers`, the last active one winning, under its overrides.

    A weekly rota (the form config.toml has always had) is built from `members`,
    `handoff_weekday`/`handoff_time`, `start` and `shift_weeks` and becomes one unrestricted
    layer; `start` is a hand-off date on which `members[0]` takes over, and turns before it are
    extrapolated backwards so the rota is never "not yet started". A layered rota passes
    `layers`; its weekly fields then describe its first layer, and `members` is everyone in any
    layer.
    """

    key: str
    members: tuple[str, ...]
    handoff_weekday: int  # 0 = Monday, as datetime.weekday()
    handoff_time: time
    timezone: str
    start: date
    shift_weeks: int = 1
    overrides: tuple[Override, ...] = ()
    layers: tuple[Layer, ...] = ()

    def __post_init__(self) -> None:
        if not self.layers:
            weekly = Layer("weekly", self.members, self.start, self.handoff_time, 168 * self.shift_weeks)
            object.__setattr__(self, "layers", (weekly,))


@dataclass(frozen=True)
class Step:
    """One escalation step: ring a named person, or whoever is on call for a rota."""

    kind: str  # "person" | "rota"
    ref: str
    ring_timeout: int

    @property
    def label(self) -> str:
        return f"{self.kind} {self.ref}"


@dataclass(frozen=True)
class Policy:
    key: str
    steps: tuple[Step, ...]


@dataclass(frozen=True)
class HoursSettings:
    """`[oncall.hours]`: how the on-call hours report splits time (the organisation's zone)."""

    timezone: str = "Asia/Taipei"
    night_start: time = time(22, 0)
    night_end: time = time(7, 0)
    holidays: frozenset[date] = frozenset()


@dataclass(frozen=True)
class OncallSettings:
    """Everything the callout engine needs from the configuration file."""

    rounds: int = 2
    repeat_minutes: int = 5
    storm_window_minutes: int = 15
    default_ring_timeout: int = 25
    answer_timeout: int = 90  # seconds an answered responder has to press a key
    fallback: tuple[Step, ...] = ()
    rotas: Mapping[str, Rota] = field(default_factory=dict)
    policies: Mapping[str, Policy] = field(default_factory=dict)
    implicit: bool = False  # True when config.toml has no on-call sections and everyone is called
    hours: HoursSettings = field(default_factory=lambda: HoursSettings())

    def policy_for(self, type_key: str | None) -> Policy:
        """The policy for an incident type, else `default`; validation guarantees one exists."""
        policy = self.policies.get(type_key or "") or self.policies.get("default")
        if policy is None:
            raise LookupError(f"no escalation policy for {type_key!r} and no default policy")
        return policy

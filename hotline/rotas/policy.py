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
class Rota:
    """Members take turns; the turn passes at `handoff_time` local time on `handoff_weekday`.

    `start` is a hand-off date on which `members[0]` takes over; turns before it are
    extrapolated backwards so the rota is never "not yet started".
    """

    key: str
    members: tuple[str, ...]
    handoff_weekday: int  # 0 = Monday, as datetime.weekday()
    handoff_time: time
    timezone: str
    start: date
    shift_weeks: int = 1
    overrides: tuple[Override, ...] = ()


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

    def policy_for(self, type_key: str | None) -> Policy:
        """The policy for an incident type, else `default`; validation guarantees one exists."""
        policy = self.policies.get(type_key or "") or self.policies.get("default")
        if policy is None:
            raise LookupError(f"no escalation policy for {type_key!r} and no default policy")
        return policy

"""Coverage check: replay every hour of the coming weeks against the real rotas, overrides and
policies (virtual time: no clock, no database, no calls) and report each window where a type of
incident would page nobody, only one person, only people who speak none of the hotline's
languages, or a first responder who is at the same time first responder for another type under
a different policy (one person, two emergencies).

A pure function over `hotline.rotas.resolve.resolve_contacts`, the same resolver the callout uses, fed
the same overrides (config.toml's and the console's, `hotline.rotas.models.stored_overrides`), so
what it reports is what a report at that hour would actually ring. The fallback chain counts
as paged people (it is rung in the last round); the "two types at once" check looks only at
who is rung first.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from hotline.base.config import Person
from hotline.rotas.policy import OncallSettings, Override, Policy
from hotline.rotas.resolve import Contact, resolve_contacts

NOBODY = "pages nobody"
ONE = "pages only one person"
NO_LANGUAGE = "pages only people who speak none of the hotline's languages"
DOUBLE = "first responder also on call first for"


@dataclass(frozen=True)
class Gap:
    type_key: str
    start: datetime
    end: datetime
    problem: str
    people: tuple[str, ...]

    def __str__(self) -> str:
        who = f" ({', '.join(self.people)})" if self.people else ""
        return f"{self.type_key}: {self.start.isoformat()} - {self.end.isoformat()}: {self.problem}{who}"


def hour_problems(contacts_by_type: Mapping[str, list[Contact]], policy_by_type: Mapping[str, str],
                  people: Mapping[str, Person], languages: Iterable[str]) -> list[tuple[str, str, tuple[str, ...]]]:
    """The problems of one moment: (type, problem, people) for each type that has one."""
    offered = set(languages)
    first = {t: next((c.person for c in cs if not c.fallback), None) for t, cs in contacts_by_type.items()}
    out: list[tuple[str, str, tuple[str, ...]]] = []
    for t, contacts in contacts_by_type.items():
        who = tuple(dict.fromkeys(c.person for c in contacts))
        if not who:
            out.append((t, NOBODY, ()))
            continue
        if len(who) == 1:
            out.append((t, ONE, who))
        spoken = [people[p].languages for p in who if p in people]
        if spoken and all(langs and not offered & set(langs) for langs in spoken):
            out.append((t, NO_LANGUAGE, who))
        others = sorted(o for o, p in first.items() if o != t and p == first[t] and p is not None
                        and policy_by_type[o] != policy_by_type[t])
        if others:
            out.append((t, f"{DOUBLE} {', '.join(others)}", (str(first[t]),)))
    return out


def check(settings: OncallSettings, people: Mapping[str, Person], type_keys: Iterable[str],
          languages: Iterable[str], start: datetime, weeks: int = 4, step: timedelta = timedelta(hours=1),
          overrides: Sequence[Override] = ()) -> tuple[list[Gap], int]:
    """Every gap in [start, start + weeks), merged into windows; and how many checks were made.
    `overrides`: those made in the console (rows), besides config.toml's, as paging uses them."""
    types = list(type_keys)
    policies: dict[str, Policy] = {t: settings.policy_for(t) for t in types}
    policy_by_type = {t: p.key for t, p in policies.items()}
    languages = tuple(languages)
    open_: dict[tuple[str, str, tuple[str, ...]], datetime] = {}
    gaps: list[Gap] = []
    moments = int(timedelta(weeks=weeks) / step)
    checks = 0
    for i in range(moments + 1):
        now = start + i * step
        found: set[tuple[str, str, tuple[str, ...]]] = set()
        if i < moments:
            by_policy = {key: resolve_contacts(p, settings.rotas, overrides, now, people=people,
                                               fallback=settings.fallback)
                         for key, p in {p.key: p for p in policies.values()}.items()}
            checks += len(types)
            found = set(hour_problems({t: by_policy[policy_by_type[t]] for t in types}, policy_by_type, people,
                                      languages))
        for key in [k for k in open_ if k not in found]:
            gaps.append(Gap(key[0], open_.pop(key), now, key[1], key[2]))
        for key in found:
            open_.setdefault(key, now)
    return sorted(gaps, key=lambda g: (g.type_key, g.start, g.problem)), checks

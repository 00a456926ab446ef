"""Who is on call now and next, per incident type: computed by the callout's own pure resolver,
so the page can never disagree with whom the callout would actually ring."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from flask import Blueprint, g, render_template

from hotline.base.config import Person
from hotline.base.models import utcnow
from hotline.base.runtime import get_runtime
from hotline.rotas.models import live_overrides, live_swaps, stored_overrides
from hotline.rotas.policy import OncallSettings
from hotline.web.actions import console_person
from hotline.web.auth import guard
from hotline.web.i18n import BABEL_LOCALE, gettext

bp = Blueprint("console_rota", __name__, template_folder="templates")
bp.before_request(guard())


@dataclass(frozen=True)
class RotaRow:
    key: str
    now_person: str
    since: datetime
    until: datetime
    reason: str
    next_person: str | None
    next_from: datetime | None


@dataclass(frozen=True)
class TypeRow:
    type_key: str
    policy: str
    contacts: list  # list[callout.rota.Contact]


@bp.get("/console/rota")
def page() -> str:
    from hotline.rotas.resolve import next_on_call, on_call_now, resolve_contacts, rotation_at, shifts_of

    runtime = get_runtime()
    cfg = runtime.config
    settings = cfg.section(OncallSettings)
    now = utcnow()
    people = cfg.people
    me = console_person(people)
    with runtime.db.session() as s:
        stored = live_overrides(s, now)
        extra = stored_overrides(s, now)  # the same overrides (and accepted swaps) the callout applies
        waiting = [w.rota for w in live_swaps(s, now)
                   if me is not None and w.partner == me and w.state == "proposed"]
    rotas = []
    for key, rota in settings.rotas.items():
        cur, nxt = on_call_now(rota, now, extra), next_on_call(rota, now, extra)
        rotas.append(RotaRow(key, _name(people, cur.person), cur.since, cur.until, cur.reason,
                             _name(people, nxt.person) if nxt else None, nxt.since if nxt else None))
    types = []
    for type_key in cfg.incident_types:
        policy = settings.policy_for(type_key)
        contacts = resolve_contacts(policy, settings.rotas, extra, now, people=people, fallback=settings.fallback)
        types.append(TypeRow(type_key, policy.key, contacts))
    overrides = [OverrideRow(o.id, o.rota, _name(people, o.person), _name(people, rotation_at(settings.rotas[o.rota],
                                                                                              o.start).person),
                             o.start, o.end, o.reason, o.created_by)
                 for o in stored if o.rota in settings.rotas]
    overrides += [OverrideRow(None, o.rota, _name(people, o.person), _name(people, rotation_at(rota, o.start).person),
                              o.start, o.end, "", "config.toml")
                  for rota in settings.rotas.values() for o in rota.overrides if o.end > now]
    # a swap waiting for the viewer's answer: linked to the calendar of a type its rota answers for
    swap_type = next((t for t in cfg.incident_types for w in waiting
                      if any(st.ref == w for st in settings.policy_for(t).steps)), next(iter(cfg.incident_types), None))
    mine = shifts_of(me, settings.rotas, now, extra) if me else None
    return render_template("rotas/rota.html", rotas=rotas, types=types, my_shifts=mine, me=me,
                           tz=ZoneInfo(cfg.timezone), now=now, waiting=len(waiting), swap_type=swap_type,
                           rota_names=rota_names(settings, lambda key: cfg.type_name(key, g.get("lang", "zh-TW"))),
                           source_words=source_words, overrides=sorted(overrides, key=lambda o: o.start),
                           span=lambda a, b: span(a, b, cfg.timezone))


@dataclass(frozen=True)
class OverrideRow:
    id: int | None  # None: written in config.toml, changed there
    rota: str
    person: str
    covers: str  # whom the rotation would have had on call at the start
    start: datetime
    end: datetime
    reason: str
    made_by: str


def span(start: datetime, end: datetime, timezone: str) -> str:
    """"Sat 11-28 22:00 – Sun 11-29 06:00" in the viewer's language (CLDR weekday names)."""
    locale = BABEL_LOCALE.get(g.get("lang", "zh-TW"), "zh_Hant_TW")
    zone = ZoneInfo(timezone)
    return " – ".join(format_datetime(m, "EEE MM-dd HH:mm", tzinfo=zone, locale=locale) for m in (start, end))


def rota_names(settings: OncallSettings, type_name: Callable[[str], str]) -> dict[str, str]:
    """Rotas have keys, not names, in config.toml, so each is named by what it answers for:
    "the rota for cyber-security", "the rota for the default order", "the fallback rota"."""
    uses: dict[str, list[str]] = {}
    for key, policy in settings.policies.items():
        what = gettext("the default order") if key == "default" else type_name(key)
        for step in policy.steps:
            if step.kind == "rota":
                uses.setdefault(step.ref, []).append(what)
    for step in settings.fallback:
        if step.kind == "rota":
            uses.setdefault(step.ref, []).append(gettext("the fallback"))
    return {key: gettext("rota for %(what)s", what=gettext(", ").join(uses.get(key, [])) or key)
            for key in settings.rotas}


def source_words(source: str, names: dict[str, str]) -> str:
    """Why a contact is in the order, in words: "on call: rota for cyber-security", "fallback"."""
    fallback = source.startswith("fallback ")
    kind, _, key = source.removeprefix("fallback ").partition(" ")
    said = gettext("on call: %(rota)s", rota=names.get(key, key)) if kind == "rota" else gettext("named in the order")
    return gettext("fallback: %(why)s", why=said) if fallback else said


def _name(people: dict[str, Person], key: str) -> str:
    if not key:
        return "—"  # a gap: no layer of the rota is active and no override covers it
    person = people.get(key)
    return person.name if person else key

"""Who is on call now and next, per incident type: computed by the callout's own pure resolver,
so the page can never disagree with whom the callout would actually ring."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, g, render_template

from hotline.base.models import utcnow
from hotline.base.oncall_policy import OncallSettings
from hotline.base.runtime import get_runtime

from .auth import guard
from .i18n import gettext

bp = Blueprint("console_rota", __name__)
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
    from callout.rota import next_on_call, on_call_now, resolve_contacts

    cfg = get_runtime().config
    settings = cfg.extras["oncall"]
    now = utcnow()
    people = cfg.people
    rotas = []
    for key, rota in settings.rotas.items():
        cur, nxt = on_call_now(rota, now), next_on_call(rota, now)
        rotas.append(RotaRow(key, _name(people, cur.person), cur.since, cur.until, cur.reason,
                             _name(people, nxt.person) if nxt else None, nxt.since if nxt else None))
    types = []
    for type_key in cfg.incident_types:
        policy = settings.policy_for(type_key)
        contacts = resolve_contacts(policy, settings.rotas, (), now, people=people, fallback=settings.fallback)
        types.append(TypeRow(type_key, policy.key, contacts))
    return render_template("console/rota.html", rotas=rotas, types=types, tz=ZoneInfo(cfg.timezone), now=now,
                           rota_names=rota_names(settings, lambda key: cfg.type_name(key, g.get("lang", "zh-TW"))),
                           source_words=source_words)


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


def _name(people: dict, key: str) -> str:  # type: ignore[type-arg]
    person = people.get(key)
    return person.name if person else key

"""Who is calling: a plain function of caller ID and configuration, decided at the first webhook."""

from __future__ import annotations

from dataclasses import dataclass

from hotline.base.config import Config


@dataclass(frozen=True)
class CallerRole:
    flow: str  # which ivr_flows/ file serves them
    who: str | None = None  # operator or person key


def rota_members(cfg: Config) -> set[str]:
    oncall = cfg.extras.get("oncall")
    rotas = getattr(oncall, "rotas", {}) or {}
    return {m for rota in rotas.values() for m in getattr(rota, "members", ())}


def person_for(cfg: Config, caller: str | None) -> str | None:
    return next((p.key for p in cfg.people.values() if caller and p.phone == caller), None)


def caller_role(cfg: Config, caller: str | None, flows: set[str]) -> CallerRole:
    """Allowlisted operators get the operator flow; rota members the on-call summary; everyone
    else (and anyone whose flow file is absent) the emergency flow."""
    if caller:
        operator = next((k for k, num in cfg.operators.items() if num == caller), None)
        if operator and "operator" in flows:
            return CallerRole("operator", operator)
        person = person_for(cfg, caller)
        if person and person in rota_members(cfg) and "staff" in flows:
            return CallerRole("staff", person)
    return CallerRole(cfg.flow)

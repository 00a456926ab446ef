"""Who is calling: a plain function of caller ID and configuration, decided at the first webhook.

Caller ID is spoofable, so the role only chooses which menu is offered; acting needs a PIN in the
call (see flow_engine.needs_pin), unless the carrier verified the number and config trusts that.
"""

from __future__ import annotations

from dataclasses import dataclass

from hotline.base.config import Config
from hotline.rotas.policy import OncallSettings


@dataclass(frozen=True)
class CallerRole:
    flow: str  # which ivr_flows/ file serves them
    who: str | None = None  # operator or person key


# Twilio's StirVerstat for a SHAKEN/STIR call with full attestation: the originating carrier
# knows the caller and their right to this number. B, C and failed results prove nothing.
VERIFIED_STIR = "TN-Validation-Passed-A"


def network_verified(cfg: Config, stir_verstat: str | None) -> bool:
    """Caller ID counts as identity only when config.toml says to trust carrier attestation A."""
    return cfg.trust_verified_caller_id and stir_verstat == VERIFIED_STIR


def rota_members(cfg: Config) -> set[str]:
    return {m for rota in cfg.section(OncallSettings).rotas.values() for m in rota.members}


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

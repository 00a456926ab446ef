"""URLs Twilio is given for crisis calls: each carries the member id (`m`) or crisis id (`c`)."""

from __future__ import annotations

from urllib.parse import urlencode

from hotline.base.config import Config


def member_hook(cfg: Config, name: str, member_id: int, **query: object) -> str:
    params = {"m": str(member_id), **{k: str(v) for k, v in query.items()}}
    return f"{cfg.public_url}/voice/crisis/{name}?{urlencode(params)}"


def bridge_hook(cfg: Config, crisis_id: int, person: str = "") -> str:
    params = {"c": str(crisis_id), **({"p": person} if person else {})}
    return f"{cfg.public_url}/voice/crisis/bridge-status?{urlencode(params)}"


def bridge_name(crisis_id: int) -> str:
    """The conference's friendly name: one per activated incident."""
    return f"crisis-{crisis_id}"

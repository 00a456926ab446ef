"""Set what a participant's sim phone does during a drill, through the sim's control API.

Only where the sim plays Twilio (`cfg.twilio.sim_mode`): tabletop drills hand every phone to
the browser ("manual"), simulation drills give each its script ("answer after 10 s, press 1",
"voicemail", "never"). A real Twilio account has no such thing, and nothing is sent.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

import requests

from hotline.base.config import Config

log = logging.getLogger("hotline.drill_phones")


def program(cfg: Config, number: str, behaviour: dict[str, Any]) -> bool:
    if not cfg.twilio.sim_mode or not cfg.twilio.sim_url:
        return False
    url = f"{cfg.twilio.sim_url}/sim/api/phones/{quote(number)}/behaviour"
    try:
        requests.post(url, json=behaviour, headers=cfg.twilio.sim_headers, timeout=10).raise_for_status()
    except requests.RequestException as exc:
        log.warning("could not set the sim phone %s to %s: %s", number, behaviour, exc)
        return False
    return True

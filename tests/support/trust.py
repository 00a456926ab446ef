"""Phone-side helpers shared by the trust-boundary, replay, PIN and before-the-PIN tests: the
numbers and PIN of config.toml's operator and on-call person, a caller's report, and a request
signed as Twilio would sign it."""

from __future__ import annotations

from html import unescape
from xml.etree import ElementTree as ET

import requests
from twilio.request_validator import RequestValidator

from hotline.base.models import Incident
from tests.support.sandbox import Hotline

OPERATOR = "+881631234567"  # radio_north in config.toml: recognised by caller ID alone
ON_CALL = "+886912000001"  # chen, in the it_security rota
OPERATOR_PIN = "482916"
CALLER = "+886955123456"


def forget_pin_failures(h: Hotline) -> None:
    keys = h.runtime.redis.keys("hotline:throttle:pin*") + h.runtime.redis.keys("hotline:pin-known:*")
    if keys:
        h.runtime.redis.delete(*keys)


def incident(h: Hotline, incident_id: int) -> Incident:
    with h.session() as s:
        inc = s.get(Incident, incident_id)
        assert inc is not None
        return inc


def reported(h: Hotline, speech_wav) -> Incident:  # type: ignore[no-untyped-def]
    c = h.report("12", CALLER, speech_wav)
    return h.wait_for(lambda: h.incident_for(c.sid), what="incident")


def signed_post(h: Hotline, path_and_query: str, form: dict[str, str]) -> requests.Response:
    """What Twilio would post: signed with the account's token over the public URL."""
    url = path_and_query if path_and_query.startswith("http") else h.public_url + path_and_query
    sig = RequestValidator(h.sim.auth_token).compute_signature(url, form)
    return requests.post(url, data=form, headers={"X-Twilio-Signature": sig}, timeout=10)


def next_url(twiml: str, verb: str = "Gather") -> str:
    node = ET.fromstring(twiml).find(f".//{verb}")
    assert node is not None, twiml
    return unescape(node.get("action", ""))

"""The sim's outbound SMS as a carrier and Twilio's limits shape it (sim/delivery.py): a number
whose messages are undelivered or fail reports so in its status callbacks with Twilio's error
code, and Messages.create beyond the per-second limit is refused with 429 / 20429, set through
the control API as another process would."""

from __future__ import annotations

import pytest
import requests
from twilio.base.exceptions import TwilioRestException

from hotline.provider.rest import make_client
from sim import Sim
from tests.support.webapp import HOTLINE, WebApp

GOOD, GONE, BROKEN = "+886912000001", "+886912000002", "+886912000003"


def test_undelivered_and_failed_texts_say_why(sim: Sim, web: WebApp) -> None:
    r = requests.post(f"{sim.api_base_url}/sim/api/messaging",
                      json={"outcomes": {GONE: "undelivered", BROKEN: "failed"}}, timeout=5)
    assert r.json()["outcomes"] == {GONE: "undelivered", BROKEN: "failed"}
    client = make_client(sim.account_sid, sim.auth_token, sim.api_base_url)
    for to in (GOOD, GONE, BROKEN):
        client.messages.create(to=to, from_=HOTLINE, body="Are you safe?", status_callback=web.url(f"s{to[-1]}"))
    sim.settle()
    finals = {to: web.requests_to(f"s{to[-1]}")[-1].params for to in (GOOD, GONE, BROKEN)}
    assert finals[GOOD]["MessageStatus"] == "delivered" and "ErrorCode" not in finals[GOOD]
    assert (finals[GONE]["MessageStatus"], finals[GONE]["ErrorCode"]) == ("undelivered", "30003")
    assert (finals[BROKEN]["MessageStatus"], finals[BROKEN]["ErrorCode"]) == ("failed", "30008")
    assert all(h.signature_ok for to in (GOOD, GONE, BROKEN) for h in web.requests_to(f"s{to[-1]}"))
    with pytest.raises(Exception, match="outcome"):
        sim.delivery.configure(outcomes={GOOD: "lost"})


def test_more_than_the_limit_in_a_second_gets_429_20429(sim: Sim) -> None:
    requests.post(f"{sim.api_base_url}/sim/api/messaging", json={"per_second": 3}, timeout=5)
    client = make_client(sim.account_sid, sim.auth_token, sim.api_base_url)
    for _ in range(3):
        client.messages.create(to=GOOD, from_=HOTLINE, body="within the limit")
    with pytest.raises(TwilioRestException) as refused:
        client.messages.create(to=GOOD, from_=HOTLINE, body="one too many")
    assert (refused.value.status, refused.value.code) == (429, 20429)
    assert sim.delivery.refused == 1 and len(sim.messages) == 3

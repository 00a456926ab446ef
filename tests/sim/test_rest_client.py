"""The real twilio client, pointed at the simulator through hotline.provider.rest.make_client."""

from __future__ import annotations

import pytest
import requests
from twilio.base.exceptions import TwilioRestException

from hotline.provider.rest import make_client
from sim import Sim
from tests.support.webapp import HOTLINE, WebApp, twiml

VOLUNTEER = "+886912000001"


def test_create_fetch_list_and_hang_up_a_call(sim: Sim, web: WebApp) -> None:
    client = make_client(sim.account_sid, sim.auth_token, sim.api_base_url)
    url = web.route("outbound", twiml("<Say>Hello volunteer</Say><Pause length='60'/>"))
    created = client.calls.create(to=VOLUNTEER, from_=HOTLINE, url=url)
    assert created.sid.startswith("CA") and len(created.sid) == 34
    assert created.status == "queued" and created.direction == "outbound-api"

    phone_call = sim.phone(VOLUNTEER).expect_call()
    assert phone_call.sid == created.sid
    phone_call.answer()
    phone_call.expect_say("hello volunteer")

    fetched = client.calls(created.sid).fetch()
    assert fetched.status == "in-progress" and fetched.to == VOLUNTEER and fetched._from == HOTLINE

    listed = client.calls.list(to=VOLUNTEER)
    assert [c.sid for c in listed] == [created.sid]

    ended = client.calls(created.sid).update(status="completed")
    assert ended.sid == created.sid
    assert phone_call.expect_hangup() == "completed"
    assert client.calls(created.sid).fetch().status == "completed"


def test_list_pages_through_many_calls(sim: Sim, web: WebApp) -> None:
    client = make_client(sim.account_sid, sim.auth_token, sim.api_base_url)
    url = web.route("o", twiml("<Hangup/>"))
    sim.phone(VOLUNTEER).busy()
    sids = {client.calls.create(to=VOLUNTEER, from_=HOTLINE, url=url).sid for _ in range(7)}
    assert {c.sid for c in client.calls.list(page_size=3)} == sids


def test_update_redirects_live_call_with_url_and_twiml(sim: Sim, web: WebApp) -> None:
    client = make_client(sim.account_sid, sim.auth_token, sim.api_base_url)
    url = web.route("hold", twiml("<Say>Please hold</Say><Pause length='600'/>"))
    web.route("connect", twiml("<Say>Connecting you now</Say><Pause length='600'/>"))
    sim.phone(VOLUNTEER).answer_after(0)
    call = client.calls.create(to=VOLUNTEER, from_=HOTLINE, url=url)
    handle = sim.handle(call.sid)
    handle.expect_say("please hold")
    client.calls(call.sid).update(url=web.url("connect"), method="POST")
    handle.expect_say("connecting you")
    client.calls(call.sid).update(twiml="<Response><Say>Goodbye</Say></Response>")
    handle.expect_say("goodbye")
    assert handle.expect_hangup() == "completed"
    assert [h.params["CallSid"] for h in web.requests_to("connect")] == [call.sid]


def test_cancel_ringing_call(sim: Sim, web: WebApp) -> None:
    client = make_client(sim.account_sid, sim.auth_token, sim.api_base_url)
    call = client.calls.create(to=VOLUNTEER, from_=HOTLINE, url=web.url("x"))
    handle = sim.handle(call.sid)
    handle.expect_status("ringing")
    client.calls(call.sid).update(status="canceled")
    assert handle.expect_hangup() == "canceled"
    with pytest.raises(TwilioRestException) as err:
        client.calls(call.sid).update(url=web.url("x"))
    assert err.value.code == 21220


def test_send_sms_is_delivered_to_phone_with_status_callbacks(sim: Sim, web: WebApp) -> None:
    client = make_client(sim.account_sid, sim.auth_token, sim.api_base_url)
    msg = client.messages.create(
        to=VOLUNTEER, from_=HOTLINE, body="New caller waiting: press 1", status_callback=web.url("sms-status")
    )
    assert msg.sid.startswith("SM") and msg.status == "queued" and msg.body.startswith("New caller")
    got = sim.phone(VOLUNTEER).expect_sms("caller waiting")
    assert got["from"] == HOTLINE
    sim.settle()
    statuses = [h.params["MessageStatus"] for h in web.requests_to("sms-status")]
    assert statuses == ["sent", "delivered"]
    assert all(h.signature_ok for h in web.requests_to("sms-status"))
    assert client.messages(msg.sid).fetch().status == "delivered"
    assert [m.sid for m in sim.messages] == [msg.sid]


def test_wrong_credentials_get_401_code_20003(sim: Sim) -> None:
    client = make_client(sim.account_sid, "not-the-token", sim.api_base_url)
    with pytest.raises(TwilioRestException) as err:
        client.calls.create(to=VOLUNTEER, from_=HOTLINE, url="http://127.0.0.1:1/x")
    assert err.value.status == 401 and err.value.code == 20003
    raw = requests.get(f"{sim.api_base_url}/2010-04-01/Accounts/{sim.account_sid}/Calls.json")
    assert raw.status_code == 401
    assert set(raw.json()) == {"code", "message", "more_info", "status"}


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"to": "", "from_": HOTLINE, "url": "http://127.0.0.1:1/x"}, 21201),
        ({"to": "12345", "from_": HOTLINE, "url": "http://127.0.0.1:1/x"}, 21211),
        ({"to": VOLUNTEER, "from_": "", "url": "http://127.0.0.1:1/x"}, 21213),
        ({"to": VOLUNTEER, "from_": HOTLINE, "url": "not a url"}, 21205),
    ],
)
def test_call_validation_errors(sim: Sim, kwargs: dict[str, str], code: int) -> None:
    client = make_client(sim.account_sid, sim.auth_token, sim.api_base_url)
    with pytest.raises(TwilioRestException) as err:
        client.calls.create(**kwargs)
    assert err.value.code == code and err.value.status == 400


def test_injected_rest_faults_reach_the_real_client_then_calls_go_through(sim: Sim, web: WebApp) -> None:
    client = make_client(sim.account_sid, sim.auth_token, sim.api_base_url)
    sim.fail_next_calls(429, 20429)
    sim.fail_next_calls(503, 20500)
    for status, code in ((429, 20429), (503, 20500)):
        with pytest.raises(TwilioRestException) as err:
            client.calls.create(to=VOLUNTEER, from_=HOTLINE, url=web.url("x"))
        assert (err.value.status, err.value.code) == (status, code)
    call = client.calls.create(to=VOLUNTEER, from_=HOTLINE, url=web.url("x"))
    assert call.sid.startswith("CA")
    assert sim.refused_calls == [(VOLUNTEER, 429), (VOLUNTEER, 503)]


def test_message_validation_and_not_found(sim: Sim) -> None:
    client = make_client(sim.account_sid, sim.auth_token, sim.api_base_url)
    with pytest.raises(TwilioRestException) as err:
        client.messages.create(to="+1", from_=HOTLINE, body="x")
    assert err.value.code == 21211
    with pytest.raises(TwilioRestException) as err:
        client.messages.create(to=VOLUNTEER, from_=HOTLINE, body="")
    assert err.value.code == 21602
    with pytest.raises(TwilioRestException) as err:
        client.calls("CA" + "0" * 32).fetch()
    assert err.value.status == 404 and err.value.code == 20404


def test_make_client_without_base_url_targets_twilio() -> None:
    client = make_client("AC" + "1" * 32, "token")
    assert client.api.base_url == "https://api.twilio.com"

"""The real twilio client, pointed at the simulator through hotline.provider.rest.make_client."""

from __future__ import annotations

import pytest
import requests
from twilio.base.exceptions import TwilioRestException

from hotline.provider.rest import make_client
from sim import Sim
from tests.sim.conftest import HOTLINE
from tests.sim.webapp import WebApp, twiml

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


def _recordings_at(sim: Sim, web: WebApp, starts: list[float]) -> list[str]:
    """Recordings held by the sim with these creation times (epoch), on calls of their own."""
    from sim.audio import beep_pcm, pcm_to_wav
    from sim.model import new_sid

    client = make_client(sim.account_sid, sim.auth_token, sim.api_base_url)
    sim.phone(VOLUNTEER).busy()
    url = web.route("rec", twiml("<Hangup/>"))
    wav = pcm_to_wav(beep_pcm(1.0, 440.0))
    sids = []
    for start in starts:
        call = sim.call_object(client.calls.create(to=VOLUNTEER, from_=HOTLINE, url=url).sid)
        assert call is not None
        sids.append(sim.store_recording(call, new_sid("RE"), wav, start).sid)
    return sids


def test_recordings_list_newest_first_with_documented_date_filters_and_fields(sim: Sim, web: WebApp) -> None:
    from datetime import UTC, datetime, timedelta

    day = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    hours = [day + timedelta(hours=h) for h in (0, 1, 2, 3, 20)]  # the last one on the next day (GMT)
    sids = _recordings_at(sim, web, [t.timestamp() for t in hours])
    client = make_client(sim.account_sid, sim.auth_token, sim.api_base_url)
    assert [r.sid for r in client.recordings.list()] == sids[::-1]  # newest first
    # The helper library sends DateCreated> / DateCreated< as instants: on or after, on or before.
    assert [r.sid for r in client.recordings.list(date_created_after=hours[1])] == sids[:0:-1]
    assert [r.sid for r in client.recordings.list(date_created_before=hours[2])] == sids[2::-1]
    assert [r.sid for r in client.recordings.list(date_created_after=hours[1], date_created_before=hours[3])] \
        == sids[3:0:-1]
    # A day in GMT, as the documentation writes it.
    base = f"{sim.api_base_url}/2010-04-01/Accounts/{sim.account_sid}/Recordings.json"
    auth = (sim.account_sid, sim.auth_token)
    on_day = requests.get(base, params={"DateCreated": "2026-03-01"}, auth=auth, timeout=5).json()
    assert [r["sid"] for r in on_day["recordings"]] == sids[3::-1]
    after_day = requests.get(base, params={"DateCreated>": "2026-03-02"}, auth=auth, timeout=5).json()
    assert [r["sid"] for r in after_day["recordings"]] == [sids[4]]
    bad = requests.get(base, params={"DateCreated>": "yesterday"}, auth=auth, timeout=5)
    assert bad.status_code == 400 and bad.json()["code"] == 20001
    first = client.recordings(sids[0]).fetch()
    assert first.call_sid and first.status == "completed" and first.source == "RecordVerb"
    assert first.date_created == hours[0] and first.media_url == sim.recording_url(sids[0])
    assert requests.get(first.media_url, timeout=5).content[:4] == b"RIFF"
    # Calls: StartTime filters (a call that never started has no StartTime and is left out).
    assert client.calls.list(start_time_after=day) == []


def test_recordings_pages_follow_a_cursor_so_a_new_recording_shifts_nothing(sim: Sim, web: WebApp) -> None:
    sids = _recordings_at(sim, web, [1_700_000_000.0 + i for i in range(5)])
    client = make_client(sim.account_sid, sim.auth_token, sim.api_base_url)
    page = client.recordings.page(page_size=2)
    seen = [r.sid for r in page]  # a page is read once
    assert seen == sids[:2:-1]
    _recordings_at(sim, web, [1_700_000_100.0])  # newer than all: it would push an offset page along
    while (page := page.next_page()) is not None:
        seen.extend(r.sid for r in page)
    assert seen == sids[::-1]

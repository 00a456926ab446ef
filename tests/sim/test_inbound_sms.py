"""Texts to one of the account's numbers, as Twilio handles them: the incoming-message webhook
(signed POST with MessageSid, From, To, Body, NumMedia and MediaUrlN) to the number's sms_url, a
<Message> in the answer texted back; STOP/START/HELP answered by Twilio itself and still passed
on (with OptOutType), and after STOP, Messages.create to that sender refused with 21610."""

from __future__ import annotations

import pytest
from twilio.base.exceptions import TwilioRestException

from hotline.provider.rest import make_client
from sim import Sim
from tests.sim.conftest import HOTLINE
from tests.sim.webapp import WebApp, twiml

ME = "+886912000777"


def test_a_text_reaches_the_webhook_signed_and_its_message_comes_back(sim: Sim, web: WebApp) -> None:
    sim.add_number(HOTLINE, voice_url=web.url("voice"),
                   sms_url=web.route("sms", twiml("<Message><Body>Report 1001 received.</Body></Message>")))
    got = sim.phone(ME).text(HOTLINE, "smoke on floor 3", [("https://api.twilio.com/x/Media/ME1", "image/jpeg")])
    assert got == ["Report 1001 received."]
    hit = web.requests_to("sms")[0]
    assert hit.signature_ok
    assert (hit.params["From"], hit.params["To"], hit.params["Body"]) == (ME, HOTLINE, "smoke on floor 3")
    assert hit.params["NumMedia"] == "1" and hit.params["MediaContentType0"] == "image/jpeg"
    assert hit.params["MessageSid"].startswith("MM") and "OptOutType" not in hit.params
    assert sim.phone(ME).messages[-1]["body"] == "Report 1001 received."


def test_an_empty_response_sends_nothing_and_a_broken_one_is_not_texted(sim: Sim, web: WebApp) -> None:
    sim.add_number(HOTLINE, voice_url=web.url("voice"), sms_url=web.route("sms", twiml("")))
    assert sim.phone(ME).text(HOTLINE, "hello") == []
    web.route("sms", ("<html>oops</html>", 500))
    assert sim.phone(ME).text(HOTLINE, "hello again") == []
    assert sim.phone(ME).messages == []


def test_stop_is_answered_by_twilio_passed_on_and_blocks_later_texts(sim: Sim, web: WebApp) -> None:
    sim.add_number(HOTLINE, voice_url=web.url("voice"),
                   sms_url=web.route("sms", twiml("<Message>ours</Message>")))
    got = sim.phone(ME).text(HOTLINE, " stop ")
    assert got and got[0].startswith("You have successfully been unsubscribed")
    assert "ours" not in got  # a TwiML reply to someone who just opted out is not delivered
    assert web.requests_to("sms")[-1].params["OptOutType"] == "STOP"
    client = make_client(sim.account_sid, sim.auth_token, sim.api_base_url)
    with pytest.raises(TwilioRestException) as refused:
        client.messages.create(to=ME, from_=HOTLINE, body="Are you safe?")
    assert refused.value.code == 21610
    assert sim.phone(ME).text(HOTLINE, "START")[0].startswith("You have successfully been re-subscribed")
    client.messages.create(to=ME, from_=HOTLINE, body="Are you safe?")

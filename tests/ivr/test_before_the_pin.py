"""Issue 24, finding 11: caller ID alone, before any PIN. A spoofed staff number heard the open
incidents (count, references, types, statuses); a spoofed operator number looked incidents up by
reference and filed "relayed" reports under a named operator. Now nothing about incidents is
spoken, looked up or attributed before the PIN. Through the sim and sim-signed webhooks, real
Redis. (Each test fails on the main before the fix; the drill's test call is in
tests/drills/test_drills_e2e.py.)"""

from __future__ import annotations

import pytest

from hotline.base import jobs
from hotline.base.lifecycle import Actor, Channel
from hotline.base.pins import set_pin
from hotline.paging import commands
from tests.support.sandbox import HOTLINE, Hotline
from tests.support.trust import ON_CALL, OPERATOR, OPERATOR_PIN
from tests.support.trust import next_url as _next_url
from tests.support.trust import reported as _reported
from tests.support.trust import signed_post as _signed_post

CHEN_PIN = "864202"
AS_RADIO = "op%3Dradio_north%3Bwho%3Dradio_north"  # the call data caller ID alone gives: no auth


@pytest.fixture(scope="module")
def hotline(redis_url, tmp_path_factory):
    h = Hotline(tmp_path_factory.mktemp("beforepin"), redis_url, "sqlite",
                extra_env={"HOTLINE_OPERATOR_PIN": OPERATOR_PIN})
    set_pin(h.config.data_dir, "person:chen", CHEN_PIN)
    h.start_worker("recordings", "default")
    yield h
    h.close()


def test_finding11_a_spoofed_staff_number_hears_nothing_about_incidents_before_the_pin(hotline, speech_wav):
    inc = _reported(hotline, speech_wav)
    c = hotline.sim.dial(ON_CALL, HOTLINE)
    c.expect_say("值班人員您好")
    c.expect_say("通報新的緊急事件請按0")  # the menu's last line: all it says before a key
    said = " ".join(c.said())
    assert " ".join(inc.ref) not in said and "件" not in said.replace("事件", "")  # no count, no reference
    c.press("1")
    c.expect_say("請輸入密碼")
    c.press(CHEN_PIN + "#")
    brief = c.expect_say(f"事件 {' '.join(inc.ref)}")  # after the PIN: the open incidents
    assert "共" in brief["text"]
    c.hangup()
    jobs.run(commands.stop_paging, inc.id, Actor("test", Channel.CLI), "end of test")


def test_finding11_a_spoofed_operator_number_looks_nothing_up_and_relays_nothing_under_a_name(hotline, speech_wav):
    inc = _reported(hotline, speech_wav)
    form = {"CallSid": "CAspoofop1", "From": OPERATOR, "To": HOTLINE, "AccountSid": hotline.sim.account_sid}
    menu = _signed_post(hotline, "/voice/incoming", form)
    for key in ("1", "2"):  # a relay under the operator's name, a look-up by reference: the PIN first
        r = _signed_post(hotline, _next_url(menu.text), {**form, "Digits": key})
        assert "請輸入密碼" in r.text and "事件類型代碼" not in r.text and "事件編號" not in r.text
    # a signed URL built for the look-up node, without the PIN's proof, reads nothing back
    r = _signed_post(hotline, f"/voice/step?w=operator&n=op_ref&l=zh-TW&t=0&f=1&x={AS_RADIO}",
                     {**form, "Digits": inc.ref})
    assert "天然災害" not in r.text and "您輸入的是" not in r.text
    # nor files a report under the operator's name: it is the caller ID's own report
    r = _signed_post(hotline, f"/voice/step?w=operator&n=op_type&l=zh-TW&t=0&f=0&v=3&x={AS_RADIO}",
                     {**form, "Digits": "1"})
    assert r.status_code == 200
    relayed = hotline.incident_for("CAspoofop1")
    assert relayed is not None and relayed.relayed_by is None and relayed.source != "operator"
    for done in (inc.id, relayed.id):
        jobs.run(commands.stop_paging, done, Actor("test", Channel.CLI), "end of test")

"""An on-call person dials the hotline while the callout is ringing someone else: they hear the
open incident, press 1, and the same atomic accept ends the other call and sends the SMS."""

from __future__ import annotations

import pytest

from hotline.base.models import Incident
from hotline.paging.models import Callout
from tests.support.e2e import CHEN, next_call, report, write_config
from tests.support.lanes import starts_processes
from tests.support.sandbox import HOTLINE, Hotline

WANG = "+886912000003"  # in the `duty` rota, so recognised by caller ID
WANG_PIN = "135792"


@pytest.fixture(scope="module")
@starts_processes
def hotline(redis_url, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("staff")
    path = write_config(tmp)  # the callout tests' small rota: chen, then lin; director as fallback
    path.write_text(path.read_text() + '\n[rotas.duty]\nmembers = ["wang"]\n', encoding="utf-8")
    h = Hotline(tmp, redis_url, "sqlite", config_path=path)
    from hotline.base.pins import set_pin

    set_pin(h.config.data_dir, "person:wang", WANG_PIN)
    h.start_worker("callout", "recordings", "default")
    yield h
    h.close()


def test_on_call_person_accepts_by_dialling_in_while_another_is_being_rung(hotline, speech_wav):
    inc = report(hotline, "12", wav=speech_wav)
    ringing = next_call(hotline, CHEN)  # the callout is ringing chen; nobody answers
    ringing.expect_status("ringing")

    wang = hotline.sim.dial(WANG, HOTLINE)
    wang.expect_say("值班人員您好")
    wang.press("1")  # the open incidents
    wang.expect_say("請輸入密碼")  # caller ID only chose the on-call menu: nothing is read before wang's PIN
    wang.press(WANG_PIN + "#")
    brief = wang.expect_say(f"事件 {' '.join(inc.ref)}，天然災害")
    assert "共 1 件" in brief["text"]
    wang.press("1")  # accept: no second PIN
    wang.expect_say(f"您已受理事件 {' '.join(inc.ref)}")
    wang.hangup()

    assert ringing.expect_hangup() in ("canceled", "completed")  # ended through the REST API
    with hotline.session() as s:
        callout = s.query(Callout).one()
        assert callout.state == "accepted" and callout.accepted_by == "wang"
    hotline.wait_for(lambda: hotline_incident_status(hotline, inc.id) == "accepted", what="incident accepted")
    hotline.sim.phone(WANG).expect_sms(inc.ref)  # the acceptor's summary, as after a callout accept
    assert len([e for e in hotline.audit(inc.id) if e.kind == "callout.accepted"]) == 1

    second = hotline.sim.dial(WANG, HOTLINE)  # nothing left to accept
    second.press("1")
    second.press(WANG_PIN + "#")
    second.expect_say("目前沒有未處理的事件")
    second.hangup()


def hotline_incident_status(h, incident_id: int) -> str:
    with h.session() as s:
        return s.get(Incident, incident_id).status


def test_a_listed_person_not_on_call_gets_the_same_menu_with_their_personal_pin(hotline):
    from hotline.base.pins import set_pin

    set_pin(hotline.config.data_dir, "person:chen", "246810")  # chen is in no rota here
    c = hotline.sim.dial(CHEN, HOTLINE)
    c.expect_say("請選擇事件類型")  # not recognised as on call: the caller's menu
    c.press("*")
    c.press("246810#")
    c.expect_say("值班人員您好")
    c.hangup()
    stranger = hotline.sim.dial("+886955000999", HOTLINE)  # the same PIN from another phone opens nothing
    stranger.expect_say("請選擇事件類型")
    stranger.press("*")
    stranger.press("246810#")
    stranger.expect_say("密碼不正確")
    stranger.hangup()


def test_the_count_is_every_open_incident_not_only_the_ones_read_out(hotline):
    """Nine incidents are read out, one at a time; the count says how many are open in all."""
    from hotline.ivr.voice_context import MAX_READ_OUT

    many = MAX_READ_OUT + 3
    with hotline.session() as s:
        rows = [Incident(type_key="other", language="zh-TW", status="new", ref=f"8{n:03d}") for n in range(many)]
        s.add_all(rows)
    try:
        wang = hotline.sim.dial(WANG, HOTLINE)
        wang.expect_say("值班人員您好")
        wang.press("1")
        wang.press(WANG_PIN + "#")
        brief = wang.expect_say(f"事件 {' '.join('8' + f'{many - 1:03d}')}")  # the newest first
        assert f"共 {many} 件" in brief["text"], brief["text"]
        wang.hangup()
    finally:
        with hotline.session() as s:
            for row in s.query(Incident).filter(Incident.ref.like("8%")):
                row.status = "closed"

"""Browser phones for the sim, in Chromium: one tab plays the caller (with a fake microphone fed
from a WAV file), a second tab is the on-call director who answers the callout and presses 1."""

from __future__ import annotations

from hotline.base.models import Recording
from tests.support.console import login, shot
from tests.support.sandbox import Hotline

CALLER = "+886955000777"
DIRECTOR = "+886912000009"  # `other` reports page the management rota: the director alone


def test_caller_reports_by_browser_and_responder_accepts_in_a_second_tab(context, hotline: Hotline):
    caller = login(context.new_page())
    caller.goto(f"/sim/phone/{CALLER}")
    caller.locator("#phone[data-ready='1']").wait_for()
    caller.click("#dial")
    caller.locator("#log li[data-kind=say]", has_text="請選擇事件類型").wait_for()
    caller.click("#keypad [data-key='7']")  # other
    caller.click("#keypad [data-key='2']")  # nobody in danger
    caller.locator("#phone[data-state=record]").wait_for()
    caller.locator("#phone[data-mic=on]").wait_for()  # MediaRecorder on Chromium's fake microphone
    caller.wait_for_function("Number(document.getElementById('phone').dataset.uploads || 0) >= 1")
    shot(caller, "phone-caller-recording")
    caller.click("#keypad [data-key='#']")  # the last segment goes up, then # ends the <Record>
    caller.locator("#phone[data-state=ended]").wait_for()
    shot(caller, "phone-caller-done")

    call = next(c for c in hotline.sim.calls if c.call.from_ == CALLER)
    incident = hotline.wait_for(lambda: hotline.incident_for(call.sid), what="incident")
    assert (incident.type_key, incident.severity, incident.caller) == ("other", "normal", CALLER)
    rec: Recording = hotline.wait_for(
        lambda: next((r for r in hotline.recordings(incident.id) if r.status == "stored"), None), what="recording")
    assert rec.duration and rec.duration > 1.5  # real speech from the WAV, through webm and back

    responder = context.new_page()
    responder.goto(f"/sim/phone/{DIRECTOR}")
    responder.locator("#ringing").wait_for()  # the callout rings this number
    assert caller.locator("#ringing").is_hidden()
    responder.click("#answer")
    responder.locator("#log li[data-kind=say]", has_text="受理請按1").wait_for()  # the director is zh-TW-first
    responder.click("#keypad [data-key='2']")  # hear the caller's recording: a <Play> in the browser
    responder.locator("#log li[data-kind=play]").wait_for()
    responder.wait_for_function("Number(document.getElementById('phone').dataset.played || 0) >= 1")
    responder.click("#keypad [data-key='1']")
    responder.locator("#log li[data-kind=say]", has_text="您已受理").wait_for()
    shot(responder, "phone-responder-accepted")
    accepted = hotline.wait_for(lambda: (i := hotline.incident_for(call.sid)) and i.accepted_by and i, what="accept")
    assert accepted.accepted_by == "director" and accepted.status == "accepted"


def test_phone_pages_need_the_sim_numbers_only(context, hotline: Hotline):
    page = login(context.new_page())
    page.goto("/sim")
    assert page.locator(".phones li").count() == len(hotline.config.people)
    shot(page, "phones")
    r = page.request.post("/sim/api/dial", data={"from": CALLER, "to": "+886900000000"},
                          headers={"X-CSRF-Token": page.locator("meta[name=csrf-token]").get_attribute("content")})
    assert r.status == 400 and "only dial the hotline" in r.json()["error"]
    assert page.request.post("/sim/api/numbers", data={}).status == 403  # no CSRF token
    token = page.locator("meta[name=csrf-token]").get_attribute("content")
    assert page.request.post("/sim/api/numbers", data={}, headers={"X-CSRF-Token": token}).status == 404

"""Steering one incident from its page (issue #25), in Chromium at 390 and 1280 px in both
languages, each change confirmed with a reason and audited:

- snooze for a set time: the calls stop, the page says "snoozed by X until HH:MM", and when the
  time is up the convergence cycle pages it again by itself;
- change the severity: the dialog names the old and the new one; the timeline says who and why;
- escalate now: the call ringing ends and the next person in the order is called at once;
- and, read only, whom the callout rings next if nobody answers, and when."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from hotline.base.models import Incident, utcnow
from hotline.base.states import IncidentStatus
from hotline.paging.callout.decide import DIRECT_STEP
from hotline.paging.callout.store import callout_for_incident
from tests.support.console import ADMIN, confirm, login, report, shot
from tests.support.sandbox import HOTLINE, Hotline

SAID = {"en-US": ("Snooze paging for", "Snoozed by alice until", "The snooze ended; paging again"),
        "zh-TW": ("暫停", "alice 已暫停呼叫至", "暫停時間已到；重新開始呼叫")}


def _status(hotline: Hotline, incident_id: int) -> str:
    with hotline.session() as s:
        incident = s.get(Incident, incident_id)
        return incident.status if incident else ""


@pytest.mark.parametrize(("width", "lang", "digit"), [(390, "en-US", "6"), (1280, "zh-TW", "7")])
def test_snooze_for_15_minutes_then_paging_resumes_by_itself(context, hotline: Hotline, speech_wav: Path,
                                                             width: int, lang: str, digit: str):
    incident_id = report(hotline, speech_wav, digit, f"+88695510{width:04d}")
    hotline.wait_for(lambda: _status(hotline, incident_id) == IncidentStatus.PAGING or None, what="paging")
    context.add_cookies([{"name": "console_lang", "value": lang, "url": hotline.public_url}])
    page = login(context.new_page())
    page.wait_for_url("**/console/incidents")
    page.set_viewport_size({"width": width, "height": 844})
    page.goto(f"/console/incidents/{incident_id}")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    asks, snoozed, resumed = SAID[lang]
    page.click("#snooze-15-form button")
    question = confirm(page, "calling the caller back", navigates=True)
    assert asks in question and "15" in question, question
    now_text = page.locator("#now-text").inner_text()
    assert snoozed in now_text and "calling the caller back" in now_text, now_text
    assert _status(hotline, incident_id) == IncidentStatus.STOPPED
    assert page.locator("#snooze").count() == 0 and page.locator("#page-again-form").count() == 1
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    shot(page, f"snoozed-{width}-{lang}")

    hotline.converge(utcnow() + timedelta(minutes=14))
    assert _status(hotline, incident_id) == IncidentStatus.STOPPED  # not yet
    report_ = hotline.converge(utcnow() + timedelta(minutes=16))
    assert incident_id in report_["unsnoozed"]
    assert _status(hotline, incident_id) != IncidentStatus.STOPPED
    page.reload()
    assert resumed in page.locator("#audit").inner_text()
    stops = [e for e in hotline.audit(incident_id, "status_stopped")]
    assert [(e.actor, e.detail["minutes"]) for e in stops] == [(ADMIN, 15)]


SEVERITY = {"en-US": ("from normal to danger", "alice changed the severity from normal to danger: smoke seen"),
            "zh-TW": ("從一般改為危急", "alice 將嚴重程度從一般改為危急：smoke seen")}


@pytest.mark.parametrize(("width", "lang", "digit"), [(390, "zh-TW", "3"), (1280, "en-US", "4")])
def test_change_the_severity(context, hotline: Hotline, speech_wav: Path, width: int, lang: str, digit: str):
    c = hotline.sim.dial(f"+88695520{width:04d}", HOTLINE)
    c.expect_say("請選擇事件類型")
    c.press(digit)
    c.press("2")  # no danger, says the caller
    c.expect_record()
    c.press("#")
    c.expect_hangup()
    incident_id = hotline.wait_for(lambda: hotline.incident_for(c.sid), what="incident").id
    context.add_cookies([{"name": "console_lang", "value": lang, "url": hotline.public_url}])
    page = login(context.new_page())
    page.wait_for_url("**/console/incidents")
    page.set_viewport_size({"width": width, "height": 844})
    page.goto(f"/console/incidents/{incident_id}")
    page.select_option("#severity-form select", "danger")
    page.click("#severity-form button")
    asked, said = SEVERITY[lang]
    question = confirm(page, "smoke seen", navigates=True)
    assert asked in question, question
    with hotline.session() as s:
        assert s.get(Incident, incident_id).severity == "danger"
    assert said in page.locator("#audit").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    shot(page, f"severity-{width}-{lang}")


def _attempts(hotline: Hotline, incident_id: int) -> list[tuple[str, str]]:
    with hotline.session() as s:
        callout = callout_for_incident(s, incident_id)
        return [(a.person_key, a.state) for a in callout.attempts] if callout else []


def _direct_call(hotline: Hotline, incident_id: int, person: str) -> str | None:
    """The state of the call to `person` paged directly (beside the order), if there is one."""
    with hotline.session() as s:
        callout = callout_for_incident(s, incident_id)
        found = [a.state for a in (callout.attempts if callout else []) if a.person_key == person
                 and a.step >= DIRECT_STEP]
        return found[-1] if found else None


ESCALATE = {"en-US": ("call the next person", "moved paging on from"), "zh-TW": ("立即呼叫", "改呼叫下一位")}


@pytest.mark.parametrize(("width", "lang", "digit"), [(390, "en-US", "5"), (1280, "zh-TW", "2")])
def test_escalate_now(context, hotline: Hotline, speech_wav: Path, width: int, lang: str, digit: str):
    incident_id = report(hotline, speech_wav, digit, f"+88695530{width:04d}")
    first = hotline.wait_for(lambda: next((p for p, st in _attempts(hotline, incident_id) if st == "ringing"), None),
                             what="the first call ringing")
    context.add_cookies([{"name": "console_lang", "value": lang, "url": hotline.public_url}])
    page = login(context.new_page())
    page.wait_for_url("**/console/incidents")
    page.set_viewport_size({"width": width, "height": 844})
    page.goto(f"/console/incidents/{incident_id}")
    page.click("#escalate-form button")
    asked, said = ESCALATE[lang]
    assert asked in confirm(page, navigates=True)
    hotline.wait_for(lambda: (lambda calls: len(calls) >= 2 and calls[0][1] == "canceled" or None)(
        _attempts(hotline, incident_id)), what="the ringing call ended and the next person called")
    calls = _attempts(hotline, incident_id)
    assert calls[0] == (first, "canceled") and calls[1][0] != first, calls
    page.reload()
    assert said in page.locator("#audit").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    shot(page, f"escalated-{width}-{lang}")


NEXT = {"en-US": "Director Lee at {time} if nobody answers (round 2)",
        "zh-TW": "若無人接聽，{time} 呼叫 Director Lee（第 2 輪）"}


def test_the_page_names_the_next_call_and_its_time(context, hotline: Hotline, speech_wav: Path):
    """A natural disaster pages the management rota (Director Lee) alone in round 1; the fallback
    joins in round 2, where Director Lee comes first again: "next: Director Lee at 14:32"."""
    incident_id = report(hotline, speech_wav, "1", "+886955400390")
    hotline.wait_for(lambda: ("director", "ringing") in _attempts(hotline, incident_id) or None, what="ringing")
    with hotline.session() as s:
        callout = callout_for_incident(s, incident_id)
        ring = callout.attempts[0]
        zone = ZoneInfo(hotline.app.config["HOTLINE"].timezone)
        ends = (ring.created_at + timedelta(seconds=ring.ring_timeout)).astimezone(zone)
    clock = ends.strftime("%H:%M" if ends.date() == datetime.now(zone).date() else "%m-%d %H:%M")  # as `when` says it
    for width, lang in ((390, "en-US"), (1280, "zh-TW")):
        context.add_cookies([{"name": "console_lang", "value": lang, "url": hotline.public_url}])
        page = login(context.new_page())
        page.wait_for_url("**/console/incidents")
        page.set_viewport_size({"width": width, "height": 844})
        page.goto(f"/console/incidents/{incident_id}")
        said = page.locator("#next-call")
        assert said.get_attribute("data-person") == "director"
        assert said.inner_text() == NEXT[lang].format(time=clock), said.inner_text()
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        shot(page, f"next-call-{width}-{lang}")
        page.close()


@pytest.mark.parametrize("lang", ["en-US", "zh-TW"])
def test_the_action_bar_stays_on_a_phone_screen(context, hotline: Hotline, speech_wav: Path, lang: str):
    """At 390 px the primary actions stay at the bottom of the screen however far down the page is
    scrolled (the timeline, the callout), and ask first like every button; at 1280 px the actions
    card is in view and there is no bar."""
    incident_id = report(hotline, speech_wav, "6", f"+8869555{1 if lang == 'en-US' else 2}0390")
    context.add_cookies([{"name": "console_lang", "value": lang, "url": hotline.public_url}])
    page = login(context.new_page())
    page.wait_for_url("**/console/incidents")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"/console/incidents/{incident_id}")
    page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
    bar = page.locator("#action-bar")
    box = bar.bounding_box()
    assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= 844, box
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    bar.locator("form[data-action=stop] button").click()
    page.locator("dialog#confirm[open]").wait_for()
    page.click("#confirm-cancel")
    shot(page, f"action-bar-390-{lang}")
    page.set_viewport_size({"width": 1280, "height": 800})
    assert not bar.is_visible()


@pytest.mark.parametrize(("width", "lang", "person", "name"), [(390, "en-US", "wang", "Wang Hao"),
                                                              (1280, "zh-TW", "huang", "Huang Yu")])
def test_page_someone_now(context, hotline: Hotline, speech_wav: Path, width: int, lang: str, person: str,
                          name: str):
    incident_id = report(hotline, speech_wav, "4", f"+88695560{width:04d}")
    hotline.wait_for(lambda: any(st == "ringing" for _, st in _attempts(hotline, incident_id)) or None,
                     what="a call ringing")
    context.add_cookies([{"name": "console_lang", "value": lang, "url": hotline.public_url}])
    page = login(context.new_page())
    page.wait_for_url("**/console/incidents")
    page.set_viewport_size({"width": width, "height": 844})
    page.goto(f"/console/incidents/{incident_id}")
    page.select_option("#page-person-form select", person)
    page.click("#page-person-form button")
    assert name in confirm(page, navigates=True)
    hotline.wait_for(lambda: _direct_call(hotline, incident_id, person) == "ringing" or None, what=f"{person} ringing")
    page.reload()
    assert name in page.locator(f'#attempts tr[data-person="{person}"]').inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    shot(page, f"page-someone-{width}-{lang}")

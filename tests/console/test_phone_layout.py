"""The list on a phone at 3 a.m. (issue #25), in Chromium at 390 px: the first incident starts
on the first screen (it was 575 px down under the filters), the filters other than search fold
away, a skip link comes first, navigation and references are 44 px tap targets (checkboxes 24), and
the caller's number is a link that calls it."""

from __future__ import annotations

from pathlib import Path

import pytest

from hotline.base import jobs
from hotline.base.lifecycle import Actor, Channel
from hotline.paging.callout.store import callout_for_incident
from tests.support.console import login, reputation_report, shot
from tests.support.sandbox import Hotline


@pytest.mark.parametrize("lang", ["en-US", "zh-TW"])
def test_the_list_fits_a_thumb(context, hotline: Hotline, speech_wav: Path, lang: str):
    from hotline.paging import commands

    caller = f"+88695501{1 if lang == 'en-US' else 2}777"
    incident_id = reputation_report(hotline, speech_wav, caller)
    context.add_cookies([{"name": "console_lang", "value": lang, "url": hotline.public_url}])
    page = login(context.new_page())
    page.wait_for_url("**/console/incidents")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/console/incidents")
    row = page.locator(f'#incidents tr[data-incident="{incident_id}"]')
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"  # the first stop: skip to the content
    top = page.locator("#incidents tr[data-incident]").first.bounding_box()
    assert top is not None and top["y"] < 420, top  # on the first screen, not 575 px down
    assert not page.locator("select[name=status]").is_visible()  # folded away
    page.click("#more-filters summary")
    assert page.locator("select[name=status]").is_visible()

    sizes = page.evaluate("""[...document.querySelectorAll('header.top nav a, #incidents td a[id^=inc-], '
        + 'input[type=checkbox]')].map(e => [e.type === 'checkbox' ? 'checkbox' : e.textContent,
                                           e.getBoundingClientRect().height])""")
    small = [(what, round(h)) for what, h in sizes if h < (44 if what != "checkbox" else 22)]
    assert not small, small
    tel = row.locator("a.tel")
    assert tel.get_attribute("href") == f"tel:{caller}"
    shot(page, f"list-phone-390-{lang}")
    jobs.run(commands.stop_paging, incident_id, Actor("test", Channel.CLI), "end of test")


def test_an_unknown_address_gets_a_page_with_a_way_back(context, hotline: Hotline):
    """Issue #25: "/incidents/3" (a link cut short) was Werkzeug's unstyled page with no viewport."""
    context.add_cookies([{"name": "console_lang", "value": "zh-TW", "url": hotline.public_url}])
    page = context.new_page()
    page.set_viewport_size({"width": 390, "height": 844})
    response = page.goto("/incidents/3")
    assert response is not None and response.status == 404
    assert page.locator("meta[name=viewport]").count() == 1
    assert page.locator(".error-page h1").inner_text() == "找不到此頁面。"
    assert page.locator(".error-page a").count() >= 1
    machine = hotline.app.test_client().get("/incidents/3", headers={"Accept": "application/json"})
    assert machine.status_code == 404 and b"error-page" not in machine.data  # a tool keeps its plain answer


@pytest.mark.parametrize("lang", ["en-US", "zh-TW"])
def test_the_incident_page_on_a_phone_puts_what_to_do_first(context, hotline: Hotline, speech_wav: Path, lang: str):
    """Issue #25: the actions were below the fold and the crisis panel 3,400 px down under the
    callout and an oldest-first timeline. Now: status and "now", the actions, the recording, the
    crisis, then the calls and the timeline, newest first. Measured once a call rings, when the
    summary is longest ("now" names the call, "next" the one after): CI's run caught that state
    and the actions sat 22 px below an 844 px screen while the summary gave each field two lines."""
    from hotline.paging import commands

    caller = f"+88695501{3 if lang == 'en-US' else 4}777"
    incident_id = reputation_report(hotline, speech_wav, caller)
    hotline.wait_for(lambda: _ringing(hotline, incident_id), what="a call ringing")
    jobs.run(commands.add_note, incident_id, Actor("alice", Channel.CONSOLE), "the newest line")
    context.add_cookies([{"name": "console_lang", "value": lang, "url": hotline.public_url}])
    page = login(context.new_page())
    page.wait_for_url("**/console/incidents")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"/console/incidents/{incident_id}")
    assert page.locator("#next-call").count() == 1  # the longest summary, as in CI's run
    tops = [page.locator(s).bounding_box()["y"] for s in ("#now-text", "#actions", "#recordings", "#crisis",
                                                         "#callout", "#audit")]
    assert tops == sorted(tops), tops
    # The actions card's first control, not only its heading, is on the first screen, above the
    # fixed action bar at the bottom.
    first = page.locator("#actions :is(button, select, a.button)").first.bounding_box()
    bar = page.locator(".action-bar").bounding_box()
    assert first["y"] + first["height"] <= bar["y"], (first, bar)
    shot(page, f"incident-first-screen-390-{lang}")
    times = page.locator("#audit li time").evaluate_all("ts => ts.map(t => t.getAttribute('datetime'))")
    assert len(times) >= 3 and times == sorted(times, reverse=True), times  # newest first
    assert page.locator("#audit li", has_text="the newest line").count() == 1
    jobs.run(commands.stop_paging, incident_id, Actor("test", Channel.CLI), "end of test")


def _ringing(hotline: Hotline, incident_id: int) -> bool | None:
    with hotline.session() as s:
        callout = callout_for_incident(s, incident_id)
        return any(a.state == "ringing" for a in callout.attempts) if callout else None

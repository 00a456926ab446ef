"""The list never moves what is under a finger or pointer (issue #25), in Chromium at 390 and
1280 px: a report that arrives while the pointer rests on a button leaves that very element
under it; the report waits behind a "1 new report — show" bar, and pressing the bar shows it.
On the incident page the live refresh keeps the person picked for "Accept on behalf of"."""

from __future__ import annotations

from pathlib import Path

import pytest

from hotline.base import jobs
from hotline.base.lifecycle import Actor, Channel
from hotline.paging import commands
from tests.support.console import ADMIN, login, reputation_report, shot
from tests.support.sandbox import Hotline

UNDER = """([x, y]) => { const el = document.elementFromPoint(x, y); window.__under = el;
  const form = el && el.closest("form"); return form ? form.dataset.action : null; }"""


@pytest.mark.parametrize("width", [390, 1280])
def test_a_new_report_never_moves_the_button_under_the_pointer(context, hotline: Hotline, speech_wav: Path,
                                                               width: int):
    waiting = reputation_report(hotline, speech_wav, f"+88695500{width:04d}")
    page = login(context.new_page())
    page.wait_for_url("**/console/incidents")
    page.set_viewport_size({"width": width, "height": 844})
    page.goto("/console/incidents")
    row = f'#incidents tr[data-incident="{waiting}"]'
    button = page.locator(f"{row} form[data-action=stop] button")
    button.scroll_into_view_if_needed()
    box = button.bounding_box()
    assert box is not None
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    assert page.evaluate(UNDER, [x, y]) == "stop"

    arrived = reputation_report(hotline, speech_wav, f"+88695501{width:04d}")
    bar = page.locator("#fresh.on")
    bar.wait_for()
    assert bar.inner_text() == "1 new report — show"
    assert page.evaluate("([x, y]) => document.elementFromPoint(x, y) === window.__under", [x, y])
    assert page.locator(f'#incidents tr[data-incident="{arrived}"]').count() == 0  # not yet in the list
    assert "New report:" in page.locator("#announce").inner_text()  # but announced
    assert page.title().startswith("(")
    shot(page, f"list-new-report-bar-{width}")
    bar.click()
    page.locator(f'#incidents tr[data-incident="{arrived}"]').wait_for()
    assert not page.locator("#fresh").is_visible()
    for incident_id in (waiting, arrived):
        jobs.run(commands.stop_paging, incident_id, Actor("test", Channel.CLI), "end of test")


def test_the_refresh_keeps_the_accept_on_behalf_choice(context, hotline: Hotline, speech_wav: Path):
    incident_id = reputation_report(hotline, speech_wav, "+886955003901")
    page = login(context.new_page())
    page.wait_for_url("**/console/incidents")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"/console/incidents/{incident_id}")
    select = page.locator("#accept-form select[name=person]")
    picked = [o for o in select.locator("option").all_inner_texts() if o != select.evaluate(
        "s => s.selectedOptions[0].text")][-1]
    select.select_option(label=picked)
    page.locator("#accept-form button").focus()  # the finger moves on to the button
    jobs.run(commands.add_note, incident_id, Actor(ADMIN, Channel.CONSOLE), "a line on the timeline")
    page.locator("#audit li[data-kind=note]", has_text="a line on the timeline").wait_for()  # refreshed
    assert select.evaluate("s => s.selectedOptions[0].text") == picked
    jobs.run(commands.stop_paging, incident_id, Actor("test", Channel.CLI), "end of test")

"""Find and export, in Chromium at 1280 and 390 px: pages of 200 with the total, search over
notes from the search box (filters in the URL), CSV of the current view, and an abandoned call
dismissed with a reason, audited."""

from __future__ import annotations

import csv
import io

import pytest
from playwright.sync_api import Page
from sqlalchemy import select

from hotline.base.lifecycle import Actor, Channel
from hotline.base.models import Call, Incident
from hotline.paging import commands
from tests.support.console import login, shot
from tests.support.sandbox import HOTLINE, Hotline

ADMIN = Actor("alice", Channel.CONSOLE)
SEEDED = 205


@pytest.fixture(scope="module")
def seeded(hotline: Hotline) -> str:
    """205 closed reports (closed at once, so nobody is paged), one with a note in Chinese."""
    with hotline.session() as s:
        ids = []
        for n in range(SEEDED):
            out = commands.report(s, call_sid=f"CAseed{n:04d}", type_key="other", lang="zh-TW",
                                  caller=f"+8869551{n:05d}", actor=ADMIN, record_max_seconds=60)
            ids.append(out.incident_ids[0])
        for incident_id in ids:
            commands.resolve(s, incident_id, ADMIN, "")
        commands.add_note(s, ids[7], ADMIN, "三樓有煙霧，已疏散")
    with hotline.session() as s:
        return s.get(Incident, ids[7]).ref


def no_wider_than_the_screen(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"{page.url} is {width} px wide"


@pytest.mark.parametrize("width", [1280, 390])
def test_pages_search_and_export(context, hotline: Hotline, seeded: str, width: int):
    page = login(context.new_page())
    page.set_viewport_size({"width": width, "height": 900})
    page.goto("/console/incidents?status=closed")
    count = page.locator("#count")
    assert count.inner_text().startswith(f"200 of {SEEDED}")
    page.click(".pager a[rel=next]")
    page.wait_for_url("**page=2**")
    assert "status=closed" in page.url  # the filters stay in the URL
    assert page.locator("#count").inner_text().startswith(f"{SEEDED - 200} of {SEEDED}")
    no_wider_than_the_screen(page)

    page.goto("/console/incidents")
    page.fill("input[name=q]", "煙霧")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**q=**")
    rows = page.locator("#live tr[data-incident]")
    rows.first.wait_for(state="attached")
    assert rows.count() == 1 and seeded in rows.first.inner_text()
    assert page.locator("#count").inner_text().startswith("1 of 1")
    no_wider_than_the_screen(page)
    shot(page, f"search-{width}")

    with page.expect_download() as download:
        page.click("#export")
    data = download.value.path().read_text(encoding="utf-8-sig")
    table = list(csv.reader(io.StringIO(data)))
    assert table[0][:4] == ["Reference", "Type", "Severity", "Status"]
    assert len(table) == 2 and table[1][0] == seeded  # the view, not the whole list
    assert table[1][4].startswith("'+886")  # a number a spreadsheet would run as a formula stays text


def test_abandoned_call_dismissed_with_a_reason(context, hotline: Hotline):
    gone = hotline.sim.dial("+886955000999", HOTLINE)
    gone.expect_say("請選擇事件類型")
    gone.hangup()
    page = login(context.new_page())
    row = page.locator("#abandoned tr", has_text="+886955000999")
    row.wait_for()
    row.locator("form[data-action=dismiss] button").click()
    page.locator("dialog#confirm[open]").wait_for()
    assert page.locator("#confirm-text").inner_text() == "Dismiss the call from +886955000999 without calling back?"
    page.fill("#confirm-input", "wrong number")
    page.click("#confirm-ok")
    page.locator(".flash.ok", has_text="Dismissed").wait_for()
    assert page.locator("#abandoned tr", has_text="+886955000999").count() == 0
    with hotline.session() as s:
        call = s.scalar(select(Call).where(Call.from_number == "+886955000999"))
        assert (call.callback_state, call.callback_by) == ("dismissed", "alice")
    events = hotline.audit(kind="abandoned_call_dismissed")
    assert [(e.actor, e.detail["via"], e.detail["reason"]) for e in events] == [("alice", "console", "wrong number")]

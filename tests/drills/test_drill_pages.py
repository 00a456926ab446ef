"""The drills pages in Chromium: create and start, inject, stop (one confirmed action), the report,
its CSV and printable page, the trend charts; and drill reports stay out of the live list."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from hotline.base.models import Incident
from hotline.drills.models import Drill, DrillEvent, DrillState
from tests.support.console import (  # noqa: F401  (fixtures)
    browser,
    confirm,
    context,
    hotline,
    logged_in_client,
    login,
    mic_wav,
    shot,
)
from tests.support.sandbox import Hotline


def test_start_inject_stop_report_csv_and_charts(context, hotline: Hotline):  # noqa: F811
    page = login(context.new_page())
    page.goto("/console/drills")
    form = page.locator("#new-drill")
    form.locator("select[name=kind]").select_option("tabletop")
    form.locator("select[name=type]").select_option("other")
    form.locator("input[name=participants][value=lin]").check()
    form.locator("input[name=text]").fill("Smoke in the server room")
    form.locator("input[name=start]").check()
    form.locator("button[type=submit]").click()
    assert "starts at once" in confirm(page)
    page.locator(".flash.ok", has_text="started").wait_for()
    assert page.locator("#drill-state").inner_text() == "running"
    assert page.locator("#browser-phones a").all_inner_texts() == ["Lin Mei"]  # tabletop: one tab per person
    with hotline.session() as s:
        drill = s.scalars(select(Drill).order_by(Drill.id.desc())).first()
        assert drill is not None and drill.participants == ["lin"] and drill.state == DrillState.RUNNING
        (incident,) = s.scalars(select(Incident).where(Incident.drill_id == drill.id))
    from hotline.drills import commands as drills  # the facilitator's screen follows what happens, without a reload
    drills.run(drills.inject, hotline.config, drill.id, "twilio_down", drills.Actor("bob", drills.Channel.CLI))
    page.locator("#timeline", has_text="Twilio fails for 2 minutes").wait_for()
    page.locator("#inject-form select[name=event]").select_option("second_report")
    page.locator("#inject").click()
    assert "Inject this event" in confirm(page)
    page.locator(".flash.ok", has_text="added").wait_for()
    assert "injected: a second report arrives" in page.locator("#timeline").inner_text()

    listed = context.new_page()
    listed.goto("/console/incidents")
    assert incident.ref not in listed.locator("main").inner_text()  # live list: real incidents only
    listed.goto("/console/incidents?drill=yes")
    assert incident.ref in listed.locator("main").inner_text()

    page.locator("#stop").click()
    assert confirm(page, "enough for today").startswith(f"Stop drill {drill.id} now?")
    page.locator(".flash.ok", has_text="stopped").wait_for()
    assert page.locator("#drill-state").inner_text() == "stopped"
    assert page.locator("#end-reason").inner_text() == "enough for today"
    assert "never" in page.locator("#misses").inner_text()
    shot(page, "drill")
    with hotline.session() as s:
        kinds = [e.kind for e in s.scalars(select(DrillEvent).where(DrillEvent.drill_id == drill.id))]
        assert kinds[:2] == ["created", "running"] and kinds[-1] == "stopped"

    with page.expect_download() as got:
        page.locator("#csv").click()
    rows = list(csv.reader(io.StringIO(open(got.value.path(), encoding="utf-8").read())))
    assert rows[0] == ["section", "name", "value", "detail"]
    assert any(r[0] == "missed target" for r in rows) and any(r[0] == "timeline" for r in rows)

    page.locator("#print").click()
    page.locator("#figures").wait_for()
    assert "Drill" in page.locator("h1").inner_text()

    page.goto("/console/drills")
    chart = page.locator("svg#chart-accept")
    chart.wait_for()
    assert chart.locator("rect.missing").count() >= 1  # this drill: nobody accepted
    assert chart.locator("line.target").count() == 1
    assert page.locator(f"#drills tr[data-drill='{drill.id}'] .state").inner_text().startswith("stopped")
    shot(page, "drills")


def test_stopping_needs_the_confirmation_and_a_viewer_cannot_act(context, hotline: Hotline):  # noqa: F811
    from tests.support.console import VIEWER, VIEWER_PW, logged_in_client

    client = logged_in_client(hotline)
    r = client.post("/console/drills", data={"kind": "tabletop", "type": "other", "participants": ["wang"],
                                             "csrf_token": client.csrf})
    drill_id = int(r.headers["Location"].rsplit("/", 1)[-1])
    client.post(f"/console/drills/{drill_id}/stop", data={"csrf_token": client.csrf})
    with hotline.session() as s:
        assert s.get(Drill, drill_id).state == DrillState.SCHEDULED  # not confirmed: nothing happened
    viewer = logged_in_client(hotline, VIEWER, VIEWER_PW)
    r = viewer.post(f"/console/drills/{drill_id}/stop", data={"csrf_token": viewer.csrf, "confirm": "yes"})
    assert r.status_code == 403
    bad = client.post("/console/drills", data={"kind": "tabletop", "type": "tsunami", "participants": ["bob"],
                                               "csrf_token": client.csrf}, follow_redirects=True)
    text = bad.get_data(as_text=True)
    assert "drill.type" in text and "drill.participants[0]" in text
    r = client.post(f"/console/drills/{drill_id}/stop", data={"csrf_token": client.csrf, "confirm": "yes"})
    with hotline.session() as s:
        assert s.get(Drill, drill_id).state == DrillState.STOPPED


@pytest.mark.parametrize("width", [390, 1280])
def test_every_drill_button_asks_first(context, hotline: Hotline, width: int):  # noqa: F811
    """Issue #25: Start, Inject, Finish and Stop each open the confirmation dialog saying what will
    happen; cancelling changes nothing."""
    client = logged_in_client(hotline)
    r = client.post("/console/drills", data={"kind": "tabletop", "type": "other", "participants": ["wang"],
                                             "csrf_token": client.csrf})
    drill_id = int(r.headers["Location"].rsplit("/", 1)[-1])
    page = login(context.new_page())
    page.wait_for_url("**/console/incidents")
    page.set_viewport_size({"width": width, "height": 844})
    page.goto(f"/console/drills/{drill_id}")
    for state, buttons in ((DrillState.SCHEDULED, ["#start"]), (DrillState.RUNNING, ["#inject", "#finish", "#stop"])):
        if state == DrillState.RUNNING:
            page.click("#start")
            assert confirm(page).startswith(f"Start drill {drill_id} now?")
            page.locator("#drill-state", has_text="running").wait_for()
        for button in buttons:
            page.click(button)
            page.locator("dialog#confirm[open]").wait_for(timeout=3000)
            assert f"drill {drill_id}" in page.locator("#confirm-text").inner_text()
            page.click("#confirm-cancel")
        with hotline.session() as s:
            assert s.get(Drill, drill_id).state == state  # every dialog was cancelled
    page.click("#finish")
    confirm(page)
    page.locator("#drill-state", has_text="finished").wait_for()

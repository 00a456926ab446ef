"""Rota overrides from the console, in Chromium at 1280 and 390 px: an admin makes Lin cover the
IT-security rota; the rota page shows it, the escalation order changes, a cyber-security report
then rings Lin (the callout's own resolver applies it), and cancelling it is audited too."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from hotline.base import jobs
from hotline.base.lifecycle import Actor, Channel
from hotline.paging import commands
from tests.support.console import confirm, login, report, shot
from tests.support.sandbox import Hotline

LIN = "+886912000002"


def local(moment: datetime) -> str:
    return moment.astimezone(ZoneInfo("Asia/Taipei")).strftime("%Y-%m-%dT%H:%M")


@pytest.mark.parametrize("width", [1280, 390])
def test_override_made_shown_applied_and_cancelled(context, hotline: Hotline, speech_wav: Path, width: int):
    page = login(context.new_page())
    page.set_viewport_size({"width": width, "height": 900})
    page.goto("/console/rota")
    now = datetime.now(ZoneInfo("UTC"))
    page.select_option("#override-form select[name=rota]", "it_security")
    page.select_option("#override-form select[name=person]", "lin")
    page.fill("#override-form input[name=start]", local(now - timedelta(hours=1)))
    page.fill("#override-form input[name=end]", local(now + timedelta(hours=8)))
    page.fill("#override-form input[name=reason]", "Chen is travelling")
    page.click("#override-form button[type=submit]")
    page.locator(".flash.ok", has_text="Override saved").wait_for()
    item = page.locator("#overrides li[data-rota=it_security]").first
    assert item.inner_text().startswith("Lin Mei covers ")  # covers whoever the rotation has now
    assert page.locator("#rotas tr[data-rota=it_security] .now").inner_text().startswith("Lin Mei")
    first = page.locator("#escalation tr[data-type=cyber_security] li").first
    assert first.get_attribute("data-person") == "lin"
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    shot(page, f"rota-override-{width}")

    incident_id = report(hotline, speech_wav, "2", f"+8869550009{width % 100:02d}")  # cyber-security
    call = hotline.sim.phone(LIN).expect_call(timeout=20)  # the engine applied the same override
    call.expect_status("ringing")
    jobs.run(commands.stop_paging, incident_id, Actor("test", Channel.CLI), "end of test")
    call.expect_hangup(timeout=20)

    item.locator("form[data-action=cancel-override] button").click()
    confirm(page)
    page.locator(".flash.ok", has_text="Override cancelled").wait_for()
    assert page.locator("#overrides li[data-rota=it_security]").count() == 0
    kinds = [e.kind for e in hotline.audit() if e.kind.startswith("rota_override")]
    assert kinds[-2:] == ["rota_override_added", "rota_override_cancelled"]

"""Legal hold from the incident page in Chromium: an admin puts a closed report on hold, retention
passes it by, the admin releases it, and the next daily pass deletes its recording; the page says so."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from hotline.base import jobs
from hotline.base.lifecycle import Actor, Channel
from hotline.base.models import Incident, utcnow
from hotline.base.states import RecordingStatus
from hotline.paging import commands
from tests.support.console import login, shot
from tests.support.sandbox import Hotline


def test_legal_hold_button_keeps_a_recording_past_retention(context, hotline: Hotline, speech_wav: Path):
    call = hotline.report("72", "+886955000789", speech_wav)
    inc = hotline.wait_for(lambda: hotline.incident_for(call.sid), what="incident")
    rec = hotline.wait_for(lambda: next((r for r in hotline.recordings(inc.id) if r.status == "stored"), None),
                           what="stored recording")
    assert jobs.run(commands.resolve, inc.id, Actor("test", Channel.CLI), "handled").ok
    page = login(context.new_page())
    page.goto(f"/console/incidents/{inc.id}")
    page.fill("#legal-hold-form input[name=reason]", "insurance claim pending")
    page.click("#legal-hold-form button")
    page.locator(".flash.ok", has_text="On legal hold").wait_for()
    page.locator("#legal-hold").wait_for()
    with hotline.session() as s:
        assert s.get(Incident, inc.id).legal_hold_by == "alice"
    held = hotline.audit(inc.id, "legal_hold")
    assert [(e.actor, e.detail["via"], e.detail["reason"]) for e in held] == [
        ("alice", "console", "insurance claim pending")]

    later = utcnow() + timedelta(days=400)  # far past the repository's 90 days
    assert inc.id not in hotline.converge(now=later)["purged"]
    assert Path(rec.path or "").is_file()

    page.fill("#legal-hold-form input[name=reason]", "claim settled")
    page.click("#legal-hold-form button")
    page.locator(".flash.ok", has_text="Legal hold released").wait_for()
    assert page.locator("#legal-hold").count() == 0
    assert inc.id in hotline.converge(now=later + timedelta(days=1, minutes=1))["purged"]
    assert not Path(rec.path or "").exists()
    assert [r.status for r in hotline.recordings(inc.id)] == [RecordingStatus.PURGED]
    page.goto(f"/console/incidents/{inc.id}")
    page.locator(".recording .purged", has_text="Deleted by the retention policy").wait_for()
    shot(page, "legal-hold-released-and-purged")

"""The dashboard in Chromium: a sim call becomes an incident that appears live, its recording
plays and seeks from the transcript, the callout timeline moves live, and an admin accepts."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from hotline.base import jobs
from hotline.base.lifecycle import Actor, Channel
from hotline.base.models import Incident, Transcript
from hotline.paging import commands
from hotline.paging.models import Callout
from tests.support.console import confirm, logged_in_client, login, shot, show_until
from tests.support.sandbox import HOTLINE, Hotline

CALLER = "+886955000123"
DIRECTOR = "+886912000009"  # `other` reports page the management rota: the director alone
WORDS = [("There", 0.10, 0.40), ("is", 0.45, 0.60), ("a", 0.62, 0.70), ("fire", 0.75, 1.20),
         ("in", 1.25, 1.40), ("building", 1.50, 1.95), ("three", 2.00, 2.40)]


def report(h: Hotline, wav: Path) -> str:
    c = h.sim.dial(CALLER, HOTLINE)
    c.expect_say("請選擇事件類型")
    c.press("7")  # other
    c.press("2")  # nobody in danger
    c.expect_record()
    c.speak(wav)
    c.press("#")
    c.expect_hangup()
    return c.sid


@pytest.fixture(scope="module")
def incident(hotline: Hotline, speech_wav: Path) -> Incident:
    """One reported incident with its recording stored and a transcript with word timings."""
    sid = report(hotline, speech_wav)
    inc = hotline.wait_for(lambda: hotline.incident_for(sid), what="incident")
    rec = hotline.wait_for(lambda: next((r for r in hotline.recordings(inc.id) if r.status == "stored"), None),
                           what="stored recording")
    with hotline.session() as s:  # transcription is another worker's job; give the page real word timings
        if s.scalar(select(Transcript).where(Transcript.recording_id == rec.id)) is None:
            s.add(Transcript(recording_id=rec.id, status="done", text=" ".join(w for w, _, _ in WORDS),
                             words=[{"word": w, "start": a, "end": b, "conf": 0.9} for w, a, b in WORDS],
                             language="en-US", model="test"))
    return inc


def test_incident_list_updates_live_and_filters(context, hotline: Hotline, request):
    page = login(context.new_page())
    page.wait_for_url("**/console/incidents")
    page.evaluate("window.__stayed = true")
    abandoned = hotline.sim.dial("+886955000999", HOTLINE)
    abandoned.expect_say("請選擇事件類型")
    abandoned.hangup()
    inc: Incident = request.getfixturevalue("incident")
    row = page.locator(f'#incidents tr[data-incident="{inc.id}"]')
    show_until(page, f'#incidents tr[data-incident="{inc.id}"]')
    show_until(page, "#abandoned")
    assert page.evaluate("window.__stayed") is True  # arrived by polling, not by a reload
    cells = row.locator("td").all_inner_texts()
    assert inc.ref in cells[0] and cells[1].startswith("other") and cells[3] == CALLER
    page.locator("#abandoned", has_text="+886955000999").wait_for()
    assert "Call back" in page.locator("#abandoned").inner_text()
    shot(page, "incidents")
    for query, present in (("status=closed", False), ("type=other", True), ("drill=yes", False),
                           ("drill=no&type=other", True), ("type=reputation", False)):
        page.goto(f"/console/incidents?{query}")
        assert page.locator(f'#live tr[data-incident="{inc.id}"]').count() == int(present), query


def test_recording_streams_with_ranges_only_to_logged_in_users(hotline: Hotline, incident: Incident):
    rec = next(r for r in hotline.recordings(incident.id) if r.status == "stored")
    url = f"/console/recordings/{rec.id}.wav"
    assert hotline.app.test_client().get(url).status_code == 302
    client = logged_in_client(hotline)
    whole = client.get(url)
    assert whole.status_code == 200 and whole.data == Path(rec.path).read_bytes()
    part = client.get(url, headers={"Range": "bytes=100-199"})
    assert part.status_code == 206 and part.data == whole.data[100:200]
    assert part.headers["Content-Range"] == f"bytes 100-199/{len(whole.data)}"


def test_audio_plays_and_clicking_a_word_seeks(context, incident: Incident):
    page = login(context.new_page())
    page.goto(f"/console/incidents/{incident.id}")
    audio = page.locator("audio[data-recording]").first
    page.wait_for_function("a => a.readyState >= 1 && a.duration > 2", arg=audio.element_handle())
    audio.evaluate("a => a.play()")
    page.wait_for_function("a => !a.paused && a.currentTime > 0", arg=audio.element_handle())
    audio.evaluate("a => { a.pause(); window.__seeked = null;"
                   " a.addEventListener('seeked', () => { window.__seeked = a.currentTime; }, {once: true}); }")
    page.locator(".transcript .word", has_text="building").click()
    page.wait_for_function("window.__seeked !== null")
    assert abs(page.evaluate("window.__seeked") - 1.50) < 0.05
    shot(page, "incident-playing")


def test_callout_timeline_moves_live_then_accept_on_behalf(context, hotline: Hotline, incident: Incident):
    """A real callout through the sim: the director's phone rings, declines, is rung again."""
    director = hotline.sim.phone(DIRECTOR)
    first = director.expect_call(timeout=20)
    page = login(context.new_page())
    page.goto(f"/console/incidents/{incident.id}")
    page.evaluate("window.__stayed = true")
    rows = page.locator("#attempts tbody tr")
    rows.first.wait_for()
    assert rows.first.get_attribute("data-person") == "director"
    first.expect_status("ringing")
    first.decline()
    page.locator('#attempts tbody tr[data-outcome="busy"]').wait_for()  # the decline, shown live
    second = director.expect_call(timeout=20)  # round two rings the director again
    page.locator("#attempts tbody tr").nth(1).wait_for()
    assert page.evaluate("window.__stayed") is True
    shot(page, "incident-callout-live")

    page.wait_for_function("document.querySelector('#now-text').textContent.includes('round 2')")
    assert page.locator("#accept-form select[name=person]").input_value() == "director"  # the one ringing now
    page.click("#accept-form button")
    assert confirm(page) == f"Accept {incident.ref} on behalf of Director Lee? Calls to everyone else stop."
    page.locator(".flash.ok").wait_for()
    page.locator("#incident-status[data-status=accepted]").wait_for()
    assert page.locator("#accepted-by").inner_text() == "Director Lee"
    second.expect_hangup(timeout=20)  # the callout's own after-accept job ends the ringing call
    with hotline.session() as s:
        inc = s.get(Incident, incident.id)
        callout = s.scalar(select(Callout).where(Callout.state == "accepted"))
        assert inc.status == "accepted" and inc.accepted_by == "director"
        assert callout is not None and callout.accepted_by == "director"
    accepted = [(e.actor, e.detail["via"], e.detail["person"])
                for e in hotline.audit(incident.id, "status_accepted")]
    assert accepted == [("alice", "console", "director")]  # who did it, through which channel, for whom
    shot(page, "incident-accepted")


def test_notes_and_closing(context, hotline: Hotline, incident: Incident):
    page = login(context.new_page())
    page.goto(f"/console/incidents/{incident.id}")
    page.fill("#note-form textarea", "Called the caller back; all safe.")
    page.click("#note-form button")
    page.locator("#audit li[data-kind=note]", has_text="all safe").wait_for()
    page.click("#close-form button")
    confirm(page, "Resolved on site")
    page.locator("#incident-status[data-status=closed]").wait_for()
    with hotline.session() as s:
        assert s.get(Incident, incident.id).status == "closed"
    notes = [e.detail["text"] for e in hotline.audit(incident.id, "note")]
    assert notes == ["Called the caller back; all safe.", "Resolved on site"]


def test_stop_paging_then_page_again(context, hotline: Hotline, speech_wav: Path):
    """A reputation report pages the PR rota (Lin); stopping paging from the page ends her ringing
    call and says who stopped it and why; "page again" rings her again."""
    c = hotline.sim.dial("+886955000456", HOTLINE)
    c.expect_say("請選擇事件類型")
    c.press("6")
    c.press("2")
    c.expect_record()
    c.speak(speech_wav)
    c.press("#")
    c.expect_hangup()
    inc = hotline.wait_for(lambda: hotline.incident_for(c.sid), what="incident")
    lin = hotline.sim.phone("+886912000002")
    ringing = lin.expect_call(timeout=20)
    page = login(context.new_page())
    page.goto(f"/console/incidents/{inc.id}")
    page.wait_for_function("document.querySelector('#now-text').textContent.includes('Lin Mei')")
    page.click("#stop-form button")
    question = confirm(page, "false alarm, caller rang back")
    assert question == f"Stop calling Lin Mei and everyone after them for {inc.ref}?"
    page.locator(".flash.ok", has_text="Paging stopped").wait_for()
    assert page.locator("#incident-status").get_attribute("data-status") == "stopped"
    stopped = page.locator("#now-text").inner_text()
    assert stopped.startswith("Paging stopped by alice at ") and stopped.endswith(": false alarm, caller rang back")
    assert page.locator("#stop-form").count() == 0 and page.locator("#page-again-form").count() == 1
    assert page.locator("#callout-state").inner_text() == "cancelled"
    ringing.expect_hangup(timeout=20)
    events = hotline.audit(inc.id, "callout.cancelled")
    assert events and events[0].actor == "alice" and "false alarm" in events[0].detail["reason"]
    page.click("#page-again-form button")
    confirm(page)
    page.locator(".flash.ok", has_text="Paging again").wait_for()
    again = lin.expect_call(timeout=20)  # a new callout rings Lin again
    again.expect_status("ringing")
    with hotline.session() as s:
        assert s.get(Incident, inc.id).status in ("new", "paging")
    jobs.run(commands.stop_paging, inc.id, Actor("test", Channel.CLI), "end of test")
    again.expect_hangup(timeout=20)

"""Live where it matters: the incident page shows a recording and its transcript the moment
they exist, without a reload; a recording being listened to keeps playing while the timeline
moves; an unchanged poll is answered 304 from a change mark, not by rendering the page."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from sqlalchemy import insert, select

from hotline.base import jobs
from hotline.base.lifecycle import Actor, Channel
from hotline.base.models import AuditEvent, Incident, Transcript, utcnow
from hotline.console.incident import TIMELINE_LINES
from hotline.paging import commands
from tests.support.console import ADMIN, logged_in_client, login, shot
from tests.support.sandbox import HOTLINE, Hotline


def test_recording_transcript_and_timeline_arrive_live_and_audio_keeps_playing(context, hotline: Hotline,
                                                                                 speech_wav: Path):
    c = hotline.sim.dial("+886955000811", HOTLINE)
    c.expect_say("請選擇事件類型")
    c.press("6")
    c.press("2")
    c.expect_record()  # the incident exists; the caller is still speaking
    incident = hotline.wait_for(lambda: hotline.incident_for(c.sid), what="incident")
    page = login(context.new_page())
    page.goto(f"/console/incidents/{incident.id}")
    page.evaluate("window.__stayed = true")
    assert "No recordings." in page.locator("#recordings").inner_text()
    c.speak(speech_wav)
    c.press("#")
    c.expect_hangup()
    audio = page.locator("#recordings audio[data-recording]")
    audio.wait_for()  # arrived by the refresh
    page.locator("#audit li[data-kind=recording_stored]").wait_for()
    rec_id = int(audio.get_attribute("data-recording"))
    with hotline.session() as s:  # the transcription worker's part, written as it would
        s.add(Transcript(recording_id=rec_id, status="done", text="fire in building three", language="en-US",
                         words=[{"word": "fire", "start": 0.1, "end": 0.5, "conf": 0.9},
                                {"word": "building", "start": 0.6, "end": 1.2, "conf": 0.9}], model="test"))
    page.locator(".transcript .word", has_text="building").wait_for()
    assert page.evaluate("window.__stayed") is True

    page.wait_for_function("a => a.readyState >= 1", arg=audio.element_handle())
    audio.evaluate("a => { a.__kept = true; a.loop = true; return a.play(); }")
    page.wait_for_function("a => !a.paused && a.currentTime > 0", arg=audio.element_handle())
    jobs.run(commands.add_note, incident.id, Actor(ADMIN, Channel.CONSOLE), "heard it")
    page.locator("#audit li[data-kind=note]", has_text="heard it").wait_for()
    kept = page.locator("#recordings audio[data-recording]")
    assert kept.evaluate("a => a.__kept === true && !a.paused")  # the same element, still playing
    shot(page, "incident-live-recording")
    jobs.run(commands.stop_paging, incident.id, Actor("test", Channel.CLI), "end of test")


def test_an_unchanged_poll_is_a_304_and_a_change_is_not(hotline: Hotline):
    client = logged_in_client(hotline)
    with hotline.session() as s:
        incident_id = s.scalar(select(Incident.id).order_by(Incident.id.desc()))
    for url in ("/console/incidents/rows", f"/console/incidents/{incident_id}/live"):
        first = client.get(url)
        assert first.status_code == 200 and first.headers["ETag"]
        tag = first.headers["ETag"]
        again = client.get(url, headers={"If-None-Match": tag})
        if again.status_code == 200:  # the 15-second clock ticked between the two: ask once more
            tag = again.headers["ETag"]
            again = client.get(url, headers={"If-None-Match": tag})
        assert again.status_code == 304 and again.data == b""
        jobs.run(commands.add_note, incident_id, Actor(ADMIN, Channel.CONSOLE), f"changed {url}")
        changed = client.get(url, headers={"If-None-Match": tag})
        assert changed.status_code == 200 and changed.headers["ETag"] != tag
        client.set_cookie("console_lang", "en-US")  # another language is another version
        assert client.get(url, headers={"If-None-Match": changed.headers["ETag"]}).status_code == 200
        client.set_cookie("console_lang", "zh-TW")


def test_a_long_timeline_shows_its_newest_lines_and_the_whole_one_when_asked(hotline: Hotline):
    """A storm's incident gathers thousands of lines, and every viewer's refresh would draw them all:
    the page and its live part draw the newest few hundred and say how many there are; the whole
    timeline is one link away, and its live refresh stays whole."""
    total = TIMELINE_LINES + 50
    start = utcnow() - timedelta(hours=1)
    with hotline.session() as s:
        row = Incident(type_key="other", language="en-US", status="closed")
        s.add(row)
        s.flush()
        incident_id = row.id
        s.execute(insert(AuditEvent), [{"incident_id": incident_id, "at": start + timedelta(seconds=i), "kind": "note",
                                        "actor": "alice", "detail": {"note": f"line {i:04d}"}} for i in range(total)])
    client = logged_in_client(hotline)
    client.set_cookie("console_lang", "en-US")

    def notes(html: str) -> list[str]:
        return re.findall(r"line (\d{4})", html)

    part = client.get(f"/console/incidents/{incident_id}").get_data(as_text=True)
    shown = notes(part)
    assert shown == [f"{i:04d}" for i in reversed(range(total - TIMELINE_LINES, total))]  # newest first
    assert f"The newest {TIMELINE_LINES} of {total} lines." in part and 'id="timeline-all"' in part
    whole = client.get(f"/console/incidents/{incident_id}?timeline=all").get_data(as_text=True)
    assert notes(whole) == [f"{i:04d}" for i in reversed(range(total))] and 'id="timeline-all"' not in whole
    assert f"/console/incidents/{incident_id}/live?timeline=all" in whole  # its refresh stays whole
    assert len(notes(client.get(f"/console/incidents/{incident_id}/live?timeline=all").get_data(as_text=True))) == total
    assert len(notes(client.get(f"/console/incidents/{incident_id}/live").get_data(as_text=True))) == TIMELINE_LINES
    client.set_cookie("console_lang", "zh-TW")
    page = client.get(f"/console/incidents/{incident_id}").get_data(as_text=True)
    assert f"顯示最新的 {TIMELINE_LINES} 行，共 {total} 行。" in page

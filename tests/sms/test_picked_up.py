""""Someone is on it": once a report made by text is accepted, by any channel, its sender gets one
text in their language naming the report and no staff number; never twice (a second accept, the
convergence cycle), never to a sender who texted STOP (the timeline says why)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from hotline.base.jobs import run
from hotline.base.lifecycle import Actor, Channel
from hotline.base.models import Incident, IncidentStatus, utcnow
from hotline.paging import commands
from hotline.textreports.models import TextConversation
from tests.support import e2e
from tests.support.e2e import CHEN, LIN, WANG, quiet_phones  # noqa: F401  (autouse)
from tests.support.lanes import starts_processes
from tests.support.sandbox import HOTLINE, Hotline

STAFF = (CHEN, LIN, WANG)


@pytest.fixture(scope="module")
@starts_processes
def h(redis_url, tmp_path_factory):
    hotline = e2e.make_hotline(tmp_path_factory.mktemp("sms-picked-up"), redis_url, "sqlite")
    yield hotline
    hotline.close()


def reported(h: Hotline, sender: str, body: str) -> Incident:
    h.sim.phone(sender).text(HOTLINE, body)
    with h.session() as s:
        incident_id = s.scalar(select(TextConversation.incident_id).where(TextConversation.sender == sender)
                               .order_by(TextConversation.id.desc()).limit(1))
        incident = s.get(Incident, incident_id)
        assert incident is not None
        return incident


def received(h: Hotline, sender: str, words: str) -> list[str]:
    return [m["body"] for m in h.sim.phone(sender).messages if words in m["body"]]


def test_an_accept_by_text_tells_the_sender_once_in_english(h: Hotline):
    sender = "+886933100001"
    incident = reported(h, sender, "Server room door forced open")
    [answer] = h.sim.phone(LIN).text(HOTLINE, f"1 {incident.ref}")
    assert answer.startswith("You accepted report")
    [notice] = h.wait_for(lambda: received(h, sender, "someone is on it"), what="the sender told")
    assert notice == (f"Hotline: your report {incident.ref} has been picked up; someone is on it. "
                      "Text here to add anything.")
    assert not any(number.removeprefix("+886") in notice for number in STAFF)  # names no staff phone
    assert not received(h, sender, "was accepted by the on-call team")  # the caller's notice is not sent as well
    # A second accept, and cycle passes after the accept's job, tell nobody again.
    run(commands.accept, person="chen", name="Chen Wei", actor=Actor("alice", Channel.CONSOLE), incident_id=incident.id)
    h.converge(utcnow() + timedelta(minutes=2))
    h.converge(utcnow() + timedelta(minutes=3))
    assert len(received(h, sender, "someone is on it")) == 1
    [sent] = h.audit(incident.id, "text.sent")
    assert sent.detail["to"] == sender and sent.detail["role"] == "picked_up"


def test_an_accept_from_the_console_tells_a_chinese_sender_in_chinese(h: Hotline):
    sender = "+886933100002"
    incident = reported(h, sender, "停車場有人持刀")
    out = run(commands.accept, person="wang", name="Wang Fang", actor=Actor("alice", Channel.CONSOLE),
              incident_id=incident.id)
    assert out.ok
    [notice] = h.wait_for(lambda: received(h, sender, "已有人接手處理"), what="the sender told")
    assert notice.startswith(f"專線：您的通報 {incident.ref} 已有人接手處理")


def test_a_responder_accepting_on_the_callout_call_tells_the_sender(h: Hotline):
    sender = "+886933100003"
    incident = reported(h, sender, "Water pouring through the ceiling of room 301")
    reputation = next(digit for digit, key in h.app.config["TYPE_CODES"].items() if key == "reputation")
    h.sim.phone(sender).text(HOTLINE, reputation)  # paged now, to the PR rota
    call = e2e.next_call(h, WANG)
    call.answer()
    call.press("1")
    h.wait_for(lambda: e2e.incident(h, incident.id).status == IncidentStatus.ACCEPTED, what="accepted")
    h.wait_for(lambda: received(h, sender, "someone is on it"), what="the sender told")


def test_a_sender_who_texted_stop_is_not_texted(h: Hotline):
    sender = "+886933100004"
    incident = reported(h, sender, "Smoke from the generator")
    h.sim.phone(sender).text(HOTLINE, "STOP")
    run(commands.accept, person="lin", name="Lin Mei", actor=Actor("alice", Channel.CONSOLE), incident_id=incident.id)
    h.wait_for(lambda: h.audit(incident.id, "text.not_sent"), what="the timeline saying why")
    h.converge(utcnow() + timedelta(minutes=2))
    assert not received(h, sender, "someone is on it") and not h.audit(incident.id, "text.sent")


def test_the_responder_hears_a_chinese_text_read_out_and_its_sender_is_told_in_chinese(h: Hotline):
    sender = "+886933100005"
    incident = reported(h, sender, "網站首頁被改成勒索訊息")
    reputation = next(digit for digit, key in h.app.config["TYPE_CODES"].items() if key == "reputation")
    h.sim.phone(sender).text(HOTLINE, reputation)
    call = e2e.next_call(h, WANG)
    call.answer()
    call.expect_say("網站首頁被改成勒索訊息")  # what the reporter wrote, where a transcript would be read
    call.press("1")
    h.wait_for(lambda: e2e.incident(h, incident.id).status == IncidentStatus.ACCEPTED, what="accepted")
    [notice] = h.wait_for(lambda: received(h, sender, "已有人接手處理"), what="the sender told")
    assert notice.startswith(f"專線：您的通報 {incident.ref}")

"""Drills end to end through the sim: real HTTP server, real Redis, a real RQ worker, SQLite.

The test rota (tests/support/e2e.py): every type but reputation pages chen, then lin, and the
director as the fallback; English first for everyone, so the notice is "This is a drill.".
"""

from __future__ import annotations

import io
import wave
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from hotline.base import jobs
from hotline.base.lifecycle import Actor, Channel
from hotline.base.models import Incident, utcnow
from hotline.base.states import IncidentStatus
from hotline.drills import commands as drills
from hotline.drills import report as drill_report
from hotline.drills.models import Drill, DrillEvent, DrillState
from hotline.drills.settings import DrillSettings, Scenario
from hotline.paging import cli as callout_cli
from hotline.paging import commands
from hotline.paging.callout.states import CalloutState
from hotline.paging.models import Callout
from tests.support import e2e
from tests.support.drills import clean_up
from tests.support.e2e import CHEN, DIRECTOR, LIN, RING, WANG
from tests.support.sandbox import Hotline

NOTICE = "This is a drill."
FACILITATOR = Actor("facilitator", Channel.CONSOLE)


@pytest.fixture(autouse=True)
def fresh(h: Hotline) -> Iterator[None]:
    for number in (CHEN, LIN, WANG, DIRECTOR, e2e.CALLER):
        h.sim.phone(number).manual()
    e2e.forget_calls(h)
    yield
    clean_up(h)


def scenario(kind: str, participants: tuple[str, ...], **more: object) -> Scenario:
    return Scenario(key="", kind=kind, type_key="other", severity="danger", report_text="Smoke in the server room",
                    participants=participants, **more)  # type: ignore[arg-type]


def create_and_start(h: Hotline, sc: Scenario) -> int:
    created = drills.run(drills.create, h.config, sc, FACILITATOR)
    assert created.ok and created.drill_id is not None
    started = drills.run(drills.start, h.config, created.drill_id, FACILITATOR)
    assert started.ok, started.message
    return created.drill_id


def drill(h: Hotline, drill_id: int) -> Drill:
    with h.session() as s:
        found = s.get(Drill, drill_id)
        assert found is not None
        return found


def drill_incidents(h: Hotline, drill_id: int) -> list[Incident]:
    with h.session() as s:
        return list(s.scalars(select(Incident).where(Incident.drill_id == drill_id).order_by(Incident.id)))


def test_full_scale_rings_only_participants_and_every_say_and_sms_opens_with_the_notice(h):
    before = e2e.snapshot(h)
    drill_id = create_and_start(h, scenario("full_scale", ("lin",)))
    lin = e2e.next_call(h, LIN)
    lin.answer()
    lin.expect_say("Press 1 to accept")
    lin.press("1")
    lin.expect_say("Thank you, Lin Mei")
    sms = h.sim.phone(LIN).expect_sms("accepted", timeout=20)
    lin.hangup()
    lin.expect_hangup()
    assert sms["body"].startswith(NOTICE), sms["body"]
    said = lin.said()
    assert said and all(line.startswith(NOTICE) for line in said), said
    assert "The caller said: Smoke in the server room" in said[0]  # the script, read as a transcript
    # chen is first in the policy and the director is the fallback: neither takes part, neither rang.
    assert [c.to for c in e2e.calls_since(h, before)] == [LIN]
    (incident,) = drill_incidents(h, drill_id)
    assert incident.drill and incident.source == "drill"
    # Taken by lin; a convergence pass (this one, or a worker's) then finishes the drill and closes it.
    h.wait_for(lambda: e2e.incident(h, incident.id).accepted_by == "lin", what="drill report taken")
    with h.session() as s:
        callout = s.scalar(select(Callout).where(Callout.drill_id == drill_id))
        assert callout is not None and callout.state == CalloutState.ACCEPTED
    h.converge()
    assert drill(h, drill_id).state == DrillState.FINISHED
    with h.session() as s:
        results = drill_report.load(s, drill_id, h.config.section(DrillSettings).targets)
    assert results is not None and results.accepted_by == "Lin Mei"
    assert results.first_ring_seconds is not None and results.accept_seconds is not None
    assert [(p.person, p.rang, p.answered, p.accepted) for p in results.people] == [("lin", 1, 1, True)]


def test_simulation_phones_follow_their_script(h):
    sc = scenario("simulation", ("chen", "lin"), phones={"chen": {"mode": "never"},
                                                        "lin": {"mode": "script", "steps": ["1"], "answer_after": 0}})
    drill_id = create_and_start(h, sc)
    e2e.next_call(h, CHEN).expect_status("ringing")
    h.sim.advance(RING + 1)
    (incident,) = drill_incidents(h, drill_id)
    h.wait_for(lambda: e2e.incident(h, incident.id).accepted_by == "lin", what="lin's script accepts")
    with h.session() as s:
        results = drill_report.load(s, drill_id, h.config.section(DrillSettings).targets)
    assert results is not None
    assert {p.person: (p.answered, p.accepted) for p in results.people} == {"chen": (0, False), "lin": (1, True)}
    assert any("Chen Wei" in f and "no answer" in f for f in results.failures), results.failures


def test_a_real_report_mid_drill_ends_the_drills_calls_and_pages_for_real(h):
    drill_id = create_and_start(h, scenario("tabletop", ("lin",)))
    drill_call = e2e.next_call(h, LIN)
    drill_call.expect_status("ringing")
    real = e2e.report(h, "12")
    assert drill_call.expect_hangup() in ("canceled", "no-answer", "completed")
    assert drill(h, drill_id).state == DrillState.STOPPED
    assert "real report" in (drill(h, drill_id).end_reason or "")
    assert all(i.status == IncidentStatus.CLOSED for i in drill_incidents(h, drill_id))
    e2e.next_call(h, CHEN).expect_status("ringing")  # the real callout, from the real policy's first step
    assert not e2e.incident(h, real.id).drill


def test_a_message_the_fallback_takes_mid_drill_ends_the_drills_calls(h):
    """Issue #23, item 7: the fallback path dropped `commands.report`'s follow-ups, so the real
    report it filed stopped the drill in the database while the drill's calls rang on."""
    broken = "+886277009997"  # its primary URL fails: Twilio (the sim) plays the fallback
    h.sim.add_number(broken, voice_url=f"{h.public_url}/no-such-route-500",
                     voice_fallback_url=f"{h.public_url}/voice/fallback",
                     status_callback=f"{h.public_url}/voice/status")
    drill_id = create_and_start(h, scenario("tabletop", ("lin",)))
    drill_call = e2e.next_call(h, LIN)
    drill_call.expect_status("ringing")
    caller = h.sim.dial(e2e.CALLER, broken)
    caller.expect_record()
    caller.press("#")
    assert drill_call.expect_hangup() == "canceled"  # ended by the stop-calls job, not by a timeout
    assert drill(h, drill_id).state == DrillState.STOPPED
    assert all(i.status == IncidentStatus.CLOSED for i in drill_incidents(h, drill_id))


def test_a_surprise_waits_while_a_real_incident_is_open_and_says_why(h):
    real = e2e.report(h, "12")
    created = drills.run(drills.create, h.config, scenario("surprise", ("lin",)), Actor("schedule", Channel.DRILL),
                         scheduled_for=utcnow() - timedelta(seconds=1))
    drill_id = created.drill_id
    h.converge()
    waiting = drill(h, drill_id)
    assert waiting.state == DrillState.WAITING and real.ref in (waiting.wait_reason or "")
    assert drill_incidents(h, drill_id) == []
    jobs.run(commands.resolve, real.id, Actor("test", Channel.CLI), "dealt with")
    h.converge()
    assert drill(h, drill_id).state == DrillState.RUNNING
    e2e.next_call(h, LIN).expect_status("ringing")
    with h.session() as s:
        kinds = [e.kind for e in s.scalars(select(DrillEvent).where(DrillEvent.drill_id == drill_id))]
    assert kinds[:3] == ["created", "waiting", "running"]


def test_tabletop_injections_are_timed_and_act(h, tmp_path):
    wav = tmp_path / "report.wav"
    with wave.open(str(wav), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\0\0" * 8000)
    drill_id = create_and_start(h, scenario("tabletop", ("chen", "lin"), report_file=str(wav)))
    e2e.next_call(h, CHEN).expect_status("ringing")
    assert drills.run(drills.inject, h.config, drill_id, "second_report", FACILITATOR).ok
    assert drills.run(drills.inject, h.config, drill_id, "twilio_down", FACILITATOR).ok
    first, second = drill_incidents(h, drill_id)
    real_list, drill_list = io.StringIO(), io.StringIO()  # `run.py callout list`: real callouts unless asked
    callout_cli.main(["list"], out=real_list)
    callout_cli.main(["list", "--drills"], out=drill_list)
    assert first.ref not in real_list.getvalue() and first.ref in drill_list.getvalue()
    for incident in (first, second):  # the scenario's recording, stored as the caller's would be
        (rec,) = h.recordings(incident.id)
        assert rec.status == "stored" and rec.duration == 1.0
    assert drill(h, drill_id).twilio_down_until is not None
    with h.session() as s:
        injected = [e.detail["event"] for e in s.scalars(select(DrillEvent).where(
            DrillEvent.drill_id == drill_id, DrillEvent.kind == "injected"))]
    assert injected == ["second_report", "twilio_down"]
    stopped = drills.run(drills.end, drill_id, DrillState.STOPPED, FACILITATOR, "enough")
    assert stopped.ok and all(i.status == IncidentStatus.CLOSED for i in drill_incidents(h, drill_id))


DRILL_PIN = "640213"


def _drill_test_call(h: Hotline, keys: str = "12") -> Incident:
    """The test caller proves it is the drill's call: the drill PIN at the hidden key, then reports."""
    from hotline.base.pins import set_pin
    from tests.support.sandbox import HOTLINE

    set_pin(h.config.data_dir, "drill", DRILL_PIN)
    c = h.sim.dial(e2e.CALLER, HOTLINE)
    c.expect_say("請選擇事件類型")
    c.press("*")
    c.expect_say("請輸入密碼")
    c.press(DRILL_PIN + "#")
    c.expect_say("演練測試來電已確認")
    for k in keys:
        c.press(k)
    c.expect_record()
    c.press("#")
    c.expect_hangup()
    return h.wait_for(lambda: h.incident_for(c.sid), what="incident")


def test_a_full_scale_drills_own_test_call_is_its_report_not_a_real_one(h):
    before = e2e.snapshot(h)
    drill_id = create_and_start(h, scenario("full_scale", ("lin",), inbound_from=e2e.CALLER))
    assert drill_incidents(h, drill_id) == []  # no scripted report: the test call is the report
    report = _drill_test_call(h, "12")
    assert report.drill and report.drill_id == drill_id
    e2e.next_call(h, LIN).expect_status("ringing")
    assert drill(h, drill_id).state == DrillState.RUNNING  # not preempted by its own call
    other = e2e.report(h, "12", caller="+886912999888")  # any other caller is real, and takes precedence
    assert not other.drill and drill(h, drill_id).state == DrillState.STOPPED
    e2e.next_call(h, CHEN).expect_status("ringing")
    assert [c.to for c in e2e.calls_since(h, before) if c.to != e2e.CALLER] == [LIN, CHEN]


def test_finding11_the_drill_test_number_without_the_drill_pin_is_a_real_report(h):
    """Caller ID alone is spoofable: a call from the drill's test number that did not enter the
    drill PIN (nor came carrier-verified with that trust configured) is a real report, and a
    real report stops the drill (rule 5). It used to be taken as the drill's, by caller ID."""
    drill_id = create_and_start(h, scenario("full_scale", ("lin",), inbound_from=e2e.CALLER))
    report = e2e.report(h, "12", caller=e2e.CALLER)
    assert not report.drill and drill(h, drill_id).state == DrillState.STOPPED
    assert h.audit(report.id, "drill_test_call_unproved")
    e2e.next_call(h, CHEN).expect_status("ringing")  # paged for real

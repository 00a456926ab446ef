"""Issue #23, items 3 and 3b: what happens at Twilio while our own `run.py` is down.

A real `run.py` (its own data dir, SQLite, the embedded Redis) against a sim that runs here in
real time and outlives it, as Twilio outlives our outage; the number's fallback is the TwiML Bin
(`tests/support/twiml_bin.py`). While `run.py` is killed, callers hang up (their status callback
fails), the Bin takes messages (the primary URL and the Bin's recording callback both fail), and
callers' recordings complete: after the restart the reconciliation with the provider
(`hotline.paging.reconcile`) finds each of them. Bounds are waited for as conditions with
generous timeouts; what they prove is relative: paging within a few reconciliation periods of
the restart, long before the report grace would have paged it.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil
import pytest
from sqlalchemy import create_engine, text

from bench.storm import Caller, play
from hotline.base.config import ROOT, load_config
from hotline.ivr.fallback import twiml_bin
from hotline.paging import reconcile
from sim import Sim
from sim.audio import beep_pcm, pcm_to_wav
from sim.callstate import is_final
from tests.service.hotline_process import RunPy, wait_until
from tests.support.twiml_bin import TwimlBin

CONFIG = load_config(ROOT / "config.toml", env={})
HOTLINE = CONFIG.numbers[0]
PERIOD = reconcile.EVERY.total_seconds()
WAV = pcm_to_wav(beep_pcm(1.5, 440.0))


class Outage:
    """The sim (Twilio), the Bin, and a `run.py` that can be killed and started again."""

    def __init__(self, tmp: Path) -> None:
        self.sim = Sim(virtual_time=False, webhook_timeout=15.0)
        self.sim.start(host="127.0.0.1", port=0)
        self.run = RunPy(tmp, env={"TWILIO_ACCOUNT_SID": self.sim.account_sid,
                                   "TWILIO_AUTH_TOKEN": self.sim.auth_token, "HOTLINE_SIM_URL": self.sim.api_base_url})
        self.bin = TwimlBin(twiml_bin(self.run.url, CONFIG.record_max_seconds, CONFIG.voices))
        self.sim.add_number(HOTLINE, voice_url=f"{self.run.url}/voice/incoming", voice_fallback_url=self.bin.url,
                            status_callback=f"{self.run.url}/voice/status")
        for person in CONFIG.people.values():
            self.sim.phone(person.phone).manual()  # they ring; nobody answers: paging goes on
        self.db = create_engine(f"sqlite:///{self.run.data / 'hotline.db'}")

    def query(self, sql: str, **params: Any) -> list[Any]:
        with self.db.connect() as c:
            return list(c.execute(text(sql), params))

    def kill(self) -> None:
        """kill -9 of run.py: its children die with it (their lifelines); wait until nothing answers."""
        assert self.run.proc is not None
        tree = self.run.tree()
        self.run.proc.send_signal(signal.SIGKILL)
        self.run.proc.wait(10)
        psutil.wait_procs(tree, timeout=30)
        wait_until(lambda: self.run.health()[0] == 0, 30, "the web server gone")

    def incident_of(self, call_sid: str) -> Any:
        rows = self.query("SELECT i.id, i.caller, i.source, i.page_due_at FROM calls c JOIN incidents i "
                          "ON i.id = c.incident_id WHERE c.sid = :sid", sid=call_sid)
        return rows[0] if rows else None

    def paged(self, incident_id: int) -> bool:
        return bool(self.query("SELECT 1 FROM callout_incidents WHERE incident_id = :i", i=incident_id))

    def stored(self, incident_id: int) -> bool:
        return bool(self.query("SELECT 1 FROM recordings WHERE incident_id = :i AND status = 'stored'", i=incident_id))

    def first_dial_after(self, moment: float) -> float | None:
        """When the sim was first asked to ring a responder after `moment` (epoch seconds)."""
        times = [c.created for c in self.sim.call_objects() if c.direction == "outbound-api" and c.created > moment]
        return min(times) if times else None

    def close(self) -> None:
        self.run.stop()
        self.bin.close()
        self.sim.stop()
        self.db.dispose()


@pytest.fixture()
def outage(tmp_path: Path) -> Iterator[Outage]:
    o = Outage(tmp_path)
    try:
        yield o
    finally:
        o.close()


def report_until_severity(sim: Sim, caller: str) -> Any:
    """A caller who chose a type (the incident exists) and is being asked the next question."""
    c = sim.dial(caller, HOTLINE)
    c.expect_gather(timeout=30)
    c.press("1")
    c.expect_gather(timeout=30)
    return c


def test_a_hang_up_and_a_bin_message_while_we_were_down_are_paged_within_seconds_of_the_restart(
        outage: Outage) -> None:
    o = outage
    o.run.start().wait_ready()
    lost = report_until_severity(o.sim, "+886955100001")
    incident = wait_until(lambda: o.incident_of(lost.sid), 30, "the first caller's incident")
    o.kill()

    # While we are down: the first caller hangs up (the status callback fails), and a second
    # caller reaches the Bin, leaves a message and hangs up (the Bin's callback fails too).
    lost.hangup()
    hung_up = time.time()
    binned = o.sim.dial("+886955100002", HOTLINE)
    binned.expect_say("This is the emergency line", timeout=30)
    binned.expect_record(timeout=30)
    binned.speak(WAV)
    binned.press("#")
    binned.expect_say("Thank you, we have your message", timeout=30)
    wait_until(lambda: is_final(binned.call.status), 30, "the Bin's caller gone")
    [recording] = [r for r in o.sim.recordings if r.call_sid == binned.sid]
    failed = [e for e in binned.events if e["kind"] == "webhook" and str(e.get("purpose", "")).startswith("recording")]
    assert failed and all(e.get("status") != 204 for e in failed)  # the Bin's callback reached nobody
    assert o.incident_of(binned.sid) is None

    restarted = time.time()
    o.run.start().wait_ready()
    ready = time.time()
    # The hang-up is applied by the first reconciliation: paged long before the report grace.
    wait_until(lambda: o.paged(incident.id), 3 * PERIOD + 30, "the hung-up caller's incident paged")
    paged_at = time.time()
    due = incident.page_due_at if isinstance(incident.page_due_at, datetime) else \
        datetime.fromisoformat(str(incident.page_due_at))
    assert paged_at < due.replace(tzinfo=UTC).timestamp() - 60, "paged only at the report grace"
    first_dial = wait_until(lambda: o.first_dial_after(restarted), 60, "a responder rung after the restart")
    print(f"\nhang-up -> first responder call: {first_dial - hung_up:.1f} s "
          f"(restart -> call {first_dial - restarted:.1f} s, restart -> ready {ready - restarted:.1f} s; "
          f"reconciliation every {PERIOD:.0f} s; "
          f"report grace {CONFIG.record_max_seconds + 30} s)")
    events = o.query("SELECT e.status FROM call_events e JOIN calls c ON c.id = e.call_id WHERE c.sid = :s", s=lost.sid)
    assert "completed" in [e.status for e in events]

    # The Bin's message: filed with the caller's number, its recording fetched, and paged.
    found = wait_until(lambda: o.incident_of(binned.sid), 3 * PERIOD + 30, "the Bin's message filed")
    assert found.caller == "+886955100002" and found.source == "fallback"
    wait_until(lambda: o.stored(found.id), 60, "the Bin's recording stored")
    wait_until(lambda: o.paged(found.id), 60, "the Bin's message paged")
    [sid] = o.query("SELECT sid FROM recordings WHERE incident_id = :i", i=found.id)[0]
    assert sid == recording.sid


def test_kill_9_in_the_middle_of_a_storm_every_recording_ends_up_stored(outage: Outage) -> None:
    o = outage
    o.run.start().wait_ready()
    callers = [Caller(i, "report") for i in range(24)]
    threads = [threading.Thread(target=play, args=(o.sim, c, WAV)) for c in callers]
    for t in threads[:16]:
        t.start()
        time.sleep(0.25)
    time.sleep(4.0)
    o.kill()
    for t in threads[16:]:  # these reach the Bin: nothing of ours answers
        t.start()
    time.sleep(5.0)
    o.run.start().wait_ready()
    for t in threads:
        t.join(180)
    held = {r.sid: r.call_sid for r in o.sim.recordings}
    ours = {c.sid for c in callers}
    held = {sid: call for sid, call in held.items() if call in ours}
    assert len(held) >= len(callers) - 2, f"the storm made too few recordings: {len(held)}"

    def missing() -> list[str]:
        stored = {r.sid for r in o.query("SELECT sid FROM recordings WHERE status = 'stored'")}
        return [sid for sid in held if sid not in stored]

    try:
        wait_until(lambda: not missing(), 3 * PERIOD + 90, "every recording Twilio holds stored")
    except AssertionError:
        raise AssertionError(f"{len(missing())} of {len(held)} recordings never stored: {missing()}\n"
                             + "".join(o.run.seen[-60:])) from None
    callers_with_message = {call for call in held.values()}
    incidents = {c: o.incident_of(c) for c in callers_with_message}
    assert all(incidents.values()), f"calls without a report: {[c for c, i in incidents.items() if not i]}"
    wait_until(lambda: all(o.paged(i.id) for i in incidents.values()), 60, "every report paged")
    errors = [c.error for c in callers if c.error]
    print(f"\nstorm: {len(callers)} callers, {len(held)} recordings at the sim, all stored; "
          f"{sum(c.fallback for c in callers)} reached the Bin; script errors: {errors}")

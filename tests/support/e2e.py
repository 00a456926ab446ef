"""Helpers for callout tests through the sim: a small rota, reporting, scheduled jobs, faults.

The sim runs in virtual time (ring and Gather timeouts fire on `sim.advance`); RQ's
scheduler runs in real time, so `run_due_jobs` plays "the scheduled moment has come" by
queueing every scheduled callout job now (the jobs carry their due time; see callout.drive).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
from rq.job import Job
from rq.registry import ScheduledJobRegistry
from sqlalchemy import select

from hotline.base import jobs
from hotline.base.config import ROOT
from hotline.base.lifecycle import Actor, Channel
from hotline.base.models import Incident
from hotline.base.states import NEEDS_PAGING
from hotline.paging import commands
from hotline.paging.models import Attempt, Callout
from sim import CallHandle
from tests.support.postgres import database_for
from tests.support.sandbox import Hotline

CALLER = "+886912345678"
CHEN, LIN, WANG, DIRECTOR = "+886912000001", "+886912000002", "+886912000003", "+886912000009"
RING = 20

ONCALL = f"""
# --- On-call for the callout tests: chen, then lin; director as the fallback --------------
[oncall]
rounds = 1
repeat_minutes = 1
storm_window_minutes = 15
default_ring_timeout = {RING}
answer_timeout = 60
fallback = ["director"]

[policies.default]
steps = [ {{ person = "chen" }}, {{ person = "lin" }} ]

[policies.reputation]
steps = [ {{ person = "wang" }} ]
"""


# The callout mechanics tests listen for English sentences, so their responders prefer English;
# tests/callout/test_callout_language.py keeps the repository's own (Chinese-first) languages.
ENGLISH_FIRST: dict[str, list[str]] = {key: ["en-US", "zh-TW"] for key in ("chen", "lin", "wang", "director")}


def write_config(folder: Path, languages: Mapping[str, Sequence[str]] = ENGLISH_FIRST) -> Path:
    """The repository's config.toml with its on-call sections replaced by a small test rota, and
    the listed people's `languages` replaced (the others keep the repository's)."""
    base = (ROOT / "config.toml").read_text(encoding="utf-8")
    base = base.split("# --- On-call", 1)[0].replace('flows_dir = "ivr_flows"', f'flows_dir = "{ROOT / "ivr_flows"}"')
    path = folder / "config.toml"
    path.write_text(with_languages(base, languages) + ONCALL, encoding="utf-8")
    return path


def with_languages(toml: str, languages: Mapping[str, Sequence[str]]) -> str:
    """Replace `languages = [...]` in each listed [people.KEY] table; fails loudly if one is not there."""
    lines, section, done = [], "", set()
    for line in toml.splitlines(keepends=True):
        if line.startswith("["):
            section = line.strip()
        key = section.removeprefix("[people.").removesuffix("]") if section.startswith("[people.") else None
        if key in languages and line.startswith("languages ="):
            line = "languages = [" + ", ".join(f'"{lang}"' for lang in languages[key]) + "]\n"
            done.add(key)
        lines.append(line)
    missing = set(languages) - done
    assert not missing, f"config.toml has no `languages` line for people {sorted(missing)}"
    return "".join(lines)


ALSO_ON_POSTGRESQL = pytest.mark.also_on_postgresql


def databases_for_h(metafunc: pytest.Metafunc) -> None:
    """`pytest_generate_tests = databases_for_h` in a module: every test of it takes the module's
    `h` on SQLite, and a test marked `@ALSO_ON_POSTGRESQL` on PostgreSQL too (the `h` fixture
    reads `request.param`). One module says which of its tests run twice; no test module
    imports another's tests to run them again."""
    if "h" in metafunc.fixturenames:
        both = metafunc.definition.get_closest_marker("also_on_postgresql") is not None
        metafunc.parametrize("h", ["sqlite", "postgresql"] if both else ["sqlite"], indirect=True, scope="module")


def make_hotline(tmp: Path, redis_url: str, database: str,
                 languages: Mapping[str, Sequence[str]] = ENGLISH_FIRST) -> Hotline:
    url, drop = database_for(database)
    h = Hotline(tmp, redis_url, url, config_path=write_config(tmp, languages), on_close=drop)
    h.start_worker("callout", "recordings", "default")
    return h


def hotline_without_storm_window(tmp: Path, redis_url: str) -> Hotline:
    """A hotline on SQLite where every incident gets a callout of its own (no storm window), no
    worker running yet, and every responder's phone waiting for the test to act."""
    url, drop = database_for("sqlite")
    config = write_config(tmp)
    config.write_text(config.read_text(encoding="utf-8").replace("storm_window_minutes = 15",
                                                                  "storm_window_minutes = 0"), encoding="utf-8")
    h = Hotline(tmp, redis_url, url, config_path=config, on_close=drop)
    for number in (CHEN, LIN, WANG, DIRECTOR):
        h.sim.phone(number).manual()
    return h


def report(h: Hotline, keys: str = "12", caller: str = CALLER, wav: Path | None = None) -> Incident:
    """A caller reports: type key, severity key, speaks (or not), presses #. Returns the incident."""
    c = h.report(keys, caller, wav)
    return h.wait_for(lambda: h.incident_for(c.sid), what="incident")


@pytest.fixture(autouse=True)
def quiet_phones(h: Hotline) -> Iterator[None]:
    """Every responder's phone waits for the test to act; nothing rings on into the next test.
    Import it into a module that has an `h` fixture."""
    for number in (CHEN, LIN, WANG, DIRECTOR, CALLER):
        h.sim.phone(number).manual()
    forget_calls(h)
    yield
    cancel_open_callouts(h)


def forget_calls(h: Hotline) -> None:
    """From now on `next_call` only hands out calls placed after this moment."""
    h.__dict__["callout_seen"] = snapshot(h)


def next_call(h: Hotline, number: str, timeout: float = 20.0) -> CallHandle:
    """The next call placed to `number` that no test step has taken yet."""
    seen: set[str] = h.__dict__.setdefault("callout_seen", set())

    def find() -> Any:
        return next((c for c in h.sim.call_objects()
                     if c.to == number and c.direction == "outbound-api" and c.sid not in seen), None)

    call = h.sim.wait_for(find, timeout, f"a call to {number}")
    seen.add(call.sid)
    return h.sim.handle(call.sid)


def has_new_call(h: Hotline, number: str) -> bool:
    seen: set[str] = h.__dict__.setdefault("callout_seen", set())
    return any(c.to == number and c.direction == "outbound-api" and c.sid not in seen for c in h.sim.call_objects())


def outbound_to(h: Hotline, number: str) -> list[Any]:
    return [c for c in h.sim.call_objects() if c.to == number and c.direction == "outbound-api"]


def calls_since(h: Hotline, before: set[str]) -> list[Any]:
    return [c for c in h.sim.call_objects() if c.direction == "outbound-api" and c.sid not in before]


def snapshot(h: Hotline) -> set[str]:
    return {c.sid for c in h.sim.call_objects()}


def callout_of(h: Hotline, incident_id: int) -> Callout | None:
    from hotline.paging.callout.store import callout_for_incident

    with h.session() as s:
        callout = callout_for_incident(s, incident_id)
        if callout is not None:
            _ = callout.incidents, callout.attempts
        return callout


def attempts(h: Hotline, callout_id: int) -> list[Attempt]:
    with h.session() as s:
        return list(s.scalars(select(Attempt).where(Attempt.callout_id == callout_id).order_by(Attempt.id)))


def incident(h: Hotline, incident_id: int) -> Incident:
    with h.session() as s:
        found = s.get(Incident, incident_id)
        assert found is not None
        return found


def run_due_jobs(h: Hotline) -> list[Job]:
    """Queue every scheduled callout job now, as if its time had come; returns them."""
    q = h.runtime.queue("callout")
    registry = ScheduledJobRegistry(queue=q)
    moved = []
    for job_id in registry.get_job_ids():
        job = Job.fetch(job_id, connection=q.connection)
        registry.remove(job)
        q.enqueue_job(job)
        moved.append(job)
    return moved


def drain(h: Hotline, jobs: list[Job] | None = None) -> None:
    """Wait until the worker has run `jobs` (default: everything queued on "callout" so far)."""
    q = h.runtime.queue("callout")
    pending = list(jobs) if jobs is not None else [Job.fetch(j, connection=q.connection) for j in q.get_job_ids()]

    def done() -> bool:
        return all(j.get_status(refresh=True) in ("finished", "failed") for j in pending)

    h.wait_for(done, what="callout jobs to finish")


def fire_scheduled(h: Hotline) -> int:
    """One tick of a fast clock: run the callout jobs scheduled so far (not those they schedule)."""
    moved = run_due_jobs(h)
    drain(h, moved)
    return len(moved)


def fire_wake(h: Hotline, callout_id: int) -> int:
    """One tick of a fast clock once the callout's wake-up exists: the job that places a call
    schedules its wake-up only after Twilio took the request, and the sim rings the phone while it
    does, so a test can be on the line (answered, hearing the menu) before that wake-up is
    scheduled; firing then would run nothing, and the tick would be lost."""
    h.wait_for(lambda: scheduled_wakes(h, callout_id), what=f"callout {callout_id}'s wake-up to be scheduled")
    return fire_scheduled(h)


def scheduled_wakes(h: Hotline, callout_id: int) -> list[str]:
    registry = ScheduledJobRegistry(queue=h.runtime.queue("callout"))
    return [j for j in registry.get_job_ids() if j.startswith(f"callout-wake-{callout_id}-")]


def cancel_open_callouts(h: Hotline) -> None:
    """Between tests: nothing may keep ringing into the next one."""
    with h.session() as s:
        ids = list(s.scalars(select(Incident.id).where(Incident.status.in_(NEEDS_PAGING))))
    for incident_id in ids:
        jobs.run(commands.stop_paging, incident_id, Actor("test", Channel.CLI), "test teardown")


def accept_on(call: CallHandle, name: str) -> None:
    """Answer, listen to the briefing, press 1, hear the thanks."""
    call.answer()
    call.expect_say("crisis hotline")
    call.expect_say("Press 1 to accept")
    call.press("1")
    call.expect_say(f"Thank you, {name}")

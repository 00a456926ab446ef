"""The supervisor's restart policy, on small real processes: restart with backoff and count,
leave the others alone, give up on a child that keeps failing right after its start."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hotline.service import supervisor
from hotline.service.instance import INSTANCE_ENV, clean_up_after_crash, write_state
from hotline.service.supervisor import GiveUp, Supervisor
from tests.support.hotline_process import wait_until
from tests.support.lanes import starts_processes

SLEEPER = [sys.executable, "-c", "import time; time.sleep(120)"]
CRASHER = [sys.executable, "-c", "raise SystemExit(3)"]


@pytest.fixture()
@starts_processes
def sup(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(supervisor, "FIRST_BACKOFF_SECONDS", 0.01)
    changes: list[dict[str, object]] = []
    s = Supervisor(dict(os.environ))
    s.on_change = lambda: changes.append(s.summary())
    s.changes = changes  # type: ignore[attr-defined]
    yield s
    s.stop(timeout=5)


def test_a_dead_child_is_restarted_and_counted_and_the_others_keep_running(sup: Supervisor):
    steady = sup.add("steady", SLEEPER)
    victim = sup.add("victim", SLEEPER)
    steady_pid, victim_pid = steady.proc.pid, victim.proc.pid  # type: ignore[union-attr]
    victim.proc.kill()  # type: ignore[union-attr]

    def restarted() -> bool:
        sup.tend()
        return victim.restarts == 1 and victim.proc.poll() is None  # type: ignore[union-attr]

    wait_until(restarted, 10, "the victim restarted")
    assert victim.proc.pid != victim_pid and victim.last_exit is not None  # type: ignore[union-attr]
    assert steady.proc.pid == steady_pid and steady.proc.poll() is None and steady.restarts == 0  # type: ignore[union-attr]
    summary = sup.summary()
    assert summary["victim"]["restarts"] == 1 and summary["victim"]["state"] == "running"
    assert any(c["victim"]["state"] == "restarting" for c in sup.changes)  # type: ignore[attr-defined]


def test_repeated_fast_failures_give_up_with_a_message_naming_the_child(sup: Supervisor):
    sup.add("steady", SLEEPER)
    sup.add("broken", CRASHER)
    deadline = time.monotonic() + 60
    with pytest.raises(GiveUp) as err:
        while time.monotonic() < deadline:
            sup.tend()
            time.sleep(0.02)
    assert "broken exited 5 times in a row" in str(err.value) and "exit code 3" in str(err.value)


@pytest.mark.slow  # starts processes to be orphans
def test_a_start_after_a_crash_stops_orphans_of_this_data_dir_only(tmp_path: Path):
    mine, other = tmp_path / "mine", tmp_path / "other"
    mine.mkdir()
    orphan = subprocess.Popen(SLEEPER, env={**os.environ, INSTANCE_ENV: str(mine.resolve())})
    stranger = subprocess.Popen(SLEEPER, env={**os.environ, INSTANCE_ENV: str(other.resolve())})
    write_state(mine, {"pid": 999999})
    said: list[str] = []
    try:
        clean_up_after_crash(mine, say=said.append)
        assert orphan.wait(10) is not None
        assert stranger.poll() is None
        assert not (mine / "run.json").exists()
        assert any("did not stop cleanly" in line for line in said)
        assert any(f"pid {orphan.pid}" in line for line in said)
    finally:
        for p in (orphan, stranger):
            p.kill()
            p.wait()

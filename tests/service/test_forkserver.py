"""The supervisor's forked children (hotline.service.forkserver), with a real forkserver and real
forks: each is supervised on its own, as the programs started under a lifeline are."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Iterator
from pathlib import Path

import psutil
import pytest
from redis import Redis

from hotline.base import heartbeat
from hotline.service.supervisor import Supervisor
from tests.support.hotline_process import wait_until
from tests.support.lanes import starts_processes

pytestmark = pytest.mark.slow  # starts processes and waits for them

PROGRAM = ["-m", "tests.support.forked_program"]
NAMES = ("one", "two", "three")


def _running(sup: Supervisor) -> dict[str, int]:
    sup.tend()
    return {c.name: c.proc.pid for c in sup.children if c.proc is not None and c.proc.poll() is None}


def _running_when(sup: Supervisor, ok: Callable[[dict[str, int]], bool]) -> Callable[[], dict[str, int] | None]:
    """For wait_until: the running children's pids, once `ok` holds for them."""
    def check() -> dict[str, int] | None:
        pids = _running(sup)
        return pids if ok(pids) else None
    return check


@pytest.fixture()
@starts_processes
def supervisor(tmp_path: Path, clean_redis: str) -> Iterator[Supervisor]:
    sup = Supervisor({**os.environ, "REDIS_URL": clean_redis, "FORKED_PROGRAM_READY_DIR": str(tmp_path)})
    sup.add_forkserver(tmp_path / "fork.sock", preload=("tests.support.forked_program", "hotline.base.heartbeat"))
    yield sup
    sup.stop(timeout=10)


def _start(sup: Supervisor, beat: bool = False) -> dict[str, int]:
    for name in NAMES:
        sup.add(name, [*PROGRAM, name, *(["--beat"] if beat else [])], beats=beat, forked=True)
    return wait_until(_running_when(sup, lambda p: len(p) == len(NAMES) + 1), 60,
                      "the forkserver and its three forks running")


def test_forks_are_children_of_the_forkserver_and_wait_for_it(supervisor: Supervisor) -> None:
    pids = _start(supervisor)
    server = psutil.Process(pids["forkserver"]).children()  # the forkserver, under its lifeline
    forks = {p.pid for p in server[0].children()}
    assert forks == {pids[n] for n in NAMES}
    assert all(c.restarts == 0 for c in supervisor.children)  # waiting for the forkserver is no restart


def test_a_killed_fork_is_restarted_alone_and_the_others_keep_their_pids(supervisor: Supervisor) -> None:
    before = _start(supervisor)
    os.kill(before["two"], signal.SIGKILL)
    after = wait_until(_running_when(supervisor, lambda p: p.get("two", before["two"]) != before["two"]), 30,
                       "two forked again")
    assert {n: after[n] for n in after if n != "two"} == {n: before[n] for n in before if n != "two"}
    restarts = {c.name: c.restarts for c in supervisor.children}
    assert restarts == {"forkserver": 0, "one": 0, "two": 1, "three": 0}
    assert next(c for c in supervisor.children if c.name == "two").last_exit == -signal.SIGKILL


def test_a_stop_sent_the_moment_a_program_is_forked_ends_it(supervisor: Supervisor) -> None:
    """A SIGTERM that reaches a fork before it has put back the default action, while it still
    holds the forkserver's handler, is kept (blocked) and then ends the program, not lost with it
    running on until SIGKILL. Sent as soon as the forkserver names the pid, many times over."""
    for i in range(30):
        name = f"quick-{i}"
        supervisor.add(name, [*PROGRAM, name], forked=True)
        child = wait_until(lambda n=name: next((c for c in supervisor.children if c.name == n and c.proc), None)
                           if _running(supervisor) else None, 30, f"{name} forked")
        child.proc.terminate()
        assert child.proc.wait(10) in (0, -signal.SIGTERM), name
        supervisor.children.remove(child)


def test_a_dead_forkserver_takes_its_forks_along_and_all_come_back(supervisor: Supervisor) -> None:
    before = _start(supervisor)
    psutil.Process(before["forkserver"]).children()[0].kill()  # the forkserver under its lifeline
    after = wait_until(_running_when(supervisor, lambda p: len(p) == len(NAMES) + 1
                                     and not set(p.values()) & set(before.values())), 60, "everything started again")
    assert not any(psutil.pid_exists(before[n]) and psutil.Process(before[n]).status() != psutil.STATUS_ZOMBIE
                   for n in NAMES)
    assert set(after) == set(before)


def test_stop_ends_every_fork_and_the_forkserver(supervisor: Supervisor, tmp_path: Path) -> None:
    pids = _start(supervisor)
    wait_until(lambda: all((tmp_path / n).exists() for n in NAMES), 30, "the programs handling SIGTERM")
    tree = psutil.Process(pids["forkserver"]).children(recursive=True) + [psutil.Process(pids["forkserver"])]
    supervisor.stop(timeout=10)
    _gone, alive = psutil.wait_procs(tree, timeout=5)
    assert not alive
    codes = {c.name: c.proc.poll() for c in supervisor.children if c.proc is not None}
    assert codes == {"forkserver": 0, **{n: 0 for n in NAMES}}


def test_a_hung_fork_is_named_killed_and_restarted_alone(supervisor: Supervisor,
                                                         capfd: pytest.CaptureFixture[str]) -> None:
    supervisor.redis_url = supervisor.env["REDIS_URL"]
    before = _start(supervisor, beat=True)
    redis = Redis.from_url(supervisor.redis_url)
    # A child that has not beaten yet is still starting, and never judged: freeze it after its first beat.
    wait_until(lambda: {"one", "two", "three"} <= {b.child for b in heartbeat.read(redis)}, 30, "the first beats")
    os.kill(before["three"], signal.SIGSTOP)
    after = wait_until(_running_when(supervisor, lambda p: p.get("three", before["three"]) != before["three"]), 60,
                       "the hung fork killed and forked again")
    assert "three is hung (no heartbeat for" in capfd.readouterr().err
    assert {n: after[n] for n in ("one", "two")} == {n: before[n] for n in ("one", "two")}
    three = next(c for c in supervisor.children if c.name == "three")
    assert (three.restarts, three.stale_restarts) == (1, 1)

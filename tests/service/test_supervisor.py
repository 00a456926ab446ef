"""`run.py` as a service, with real processes: one instance per data dir, nothing outlives the
supervisor, dead children come back and work resumes, start-up mistakes are one line."""

from __future__ import annotations

import signal
import socket
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import psutil
import pytest

from hotline.base.config import ROOT
from hotline.service.supervisor import BACKGROUND_NICE, WEB_NICE, WORKERS
from tests.support.hotline_process import RunPy, wait_until
from tests.support.lanes import starts_processes

pytestmark = pytest.mark.slow  # starts run.py as a process


@pytest.fixture(scope="module")
@starts_processes
def hotline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunPy]:
    h = RunPy(tmp_path_factory.mktemp("supervised")).start().wait_ready()
    yield h
    assert h.stop() == 0


def _files(folder: Path) -> dict[str, tuple[int, int]]:
    """Every file of the data dir but those the running instance itself keeps writing: its Redis,
    its database (the engine's convergence cycle writes there every few seconds) and its metrics
    (a process makes its file when it first counts something: the transcriber, started after ready)."""
    return {str(p.relative_to(folder)): (p.stat().st_mtime_ns, p.stat().st_size)
            for p in folder.rglob("*")
            if p.is_file() and not {"redis", "metrics"} & set(p.parts) and not p.name.startswith("hotline.db")}


def test_a_second_start_refuses_in_one_line_and_touches_nothing(hotline: RunPy):
    # Every child started (the transcriber starts once the hotline is ready), so nothing changes on its own.
    wait_until(lambda: all(c["state"] == "running" for c in hotline.state()["children"].values())
               and "transcriber" in hotline.state()["children"], 60, "every child running")
    before_state = (hotline.data / "run.json").read_bytes()
    before_files = _files(hotline.data)
    # The supervised processes, not their own children: a worker forks a short-lived horse per job
    # (a periodic job may run at any moment), which would come and go whatever a second start does.
    supervised = lambda: {p.pid for p in psutil.Process(hotline.proc.pid).children()}  # noqa: E731
    before_tree = supervised()

    second = hotline.run(timeout=60)

    assert second.returncode == 2
    lines = second.stderr.strip().splitlines()
    assert len(lines) == 1, second.stderr
    assert f"pid {hotline.proc.pid}" in lines[0] and hotline.url in lines[0]  # type: ignore[union-attr]
    assert "Traceback" not in second.stdout + second.stderr
    assert (hotline.data / "run.json").read_bytes() == before_state
    assert _files(hotline.data) == before_files
    assert supervised() == before_tree
    assert hotline.healthy()


def test_commands_beside_a_running_hotline_act_on_its_redis_and_its_sim(hotline: RunPy):
    """Its embedded Redis and its sim are named only in run.json: a tabletop drill starts (the
    command knows the hotline plays Twilio with the sim) and stopping its paging queues the job
    that ends the calls, where it used to end in a traceback ("no Redis URL")."""
    started = hotline.run("drill", "create", "--kind", "tabletop", "--type", "other", "--participants", "chen",
                          "--start")
    assert started.returncode == 0, started.stdout + started.stderr
    ref = started.stdout.split("started: report ", 1)[1].split()[0]
    wait_until(lambda: ref in hotline.run("callout", "list", "--drills").stdout, 60, "the drill report paged")
    stopped = hotline.run("callout", "stop", ref, "--reason", "checked on site")
    assert stopped.returncode == 0 and "Traceback" not in stopped.stdout + stopped.stderr, stopped.stderr
    assert stopped.stdout.startswith(f"report {ref}: ") and "convergence cycle" not in stopped.stdout
    drill_id = started.stdout.split("drill ", 1)[1].split()[0]
    assert hotline.run("drill", "stop", drill_id).returncode == 0


def test_paging_never_yields_the_cpu_to_web_work_or_downloads(hotline: RunPy):
    """Issue #29: under a flood the callout worker and the engine keep run.py's own priority; web
    workers (not their master) and background workers (downloads, transcription, broadcasts) yield.
    Relative to this process's niceness: tests run under `nice`, and children inherit it."""
    base = psutil.Process().nice()
    callout_workers = [name for name, queues in WORKERS.items() if "callout" in queues]
    for child in (*callout_workers, "engine", "scheduler"):
        assert hotline.program(child).nice() == base, child
    for child in ("recordings-1", "transcriber", "broadcasts-1"):  # once started: their imports ran at full speed
        wait_until(lambda c=child: hotline.program(c).nice() == min(19, base + BACKGROUND_NICE), 60, f"{child} niced")
    gunicorn = hotline.program("web")
    assert gunicorn.nice() == base
    wait_until(lambda: all(w.nice() == min(19, base + WEB_NICE) for w in gunicorn.children()), 30,
               "every web worker niced")


def test_only_the_transcriber_asks_for_huge_pages(hotline: RunPy):
    """It forks a job from 600 MB of models: 2 MB pages make each fork and exit cheaper
    (supervisor.CHILD_TUNABLES). Others keep malloc's defaults."""
    assert "glibc.malloc.hugetlb=1" in hotline.program("transcriber").environ().get("GLIBC_TUNABLES", "")
    for child in ("callout-1", "recordings-1", "web"):
        assert "hugetlb" not in hotline.program(child).environ().get("GLIBC_TUNABLES", ""), child


def test_no_client_keeps_a_web_workers_connection_between_its_requests(hotline: RunPy):
    """Issue #29: each web worker takes a few connections at a time; a client that kept its own open
    between requests (an event flood through a pooled HTTP client) held those slots, and a caller's
    webhook on a new connection waited in the listen queue until the flood ended. Each answer
    closes its connection (supervisor.WEB_KEEPALIVE), so every request queues in the order it came."""
    parts = urlsplit(hotline.url)
    with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 80), timeout=30) as s:
        s.sendall(f"GET /healthz HTTP/1.1\r\nHost: {parts.netloc}\r\n\r\n".encode())  # HTTP/1.1: kept alive unless told
        answer = b""
        while chunk := s.recv(65536):  # until the server closes it
            answer += chunk
    head = answer.split(b"\r\n\r\n", 1)[0].lower()
    assert head.startswith(b"http/1.1 200") and b"\r\nconnection: close" in head, head


def test_killed_children_are_restarted_counted_and_work_resumes(hotline: RunPy):
    for child in ("redis", "callout-1", "recordings-1"):
        victim = hotline.program(child)
        victim.kill()
        victim.wait(10)
        wait_until(lambda c=child: hotline.health()[1].get("restarts", {}).get(c) == 1 and hotline.healthy(),
                   60, f"{child} restarted and /healthz 200")
        hotline.wait_for_line(f"{child} restarted")
    gunicorn = hotline.program("web")
    workers = gunicorn.children()
    workers[0].kill()
    wait_until(lambda: len(gunicorn.children()) == len(workers) and workers[0].pid not in
               {p.pid for p in gunicorn.children()}, 60, "gunicorn replaced its killed worker")
    assert hotline.state()["children"]["web"]["restarts"] == 0  # gunicorn's own business

    call = hotline.run("call")

    assert call.returncode == 0, call.stdout + call.stderr
    assert "recording: " in call.stdout and "calling " in call.stdout
    assert hotline.healthy()


def test_after_kill_9_no_child_remains_and_the_next_start_succeeds(tmp_path: Path):
    h = RunPy(tmp_path).start().wait_ready()
    tree = h.tree()
    assert any(p.name() == "redis-server" for p in tree) and len(tree) >= 10
    h.proc.send_signal(signal.SIGKILL)  # type: ignore[union-attr]
    h.proc.wait(10)  # type: ignore[union-attr]

    _gone, alive = psutil.wait_procs(tree, timeout=20)
    alive = [p for p in alive if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    assert not alive, f"left behind: {[(p.pid, p.name()) for p in alive]}"

    h.start().wait_ready()
    assert any("did not stop cleanly" in line for line in h.seen)
    assert h.healthy()
    assert h.stop() == 0


def _one_line_exit_2(h: RunPy) -> str:
    result = h.run(timeout=120)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert not (h.data / "run.json").exists() and not (h.data / "redis").exists()  # nothing was started
    return lines[0]


def test_a_flow_name_typo_is_one_line_and_exit_2(tmp_path: Path):
    text = (ROOT / "config.toml").read_text().replace('flows_dir = "ivr_flows"', f'flows_dir = "{ROOT / "ivr_flows"}"')
    assert 'flow = "default"' in text
    (tmp_path / "config.toml").write_text(text.replace('flow = "default"', 'flow = "defualt"'))
    h = RunPy(tmp_path, env={"HOTLINE_CONFIG": str(tmp_path / "config.toml")})
    line = _one_line_exit_2(h)
    assert "hotline.flow" in line or "defualt" in line


def _neighbouring_ports() -> tuple[socket.socket, socket.socket]:
    """Two sockets bound to neighbouring ports (any free port may have a busy neighbour)."""
    for _ in range(100):
        first, second = socket.socket(), socket.socket()
        first.bind(("127.0.0.1", 0))
        try:
            second.bind(("127.0.0.1", first.getsockname()[1] + 1))
        except OSError:
            first.close(), second.close()
            continue
        return first, second
    raise AssertionError("no two neighbouring free ports")


def test_a_port_in_use_is_one_line_naming_it_and_exit_2(tmp_path: Path):
    """The port it suggests is free: with the next one busy too (a running sim, say), it skips it."""
    s, neighbour = _neighbouring_ports()
    port = s.getsockname()[1]
    h = RunPy(tmp_path)
    h.url = h.env["HOTLINE_PUBLIC_URL"] = f"http://127.0.0.1:{port}"
    with s, neighbour:
        s.listen()
        neighbour.listen()
        line = _one_line_exit_2(h)
    assert f"port {port} is already in use" in line and "HOTLINE_PUBLIC_URL" in line
    suggested = int(line.split("HOTLINE_PUBLIC_URL=http://127.0.0.1:", 1)[1].split()[0])
    assert suggested > port + 1  # not the busy neighbour


def test_a_busy_sim_port_is_one_line_and_exit_2(tmp_path: Path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        busy = s.getsockname()[1]
        h = RunPy(tmp_path, env={"HOTLINE_SIM_PORT": str(busy)})
        line = _one_line_exit_2(h)
    assert f"port {busy} is already in use" in line and "HOTLINE_SIM_PORT=" in line


def test_a_config_error_is_reported_at_its_root_in_one_line(tmp_path: Path):
    text = (ROOT / "config.toml").read_text().replace('flows_dir = "ivr_flows"', f'flows_dir = "{ROOT / "ivr_flows"}"')
    people = text.index("[people.lin]")
    phone = text.index("phone = ", people)
    text = text[:phone] + 'phone = "12345"' + text[text.index("\n", phone):]
    (tmp_path / "config.toml").write_text(text)
    h = RunPy(tmp_path, env={"HOTLINE_CONFIG": str(tmp_path / "config.toml")})
    assert "people.lin.phone" in _one_line_exit_2(h)

"""Issue #24: another account on the same host gets nothing from the running hotline's local ports.

One real `python3 run.py` (real redis-server, sim, web, workers); the "other account" is a client
that knows the ports (they are no secret: `ss -ltn` lists them) but not what sits in the 0600 files.
"""

from __future__ import annotations

import stat
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import psutil
import pytest
import requests
from redis import Redis
from redis.exceptions import AuthenticationError, ResponseError

from tests.support.hotline_process import RunPy
from tests.support.lanes import starts_processes


@pytest.fixture(scope="module")
@starts_processes
def hotline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunPy]:
    h = RunPy(tmp_path_factory.mktemp("shared-host")).start().wait_ready()
    yield h
    assert h.stop() == 0


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_finding_1_the_embedded_redis_refuses_a_client_without_its_password(hotline: RunPy):
    url = urlsplit(hotline.state()["redis_url"])
    stranger = Redis(host="127.0.0.1", port=url.port, socket_timeout=5)
    with pytest.raises((AuthenticationError, ResponseError), match="(?i)auth"):
        stranger.ping()
    with pytest.raises((AuthenticationError, ResponseError), match="(?i)auth"):
        stranger.rpush("rq:queue:default", "job")  # what the reported attack did, with plain redis-cli
    with pytest.raises((AuthenticationError, ResponseError)):
        Redis(host="127.0.0.1", port=url.port, password="guess", socket_timeout=5).ping()

    password_file = hotline.data / "redis" / "password"
    password = password_file.read_text().strip()
    assert len(password) >= 32 and _mode(password_file) == 0o600
    assert _mode(hotline.data / "redis") == 0o700
    assert _mode(hotline.data / "redis" / "redis.conf") == 0o600 and _mode(hotline.data / "run.json") == 0o600
    assert Redis(host="127.0.0.1", port=url.port, password=password, socket_timeout=5).ping()
    # every child got it from the supervisor: the hotline is healthy (web, workers and engine use Redis)
    assert hotline.healthy()


def test_finding_1_the_password_is_on_no_command_line_and_not_in_the_log(hotline: RunPy):
    """`ps` shows every account's command lines, and start-up logs are often world-readable."""
    password = (hotline.data / "redis" / "password").read_text().strip()
    for proc in hotline.tree():
        try:
            assert password not in " ".join(proc.cmdline()), proc.name()
        except psutil.Error:
            continue
    assert password not in "".join(hotline.seen)
    assert any("redis:" in line and "password in" in line for line in hotline.seen)


def test_finding_1_the_sim_control_port_needs_its_token(hotline: RunPy):
    state = hotline.state()
    api = state["sim_url"] + "/sim/api"
    r = requests.post(f"{api}/dial", json={"from": "+886912000000", "to": "+886200000000"}, timeout=10)
    assert r.status_code == 401
    assert requests.get(f"{api}/events", timeout=10).status_code == 401
    ok = requests.get(f"{api}/", headers={"X-Sim-Token": state["sim_token"]}, timeout=10)
    assert ok.status_code == 200 and ok.json()["account_sid"].startswith("AC")


def test_finding_1_an_external_redis_without_a_password_is_warned_about():
    from hotline.service.embedded_redis import shown_url, unauthenticated_warning

    assert unauthenticated_warning("redis://10.0.0.5:6379/0") is not None
    assert "requirepass" in (unauthenticated_warning("redis://10.0.0.5:6379/0") or "")
    assert unauthenticated_warning("unix:///run/redis.sock") is not None
    assert unauthenticated_warning("redis://:s3cret@10.0.0.5:6379/0") is None
    assert unauthenticated_warning("rediss://user:s3cret@10.0.0.5:6380/0") is None
    assert shown_url("redis://:s3cret@10.0.0.5:6379/0") == "redis://10.0.0.5:6379/0"


def test_finding_13_the_first_run_token_is_not_in_the_start_up_log(hotline: RunPy):
    """Start-up logs (journald, scrollback, CI) are read more widely than a 0600 file."""
    path = hotline.data / "console" / "first-run-token"
    token = path.read_text().strip()
    assert token and _mode(path) == 0o600
    log = "".join(hotline.seen)
    assert token not in log
    assert str(path) in log  # it says where to read it instead

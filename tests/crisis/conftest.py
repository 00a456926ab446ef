"""A hotline per module on the repository's own config.toml and plans/ (people English-first, so
the tests can listen for English sentences), with a Redis of the module's own."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from hotline.base.config import ROOT
from hotline.service.embedded_redis import start_embedded_redis
from hotline.service.sandbox import Hotline
from tests.callout.e2e import with_languages

PEOPLE = ("chen", "lin", "wang", "huang", "director", "counsel")


def write_config(folder: Path, extra: str = "") -> Path:
    text = (ROOT / "config.toml").read_text(encoding="utf-8")
    text = text.replace('flows_dir = "ivr_flows"', f'flows_dir = "{ROOT / "ivr_flows"}"')
    text = text.replace('plans_dir = "plans"', f'plans_dir = "{ROOT / "plans"}"')
    text = with_languages(text, {key: ["en-US", "zh-TW"] for key in PEOPLE})
    path = folder / "config.toml"
    path.write_text(text + extra, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def h(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hotline]:
    tmp = tmp_path_factory.mktemp(request.module.__name__.rsplit(".", 1)[-1])
    redis = start_embedded_redis(tmp / "redis", persist=False)
    hotline = Hotline(tmp, redis.url, config_path=write_config(tmp, getattr(request.module, "EXTRA_CONFIG", "")))
    hotline.start_worker("callout", "recordings", "default")
    yield hotline
    hotline.close()
    redis.stop()

"""A hotline per module on the repository's own config.toml and plans/ (people English-first, so
the tests can listen for English sentences), with a Redis of the module's own."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from werkzeug.security import generate_password_hash

from hotline.base.config import ROOT
from hotline.service.embedded_redis import start_embedded_redis
from tests.callout.e2e import with_languages
from tests.console.conftest import logged_in_client
from tests.postgres import database_for
from tests.support.sandbox import Hotline

PEOPLE = ("chen", "lin", "wang", "huang", "director", "counsel")
# Two admins (the two-person rule needs a second one) and a viewer; cheap hashes for speed.
USERS = {"alice": ("admin", "alice pass phrase"), "bob": ("admin", "bob pass phrase"),
         "victor": ("viewer", "viewer pass phrase")}


def users_toml() -> str:
    out = "\n[console]\nsession_hours = 8\n"
    for name, (role, password) in USERS.items():
        out += (f'\n[console.users.{name}]\nrole = "{role}"\n'
                f'password_hash = "{generate_password_hash(password, method="pbkdf2:sha256:1000")}"\n')
    return out


def write_config(folder: Path, extra: str = "") -> Path:
    text = (ROOT / "config.toml").read_text(encoding="utf-8")
    text = text.replace('flows_dir = "ivr_flows"', f'flows_dir = "{ROOT / "ivr_flows"}"')
    text = text.replace('plans_dir = "plans"', f'plans_dir = "{ROOT / "plans"}"')
    text = with_languages(text, {key: ["en-US", "zh-TW"] for key in PEOPLE})
    path = folder / "config.toml"
    path.write_text(text + users_toml() + extra, encoding="utf-8")
    return path


def make_hotline(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
                 database: str) -> Iterator[Hotline]:
    tmp = tmp_path_factory.mktemp(request.module.__name__.rsplit(".", 1)[-1])
    redis = start_embedded_redis(tmp / "redis", persist=False)
    url, drop = database_for(database)
    hotline = Hotline(tmp, redis.url, url, on_close=drop,
                      config_path=write_config(tmp, getattr(request.module, "EXTRA_CONFIG", "")))
    hotline.start_worker("callout", "recordings", "default")
    yield hotline
    hotline.close()
    redis.stop()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def h(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hotline]:
    """On both databases: team calls are claimed with UPDATE ... RETURNING, verdicts by a unique index."""
    yield from make_hotline(request, tmp_path_factory, request.param)


def client_for(h: Hotline, user: str) -> Any:
    """A logged-in Flask test client, reading English, whose `csrf` attribute is its form token."""
    client = logged_in_client(h, user, USERS[user][1])
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en-US"
    return client

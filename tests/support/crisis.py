"""The crisis tests' helpers: the repository's config.toml and plans/ with people English-first and
console users, a hotline per module on either database, a logged-in client, and plan files to check.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from werkzeug.security import generate_password_hash

from hotline.base.config import ROOT, load_config
from hotline.base.config_errors import ConfigError
from hotline.service.embedded_redis import start_embedded_redis
from tests.support.console import logged_in_client
from tests.support.e2e import with_languages
from tests.support.postgres import database_for
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


def client_for(h: Hotline, user: str) -> Any:
    """A logged-in Flask test client, reading English, whose `csrf` attribute is its form token."""
    client = logged_in_client(h, user, USERS[user][1])
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en-US"
    return client


GOOD = """
[team.management]
person = "director"
[team.legal]
rota = "management"
deputy = "chen"

[[steps]]
owner = "legal"
deadline = "60m"
text = { "zh-TW" = "發布聲明", "en-US" = "Publish the statement" }

[statement]
"zh-TW" = "{time} {type} {site} {reference}"
"en-US" = "At {time}, a {type} incident at {site}, reference {reference}."
"""


def setup(tmp_path: Path, plan: str, name: str = "cyber_security") -> Path:
    cfg = tmp_path / "config.toml"
    shutil.copy(ROOT / "config.toml", cfg)
    text = cfg.read_text(encoding="utf-8").replace('flows_dir = "ivr_flows"', f'flows_dir = "{ROOT / "ivr_flows"}"')
    cfg.write_text(text, encoding="utf-8")
    (tmp_path / "plans").mkdir()
    (tmp_path / "plans" / f"{name}.toml").write_text(plan, encoding="utf-8")
    return cfg


def problems(tmp_path: Path, plan: str, name: str = "cyber_security") -> dict[str, str]:
    with pytest.raises(ConfigError) as err:
        load_config(setup(tmp_path, plan, name), env={})
    found = {p.key: p.fix for p in err.value.problems}
    assert all(p.file.endswith(f"{name}.toml") for p in err.value.problems), err.value
    return found

"""Secrets the console makes for itself under the data dir: the session key and the first-run token,
and the signatures of unpublished prompt takes made with that key.

Both are created once with O_EXCL and mode 0600, so several gunicorn workers starting together
agree on one value and no other local user can read it. Neither ever lands in a committed file.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import time
from pathlib import Path

from hotline.base.config import Config
from hotline.base.private_files import private_dir
from hotline.web.settings import ConsoleSettings

SECRET_ENV = "HOTLINE_SECRET_KEY"
TOKEN_USER = "admin"  # the name the first-run token logs in under


def _folder(cfg: Config) -> Path:
    return cfg.data_dir / "console"


def _read_or_create(path: Path, make: str) -> str:
    private_dir(path.parent)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as f:
        f.write(make + "\n")
    return make


def secret_key(cfg: Config) -> str:
    """HOTLINE_SECRET_KEY when set (several hosts behind one name need the same key), else a file."""
    return os.environ.get(SECRET_ENV) or _read_or_create(_folder(cfg) / "secret_key", secrets.token_hex(32))


def first_run_token(cfg: Config) -> str | None:
    """The one-time way in before any admin is configured; None once config.toml names an admin.

    Kept 0600 in data/console/first-run-token; run.py's banner says where, never the token itself
    (start-up logs are read more widely). Log in as user `admin` with the token as the password.
    """
    if cfg.section(ConsoleSettings).has_admin:
        return None
    return _read_or_create(_folder(cfg) / "first-run-token", secrets.token_urlsafe(18))


TAKE_SECONDS = 3600  # an admin hears a take back within the call that recorded it


def _take_mac(cfg: Config, name: str, lang: str, version: int, expires: int) -> str:
    message = f"prompt-take\n{name}\n{lang}\n{version}\n{expires}".encode()
    return hmac.new(secret_key(cfg).encode(), message, hashlib.sha256).hexdigest()


def take_query(cfg: Config, name: str, lang: str, version: int, now: float | None = None) -> dict[str, str]:
    """The query that lets Twilio's <Play> (which sends no credentials) fetch one unpublished take
    for an hour; without it the take is the console's, behind its login."""
    expires = int(now if now is not None else time.time()) + TAKE_SECONDS
    return {"e": str(expires), "s": _take_mac(cfg, name, lang, version, expires)}


def take_allowed(cfg: Config, name: str, lang: str, version: int, query: dict[str, str]) -> bool:
    try:
        expires = int(query.get("e", ""))
    except ValueError:
        return False
    if expires < time.time():
        return False
    return hmac.compare_digest(query.get("s", ""), _take_mac(cfg, name, lang, version, expires))

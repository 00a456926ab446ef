"""Web Push with VAPID (RFC 8291 aes128gcm payloads, RFC 8292 VAPID), through `pywebpush`.

The VAPID key pair is made at first start into the data dir (`push/vapid_private.pem`, 0600,
created with O_EXCL so web workers starting together agree on one key); browsers subscribe with
its public key (`application_server_key`). A push service answering 404 or 410 has dropped the
subscription: it is marked gone and never used again. 429 and 5xx pass; other 4xx are permanent.
"""

from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from hotline.base.config import Config
from hotline.base.private_files import FILE_MODE, private_dir

TTL_SECONDS = 12 * 3600
TIMEOUT_SECONDS = 15


class PushError(Exception):
    def __init__(self, message: str, permanent: bool, gone: bool = False, rate_limited: bool = False) -> None:
        super().__init__(message)
        self.permanent, self.gone, self.rate_limited = permanent, gone, rate_limited


@dataclass(frozen=True)
class Subscription:
    endpoint: str
    p256dh: str
    auth: str


def key_path(cfg: Config) -> Path:
    return cfg.data_dir / "push" / "vapid_private.pem"


def ensure_keys(cfg: Config) -> Path:
    """Make the VAPID key pair once (0600); later starts read the same one."""
    path = key_path(cfg)
    private_dir(path.parent)
    pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        return path
    with os.fdopen(fd, "wb") as f:
        f.write(pem)
    return path


def _private_key(cfg: Config) -> ec.EllipticCurvePrivateKey:
    key = serialization.load_pem_private_key(ensure_keys(cfg).read_bytes(), password=None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    return key


def application_server_key(cfg: Config) -> str:
    """The public key as browsers take it: the uncompressed P-256 point, base64url without padding."""
    point = _private_key(cfg).public_key().public_bytes(serialization.Encoding.X962,
                                                        serialization.PublicFormat.UncompressedPoint)
    return base64.urlsafe_b64encode(point).rstrip(b"=").decode()


def send(cfg: Config, sub: Subscription, payload: dict[str, object], contact: str) -> None:
    # Imported here: pywebpush loads aiohttp, about a third of a second of CPU that every process
    # importing the broadcasts (the supervisor, gunicorn's master, the forkserver) paid at start.
    from py_vapid import Vapid02
    from pywebpush import WebPushException, webpush

    vapid = Vapid02.from_pem(ensure_keys(cfg).read_bytes())
    try:
        webpush({"endpoint": sub.endpoint, "keys": {"p256dh": sub.p256dh, "auth": sub.auth}},
                data=json.dumps(payload, ensure_ascii=False), vapid_private_key=vapid,
                vapid_claims={"sub": contact}, content_encoding="aes128gcm", ttl=TTL_SECONDS,
                timeout=TIMEOUT_SECONDS)
    except WebPushException as exc:
        status = exc.response.status_code if exc.response is not None else 0
        raise PushError(f"{status}: {exc.message}", permanent=400 <= status < 500 and status != 429,
                        gone=status in (404, 410), rate_limited=status == 429) from exc
    except (OSError, ValueError) as exc:
        raise PushError(f"{type(exc).__name__}: {exc}", permanent=False) from exc

"""Web push with VAPID against a local push service that decrypts each message with the
subscription's own keys (a P-256 key pair and auth secret made here, `http_ece`, aes128gcm) and
checks the VAPID signature; the key pair is made at first start, 0600; a subscription the push
service has dropped (410) is never used again; the console subscribes its logged-in user."""

from __future__ import annotations

import base64
import json
import os
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import http_ece
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from sqlalchemy import select

from hotline.broadcasts import links, webpush
from hotline.broadcasts.models import DeliveryState, PushSubscription, RecipientState
from hotline.directory.models import DirectoryPerson
from tests.support.broadcasts import deliveries, group, people, recipients, send
from tests.support.crisis import client_for
from tests.support.sandbox import Hotline

STAFF = """name,phone,email,department,site,language,channels
Fay Wu,,fay@example.org,Ops,Kaohsiung,en-US,push;email
Gus Ng,,gus@example.org,Ops,Kaohsiung,zh-TW,push;email
"""


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Browser:
    """What a browser keeps for one push subscription: its key pair and auth secret."""

    def __init__(self) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.auth = os.urandom(16)

    def keys(self) -> dict[str, str]:
        point = self.key.public_key().public_bytes(serialization.Encoding.X962,
                                                   serialization.PublicFormat.UncompressedPoint)
        return {"p256dh": b64(point), "auth": b64(self.auth)}


class PushService:
    """A push service on localhost: keeps what it is sent; `/gone/...` answers 410."""

    def __init__(self) -> None:
        self.received: list[tuple[str, dict[str, str], bytes]] = []
        box = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                box.received.append((self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(410 if self.path.startswith("/gone") else 201)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def for_path(self, path: str) -> list[tuple[dict[str, str], bytes]]:
        return [(headers, body) for p, headers, body in self.received if p == path]


@pytest.fixture(scope="module")
def push_service() -> Iterator[PushService]:
    service = PushService()
    yield service
    service.server.shutdown()


def check_vapid(authorization: str, audience: str, server_key: str) -> None:
    """`vapid t=JWT, k=KEY`: KEY is the hotline's public key and JWT is signed by it for `audience`."""
    fields = dict(part.strip().split("=", 1) for part in authorization.removeprefix("vapid ").split(","))
    assert fields["k"] == server_key
    head, claims, signature = fields["t"].split(".")
    assert json.loads(unb64(claims))["aud"] == audience
    raw = unb64(signature)
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64(fields["k"]))
    public.verify(encode_dss_signature(int.from_bytes(raw[:32]), int.from_bytes(raw[32:])),
                  f"{head}.{claims}".encode(), ec.ECDSA(hashes.SHA256()))


def test_push_is_encrypted_for_the_subscription_and_signed(h: Hotline, push_service: PushService):
    key_file = webpush.key_path(h.config)
    assert key_file.exists() and (key_file.stat().st_mode & 0o777) == 0o600  # made when the app started
    people(h, STAFF)
    group(h, "ops", "department = Ops")
    with h.session() as s:
        fay, gus = (s.scalar(select(DirectoryPerson.id).where(DirectoryPerson.name == n)) for n in ("Fay Wu", "Gus Ng"))
    client = h.app.test_client()
    server_key = client.get("/push/key").get_json()["key"]
    fay_browser, gus_browser = Browser(), Browser()
    for person, browser, path in ((fay, fay_browser, "/fay"), (gus, gus_browser, "/gone/gus")):
        r = client.post("/push/subscriptions", json={"token": links.push_enrol_token(h.config, person or 0),
                                                     "subscription": {"endpoint": push_service.url + path,
                                                                      "keys": browser.keys()}})
        assert r.status_code == 201
    assert client.post("/push/subscriptions", json={"token": "forged", "subscription": {}}).status_code == 403

    b = send(h, ("ops",), ("push", "email"))
    headers, body = h.wait_for(lambda: push_service.for_path("/fay"), what="Fay's push")[0]
    assert headers["content-encoding"] == "aes128gcm" and int(headers["ttl"]) > 0
    check_vapid(headers["authorization"], push_service.url, server_key)
    payload = json.loads(http_ece.decrypt(body, private_key=fay_browser.key, auth_secret=fay_browser.auth,
                                          version="aes128gcm"))
    assert payload["body"] == "Earthquake: leave by the stairs." and payload["tag"] == f"broadcast-{b}"
    assert [a["action"] for a in payload["actions"]] == ["1", "2"]
    assert payload["actions"][1]["url"].startswith(f"{h.public_url}/b/r/")

    # Gus's subscription is gone (410): marked so, and he gets the email instead.
    h.wait_for(lambda: any(d.channel == "email" and d.state == DeliveryState.SENT and d.recipient_id ==
                           recipients(h, b)["Gus Ng"].id for d in deliveries(h, b)), what="Gus's email")
    with h.session() as s:
        assert s.scalar(select(PushSubscription.gone_at).where(PushSubscription.person_id == gus)) is not None

    # Fay answers from the notification's action: the link records it.
    answer = client.post(payload["actions"][0]["url"].removeprefix(h.public_url))
    assert answer.status_code == 200 and recipients(h, b)["Fay Wu"].state == RecipientState.ANSWERED


def test_the_console_subscribes_its_logged_in_user(h: Hotline, push_service: PushService):
    with h.session() as s:
        s.execute(DirectoryPerson.__table__.update().where(DirectoryPerson.name == "Fay Wu").values(
            console_user="alice"))
    alice = client_for(h, "alice")
    sub = {"endpoint": push_service.url + "/alice", "keys": Browser().keys()}
    assert alice.post("/push/subscriptions", json={"subscription": sub}).status_code == 403  # no CSRF token
    r = alice.post("/push/subscriptions", json={"subscription": sub}, headers={"X-CSRF-Token": alice.csrf})
    assert r.status_code == 201
    bob = client_for(h, "bob")  # not in the directory
    sub2 = {"endpoint": push_service.url + "/bob", "keys": Browser().keys()}
    assert bob.post("/push/subscriptions", json={"subscription": sub2},
                    headers={"X-CSRF-Token": bob.csrf}).status_code == 403
    sw = h.app.test_client().get("/push-sw.js")
    assert sw.headers["Service-Worker-Allowed"] == "/" and "showNotification" in sw.get_data(as_text=True)

"""Refused requests: each gets its 4xx, is audited, and creates nothing."""

from __future__ import annotations

import json
import time

import requests

from hotline.events import integrations
from hotline.events.auth import SIGNATURE_HEADER, sign
from tests.support.e2e import quiet_phones  # noqa: F401  (autouse: phones wait for the test)
from tests.support.events import RATE_LIMIT, add_integration, alerts_for, incident_count, post, trigger
from tests.support.sandbox import Hotline


def _raw(h: Hotline, body: bytes, headers: dict[str, str] | None = None) -> requests.Response:
    return requests.post(h.public_url + "/events/v2/enqueue", data=body, timeout=30,
                         headers={"Content-Type": "application/json", **(headers or {})})


def test_unknown_and_revoked_keys_get_the_same_answer(h: Hotline) -> None:
    creds = add_integration(h, "soon-revoked")
    with h.session() as s:
        integrations.revoke(s, "soon-revoked", "test")
    before = incident_count(h)
    revoked = post(h, trigger(creds.key, "r-1"))
    unknown = post(h, trigger("0" * 32, "r-1"))
    assert revoked.status_code == unknown.status_code == 401
    assert revoked.json() == unknown.json()
    assert incident_count(h) == before
    assert sum(e.detail["count"] for e in h.audit(kind="event_unauthorized")) >= 2


def test_a_malformed_body_lists_every_error(h: Hotline) -> None:
    key = add_integration(h, "ids-bad").key
    before = incident_count(h)
    r = post(h, {"routing_key": key, "event_action": "trigger", "payload": {"severity": "loud"}})
    assert r.status_code == 400
    body = r.json()
    assert body["status"] == "invalid event"
    assert any("summary" in e for e in body["errors"]) and any("source" in e for e in body["errors"])
    assert any("severity" in e for e in body["errors"])
    assert post(h, {"routing_key": key, "event_action": "resolve"}).json()["errors"] == [
        "'dedup_key' is required for event_action resolve"]
    assert _raw(h, b"{not json").status_code == 400
    assert post(h, {"event_action": "trigger"}).json()["errors"] == ["'routing_key' is missing"]
    assert incident_count(h) == before
    assert h.audit(kind="event_invalid")


def test_an_oversized_body_gets_413(h: Hotline) -> None:
    key = add_integration(h, "ids-big").key
    before = incident_count(h)
    r = post(h, trigger(key, "big", blob="x" * 20_000))  # the test config allows 16 KB
    assert r.status_code == 413
    assert incident_count(h) == before


def test_signed_integrations_refuse_bad_stale_and_replayed_signatures(h: Hotline) -> None:
    creds = add_integration(h, "ids-signed", with_hmac=True)
    assert creds.hmac_secret
    body = json.dumps(trigger(creds.key, "signed", affected_records=5000)).encode()
    before = incident_count(h)
    assert _raw(h, body).status_code == 401  # unsigned
    assert _raw(h, body, {SIGNATURE_HEADER: sign("wrong-secret", body)}).status_code == 401
    stale = sign(creds.hmac_secret, body, at=int(time.time()) - 3600)
    assert _raw(h, body, {SIGNATURE_HEADER: stale}).json()["message"] == "stale timestamp"
    assert incident_count(h) == before
    good = {SIGNATURE_HEADER: sign(creds.hmac_secret, body)}
    assert _raw(h, body, good).status_code == 202
    replay = _raw(h, body, good)
    assert replay.status_code == 401 and replay.json()["message"] == "replayed request"
    [alert] = alerts_for(h, "signed")
    assert alert.events == 1  # the replay was not counted as a repeat
    audited = {e.kind for e in h.audit() if e.actor == "integration:ids-signed"}
    assert {"event_bad_signature", "event_stale_signature", "event_replay"} <= audited


def test_the_rate_limit_answers_429_and_creates_nothing_more(h: Hotline) -> None:
    key = add_integration(h, "ids-fast").key
    answers = []
    for _ in range(2 * RATE_LIMIT + 2):  # a minute may turn once during the loop
        answers.append(post(h, trigger(key, "fast", affected_records=5000)).status_code)
        if answers[-1] == 429:
            break
    assert answers[-1] == 429
    [alert] = alerts_for(h, "fast")
    assert alert.events == answers.count(202)
    assert h.audit(kind="event_rate_limited")


def test_a_rotated_key_replaces_the_old_one(h: Hotline) -> None:
    old = add_integration(h, "ids-rotate").key
    with h.session() as s:
        new = integrations.rotate(s, "ids-rotate", "test").key
    assert post(h, trigger(old, "rot")).status_code == 401
    assert post(h, trigger(new, "rot")).status_code == 202

"""Issue 24, finding 7: the events API could lose an alert to a 500 (a lone surrogate in a valid
event's summary, deep JSON, a non-ASCII signature header). The named tests are the reported
cases; the Hypothesis fuzz posts generated events to both endpoints with valid, signed and
invalid keys and asserts no 500 and, for every accepted event, an incident or a recorded
decision. (Each fails on the main before the fix.)"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from hotline.base.models import AuditEvent
from hotline.events.auth import SIGNATURE_HEADER, sign
from hotline.events.models import EventAlert
from hotline.events.rules import SEVERITIES
from tests.support.e2e import quiet_phones  # noqa: F401  (autouse: phones wait for the test)
from tests.support.events import add_integration
from tests.support.sandbox import Hotline

ODD = ["\ud800", "\udfff tail", "nul\x00byte", "esc\x1b[31mred", "bell\x07", "\ufffe", "DEL\x7f", "\u0085next",
       "正常", ""]
TEXT = st.one_of(st.text(max_size=30), st.sampled_from(ODD), st.lists(st.sampled_from(ODD), max_size=3).map("".join))
JSON = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), TEXT),
                    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(TEXT, inner, max_size=3)),
                    max_leaves=8)


def _dumps(body: Any) -> bytes:
    return json.dumps(body).encode()  # ensure_ascii: a lone surrogate travels as the valid escape \ud800


def _client(h: Hotline) -> Any:
    return h.app.test_client()


@pytest.fixture(scope="module")
def keys(h: Hotline) -> dict[str, Any]:
    return {"plain": add_integration(h, "fuzz-plain"), "signed": add_integration(h, "fuzz-signed", with_hmac=True)}


def _post_v2(h: Hotline, body: bytes, headers: dict[str, str] | None = None) -> Any:
    return _client(h).post("/events/v2/enqueue", data=body, headers={"Content-Type": "application/json",
                                                                      **(headers or {})})


def _recorded(h: Hotline, dedup_key: str) -> bool:
    """An incident (its alert row) or a recorded decision (an audit row naming the key)."""
    with h.session() as s:
        if s.scalar(select(EventAlert.id).where(EventAlert.dedup_key == dedup_key).limit(1)) is not None:
            return True
        return any(e.detail.get("dedup_key") == dedup_key
                   for e in s.scalars(select(AuditEvent).where(AuditEvent.kind.like("event_%"))))


def test_finding7_a_lone_surrogate_or_nul_in_a_valid_event_opens_an_incident(h: Hotline, keys) -> None:
    for n, summary in enumerate(["disk \ud800 full", "nul \x00 here", "ctl \x1b[2J \x07"]):
        body = _dumps({"routing_key": keys["plain"].key, "event_action": "trigger", "dedup_key": f"odd-{n}",
                       "payload": {"summary": summary, "source": "host\x00-1", "severity": "critical",
                                   "custom_details": {"k\ud800": ["\x00", {"deep": "\udfff"}]}}})
        r = _post_v2(h, body)
        assert r.status_code == 202, r.get_data(as_text=True)
        with h.session() as s:
            alert = s.scalar(select(EventAlert).where(EventAlert.dedup_key == f"odd-{n}"))
        assert alert is not None and "\x00" not in alert.summary and "\ud800" not in alert.summary
        assert "\x00" not in alert.source


def test_finding7_deep_json_without_a_key_gets_400_not_500(h: Hotline) -> None:
    for body in (b"[" * 100_00 + b"]" * 100_00, b'{"a":' * 5000 + b"1" + b"}" * 5000):
        for path in ("/events/v2/enqueue", "/events/alertmanager"):
            r = _client(h).post(path, data=body[:16_000], headers={"Content-Type": "application/json"})
            assert r.status_code in (400, 401), (path, r.status_code)


def test_finding7_a_non_ascii_signature_header_gets_401_not_500(h: Hotline, keys) -> None:
    body = _dumps({"routing_key": keys["signed"].key, "event_action": "trigger", "dedup_key": "sig-ascii",
                   "payload": {"summary": "s", "source": "x", "severity": "info"}})
    r = _post_v2(h, body, {SIGNATURE_HEADER: f"t={int(time.time())},v1=é{'0' * 63}"})
    assert r.status_code == 401
    am = _client(h).post("/events/alertmanager", data=b"{}", headers={"Authorization": "Bearer ké"})
    assert am.status_code == 401


def _v2_body(key: str, action: str, dedup: str | None, payload: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"routing_key": key, "event_action": action, "payload": payload}
    if dedup is not None:
        body["dedup_key"] = dedup
    return body


NONBLANK = st.one_of(st.text(min_size=1, max_size=30).filter(str.strip), st.sampled_from(ODD[:-1]).map("x".__add__))
VALID_PAYLOAD = st.fixed_dictionaries({"summary": NONBLANK, "source": NONBLANK,
                                       "severity": st.sampled_from(SEVERITIES), "custom_details": JSON})
VALID_V2 = st.builds(_v2_body, st.just("KEY"), st.sampled_from(["trigger", "trigger", "acknowledge", "resolve"]),
                     st.one_of(NONBLANK, st.sampled_from(["fz-1", "fz-2"])), VALID_PAYLOAD)
V2 = st.one_of(VALID_V2, VALID_V2, VALID_V2,
               st.builds(_v2_body, st.just("KEY"), st.sampled_from(["trigger", "x"]),
                         st.one_of(st.none(), TEXT), st.one_of(JSON, VALID_PAYLOAD)))
ALERT = st.fixed_dictionaries({"status": st.sampled_from(["firing", "resolved"]),
                               "labels": st.dictionaries(TEXT, TEXT, max_size=3),
                               "annotations": st.dictionaries(TEXT, TEXT, max_size=2)})
AM = st.fixed_dictionaries({"status": st.sampled_from(["firing", "firing", "resolved", "x"]), "groupKey": NONBLANK,
                            "alerts": st.lists(ALERT, max_size=3), "commonLabels": st.dictionaries(TEXT, TEXT,
                                                                                                   max_size=3)})


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(endpoint=st.sampled_from(["v2", "alertmanager"]),
       key=st.sampled_from(["plain", "plain", "signed", "signed", "bad", "none"]), v2=V2, am=AM,
       junk=st.one_of(st.none(), st.none(), st.none(), st.none(), st.binary(max_size=40),
                      st.sampled_from([b"[" * 400, b'"\\ud800"'])),
       header=st.one_of(st.none(), st.none(), st.none(), TEXT))
def test_finding7_fuzz_both_endpoints_never_500_and_every_accepted_event_is_kept(
        h: Hotline, keys, endpoint, key, v2, am, junk, header) -> None:
    h.runtime.redis.delete(*h.runtime.redis.keys("hotline:events:rate:*") or ["none"])  # the limit is not the test
    creds = keys.get(key)
    secret_key = creds.key if creds else ("0" * 32 if key == "bad" else "")
    if endpoint == "v2":
        body = junk if junk is not None else _dumps({**v2, "routing_key": secret_key})
        path, headers = "/events/v2/enqueue", {}
    else:
        body = junk if junk is not None else _dumps(am)
        path, headers = "/events/alertmanager", {"Authorization": f"Bearer {secret_key}"}
    if creds is not None and creds.hmac_secret:
        headers[SIGNATURE_HEADER] = sign(creds.hmac_secret, body)
    if header is not None:
        headers[SIGNATURE_HEADER] = header.encode("utf-8", "surrogatepass").decode("latin-1")  # raw header bytes
    r = _client(h).post(path, data=body, headers={"Content-Type": "application/json", **headers})
    assert r.status_code in (202, 400, 401, 413, 429), (r.status_code, r.get_data(as_text=True)[:300])
    if r.status_code == 202:
        assert _recorded(h, r.get_json()["dedup_key"])

"""Every Twilio route rejects unsigned and forged requests; a correctly signed one gets through,
also behind a reverse proxy. (Flask's test client is enough here: no call is placed.)"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from twilio.request_validator import RequestValidator

from hotline.base.config import ROOT, load_config
from hotline.base.runtime import set_runtime
from hotline.service.app import create_app

TOKEN = "test-token-123"


ENV = {"TWILIO_ACCOUNT_SID": "AC" + "0" * 32, "TWILIO_AUTH_TOKEN": TOKEN,
       "HOTLINE_PUBLIC_URL": "https://hotline.example.org/base"}


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    env = {**ENV, "HOTLINE_DATA_DIR": str(tmp_path_factory.mktemp("data"))}
    app = create_app(load_config(ROOT / "config.toml", env=env))
    yield app
    set_runtime(None)


def twilio_routes(app):
    return sorted(r.rule for r in app.url_map.iter_rules()
                  if getattr(app.view_functions[r.endpoint], "twilio_webhook", False))


def test_every_voice_route_is_a_checked_twilio_route(app):
    voice = sorted(r.rule for r in app.url_map.iter_rules() if r.rule.startswith(("/voice", "/sms")))
    assert voice and voice == twilio_routes(app)


def test_every_twilio_route_rejects_unsigned_and_forged_requests(app):
    client = app.test_client()
    form = {"CallSid": "CA1", "From": "+886912345678", "To": "+886277001234"}
    routes = twilio_routes(app)
    assert len(routes) >= 8
    for rule in routes:
        assert client.post(rule, data=form).status_code == 403, rule
        forged = client.post(rule, data=form, headers={"X-Twilio-Signature": "bm90IGEgc2lnbmF0dXJl"})
        assert forged.status_code == 403, rule
    from hotline.base.models import AuditEvent
    from hotline.base.runtime import get_runtime

    with get_runtime().db.session() as s:  # a flood is one row per source per minute, with a count
        rows = s.query(AuditEvent).filter_by(kind="forged_webhook").all()
        assert sum(r.detail["count"] for r in rows) >= 2 * len(routes)
        assert len(rows) <= 2 and all(r.actor == "127.0.0.1" for r in rows)  # at most a minute boundary


def test_a_flood_of_forged_requests_adds_no_rows(app):
    from hotline.base.models import AuditEvent
    from hotline.base.runtime import get_runtime

    client = app.test_client()
    with get_runtime().db.session() as s:
        before = s.query(AuditEvent).count()
    for i in range(200):
        assert client.post("/voice/incoming", data={"CallSid": f"CA{i}"},
                           environ_base={"REMOTE_ADDR": "203.0.113.9"}).status_code == 403
    with get_runtime().db.session() as s:
        rows = s.query(AuditEvent).filter_by(kind="forged_webhook", actor="203.0.113.9").all()
        assert s.query(AuditEvent).count() - before <= 2
    assert sum(r.detail["count"] for r in rows) == 200 and rows[0].detail["paths"] == ["/voice/incoming"]


def sign(url, form):
    return RequestValidator(TOKEN).compute_signature(url, form)


def test_signed_request_against_public_url_is_accepted(app):
    form = {"CallSid": "CA2", "From": "+886912345678", "To": "+886277001234"}
    url = "https://hotline.example.org/base/voice/incoming"
    r = app.test_client().post("/voice/incoming", data=form, headers={"X-Twilio-Signature": sign(url, form)})
    assert r.status_code == 200 and b"<Gather" in r.data


def test_signature_for_another_body_is_rejected(app):
    form = {"CallSid": "CA3", "From": "+886912345678"}
    sig = sign("https://hotline.example.org/base/voice/incoming", form)
    tampered = {**form, "From": "+886900000000"}
    r = app.test_client().post("/voice/incoming", data=tampered, headers={"X-Twilio-Signature": sig})
    assert r.status_code == 403


def _forwarded(form):
    url = "https://proxy.example.net/hl/voice/incoming"
    return {"X-Twilio-Signature": sign(url, form), "X-Forwarded-Proto": "https",
            "X-Forwarded-Host": "proxy.example.net", "X-Forwarded-Prefix": "/hl"}


def test_behind_a_configured_proxy_the_forwarded_url_is_what_counts(app, tmp_path):
    from hotline.base.runtime import get_runtime

    form = {"CallSid": "CA4", "From": "+886912345678"}
    config = ROOT / "config.toml"
    path = tmp_path / "config.toml"
    path.write_text(config.read_text().replace("trusted_proxies = 0", "trusted_proxies = 1")
                    .replace('flows_dir = "ivr_flows"', f'flows_dir = "{ROOT / "ivr_flows"}"'))
    before = get_runtime()
    try:
        proxied = create_app(load_config(path, env={**ENV, "HOTLINE_DATA_DIR": str(tmp_path / "data")}))
        assert proxied.test_client().post("/voice/incoming", data=form, headers=_forwarded(form)).status_code == 200
    finally:
        set_runtime(before)


def test_exposed_directly_forwarded_headers_are_ignored(app):
    """trusted_proxies = 0 (the default): a signature for another host is not made valid by headers."""
    form = {"CallSid": "CA4b", "From": "+886912345678"}
    assert app.test_client().post("/voice/incoming", data=form, headers=_forwarded(form)).status_code == 403
    other_host = {"X-Twilio-Signature": sign("http://evil.example/voice/incoming", form)}
    r = app.test_client().post("/voice/incoming", data=form, headers=other_host, base_url="http://evil.example")
    assert r.status_code == 403


def test_exception_in_a_handler_still_answers_with_twiml_that_records(app, monkeypatch):
    import hotline.ivr.voice as voice

    def broken(*a, **k):
        raise RuntimeError("database on fire")

    monkeypatch.setattr(voice.flow_engine, "press", broken)
    start = {"CallSid": "CA5", "From": "+886912345678"}
    incoming = "https://hotline.example.org/base/voice/incoming"
    app.test_client().post("/voice/incoming", data=start, headers={"X-Twilio-Signature": sign(incoming, start)})
    form = {"CallSid": "CA5", "From": "+886912345678", "Digits": "1"}
    url = "https://hotline.example.org/base/voice/step?n=menu&l=en-US"
    r = app.test_client().post("/voice/step?n=menu&l=en-US", data=form, headers={"X-Twilio-Signature": sign(url, form)})
    assert r.status_code == 200 and r.mimetype == "text/xml"
    body = r.data.decode()
    assert "<Record" in body and "/voice/safe-recorded" in body and "src=safe" in body
    assert "Sorry" in body


def test_with_twilio_credentials_an_api_base_url_is_a_twilio_edge_not_the_sim(app, tmp_path):
    """Issue 11.3: /sim and its control API exist only in sim mode (run.py started the sim)."""
    from hotline.base.runtime import get_runtime

    before = get_runtime()
    env = {**ENV, "HOTLINE_DATA_DIR": str(tmp_path / "data"), "TWILIO_API_BASE_URL": "https://api.dublin.ie1.twilio.com"}
    try:
        edge = create_app(load_config(ROOT / "config.toml", env=env))
        client = edge.test_client()
        assert client.get("/healthz").get_json()["mode"] == "twilio"
        for path in ("/sim", "/sim/phone/886912000001", "/sim/api/events", "/sim/api/calls"):
            assert client.get(path).status_code == 404, path
        assert client.post("/sim/api/dial", json={}).status_code == 404
    finally:
        set_runtime(before)


@settings(max_examples=150, deadline=None)
@given(params=st.lists(st.tuples(st.sampled_from(["CallSid", "Digits", "From", "To", "Body", "x"]),
                                 st.text(max_size=12)), max_size=8),
       signed_url=st.sampled_from(["https://hotline.example.org/base/voice/step?f=main&n=type",
                                   "https://hotline.example.org:443/base/voice/step?f=main&n=type",
                                   "https://hotline.example.org:8443/base/voice/step?f=main&n=type",
                                   "https://elsewhere.example.org/base/voice/step?f=main&n=type"]),
       public_url=st.sampled_from(["https://hotline.example.org/base", "https://hotline.example.org:443/base"]),
       tamper=st.booleans())
def test_our_signature_check_agrees_with_twilios_validator(app, params, signed_url, public_url, tamper):
    """The fast check (one HMAC in the common case) accepts exactly what Twilio's own
    RequestValidator accepts: repeated parameters, the default port written or not, a wrong
    host or port, a tampered body."""
    from werkzeug.datastructures import MultiDict

    from hotline.base.security import signature_valid

    form = MultiDict(params)
    sig = RequestValidator(TOKEN).compute_signature(signed_url, form)
    sent = MultiDict([*params, ("Tampered", "1")]) if tamper else form
    path = "/voice/step?f=main&n=type"
    with app.test_request_context(path, method="POST", data=sent, headers={"X-Twilio-Signature": sig}):
        ours = signature_valid(TOKEN, public_url)
    expected = RequestValidator(TOKEN).validate(public_url + "/voice/step?f=main&n=type", sent, sig)
    assert ours == expected
    if not tamper and "elsewhere" not in signed_url and ":8443" not in signed_url:
        assert ours

"""The benches' durable floor (bench/durable_floor.py) keeps the promise it stands for: a forged
request gets 403 and leaves nothing behind; a signed one's row (CallSid, From, Digits) is committed
in the database, where any other connection reads it, by the time the 200 and its TwiML arrive.
Not a timing test: the floor is only a fair baseline for the IVR's webhooks if it is this durable."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, select

from bench.durable_floor import DURABLE_TWIML, FLOOR, PATH, add_durable_route
from hotline.base.config import ROOT, load_config
from hotline.base.runtime import set_runtime
from hotline.service.app import create_app
from sim.signing import signature
from tests.support.postgres import database_for

TOKEN = "floor-token"
PUBLIC = "https://hotline.example.org"
CALLER = "+886955123456"


@pytest.fixture(params=["sqlite", "postgresql"])
def floor(request, tmp_path):  # type: ignore[no-untyped-def]
    """The hotline app with the durable floor, and the database URL it writes to."""
    url, drop = database_for(request.param)
    if url == "sqlite":
        url = f"sqlite:///{tmp_path / 'data' / 'hotline.db'}"
    env = {"TWILIO_ACCOUNT_SID": "AC" + "0" * 32, "TWILIO_AUTH_TOKEN": TOKEN, "HOTLINE_PUBLIC_URL": PUBLIC,
           "HOTLINE_DATA_DIR": str(tmp_path / "data"), "REDIS_URL": "redis://127.0.0.1:9/0",
           "HOTLINE_SIM_URL": "https://sim.example.org", "DATABASE_URL": url}
    app = add_durable_route(create_app(load_config(ROOT / "config.toml", env=env)))
    try:
        yield app, url
    finally:
        set_runtime(None)
        if drop:
            drop()


def rows(url: str) -> list[tuple[str, str, str | None]]:
    """Read through an engine of its own: only what was committed is there to see."""
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as c:
            return [tuple(r) for r in c.execute(select(FLOOR.c.call_sid, FLOOR.c.from_number, FLOOR.c.digits)
                                                .order_by(FLOOR.c.id))]  # type: ignore[misc]
    finally:
        engine.dispose()


def test_a_forged_request_is_refused_and_writes_nothing(floor):
    app, url = floor
    client = app.test_client()
    params = {"CallSid": "CA" + "1" * 32, "From": CALLER, "Digits": "7"}
    forged = client.post(PATH, data=params, headers={"X-Twilio-Signature": signature("not-the-token", PUBLIC + PATH,
                                                                                      params)})
    unsigned = client.post(PATH, data=params)
    tampered = client.post(PATH, data={**params, "Digits": "8"},
                           headers={"X-Twilio-Signature": signature(TOKEN, PUBLIC + PATH, params)})
    assert [forged.status_code, unsigned.status_code, tampered.status_code] == [403, 403, 403]
    assert rows(url) == []


def test_a_signed_request_is_committed_before_its_answer(floor):
    app, url = floor
    client = app.test_client()
    first = {"CallSid": "CA" + "2" * 32, "From": CALLER, "To": "+886277001234"}
    pressed = {**first, "Digits": "3"}
    for params in (first, pressed):
        resp = client.post(PATH, data=params, headers={"X-Twilio-Signature": signature(TOKEN, PUBLIC + PATH, params)})
        assert resp.status_code == 200, resp.data
        assert resp.get_data(as_text=True) == DURABLE_TWIML
        assert resp.mimetype == "text/xml"
        # read before the next request, by another connection: committed, not merely flushed
        assert rows(url)[-1] == (params["CallSid"], CALLER, params.get("Digits"))
    assert rows(url) == [("CA" + "2" * 32, CALLER, None), ("CA" + "2" * 32, CALLER, "3")]

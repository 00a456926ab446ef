"""The benchmarks' durable floor: the cheapest webhook that keeps the IVR's promise (issue 29).

The bare endpoint (bench/bare_twiml.py) answers a constant and stores nothing, so a ratio against
it measures the first law's cost as much as any waste. This one does what every IVR webhook must
at the least: it checks `X-Twilio-Signature` with the twilio library's RequestValidator (403 and
nothing written when it is wrong), inserts one row (CallSid, From, Digits) with SQLAlchemy Core in
one transaction on the hotline's own engine (the same database, SQLite in WAL mode behind the
write gate or PostgreSQL, configured by hotline.base.db.make_engine), commits, and only then
answers a fixed TwiML document. Added to the hotline app, so it is served by the same gunicorn.
"""

from __future__ import annotations

from flask import Flask, Response, request
from sqlalchemy import Column, Engine, Integer, MetaData, String, Table, create_engine, func, insert, select
from sqlalchemy.exc import DBAPIError
from twilio.request_validator import RequestValidator

from hotline.base.config import Config
from hotline.base.runtime import get_runtime

PATH = "/bench/durable"
DURABLE_TWIML = ('<?xml version="1.0" encoding="UTF-8"?><Response><Gather numDigits="1" action="/bench/durable">'
                 "<Say>Press a key.</Say></Gather></Response>")
# Its own metadata, not the product's: the schema check and the migrations never see it.
METADATA = MetaData()
FLOOR = Table("bench_durable_floor", METADATA,
              Column("id", Integer, primary_key=True),
              Column("call_sid", String(64), nullable=False),
              Column("from_number", String(32), nullable=False),
              Column("digits", String(32), nullable=True))
_INSERT = insert(FLOOR)  # built once: building a statement costs more than running it on SQLite


def add_durable_route(app: Flask) -> Flask:
    config: Config = app.config["HOTLINE"]
    engine: Engine = get_runtime().db.engine  # disposed before gunicorn forks (gunicorn_conf.pre_fork)
    try:
        METADATA.create_all(engine)
    except DBAPIError:  # another web node created it at the same moment: it is there now
        METADATA.create_all(engine)
    token = config.twilio.auth_token
    validator = RequestValidator(token) if token else None  # no token: nothing can be signed
    url = config.public_url.rstrip("/") + PATH  # what Twilio signed, as hotline.base.security rebuilds it

    def durable() -> Response:
        form = request.form
        if validator is None or not validator.validate(url, form, request.headers.get("X-Twilio-Signature", "")):
            return Response("invalid Twilio signature", status=403, mimetype="text/plain")
        with engine.begin() as connection:  # one transaction, committed before the answer
            connection.execute(_INSERT, {"call_sid": form.get("CallSid", ""), "from_number": form.get("From", ""),
                                         "digits": form.get("Digits")})
        return Response(DURABLE_TWIML, mimetype="text/xml")

    app.add_url_rule(PATH, "bench_durable", durable, methods=["POST"])
    return app


def committed_rows(database_url: str) -> int:
    """Rows the durable floor committed, read afterwards through an engine of its own: a bench
    checks every 200 it counted left its row."""
    engine = create_engine(database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as c:
            return int(c.execute(select(func.count()).select_from(FLOOR)).scalar_one())
    finally:
        engine.dispose()

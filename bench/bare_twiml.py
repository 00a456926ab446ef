"""The benchmarks' baseline: one endpoint returning fixed TwiML, added to the hotline app, so a
ratio against it isolates what our webhooks cost on the same server."""

from flask import Flask, Response

BARE_TWIML = ('<?xml version="1.0" encoding="UTF-8"?><Response><Gather numDigits="1" action="/bench/bare">'
              "<Say>Press a key.</Say></Gather></Response>")


def add_bare_route(app: Flask) -> Flask:
    app.add_url_rule("/bench/bare", "bench_bare", lambda: Response(BARE_TWIML, mimetype="text/xml"),
                     methods=["POST"])
    return app

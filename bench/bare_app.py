"""The hotline app plus one bare endpoint that returns fixed TwiML: the benchmark's baseline,
served by the same gunicorn, so the ratio isolates what our webhooks cost."""

from flask import Response

from hotline.service.app import create_app

BARE_TWIML = ('<?xml version="1.0" encoding="UTF-8"?><Response><Gather numDigits="1" action="/bench/bare">'
              "<Say>Press a key.</Say></Gather></Response>")

app = create_app()


@app.post("/bench/bare")
def bare() -> Response:
    return Response(BARE_TWIML, mimetype="text/xml")

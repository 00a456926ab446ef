"""The hotline app plus the bare fixed-TwiML endpoint (bench/bare_twiml.py), for gunicorn."""

from bench.bare_twiml import add_bare_route
from hotline.service.app import create_app

app = add_bare_route(create_app())

"""The hotline app plus the benchmarks' two floors, for gunicorn: the bare fixed-TwiML endpoint
(bench/bare_twiml.py, stores nothing) and the durable floor (bench/durable_floor.py: signature
checked, one row committed)."""

from bench.bare_twiml import add_bare_route
from bench.durable_floor import add_durable_route
from hotline.service.app import create_app

app = add_durable_route(add_bare_route(create_app()))

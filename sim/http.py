"""Serve the simulator over HTTP: Twilio's REST subset plus the /sim/api control API."""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, cast

from flask import Flask
from werkzeug.serving import ThreadedWSGIServer, make_server

from sim.control import control_blueprint
from sim.rest import rest_blueprint

if TYPE_CHECKING:
    from sim.server import Sim


def create_app(sim: Sim) -> Flask:
    app = Flask("twilio_sim")
    app.config["SIM"] = sim
    app.register_blueprint(rest_blueprint(sim))
    app.register_blueprint(control_blueprint(sim))
    return app


class HttpServer:
    """A threaded werkzeug server in a daemon thread; start() returns the base URL."""

    def __init__(self, sim: Sim, host: str, port: int) -> None:
        # threaded=True makes a ThreadedWSGIServer, which has daemon_threads
        self._server = cast(ThreadedWSGIServer, make_server(host, port, create_app(sim), threaded=True))
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None
        logging.getLogger("werkzeug").setLevel(logging.WARNING)

    @property
    def port(self) -> int:
        return self._server.server_port

    def start(self) -> str:
        self._thread = threading.Thread(
            target=lambda: self._server.serve_forever(poll_interval=0.05), name="sim-http", daemon=True
        )
        self._thread.start()
        host = self._server.host
        return f"http://{'127.0.0.1' if host in ('0.0.0.0', '') else host}:{self.port}"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

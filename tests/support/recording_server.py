"""A loopback HTTP server that records each request's path and Authorization header: it plays
the Twilio API origin, or another host that must hear nothing, in the recording-download tests."""

from __future__ import annotations

import threading

from flask import Flask, request
from werkzeug.serving import make_server

SID = "AC" + "2" * 32
PATH = f"/2010-04-01/Accounts/{SID}/Recordings"


class Server:
    def __init__(self, app: Flask) -> None:
        self.hits: list[tuple[str, str | None]] = []
        app.before_request(lambda: self.hits.append((request.path, request.headers.get("Authorization"))))
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()

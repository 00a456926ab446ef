"""Twilio's side of an outage of ours, on loopback: the number's TwiML Bin and the echo Twimlet.

The Bin (`python3 run.py fallback-twiml`) is served by Twilio itself, so it answers while every
node of ours is down; its <Record> action is Twilio's echo Twimlet (twimlets.com/echo?Twiml=...),
which answers with the TwiML it was given. Here both live in the test process, like the sim.
"""

from __future__ import annotations

import threading
from urllib.parse import parse_qs, urlparse

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response


class TwimlBin:
    def __init__(self, bin_twiml: str) -> None:
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.url_base = f"http://127.0.0.1:{self.server.server_port}"
        self.bin = bin_twiml.replace("https://twimlets.com/echo", f"{self.url_base}/echo")
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"{self.url_base}/bin"

    def app(self, environ, start_response):  # type: ignore[no-untyped-def]
        request = Request(environ)
        if request.path == "/bin":
            body = self.bin
        elif request.path == "/echo":
            body = parse_qs(urlparse(request.url).query)["Twiml"][0]
        else:
            return Response("broken", status=500)(environ, start_response)
        return Response(body, mimetype="text/xml")(environ, start_response)

    def close(self) -> None:
        self.server.shutdown()

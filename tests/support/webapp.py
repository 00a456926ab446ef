"""A tiny TwiML fixture app for the simulator tests, served over real HTTP on loopback.

Every request is checked with twilio's own RequestValidator and recorded, so tests can
assert what the simulator sent and that it was signed correctly.
"""

from __future__ import annotations

import io
import math
import struct
import threading
import time
import wave
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, Response, request
from twilio.request_validator import RequestValidator
from werkzeug.serving import make_server

Reply = str | tuple[str, int] | Callable[[dict[str, str]], Any]


@dataclass
class Hit:
    path: str
    method: str
    url: str
    params: dict[str, str]
    signature_ok: bool
    t: float = field(default_factory=time.monotonic)


class WebApp:
    def __init__(self, auth_token: str) -> None:
        self.validator = RequestValidator(auth_token)
        self.routes: dict[str, Reply] = {}
        self.hits: list[Hit] = []
        self.lock = threading.Lock()
        self.app = Flask("twiml_fixtures")
        self.app.add_url_rule("/<path:path>", "any", self._handle, methods=["GET", "POST"])
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.base = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(
            target=lambda: self.server.serve_forever(poll_interval=0.05), daemon=True
        )
        self.thread.start()

    def url(self, path: str) -> str:
        return f"{self.base}/{path.lstrip('/')}"

    def route(self, path: str, reply: Reply) -> str:
        """Serve `reply` (TwiML string, (body, status) or fn(params)) at `path`; returns its URL."""
        self.routes[path.lstrip("/")] = reply
        return self.url(path)

    def requests_to(self, path: str) -> list[Hit]:
        with self.lock:
            return [h for h in self.hits if h.path == path.lstrip("/")]

    def _handle(self, path: str) -> Any:
        if request.method == "GET":
            params = request.args.to_dict()
            ok = self.validator.validate(request.url, {}, request.headers.get("X-Twilio-Signature", ""))
        else:
            params = request.form.to_dict()
            ok = self.validator.validate(request.url, params, request.headers.get("X-Twilio-Signature", ""))
        with self.lock:
            self.hits.append(Hit(path, request.method, request.url, params, ok))
        reply = self.routes.get(path, "<Response/>")
        if callable(reply):
            reply = reply(params)
        if isinstance(reply, Response):
            return reply
        body, status = reply if isinstance(reply, tuple) else (reply, 200)
        if isinstance(body, bytes):
            return Response(body, status=status, mimetype="audio/x-wav")
        return Response(body, status=status, mimetype="text/xml")

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def twiml(inner: str) -> str:
    return f'<?xml version="1.0" encoding="UTF-8"?><Response>{inner}</Response>'


HOTLINE = "+886277001234"


CALLER = "+886912345678"


def sine_wav(seconds: float, rate: int = 16000, freq: float = 440.0) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(
            b"".join(
                struct.pack("<h", int(8000 * math.sin(2 * math.pi * freq * i / rate)))
                for i in range(int(seconds * rate))
            )
        )
    return buf.getvalue()

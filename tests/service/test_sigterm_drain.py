"""Issue #23, 3b: stopping `run.py` (SIGTERM) answers the webhooks already sent, so a caller in the
middle of a storm hears their reference rather than "an application error has occurred".

The webhooks are sent over raw sockets before the stop: each request complete but for its last
byte, so every one is in flight (held by a web worker or waiting in the kernel's listen queue)
when gunicorn begins its graceful stop; the last bytes follow once it has. Each must get a 200
with TwiML, and run.py must still stop cleanly.
"""

from __future__ import annotations

import signal
import socket
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from hotline.base.config import ROOT, load_config
from sim import Sim
from sim.signing import signature
from tests.service.hotline_process import RunPy

HOTLINE = load_config(ROOT / "config.toml", env={}).numbers[0]
IN_FLIGHT = 60  # several times what the web workers hold at once (supervisor.WEB_WORKER_CONNECTIONS each)


def _request(url: str, token: str, account: str, i: int) -> bytes:
    params = {"CallSid": f"CA{i:032x}", "AccountSid": account, "From": f"+8869551{i:05d}", "To": HOTLINE,
              "Direction": "inbound", "CallStatus": "ringing"}
    body = urlencode(params).encode()
    parts = urlsplit(url)
    head = (f"POST {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            f"X-Twilio-Signature: {signature(token, url, params)}\r\nContent-Length: {len(body)}\r\n"
            "Connection: close\r\n\r\n")
    return head.encode() + body


def _read_all(sock: socket.socket) -> bytes:
    chunks = []
    try:
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    except OSError as exc:  # reset: the connection was dropped unanswered
        chunks.append(f"<{type(exc).__name__}>".encode())
    return b"".join(chunks)


def test_sigterm_answers_every_webhook_already_sent(tmp_path: Path) -> None:
    sim = Sim(virtual_time=False)  # only its credentials: the webhooks are sent from here
    run = RunPy(tmp_path, env={"TWILIO_ACCOUNT_SID": sim.account_sid, "TWILIO_AUTH_TOKEN": sim.auth_token,
                               "HOTLINE_SIM_URL": "http://127.0.0.1:9"})
    run.start().wait_ready()
    url = f"{run.url}/voice/incoming"
    host, port = urlsplit(run.url).hostname or "", urlsplit(run.url).port or 80
    socks = []
    try:
        for i in range(IN_FLIGHT):
            s = socket.create_connection((host, port), timeout=60)
            request = _request(url, sim.auth_token, sim.account_sid, i)
            s.sendall(request[:-1])
            socks.append((s, request[-1:]))
        assert run.proc is not None
        run.proc.send_signal(signal.SIGTERM)
        run.wait_for_line("Handling signal: term", timeout=30)  # gunicorn's graceful stop has begun
        for s, last in socks:
            s.sendall(last)
        answers = [_read_all(s) for s, _ in socks]
    finally:
        for s, _ in socks:
            s.close()
    unanswered = [a[:60] for a in answers if not (a.startswith(b"HTTP/1.1 200") and b"<Response>" in a)]
    assert not unanswered, f"{len(unanswered)} of {IN_FLIGHT} webhooks sent before the stop got no TwiML: " \
                           f"{unanswered[:5]}\n" + "".join(run.seen[-30:])
    assert run.proc.wait(60) == 0

"""The web workers: gunicorn's gthread worker, made to answer every webhook already sent to us
before it stops.

Told to stop (SIGTERM: `run.py` stopping or restarting), gunicorn's own worker stops accepting at
once and finishes only the connections it holds. Each worker holds at most a few
(`WEB_WORKER_CONNECTIONS`); in a storm the rest wait in the kernel's listen queue, already sent
by Twilio, and are reset when the last worker closes the socket: those callers hear "an
application error has occurred" instead of their reference (issue #23: 63 webhooks of a storm).
This worker, told to stop, takes every connection waiting in that queue (the bound of a few per
worker is for a crash, which takes what the worker holds; a stop answers them all) until the
queue is empty and it holds nothing, for at most `DRAIN_SECONDS`; then gunicorn's own graceful
stop finishes what it holds. A webhook that
arrives after the socket is closed is refused outright, and Twilio takes the number's fallback.
"""

from __future__ import annotations

import select
import time
from typing import Any

from gunicorn.workers.gthread import ThreadWorker

DRAIN_SECONDS = 6.0  # within gunicorn's --graceful-timeout (supervisor.GRACEFUL_SECONDS), which kills
DRAIN_CONNECTIONS = 1000  # held at once while stopping: all that wait (gunicorn's default bound)


class DrainingWorker(ThreadWorker):  # gunicorn is untyped: its base is Any
    _drain_until: float | None = None

    def handle_exit(self, sig: int, frame: Any) -> None:
        """SIGTERM: drain first (see the module); `notify`, run every turn of the loop, ends it."""
        if self._drain_until is None:
            self._drain_until = time.monotonic() + DRAIN_SECONDS
            self.worker_connections: int = max(int(self.worker_connections), DRAIN_CONNECTIONS)
            self.method_queue.defer(lambda: None)  # wake the loop

    def notify(self) -> None:
        super().notify()
        if self._drain_until is None or not self.alive:
            return
        if time.monotonic() >= self._drain_until or (self.nr_conns == 0 and not self._waiting()):
            super().handle_exit(0, None)

    def _waiting(self) -> bool:
        """A connection waits in the listen queue (readable listener): Twilio sent it already."""
        try:
            return bool(select.select(list(self.sockets), [], [], 0)[0])
        except (OSError, ValueError):
            return False

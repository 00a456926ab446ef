"""A stand-in for a supervised program, forked by the forkserver in tests/service/test_forkserver.py:
`python -m tests.support.forked_program NAME [--beat]` waits until SIGTERM and exits 0. With
--beat it writes a heartbeat (hotline.base.heartbeat) to REDIS_URL, as the real workers do. With
FORKED_PROGRAM_READY_DIR set, it creates a file NAME there once its SIGTERM handler is in place:
until then a SIGTERM ends it (the default action), and /proc's SigCgt cannot tell its handler
from the forkserver's, which a fork holds for a moment."""

from __future__ import annotations

import os
import signal
import sys
import threading
from pathlib import Path


def main(argv: list[str]) -> int:
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    if ready := os.environ.get("FORKED_PROGRAM_READY_DIR"):
        (Path(ready) / argv[0]).touch()
    beat = None
    if "--beat" in argv:
        from hotline.base.heartbeat import Heartbeat

        beat = Heartbeat.to_url("program", os.environ["REDIS_URL"]).start()
    stop.wait()
    if beat:
        beat.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

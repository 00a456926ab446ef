"""The engine process: the lifecycle's convergence cycle, on a short period, forever.

`python -m hotline.service.engine` (the supervisor starts it as the child "engine"). It needs
the database only: with Redis down it still pages, and once Redis is back the jobs it queues
(downloads, transcription, watchdog wake-ups) flow again. Several engines (one per node) may
run; a lease in the database lets one pass run at a time.
"""

from __future__ import annotations

import logging
import signal
import threading
import time

from hotline.base.cycle import run_cycle
from hotline.base.db import create_schema
from hotline.base.log_context import configure_logging
from hotline.base.runtime import get_runtime

log = logging.getLogger("hotline.engine")
PERIOD_SECONDS = 2.0


def run_forever(stop: threading.Event, period: float = PERIOD_SECONDS) -> None:
    while not stop.is_set():
        started = time.monotonic()
        try:
            run_cycle()
        except Exception:  # noqa: BLE001 - e.g. the database is briefly unreachable: try again next period
            log.exception("convergence pass failed; trying again in %.1f s", period)
        stop.wait(max(0.0, period - (time.monotonic() - started)))


def main() -> int:
    configure_logging()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    create_schema(get_runtime().db.engine)
    log.info("engine started (period %.1f s)", PERIOD_SECONDS)
    run_forever(stop)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

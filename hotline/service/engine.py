"""The engine process: the lifecycle's convergence cycle, on a short period, forever.

`python -m hotline.service.engine` (the supervisor starts it as the child "engine"). It needs
the database only: a pass queues the calls to place for the callout workers, and with Redis
down (or the workers, past a grace period) it places them itself, so it still pages; once Redis
is back the jobs it queues (drives, downloads, transcription, watchdog wake-ups) flow again.
Several engines (one per node) may run; a lease in the database, renewed as a pass goes, lets one
pass run at a time.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable

from hotline.base.cycle import run_cycle
from hotline.base.db import create_schema
from hotline.base.heartbeat import PERIOD, Heartbeat
from hotline.base.log_context import configure_logging
from hotline.base.runtime import get_runtime
from hotline.base.sqlite_gate import give_precedence

log = logging.getLogger("hotline.engine")
PERIOD_SECONDS = PERIOD  # hotline.base.heartbeat.PERIOD: a beat, and a pass, every 2 s


def run_forever(stop: threading.Event, period: float = PERIOD_SECONDS,
                on_pass: Callable[[], None] = lambda: None) -> None:
    """`on_pass` after every pass, done, skipped (another node's lease) or failed: the loop moves."""
    while not stop.is_set():
        started = time.monotonic()
        try:
            run_cycle()
        except Exception:  # noqa: BLE001 - e.g. the database is briefly unreachable: try again next period
            log.exception("convergence pass failed; trying again in %.1f s", period)
        on_pass()
        stop.wait(max(0.0, period - (time.monotonic() - started)))


def main() -> int:
    configure_logging()
    give_precedence()  # paging's writes before web work's on the embedded SQLite (hotline.base.sqlite_gate)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    runtime = get_runtime()
    heartbeat = None
    if runtime.config.redis_url:
        heartbeat = Heartbeat.to_url("engine", runtime.config.redis_url, cycles=True).start()
    else:
        log.warning("no Redis URL: this engine writes no heartbeat, so a hang of it goes unnoticed")
    create_schema(runtime.db.engine)
    log.info("engine started (period %.1f s)", PERIOD_SECONDS)
    try:
        run_forever(stop, on_pass=heartbeat.cycle_done if heartbeat else lambda: None)
    finally:
        if heartbeat:
            heartbeat.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

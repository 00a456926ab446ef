"""The engine process: runs the lifecycle's convergence cycle on a short period, forever.

`python -m hotline.service.engine` (the supervisor starts it as the child "engine").
"""

from __future__ import annotations

import logging
import signal
import threading

from hotline.base.runtime import get_runtime

log = logging.getLogger("hotline.engine")
PERIOD_SECONDS = 2.0


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    get_runtime()
    log.info("engine started (period %.1f s)", PERIOD_SECONDS)
    while not stop.wait(PERIOD_SECONDS):
        pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

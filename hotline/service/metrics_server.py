"""`run.py metrics`: /metrics for a node without a web role (a worker node).

The callout worker and the engine observe time-to-first-dial on the node where they run; on a
worker node nothing else would serve those files. This serves the node's multiprocess
directory, with the same bearer token as the web's /metrics, on HOTLINE_METRICS_BIND
(default 127.0.0.1:9464; give a private address for a Prometheus on another machine). State
read at scrape (queues, recordings) is left to the web nodes, so it is not counted twice.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading

from flask import Flask
from werkzeug.serving import make_server

from hotline.base.log_context import configure_logging
from hotline.service.metrics_endpoint import TOKEN_ENV, add_metrics_route, scrape_registries

log = logging.getLogger("hotline.metrics")
BIND_ENV = "HOTLINE_METRICS_BIND"
DEFAULT_BIND = "127.0.0.1:9464"


def main() -> int:
    configure_logging()
    token = os.environ.get(TOKEN_ENV, "")
    if not token:
        print(f"run.py metrics: set {TOKEN_ENV} (Prometheus sends it as a bearer token)", file=sys.stderr)
        return 2
    host, _, port = (os.environ.get(BIND_ENV) or DEFAULT_BIND).rpartition(":")
    app = Flask("hotline.metrics")
    add_metrics_route(app, scrape_registries(None), token)
    server = make_server(host or "127.0.0.1", int(port), app, threaded=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    threading.Thread(target=server.serve_forever, daemon=True).start()
    log.info("metrics of this node's processes on http://%s:%s/metrics", host, port)
    stop.wait()
    server.shutdown()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""`GET /metrics` for Prometheus, and the per-route timing of every request.

Protection: a bearer token, HOTLINE_METRICS_TOKEN in the environment. Without one, /metrics does
not exist (404): the web port is the one Twilio reaches, so "internal only" cannot be promised by
the bind address, and an address check would trust whatever a proxy forwards. Prometheus sends
the token with `authorization: {credentials: ...}` in its scrape config (deploy/README.md).

Values: in multiprocess mode (PROMETHEUS_MULTIPROC_DIR, set by run.py for every child) the
scrape adds up the files of every process on this node: web workers, RQ workers, the engine.
State that lives elsewhere is read at scrape time, so it is right whichever node is scraped:
queue depths from Redis, recordings and transcripts by status from the database, and this
node's supervisor restarts from its run.json (`hotline_supervisor_restarts_total`, by child and
cause: "exit", or "stale" for a hung child the supervisor killed on its heartbeat).
"""

from __future__ import annotations

import hmac
import logging
import os
import time
from collections.abc import Iterator

from flask import Flask, Response, abort, g, request
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest, multiprocess
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from hotline.base.metrics import WEBHOOK_SECONDS
from hotline.base.models import Recording, Transcript
from hotline.base.runtime import QUEUES, Runtime
from hotline.service.instance import read_state
from hotline.service.metrics_dir import MULTIPROC_ENV

log = logging.getLogger("hotline.metrics")
TOKEN_ENV = "HOTLINE_METRICS_TOKEN"


class StateCollector(Collector):
    """Gauges read at scrape time. A source that does not answer is reported as such
    (hotline_metrics_source_up 0), never as a failed scrape: the other numbers still matter."""

    def __init__(self, runtime: Runtime):
        self.runtime = runtime

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        up = GaugeMetricFamily("hotline_metrics_source_up", "Whether a source read at scrape time answered",
                               labels=["source"])
        depth = GaugeMetricFamily("hotline_queue_depth", "Jobs waiting in an RQ queue", labels=["queue"])
        failed = GaugeMetricFamily("hotline_queue_failed", "Jobs in an RQ queue's failed registry",
                                   labels=["queue"])
        try:
            for name in QUEUES:
                queue = self.runtime.queue(name)
                depth.add_metric([name], queue.count)
                failed.add_metric([name], queue.failed_job_registry.count)
            up.add_metric(["redis"], 1)
        except Exception:  # noqa: BLE001 - Redis down: say so, and keep the rest of the scrape
            log.warning("metrics: Redis did not answer", exc_info=True)
            up.add_metric(["redis"], 0)
        yield depth
        yield failed
        recordings = GaugeMetricFamily("hotline_recordings", "Recordings by status", labels=["status"])
        transcripts = GaugeMetricFamily("hotline_transcripts", "Transcripts by status", labels=["status"])
        try:
            with self.runtime.db.session() as s:
                for family, model in ((recordings, Recording), (transcripts, Transcript)):
                    for status, count in s.execute(select(model.status, func.count()).group_by(model.status)):
                        family.add_metric([status], count)
            up.add_metric(["database"], 1)
        except Exception:  # noqa: BLE001 - the database down: same
            log.warning("metrics: the database did not answer", exc_info=True)
            up.add_metric(["database"], 0)
        yield recordings
        yield transcripts
        yield up
        restarts = CounterMetricFamily("hotline_supervisor_restarts", "Children the supervisor restarted, by cause: "
                                       "exit, or stale (hung: killed on its heartbeat)", labels=["child", "cause"])
        state = read_state(self.runtime.config.data_dir) or {}
        for name, child in (state.get("children") or {}).items():
            stale = int(child.get("stale_restarts", 0))
            restarts.add_metric([name, "exit"], int(child.get("restarts", 0)) - stale)
            restarts.add_metric([name, "stale"], stale)
        yield restarts


def scrape_registries(runtime: Runtime | None) -> list[CollectorRegistry]:
    """The metrics observed in processes (this one's, or in multiprocess mode every process's files
    summed), and with a runtime the state read at scrape. Separate registries, so that an app
    built twice in one process (tests) never registers a collector twice in the global one."""
    if os.environ.get(MULTIPROC_ENV):
        observed = CollectorRegistry()
        multiprocess.MultiProcessCollector(observed)
    else:
        observed = REGISTRY
    if runtime is None:
        return [observed]
    state = CollectorRegistry()
    state.register(StateCollector(runtime))
    return [observed, state]


def authorised(token: str, header: str) -> bool:
    scheme, _, given = header.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())


def register(app: Flask, runtime: Runtime, token: str | None = None) -> None:
    """Time every request by its route rule; serve /metrics when a token is set."""
    token = token if token is not None else os.environ.get(TOKEN_ENV, "")

    @app.before_request
    def _start_timer() -> None:
        g.metrics_started = time.perf_counter()

    @app.after_request
    def _observe(response: Response) -> Response:
        started = g.pop("metrics_started", None)
        if started is not None:
            rule = request.url_rule.rule if request.url_rule is not None else "unmatched"
            WEBHOOK_SECONDS.labels(route=rule, method=request.method,
                                   status=str(response.status_code)).observe(time.perf_counter() - started)
        return response

    if not token:
        log.info("metrics: /metrics is off; set %s to serve it (Prometheus sends it as a bearer token)", TOKEN_ENV)
        return
    add_metrics_route(app, scrape_registries(runtime), token)


def add_metrics_route(app: Flask, registries: list[CollectorRegistry], token: str) -> None:
    @app.get("/metrics")
    def metrics() -> Response:
        if not authorised(token, request.headers.get("Authorization", "")):
            abort(404)  # the same answer as no /metrics at all: nothing to learn by probing
        return Response(b"".join(generate_latest(r) for r in registries), mimetype=CONTENT_TYPE_LATEST)

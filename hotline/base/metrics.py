"""The hotline's Prometheus metrics: the objects every layer observes into, and nothing else.

Kept in the base layer so the callout engine and the lockout counters can observe without
knowing about the web: the `/metrics` endpoint that serves them lives in hotline.service.

Processes: gunicorn forks several web workers, and the RQ workers and the engine are processes
of their own, so the values live in files under PROMETHEUS_MULTIPROC_DIR (prometheus-client's
multiprocess mode), which `run.py` sets for every child before any of them imports this module.
Without it (tests in one process) they live in the default registry.

What is measured where:
- webhook latency: around every Flask request, labelled by its route rule, not its raw path
  (a path carries ids, which would make a series per call);
- time to first dial and time to accept: where the callout engine places its first call and
  where an accept wins, measured from when the callout opened;
- lockouts: where a PIN or login throttle starts delaying (someone is guessing);
- the convergence cycle: how long each of its steps took in each pass, by step name, where the
  cycle runs them (hotline.base.cycle), so a step that starts to take long is seen before it
  delays the steps after it.
Queue depths and recordings/transcripts by status are read at scrape time instead (they are
state, not events): see hotline.service.metrics_endpoint.
"""

from __future__ import annotations

from datetime import datetime

from prometheus_client import Counter, Histogram

# Webhooks answer Twilio, which gives up after 15 s; the buckets resolve the part that matters.
WEBHOOK_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 15.0)
# Paging: from seconds (the first dial) to many minutes (an accept after several rounds).
CALLOUT_BUCKETS = (1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1200, 1800, 3600)
# A step normally takes milliseconds (it decides and queues); the safety net's inline drives, seconds.
CYCLE_STEP_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

WEBHOOK_SECONDS = Histogram(
    "hotline_http_request_seconds", "Time to answer an HTTP request (Twilio webhooks, console), by route rule",
    ["route", "method", "status"], buckets=WEBHOOK_BUCKETS)
CALLOUT_FIRST_DIAL_SECONDS = Histogram(
    "hotline_callout_first_dial_seconds", "From a callout opening to Twilio accepting its first call",
    buckets=CALLOUT_BUCKETS)
CALLOUT_ACCEPT_SECONDS = Histogram(
    "hotline_callout_accept_seconds", "From a callout opening to a person accepting it", buckets=CALLOUT_BUCKETS)
CYCLE_STEP_SECONDS = Histogram(
    "hotline_cycle_step_seconds", "Time one step of a convergence pass took, by step name", ["step"],
    buckets=CYCLE_STEP_BUCKETS)
LOCKOUTS = Counter(
    "hotline_lockouts",
    "PIN and console login throttles that started delaying, by scope (pin-source, pin-target, login-user-addr, "
    "login-addr)",
    ["scope"])


def seconds_since(start: datetime | None, now: datetime) -> float | None:
    """Elapsed seconds, or None when the start is unknown; never negative (clocks of two nodes)."""
    if start is None:
        return None
    return max(0.0, (now - start).total_seconds())


def observe_since(histogram: Histogram, start: datetime | None, now: datetime) -> None:
    elapsed = seconds_since(start, now)
    if elapsed is not None:
        histogram.observe(elapsed)

"""SMS report vs phone report, to the first rota call: `python3 run.py bench sms_report [--reports 100]`.

Issue #27's number: a report by text reaches the first rota call within the same p99 as a phone
report's hang-up does. Both are measured in one run, interleaved (phone, text, phone, text ...),
through the real app (HTTP server), Redis, the production callout worker (`CalloutWorker`) and the
sim, with `bench/callout.py`'s harness (its config, stamps, signed posts and percentiles):

- phone: the caller's hang-up (the status callback `completed` arriving at /voice/status) -> the
  sim receives the first Calls.create;
- text: the sender's menu answer (the digit arriving at /sms/incoming: the moment the sender is
  done, as the hang-up is the caller's) -> the sim receives the first Calls.create. (A sender who
  never answers is paged after the menu's wait, by design, like a caller's recording window.)

Prints p50/p99 of each, the ratio text/phone of each, and a bare RQ round trip as the baseline.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if sys.path and Path(sys.path[0]).resolve() == ROOT / "bench":
    sys.path[0] = str(ROOT)

from flask import request  # noqa: E402

from bench import callout as harness  # noqa: E402
from hotline.base import jobs  # noqa: E402
from hotline.base.lifecycle import Actor, Channel  # noqa: E402
from hotline.paging import commands, incidents  # noqa: E402
from hotline.service.embedded_redis import start_embedded_redis  # noqa: E402
from hotline.textreports.models import TextConversation  # noqa: E402
from tests.support.sandbox import HOTLINE, Hotline  # noqa: E402

CALLER = "+886912345678"


class Arrivals:
    """When each phone hang-up and each menu answer reached the app (one clock, `time.time`)."""

    def __init__(self, h: Hotline) -> None:
        self.hang_up: dict[str, float] = {}  # call sid -> arrival
        self.digit: dict[str, float] = {}  # sender -> arrival of their menu answer

        @h.app.before_request
        def stamp() -> None:
            now = time.time()
            if request.path == "/voice/status" and request.form.get("CallStatus") == "completed":
                self.hang_up[request.form["CallSid"]] = now
            elif request.path == "/sms/incoming" and request.form.get("Body", "").strip().isdigit():
                self.digit[request.form["From"]] = now


def phone_report(h: Hotline, stamps: harness.Stamps, arrivals: Arrivals, n: int) -> float:
    sid = f"CAsmsbench{n:024d}"
    with h.session() as s:
        incidents.register_call(s, sid, CALLER, h.config.numbers[0])
        incident_id = commands.report(s, call_sid=sid, type_key="other", lang="zh-TW", caller=CALLER,
                                      actor=Actor(CALLER, Channel.CALLER), record_max_seconds=180).incident_ids[0]
    harness.post_signed(h, "/voice/status", {"CallSid": sid, "CallStatus": "completed", "CallDuration": "40",
                                             "From": CALLER, "To": h.config.numbers[0]})
    hung_up = arrivals.hang_up[sid]
    took = stamps.wait_create(harness.CHEN, hung_up) - hung_up
    _stop(h, incident_id)
    return took


def text_report(h: Hotline, stamps: harness.Stamps, arrivals: Arrivals, n: int, digit: str) -> float:
    sender = f"+8869335{n:05d}"
    phone = h.sim.phone(sender)
    phone.text(HOTLINE, "Someone is threatening staff at the front desk")
    phone.text(HOTLINE, digit)
    answered = arrivals.digit[sender]
    took = stamps.wait_create(harness.CHEN, answered) - answered
    with h.session() as s:
        incident_id = s.query(TextConversation.incident_id).filter_by(sender=sender).scalar()
    _stop(h, incident_id)
    return took


def _stop(h: Hotline, incident_id: int) -> None:
    jobs.run(commands.stop_paging, incident_id, Actor("bench", Channel.CLI), "bench")
    h.sim.settle()


def run(n: int) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix="bench-sms-report-"))
    redis = start_embedded_redis(tmp / "redis", persist=False)
    h = Hotline(tmp, redis.url, "sqlite", config_path=harness.write_config(tmp))
    import logging

    for name in ("hotline.audit", "werkzeug", "hotline.sms"):
        logging.getLogger(name).setLevel(logging.WARNING)
    stamps, arrivals = harness.Stamps(h), Arrivals(h)
    digit = next(d for d, key in h.app.config["TYPE_CODES"].items() if key == "other")
    try:
        harness.start_worker(h, True, tmp / "worker-0.log")
        h.start_worker("recordings", "default")
        baseline = harness.job_round_trips(h, "callout", 50)
        phone: list[float] = []
        text: list[float] = []
        for i in range(n):
            phone.append(phone_report(h, stamps, arrivals, i))
            text.append(text_report(h, stamps, arrivals, i, digit))
    finally:
        h.close()
        redis.stop()
    return {
        "reports_each": n,
        "baseline_rq_round_trip": harness.summary(baseline),
        "phone_hang_up_to_first_call": harness.summary(phone),
        "text_menu_answer_to_first_call": harness.summary(text),
        "ratio_p50_text_to_phone": round(harness.pct(text, 50) / harness.pct(phone, 50), 2),
        "ratio_p99_text_to_phone": round(harness.pct(text, 99) / harness.pct(phone, 99), 2),
        "goal_met": {"text_p99<=phone_p99": harness.pct(text, 99) <= harness.pct(phone, 99)},
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=100, help="reports of each kind (default 100)")
    args = parser.parse_args()
    print(json.dumps(run(args.reports), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

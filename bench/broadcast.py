"""Broadcast benchmark: `python3 run.py bench broadcast [--people 10000] [--rate 100] [--replies 0.1]`.

The machine's load average is printed at the start and the end: the figures mean little beside
a busy neighbour. Through the real app, Redis, two broadcast sender workers and the engine process (as `run.py`
starts them) and the sim, on SQLite, with the sim refusing more than `--rate` texts a second
(429/20429) and the hotline told the same rate. Each in its own process, as in production: the
senders' status callbacks go to a web server of their own (gunicorn, started as `run.py` starts
it), so while the broadcast runs, this process is the sim's, as it is the bare loop's (before,
the app answering every callback shared this process, and its one GIL, with the sim, which the
bare loop's sim never had to).

- queued: approval of a broadcast with "are you safe?" to `--people` generated people ->
  every recipient and first message written (the approval's own transaction);
- delivered: approval -> the last "delivered" callback, against `--rate`; with one sender
  worker killed (SIGKILL) and Redis stopped and started empty when a third is delivered: every
  number counted at the sim afterwards, lost (never texted) and twice (texted twice); and the
  status callbacks the sim could not deliver (timed out or refused: the hotline then asks Twilio,
  `hotline.broadcasts.sending.confirm_unconfirmed`, which takes far longer). A run that is not
  delivered within 30 s + 3x the ideal time + 120 s says so (`timed_out_with`) and still counts;
- where the time went (`phases`): approval -> the first and the last text at the sim, texts per
  second between them, in the 10 s after the crash and away from it, and how long the last
  "delivered" trailed the last text; and the CPU each part of the system spent per text
  (`cpu_ms_per_text`: this process, which is the sim's, with Redis; the web server; the senders;
  the engine; the rest). On a machine of few cores the sum, not any one wait, sets the pace;
- the bare loop, same run: Messages.create to the sim straight from one loop paced at `--rate`,
  no database, no queue (the provider's rate is the floor for both: ratio = ours / bare);
- replies: `--replies` of the people answer by text (the sim posts each to the app's
  `/sms/incoming`, as Twilio does, at up to 100 a second): seconds from each reply's
  arrival to the console's tally (`hotline.broadcasts.tally`, polled every 100 ms) counting it;
- "I need help": a reply's arrival -> the first Calls.create of the callout it opens, against a
  phone report's recording-complete webhook -> first Calls.create (bench/callout.py), same run.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if sys.path and Path(sys.path[0]).resolve() == ROOT / "bench":
    sys.path[0] = str(ROOT)

import psutil  # noqa: E402
import requests  # noqa: E402
from sqlalchemy import func, select  # noqa: E402
from twilio.base.exceptions import TwilioRestException  # noqa: E402

from bench import callout as callout_bench  # noqa: E402
from hotline.base import jobs  # noqa: E402
from hotline.base.config import load_config  # noqa: E402
from hotline.base.lifecycle import Actor, Channel  # noqa: E402
from hotline.broadcasts import commands, tally  # noqa: E402
from hotline.broadcasts.models import Delivery, DeliveryState, Recipient  # noqa: E402
from hotline.directory import commands as directory  # noqa: E402
from hotline.paging import commands as paging  # noqa: E402
from hotline.provider.rest import make_client  # noqa: E402
from hotline.service.embedded_redis import free_port, start_embedded_redis  # noqa: E402
from hotline.service.supervisor import gunicorn_argv, web_model  # noqa: E402
from tests.support.sandbox import Hotline  # noqa: E402

ADMIN = Actor("bench", Channel.CLI)
PREFIX = "+8869140"


def number(i: int) -> str:
    return f"{PREFIX}{i:05d}"


def write_config(folder: Path, rate: float) -> Path:
    """bench/callout.py's config (chen then lin on call for every type) and a [broadcasts] section."""
    path = callout_bench.write_config(folder)
    path.write_text(path.read_text(encoding="utf-8") + f"""
[broadcasts]
two_person_rule = false
help_type = "other"
sms_per_second = {rate}
""", encoding="utf-8")
    return path


def start_web(h: Hotline) -> tuple[subprocess.Popen[bytes], dict[str, str]]:
    """The web server the senders' status callbacks go to: gunicorn, started as `run.py` starts
    it, on the same database and Redis; and the environment that points a sender at it."""
    url = f"http://127.0.0.1:{free_port()}"
    env = {"HOTLINE_PUBLIC_URL": url}
    full = {**os.environ, **h.env, **env}
    argv = gunicorn_argv(load_config(h.env["HOTLINE_CONFIG"], env=full), *web_model())
    argv = [*argv[:-1], "--log-level", "warning", "--access-logfile", "/dev/null", argv[-1]]
    web = subprocess.Popen([sys.executable, *argv], env=full, cwd=ROOT, stdout=(h.tmp / "web.log").open("wb"),
                           stderr=subprocess.STDOUT, start_new_session=True)
    web.bench_role = "web"  # type: ignore[attr-defined]
    h.workers.append(web)
    for _ in range(300):
        try:
            requests.get(f"{url}/healthz", timeout=1)
            return web, env
        except requests.RequestException:
            time.sleep(0.1)
    raise RuntimeError(f"the web server at {url} did not start: {(h.tmp / 'web.log').read_text()[-2000:]}")


def directory_csv(people: int) -> str:
    rows = [f"Person {i},{number(i)},,Dept {i % 7},Site {i % 12},en-US,sms" for i in range(people)]
    return "name,phone,email,department,site,language,channels\n" + "\n".join(rows) + "\n"


def bare_loop(h: Hotline, n: int, rate: float) -> tuple[float, int]:
    """Messages.create from one loop paced at `rate` (a 429 is tried again 50 ms later); seconds
    for `n` (numbers outside the directory), and the 429s it met."""
    client = make_client(h.sim.account_sid, h.sim.auth_token, h.sim.api_base_url)
    refused = 0
    t0 = time.monotonic()
    for i in range(n):
        wait = t0 + i / rate - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        while True:
            try:
                client.messages.create(to=f"+8869150{i:05d}", from_=h.config.numbers[0], body="bare loop")
                break
            except TwilioRestException as exc:
                if exc.status != 429:
                    raise
                refused += 1
                time.sleep(0.05)
    return time.monotonic() - t0, refused


def counts(h: Hotline, broadcast_id: int) -> dict[str, int]:
    with h.session() as s:
        return dict(s.execute(select(Delivery.state, func.count()).where(Delivery.broadcast_id == broadcast_id)
                              .group_by(Delivery.state)).all())  # type: ignore[arg-type]


def phases(timeline: list[tuple[float, int, int, int]], people: int, crashed_at: float | None) -> dict[str, Any]:
    """Where the time went: when the first and the last text reached the sim (Messages.create
    accepted; `sent_per_second` between them), how far the delivered count trailed the texts,
    texts per second in the 10 s after the crash (and its 429s) and in the steady part away from it."""
    def rate(rows: list[tuple[float, int, int, int]]) -> float:
        return round((rows[-1][1] - rows[0][1]) / (rows[-1][0] - rows[0][0]), 1)

    def first(at: int, column: int) -> float | None:
        return next((row[0] for row in timeline if row[column] >= at), None)

    first_text, all_texts = first(1, 1), first(people, 1)
    lag = [row[1] - row[2] for row in timeline]
    out: dict[str, Any] = {
        "first_text_seconds": first_text, "all_texts_seconds": all_texts,
        "sent_per_second": round((people - 1) / (all_texts - first_text), 1) if first_text and all_texts else None,
        "all_delivered_after_all_texts_seconds": round(timeline[-1][0] - all_texts, 1) if all_texts else None,
        "delivered_behind_texts_max": max(lag, default=0)}
    if crashed_at is not None:
        around = [row for row in timeline if crashed_at <= row[0] <= crashed_at + 10]
        if len(around) > 1:
            out["texts_per_second_10s_after_crash"] = rate(around)
            out["refused_429_10s_after_crash"] = around[-1][3] - around[0][3]
    steady = [row for row in timeline if (crashed_at or 0) + 10 < row[0] and row[1] < people] or \
        [row for row in timeline if row[0] < (crashed_at or timeline[-1][0]) and 0 < row[1] < people]
    if len(steady) > 1:
        out["texts_per_second_away_from_crash"] = rate(steady)
    return {k: (round(v, 1) if isinstance(v, float) else v) for k, v in out.items()}


def cpu_seconds(h: Hotline) -> dict[str, float]:
    """CPU seconds (user + system) so far of this process (the sim's, and the bench's polling) and
    Redis, the web server, the sender workers and the rest of the hotline's processes, children included.
    The sender killed in the crash counts with what it had used when it was killed."""
    def of(proc: psutil.Process) -> float:
        try:
            t = proc.cpu_times()
            return t.user + t.system + sum(of(c) for c in proc.children())
        except psutil.Error:
            return 0.0

    out: dict[str, float] = dict(getattr(h, "bench_cpu_gone", {}))
    ours = 0.0
    for p in h.workers:
        role = getattr(p, "bench_role", "others")
        try:
            used = of(psutil.Process(p.pid))
        except psutil.Error:
            continue
        out[role] = out.get(role, 0.0) + used
        ours += used
    out["sim_bench_redis"] = of(psutil.Process()) - ours  # the hotline's processes are this one's children
    return out


def crash(h: Hotline, web_env: dict[str, str]) -> None:
    """SIGKILL one sender worker, stop Redis and start it empty on the same port, start a new sender."""
    victim = next(p for p in h.workers if getattr(p, "bench_role", "") == "sender" and p.poll() is None)
    used = psutil.Process(victim.pid).cpu_times()
    h.bench_cpu_gone = {"sender": used.user + used.system}  # type: ignore[attr-defined]
    os.killpg(victim.pid, signal.SIGKILL)
    victim.wait()
    server = h.bench_redis  # type: ignore[attr-defined]
    server.stop()
    h.bench_redis = start_embedded_redis(h.tmp / "redis-again", port=server.port, persist=False)  # type: ignore[attr-defined]
    worker = h.start_worker("broadcasts", env=web_env)
    worker.bench_role = "sender"  # type: ignore[attr-defined]


def text_in(h: Hotline, sender: str, body: str) -> None:
    """A text from `sender`, as Twilio brings it: the sim posts the signed incoming-message webhook
    to the number's `sms_url`, the app's `/sms/incoming`, which offers it to each feature's handler
    and queues what the taker asks for (an "I need help" incident's paging) once it has answered.
    (Before, the bench called the handlers itself and dropped those follow-ups, so its "I need
    help" incidents waited for the convergence cycle's next pass: the 1.9 s it reported.)"""
    h.sim.receive_text(sender, h.config.numbers[0], body, [])


def reply_latencies(h: Hotline, broadcast_id: int, replies: int) -> list[float]:
    """`replies` people answer "1" at 100 a second; seconds from each arrival to the tally counting it."""
    arrived: list[float] = []
    seen: list[tuple[float, int]] = []
    done = threading.Event()

    def poll() -> None:
        while not done.is_set():
            with h.session() as s:
                t = tally.tally(s, broadcast_id)
            seen.append((time.monotonic(), t.overall.answers["1"] if t else 0))
            time.sleep(0.1)

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    for i in range(replies):
        wait = (arrived[0] if arrived else time.monotonic()) + i / 100 - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        arrived.append(time.monotonic())
        text_in(h, number(i * 10 + 1), "1")
    deadline = time.monotonic() + 30
    while (not seen or seen[-1][1] < replies) and time.monotonic() < deadline:
        time.sleep(0.1)
    done.set()
    poller.join()
    return [next((t for t, n in seen if n >= i + 1), float("inf")) - at for i, at in enumerate(arrived)]


def help_first_dial(h: Hotline, stamps: callout_bench.Stamps, trial: int) -> float:
    """A recipient answers "2": seconds from the text's arrival to the first Calls.create of its callout."""
    sender = number(trial * 10 + 3)
    t0 = time.time()
    text_in(h, sender, "2")
    first = stamps.wait_create(callout_bench.CHEN, t0) - t0
    with h.session() as s:
        incident_id = s.scalar(select(Recipient.help_incident_id).where(Recipient.phone == sender))
    jobs.run(paging.stop_paging, incident_id, ADMIN, "bench")
    h.sim.settle()
    return first


def run(people: int, rate: float, reply_share: float, trials: int) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix="bench-broadcast-"))
    redis = start_embedded_redis(tmp / "redis", persist=False)
    h = Hotline(tmp, redis.url, "sqlite", config_path=write_config(tmp, rate))
    h.bench_redis = redis  # type: ignore[attr-defined]
    for name in ("hotline.audit", "werkzeug", "broadcasts.sending", "twilio.http_client"):
        logging.getLogger(name).setLevel(logging.ERROR)
    h.sim.delivery.configure(per_second=rate)
    stamps = callout_bench.Stamps(h)
    result: dict[str, Any] = {"people": people, "rate_per_second": rate, "load_average_start": os.getloadavg()}
    try:
        callout_bench.start_worker(h, True, tmp / "callout-worker.log")
        _, web_env = start_web(h)
        for _ in range(2):
            h.start_worker("broadcasts", env=web_env).bench_role = "sender"  # type: ignore[attr-defined]
        h.start_engine().bench_role = "engine"  # type: ignore[attr-defined]
        phone_firsts = [callout_bench.one_incident(h, stamps, i)[0] for i in range(trials)]

        bare, bare_refused = bare_loop(h, min(people, 2000), rate)
        result["bare_loop"] = {"messages": min(people, 2000), "seconds": round(bare, 2),
                               "per_second": round(min(people, 2000) / bare, 1), "refused_429": bare_refused}
        refused_before = h.sim.delivery.refused

        with h.session() as s:
            report = directory.import_people(s, directory_csv(people), ADMIN, h.config.default_region,
                                             h.config.languages)
        assert not report.refused and report.added == people, report
        assert jobs.run(directory.save_group, "everyone", "Everyone", "site = *", ADMIN).ok
        spec = commands.Spec("Earthquake", {"en-US": "Earthquake: leave the building by the stairs."}, ("everyone",),
                             ("sms",), "safety", 60, "other", source="cli")
        cpu_before = cpu_seconds(h)
        t = time.monotonic()
        out = jobs.run(commands.draft, spec, ADMIN, False)
        queued = time.monotonic() - t
        assert out.ok and out.subject_id, out
        texts_before = len(h.sim.messages)
        b = out.subject_id
        crashed_at = None
        timeline: list[tuple[float, int, int, int]] = []  # (seconds, texts at the sim, delivered, 429s)
        while True:
            done = counts(h, b).get(DeliveryState.DELIVERED, 0)
            timeline.append((time.monotonic() - t, len(h.sim.messages) - texts_before, done,
                             h.sim.delivery.refused - refused_before))
            if crashed_at is None and done >= people // 3:
                crash(h, web_env)
                crashed_at = time.monotonic() - t
            if done >= people:
                break
            if time.monotonic() - t > 30 + 3 * people / rate + 120:
                result["timed_out_with"] = counts(h, b)  # reported, and lost / sent twice still counted
                break
            time.sleep(0.2)
        delivered = time.monotonic() - t
        cpu_after = cpu_seconds(h)
        with h.sim.cond:
            hooks = [e for e in h.sim.events if e.get("purpose") == "message-status"
                     and str(e.get("params", {}).get("To", "")).startswith(PREFIX)]
        at_sim: dict[str, int] = {}
        for m in h.sim.messages:
            if m.to.startswith(PREFIX):
                at_sim[m.to] = at_sim.get(m.to, 0) + 1
        result["broadcast"] = {
            "queued_seconds": round(queued, 2), "delivered_seconds": round(delivered, 1),
            "delivered_per_second": round(people / delivered, 1), "crash_at_seconds": round(crashed_at or 0, 1),
            "lost": people - len(at_sim), "sent_twice": sum(c - 1 for c in at_sim.values()),
            "refused_429": h.sim.delivery.refused - refused_before,
            "status_callbacks": len(hooks), "status_callbacks_failed": sum(1 for e in hooks if e["error_code"]),
            "status_callback_errors": sorted({str(e["error"]) for e in hooks if e["error_code"]})[:3],
            "ratio_seconds_to_bare_loop_per_message": round((delivered / people) / (bare / min(people, 2000)), 2),
            "phases": phases(timeline, people, crashed_at),
            "cpu_ms_per_text": {role: round((cpu_after.get(role, 0.0) - cpu_before.get(role, 0.0)) * 1000 / people, 2)
                                for role in cpu_after}}

        latencies = reply_latencies(h, b, int(people * reply_share))
        result["replies"] = {"count": len(latencies), **callout_bench.summary(latencies),
                             "max_ms": round(max(latencies) * 1000, 1)}
        helps = [help_first_dial(h, stamps, i) for i in range(trials)]
        result["need_help_first_dial"] = callout_bench.summary(helps)
        result["phone_report_first_dial"] = callout_bench.summary(phone_firsts)
        result["load_average_end"] = os.getloadavg()
        result["ratio_p50_need_help_to_phone_report"] = round(callout_bench.pct(helps, 50) /
                                                              callout_bench.pct(phone_firsts, 50), 2)
    finally:
        h.close()
        h.bench_redis.stop()  # type: ignore[attr-defined]
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=100.0, help="texts per second (the provider's limit)")
    parser.add_argument("--replies", type=float, default=0.1, help="the share of people who answer")
    parser.add_argument("--trials", type=int, default=10, help="'I need help' and phone-report first dials")
    args = parser.parse_args()
    print(json.dumps(run(args.people, args.rate, args.replies, args.trials), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Webhook latency and throughput: N concurrent sim calls through the IVR against gunicorn,
next to the same number of calls against its two floors on the same server, in the same rounds:
the durable floor (bench/durable_floor.py: signature checked with twilio's RequestValidator, one
row committed, fixed TwiML; the baseline of issue 29's targets) and the bare endpoint (a constant,
nothing stored; the floor everyone can see). A floor call: the greeting and four key presses.
Prints p50/p99 and throughput for each, and the IVR's ratios to both floors with the figures
beside them and the load average. The sim's hundred threads share the machine with the server and
add their own latency; bench/webhook_load.py is the same measurement with a lean load generator,
and bench/webhook_cost.py counts the work per webhook.

    python3 run.py bench webhooks [--calls 100] [--rounds 5] [--pace 1.0] [--workers 4] [--threads 2]
                                  [--database postgresql://root@127.0.0.1:5432/test]

Targets (issue 29): IVR p99 <= 1.5x the durable floor's with paced callers (--pace 1); IVR
throughput >= 0.8x the durable floor's at saturation (--pace 0). --database: SQLite in a temp
folder unless a PostgreSQL URL is given; there a fresh schema, dropped afterwards.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import web_server  # noqa: E402
from bench.durable_floor import PATH as DURABLE_PATH  # noqa: E402
from bench.durable_floor import committed_rows  # noqa: E402
from bench.stats import percentile  # noqa: E402
from hotline.service.embedded_redis import free_port, start_embedded_redis  # noqa: E402
from hotline.service.supervisor import WEB_THREADS, WEB_WORKERS  # noqa: E402
from sim import Sim  # noqa: E402

HOTLINE, BARE, DURABLE = "+886277001234", "+886277000000", "+886277000001"
LABELS = {"bare": "bare TwiML endpoint", "durable": "durable floor", "ivr": "IVR webhooks"}



def row(name: str, values: list[float], rate: float | None) -> str:
    per_s = f"{rate:8.1f}" if rate is not None else ""
    return (f"{name:28} {len(values):9d} {1000 * statistics.median(values):8.1f} "
            f"{1000 * percentile(values, 99):8.1f} {per_s}")


def drive(sim: Sim, to: str, calls: int, script) -> tuple[list[tuple[str, float]], float]:  # type: ignore[no-untyped-def]
    """Run `calls` calls at once; return every webhook (path, latency in s) and the wall time."""
    handles = []
    errors: list[BaseException] = []

    def one(i: int) -> None:
        try:
            c = sim.dial(f"+8869551{i:05d}", to)
            handles.append(c)
            script(c)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    started = time.perf_counter()
    threads = [threading.Thread(target=one, args=(i,)) for i in range(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    if errors:
        raise RuntimeError(f"{len(errors)} calls failed; first: {errors[0]!r}")
    latencies = [(urlparse(e["url"]).path, e["latency_ms"] / 1000)
                 for c in handles for e in c.events if e["kind"] == "webhook"]
    return latencies, wall


def think(pace: float) -> None:
    """People don't press in lock-step: 0.5 to 1.5 times the pace."""
    if pace:
        time.sleep(pace * random.uniform(0.5, 1.5))


def ivr_call(wav: bytes, pace: float):  # type: ignore[no-untyped-def]
    """A caller who knows what to report; `pace` real seconds of thinking before each key."""
    def script(c) -> None:  # type: ignore[no-untyped-def]
        c.expect_gather(timeout=60)
        for key in "12":
            think(pace)
            c.press(key)
        c.expect_record(timeout=60)
        c.speak(wav)
        think(pace)
        c.press("#")
        c.expect_hangup(timeout=60)
    return script


def bare_call(pace: float):  # type: ignore[no-untyped-def]
    def script(c) -> None:  # type: ignore[no-untyped-def]
        c.expect_gather(timeout=60)
        for _ in range(4):
            think(pace)
            c.press("1")
            c.expect_gather(timeout=60)
        c.hangup()
        c.expect_hangup(timeout=60)
    return script


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=100)
    ap.add_argument("--rounds", type=int, default=5,
                    help="bare then IVR, this many times; ratios are per round, their median is the result")
    ap.add_argument("--workers", type=int, default=WEB_WORKERS)
    ap.add_argument("--threads", type=int, default=WEB_THREADS)
    ap.add_argument("--database", default="", help="a PostgreSQL URL (a fresh schema in it); default SQLite")
    ap.add_argument("--pace", type=float, default=0.0,
                    help="real seconds a caller waits before each key (0: as fast as possible, a saturation test)")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-webhooks-"))
    database, drop = web_server.database(args.database, tmp / "data")
    redis = start_embedded_redis(tmp / "redis", persist=False)
    sim = Sim(virtual_time=True, webhook_timeout=30.0)
    sim.start()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {"HOTLINE_DATA_DIR": str(tmp / "data"), "HOTLINE_RECORDINGS_DIR": str(tmp / "rec"),
           "HOTLINE_PUBLIC_URL": url, "REDIS_URL": redis.url, "TWILIO_ACCOUNT_SID": sim.account_sid,
           "TWILIO_AUTH_TOKEN": sim.auth_token, "HOTLINE_SIM_URL": sim.api_base_url, "DATABASE_URL": database}
    access_log = tmp / "access.log"
    rounds: list[dict[str, tuple[list[tuple[str, float]], float, list[float]]]] = []
    load_before = web_server.load_average()
    try:
        web = web_server.start(env, access_log, url, args.workers, args.threads)
        try:
            sim.add_number(HOTLINE, voice_url=f"{url}/voice/incoming", status_callback=f"{url}/voice/status")
            sim.add_number(BARE, voice_url=f"{url}/bench/bare")
            sim.add_number(DURABLE, voice_url=f"{url}{DURABLE_PATH}")
            from sim.audio import beep_pcm, pcm_to_wav

            wav = pcm_to_wav(beep_pcm(2.0, 440.0))
            warm = web_server.warm_up_calls(args.workers)
            drive(sim, BARE, warm, bare_call(0))  # warm-up every path
            drive(sim, DURABLE, warm, bare_call(0))
            drive(sim, HOTLINE, warm, ivr_call(wav, 0))
            floor_before = committed_rows(database)
            for _ in range(args.rounds):
                measured = {}
                for name, to, script in (("bare", BARE, bare_call(args.pace)),
                                         ("durable", DURABLE, bare_call(args.pace)),
                                         ("ivr", HOTLINE, ivr_call(wav, args.pace))):
                    pairs, wall = drive(sim, to, args.calls, script)
                    measured[name] = (pairs, wall, web_server.server_times(access_log, len(pairs))[name])
                rounds.append(measured)
            floor_rows = committed_rows(database) - floor_before
        finally:
            web.terminate()
            web.wait()
            sim.stop()
            redis.stop()
    finally:
        drop()
    print(f"{args.calls} concurrent calls x {args.rounds} rounds, pace {args.pace}s, gunicorn {args.workers} workers "
          f"x {args.threads} threads (as run.py starts it), {os.cpu_count()} cores, "
          f"{web_server.database_name(database)}; load: the sim's call threads")
    print(f"{load_before} before, {web_server.load_average()} after (the machine is shared)")
    print(f"{'all rounds':28} {'requests':>9} {'p50 ms':>8} {'p99 ms':>8} {'req/s':>8}")
    for name in ("bare", "durable", "ivr"):
        values = [x for r in rounds for _, x in r[name][0]]
        rate = len(values) / sum(r[name][1] for r in rounds)
        print(row(LABELS[name], values, rate))
    by_path: dict[str, list[float]] = defaultdict(list)
    for r in rounds:
        for path, seconds in r["ivr"][0]:
            by_path[path].append(seconds)
    for path, values in sorted(by_path.items()):
        print(row(f"  {path}", values, None))
    print("time inside gunicorn (request parsed to response written), same requests:")
    for name in ("bare", "durable", "ivr"):
        print(row(f"  {name}", [ms / 1000 for r in rounds for ms in r[name][2]], None))
    durable_requests = sum(len(r["durable"][0]) for r in rounds)
    print(f"durable floor: {floor_rows} rows committed for {durable_requests} webhooks answered")
    goals = {"durable": ("  (goal >= 0.8 at saturation, --pace 0)", "  (goal <= 1.5 with paced callers, --pace 1)"),
             "bare": ("", "")}
    for floor in ("durable", "bare"):
        throughput, p99, rates, p99s = [], [], [], []
        for r in rounds:
            (b, b_wall, _), (i, i_wall, _) = r[floor], r["ivr"]
            rates.append((len(i) / i_wall, len(b) / b_wall))
            p99s.append((1000 * percentile([x for _, x in i], 99), 1000 * percentile([x for _, x in b], 99)))
            throughput.append(rates[-1][0] / rates[-1][1])
            p99.append(p99s[-1][0] / max(p99s[-1][1], 1.0))
        print(f"per round, throughput ratio IVR/{floor}: " + " ".join(
            f"{x:.2f} ({a:.0f}/{b:.0f} req/s)" for x, (a, b) in zip(throughput, rates, strict=True)))
        print(f"per round, p99 ratio IVR/{floor}:        " + " ".join(
            f"{x:.2f} ({a:.0f}/{b:.0f} ms)" for x, (a, b) in zip(p99, p99s, strict=True)))
        print(f"throughput ratio IVR/{floor}: median {statistics.median(throughput):.2f}  (IVR "
              f"{statistics.median(a for a, _ in rates):.1f} req/s, {LABELS[floor]} "
              f"{statistics.median(b for _, b in rates):.1f} req/s, medians){goals[floor][0]}")
        print(f"p99 ratio IVR/{floor}: median {statistics.median(p99):.2f}  (IVR "
              f"{statistics.median(a for a, _ in p99s):.1f} ms, {LABELS[floor]} "
              f"{statistics.median(b for _, b in p99s):.1f} ms, medians){goals[floor][1]}")
    return 0 if floor_rows == durable_requests else 1


if __name__ == "__main__":
    sys.exit(main())

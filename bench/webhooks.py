"""Webhook latency and throughput: N concurrent sim calls through the IVR against gunicorn,
next to the same number of calls against a bare endpoint returning fixed TwiML, same server,
same run. Prints p50/p99 and throughput for both, and the ratios. The sim's hundred threads share
the machine with the server and add their own latency; bench/webhook_load.py is the same
measurement with a lean load generator, and bench/webhook_cost.py counts the work per webhook.

    python3 run.py bench webhooks [--calls 100] [--rounds 5] [--pace 1.0] [--workers 4] [--threads 2]
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
from bench.stats import percentile  # noqa: E402
from hotline.service.embedded_redis import free_port, start_embedded_redis  # noqa: E402
from hotline.service.supervisor import WEB_THREADS, WEB_WORKERS  # noqa: E402
from sim import Sim  # noqa: E402

HOTLINE, BARE = "+886277001234", "+886277000000"



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
    ap.add_argument("--database", default="", help="DATABASE_URL (default: SQLite in a temp folder)")
    ap.add_argument("--pace", type=float, default=0.0,
                    help="real seconds a caller waits before each key (0: as fast as possible, a saturation test)")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-webhooks-"))
    redis = start_embedded_redis(tmp / "redis", persist=False)
    sim = Sim(virtual_time=True, webhook_timeout=30.0)
    sim.start()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {"HOTLINE_DATA_DIR": str(tmp / "data"), "HOTLINE_RECORDINGS_DIR": str(tmp / "rec"),
           "HOTLINE_PUBLIC_URL": url, "REDIS_URL": redis.url, "TWILIO_ACCOUNT_SID": sim.account_sid,
           "TWILIO_AUTH_TOKEN": sim.auth_token, "HOTLINE_SIM_URL": sim.api_base_url,
           "DATABASE_URL": args.database}
    access_log = tmp / "access.log"
    rounds: list[dict[str, tuple[list[tuple[str, float]], float, dict[str, list[float]]]]] = []
    web = web_server.start(env, access_log, url, args.workers, args.threads)
    try:
        sim.add_number(HOTLINE, voice_url=f"{url}/voice/incoming", status_callback=f"{url}/voice/status")
        sim.add_number(BARE, voice_url=f"{url}/bench/bare")
        from sim.audio import beep_pcm, pcm_to_wav

        wav = pcm_to_wav(beep_pcm(2.0, 440.0))
        drive(sim, BARE, web_server.warm_up_calls(args.workers), bare_call(0))  # warm-up both paths
        drive(sim, HOTLINE, web_server.warm_up_calls(args.workers), ivr_call(wav, 0))
        for _ in range(args.rounds):
            measured = {}
            for name, to, script in (("bare", BARE, bare_call(args.pace)), ("ivr", HOTLINE, ivr_call(wav, args.pace))):
                pairs, wall = drive(sim, to, args.calls, script)
                measured[name] = (pairs, wall, web_server.server_times(access_log, len(pairs))[name])
            rounds.append(measured)
    finally:
        web.terminate()
        web.wait()
        sim.stop()
        redis.stop()
    print(f"{args.calls} concurrent calls x {args.rounds} rounds, pace {args.pace}s, gunicorn {args.workers} workers "
          f"x {args.threads} threads (as run.py starts it), {os.cpu_count()} cores; load: the sim's call threads")
    print(f"{'all rounds':28} {'requests':>9} {'p50 ms':>8} {'p99 ms':>8} {'req/s':>8}")
    for name, label in (("bare", "bare TwiML endpoint"), ("ivr", "IVR webhooks")):
        values = [x for r in rounds for _, x in r[name][0]]
        rate = len(values) / sum(r[name][1] for r in rounds)
        print(row(label, values, rate))
    by_path: dict[str, list[float]] = defaultdict(list)
    for r in rounds:
        for path, seconds in r["ivr"][0]:
            by_path[path].append(seconds)
    for path, values in sorted(by_path.items()):
        print(row(f"  {path}", values, None))
    print("time inside gunicorn (request parsed to response written), same requests:")
    for name in ("bare", "ivr"):
        print(row(f"  {name}", [ms / 1000 for r in rounds for ms in r[name][2]], None))
    throughput, p99 = [], []
    for r in rounds:
        (b, b_wall, _), (i, i_wall, _) = r["bare"], r["ivr"]
        throughput.append((len(i) / i_wall) / (len(b) / b_wall))
        p99.append(percentile([x for _, x in i], 99) / max(percentile([x for _, x in b], 99), 1e-3))
    print("per round, throughput ratio IVR/bare: " + " ".join(f"{x:.2f}" for x in throughput))
    print("per round, p99 ratio IVR/bare:        " + " ".join(f"{x:.2f}" for x in p99))
    print(f"throughput ratio IVR/bare: median {statistics.median(throughput):.2f}  (goal >= 0.8 at saturation)")
    print(f"p99 ratio IVR/bare: median {statistics.median(p99):.2f}  (goal <= 2 with paced callers, --pace 1)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

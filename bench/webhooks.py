"""Webhook latency and throughput: N concurrent sim calls through the IVR against gunicorn,
next to the same number of calls against a bare endpoint returning fixed TwiML, same server,
same run. Prints p50/p99 and throughput for both, and the ratios. The sim's hundred threads share
the machine with the server and add their own latency; bench/webhook_load.py is the same
measurement with a lean load generator, and bench/webhook_cost.py counts the work per webhook.

    python bench/webhooks.py [--calls 100] [--pace 1.0] [--workers 4] [--threads 2]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlparse

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hotline.service.embedded_redis import free_port, start_embedded_redis  # noqa: E402
from hotline.service.supervisor import WEB_THREADS, WEB_WORKERS  # noqa: E402
from sim import Sim  # noqa: E402

HOTLINE, BARE = "+886277001234", "+886277000000"


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


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
    env = {**os.environ, "HOTLINE_DATA_DIR": str(tmp / "data"), "HOTLINE_RECORDINGS_DIR": str(tmp / "rec"),
           "HOTLINE_PUBLIC_URL": url, "REDIS_URL": redis.url, "TWILIO_ACCOUNT_SID": sim.account_sid,
           "TWILIO_AUTH_TOKEN": sim.auth_token, "HOTLINE_SIM_URL": sim.api_base_url,
           "DATABASE_URL": args.database}
    access_log = tmp / "access.log"
    web = subprocess.Popen([sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers",
                            str(args.workers), "--threads", str(args.threads), "--worker-class", "gthread",
                            "--log-level", "warning", "--access-logfile", str(access_log),
                            "--access-logformat", "%(U)s %(M)s", "bench.bare_app:app"], env=env, cwd=ROOT)
    try:
        for _ in range(200):
            try:
                if requests.get(f"{url}/healthz", timeout=1).ok:
                    break
            except requests.RequestException:
                time.sleep(0.1)
        sim.add_number(HOTLINE, voice_url=f"{url}/voice/incoming", status_callback=f"{url}/voice/status")
        sim.add_number(BARE, voice_url=f"{url}/bench/bare")
        from sim.audio import beep_pcm, pcm_to_wav

        wav = pcm_to_wav(beep_pcm(2.0, 440.0))
        drive(sim, BARE, 10, bare_call(0))  # warm-up both paths
        drive(sim, HOTLINE, 10, ivr_call(wav, 0))
        bare, bare_wall = drive(sim, BARE, args.calls, bare_call(args.pace))
        ivr, ivr_wall = drive(sim, HOTLINE, args.calls, ivr_call(wav, args.pace))
    finally:
        web.terminate()
        web.wait()
        sim.stop()
        redis.stop()
    print(f"{args.calls} concurrent calls, pace {args.pace}s, gunicorn {args.workers} workers x {args.threads} "
          f"threads, {os.cpu_count()} cores")
    print(f"{'':28} {'requests':>9} {'p50 ms':>8} {'p99 ms':>8} {'req/s':>8}")
    by_path: dict[str, list[float]] = defaultdict(list)
    for path, seconds in ivr:
        by_path[path].append(seconds)
    for name, pairs, wall in [("bare TwiML endpoint", bare, bare_wall), ("IVR webhooks", ivr, ivr_wall)]:
        print(row(name, [x for _, x in pairs], len(pairs) / wall))
    for path, values in sorted(by_path.items()):
        print(row(f"  {path}", values, None))
    server: dict[str, list[float]] = defaultdict(list)
    for line in access_log.read_text().splitlines()[-(len(bare) + len(ivr)):]:
        path, ms = line.split()
        server["bare" if path == "/bench/bare" else "ivr"].append(float(ms) / 1000)
    print("time inside gunicorn (request parsed to response written), same requests:")
    for name in ("bare", "ivr"):
        print(row(f"  {name}", server[name], None))
    b, i = [x for _, x in bare], [x for _, x in ivr]
    print(f"throughput ratio IVR/bare: {(len(i) / ivr_wall) / (len(b) / bare_wall):.2f}  (goal >= 0.8 at saturation)")
    print(f"p99 ratio IVR/bare: {percentile(i, 99) / max(percentile(b, 99), 1e-3):.2f}; "
          f"IVR p99 {1000 * percentile(i, 99):.0f} ms (goal <= 2 with paced callers, --pace 1)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Webhook latency and throughput with a lean load generator: one asyncio process posting signed
requests as Twilio does (a connection per request), instead of the sim's hundred threads, so the
server gets nearly all of the CPU. The same gunicorn serves the IVR and its two floors
(bench/bare_app.py), all driven the same way, one after another in the same run:
- the durable floor (bench/durable_floor.py): checks the signature, commits one row, answers fixed
  TwiML; the cheapest webhook that keeps the IVR's promise, and the baseline of issue 29's targets;
- the bare endpoint: a constant, nothing checked or stored; the floor everyone can see.

An IVR caller: /voice/incoming, a type key, a severity key (each following the TwiML's action
URL), the <Record> action, then the recording-status and call-status callbacks. A floor caller:
five requests with the same Twilio parameters (the first without Digits, then four key presses),
signed for the durable floor, unsigned for the bare one.

    python3 run.py bench webhook_load [--callers 100] [--pace 1.0] [--calls 3] [--rounds 1] [--workers 4]
                                      [--threads 2] [--database postgresql://root@127.0.0.1:5432/test]

--pace 0 is a saturation test (throughput): every caller dials at once and presses without
pause. --pace 1.0 is callers dialling and pressing about once a second (latency); a burst of
simultaneous calls is bench/storm.py's measurement. --database: SQLite in a temp folder (as
run.py makes it) unless a PostgreSQL URL is given; there a fresh schema, dropped afterwards.
--rounds N repeats the three one after another N times, so background load on a shared machine
falls on all three alike: the ratios are then the medians of each round's.
Prints p50/p99, requests per second and the IVR's ratios to the durable floor (the targets:
p99 <= 1.5x with paced callers, throughput >= 0.8x at saturation) and to the bare endpoint, each
with both figures beside it, and the load average before and after.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from html import unescape
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import web_server  # noqa: E402
from bench.durable_floor import PATH as DURABLE_PATH  # noqa: E402
from bench.durable_floor import committed_rows  # noqa: E402
from bench.stats import percentile  # noqa: E402
from hotline.service.embedded_redis import free_port, start_embedded_redis  # noqa: E402
from hotline.service.supervisor import WEB_THREADS, WEB_WORKERS  # noqa: E402
from sim.signing import signature  # noqa: E402

TOKEN = "bench-load-token"
ACCOUNT = "AC" + "0" * 32
HOTLINE = "+886277001234"
SIM_URL = "http://127.0.0.1:9"  # recordings "come from" here; nothing fetches them in this bench
LENGTH = re.compile(rb"\r\nContent-Length: *(\d+)", re.IGNORECASE)
ATTRIBUTE = {name: re.compile(rf'{name}="([^"]*)"') for name in ("action", "recordingStatusCallback")}


class Load:
    def __init__(self, public_url: str, pace: float):
        self.public_url, self.pace = public_url, pace
        split = urlsplit(public_url)
        self.host, self.port = split.hostname or "127.0.0.1", split.port or 80
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.errors: list[str] = []

    async def post(self, url: str, params: dict[str, str], signed: bool = True) -> str:
        """One request on its own connection, as Twilio makes them; returns the body."""
        body = urlencode(params).encode()
        split = urlsplit(url)
        path = split.path + (f"?{split.query}" if split.query else "")
        headers = [f"POST {path} HTTP/1.1", f"Host: {self.host}:{self.port}", "Connection: close",
                   "Content-Type: application/x-www-form-urlencoded", f"Content-Length: {len(body)}"]
        if signed:
            headers.append(f"X-Twilio-Signature: {signature(TOKEN, url, params)}")
        started = time.perf_counter()
        reader, writer = await asyncio.open_connection(self.host, self.port)
        writer.write(("\r\n".join(headers) + "\r\n\r\n").encode() + body)
        head = await reader.readuntil(b"\r\n\r\n")
        length = LENGTH.search(head)
        text = await (reader.readexactly(int(length.group(1))) if length else reader.read())
        self.latencies[split.path].append(time.perf_counter() - started)  # the TwiML is here: Twilio goes on
        writer.close()
        if not head.startswith(b"HTTP/1.1 200"):
            self.errors.append(f"{split.path}: {head[:40]!r}")
        return text.decode()

    async def think(self) -> None:
        """People don't press in lock-step: 0.5 to 1.5 times the pace."""
        if self.pace:
            await asyncio.sleep(self.pace * random.uniform(0.5, 1.5))

    async def ivr_call(self, n: int) -> None:
        sid, caller = f"CA{n:032d}", f"+8869551{n % 100000:05d}"
        base = {"AccountSid": ACCOUNT, "ApiVersion": "2010-04-01", "CallSid": sid, "CallStatus": "in-progress",
                "Called": HOTLINE, "Caller": caller, "Direction": "inbound", "From": caller, "To": HOTLINE}
        twiml = await self.post(f"{self.public_url}/voice/incoming", base)
        for key in "12":
            await self.think()
            twiml = await self.post(_attribute(twiml, "action"), {**base, "Digits": key})
        record, status_callback = _attribute(twiml, "action"), _attribute(twiml, "recordingStatusCallback")
        recording = {"RecordingSid": f"RE{n:032d}", "RecordingUrl": f"{SIM_URL}/Recordings/RE{n:032d}",
                     "RecordingDuration": "2"}
        await self.think()  # speaking
        await self.post(record, {**base, **recording, "Digits": "#"})
        await self.post(status_callback, {**base, **recording, "RecordingStatus": "completed"})
        await self.post(f"{self.public_url}/voice/status", {**base, "CallStatus": "completed", "CallDuration": "9"})

    async def floor_call(self, n: int, prefix: str, path: str, signed: bool) -> None:
        caller = f"+8869552{n % 100000:05d}"
        base = {"AccountSid": ACCOUNT, "ApiVersion": "2010-04-01", "CallSid": f"{prefix}{n:032d}",
                "CallStatus": "in-progress", "Called": HOTLINE, "Caller": caller, "Direction": "inbound",
                "From": caller, "To": HOTLINE}
        await self.post(f"{self.public_url}{path}", base, signed=signed)
        for _ in range(4):
            await self.think()
            await self.post(f"{self.public_url}{path}", {**base, "Digits": "1"}, signed=signed)

    async def bare_call(self, n: int) -> None:
        await self.floor_call(n, "CB", "/bench/bare", signed=False)

    async def durable_call(self, n: int) -> None:
        await self.floor_call(n, "CD", DURABLE_PATH, signed=True)


def _attribute(twiml: str, name: str) -> str:
    found = ATTRIBUTE[name].search(twiml)
    if not found:
        raise RuntimeError(f"no {name} in {twiml[:300]}")
    return unescape(found.group(1))


async def drive(load: Load, call, callers: int, calls: int, first: int) -> float:  # type: ignore[no-untyped-def]
    """`callers` at once, each making `calls` calls one after another; returns the wall time."""
    async def caller(i: int) -> None:
        for j in range(calls):
            await load.think()  # paced callers arrive at a pace too, not all in the same millisecond
            await call(first + i * calls + j)

    started = time.perf_counter()
    await asyncio.gather(*(caller(i) for i in range(callers)))
    return time.perf_counter() - started



def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--callers", type=int, default=100)
    ap.add_argument("--calls", type=int, default=3, help="calls each caller makes, one after another")
    ap.add_argument("--pace", type=float, default=1.0, help="seconds of thinking before each key (0: saturation)")
    ap.add_argument("--rounds", type=int, default=1,
                    help="bare, durable floor, IVR; this many times; ratios per round, their median the result")
    ap.add_argument("--workers", type=int, default=WEB_WORKERS)
    ap.add_argument("--threads", type=int, default=WEB_THREADS)
    ap.add_argument("--database", default="", help="a PostgreSQL URL (a fresh schema in it); default SQLite")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-webhook-load-"))
    database, drop = web_server.database(args.database, tmp / "data")
    redis = start_embedded_redis(tmp / "redis", persist=False)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {"HOTLINE_DATA_DIR": str(tmp / "data"), "HOTLINE_RECORDINGS_DIR": str(tmp / "rec"),
           "HOTLINE_PUBLIC_URL": url, "REDIS_URL": redis.url, "TWILIO_ACCOUNT_SID": ACCOUNT,
           "TWILIO_AUTH_TOKEN": TOKEN, "HOTLINE_SIM_URL": SIM_URL, "DATABASE_URL": database}
    access_log = tmp / "access.log"
    names = ("bare", "durable", "ivr")
    rounds: list[dict[str, tuple[Load, float]]] = []
    load_before = web_server.load_average()
    try:
        web = web_server.start(env, access_log, url, args.workers, args.threads)
        try:
            warm = Load(url, 0)
            for name in names:
                asyncio.run(drive(warm, getattr(warm, f"{name}_call"), web_server.warm_up_calls(args.workers), 1,
                                  900000))
            floor_before = committed_rows(database)
            for n in range(args.rounds):
                measured = {}
                for name in names:
                    load = Load(url, args.pace)
                    wall = asyncio.run(drive(load, getattr(load, f"{name}_call"), args.callers, args.calls,
                                             n * args.callers * args.calls))  # each call its own CallSid
                    measured[name] = (load, wall)
                rounds.append(measured)
            floor_rows = committed_rows(database) - floor_before
        finally:
            web.terminate()
            web.wait()
            redis.stop()
    finally:
        drop()
    print(f"{args.callers} callers x {args.calls} calls x {args.rounds} rounds, pace {args.pace}s, gunicorn "
          f"{args.workers} workers x {args.threads} threads, {os.cpu_count()} cores, "
          f"{web_server.database_name(database)}; load generator: one asyncio process")
    print(f"{load_before} before, {web_server.load_average()} after (the machine is shared)")
    print(f"{'all rounds':28} {'requests':>9} {'p50 ms':>8} {'p99 ms':>8} {'req/s':>8}")
    labels = {"bare": "bare TwiML endpoint", "durable": "durable floor", "ivr": "IVR webhooks"}

    def latencies(load: Load) -> list[float]:
        return [x for values in load.latencies.values() for x in values]

    everything = {name: [x for r in rounds for x in latencies(r[name][0])] for name in names}
    for name in names:
        v = everything[name]
        print(f"{labels[name]:28} {len(v):9d} {1000 * statistics.median(v):8.1f} {1000 * percentile(v, 99):8.1f} "
              f"{len(v) / sum(r[name][1] for r in rounds):8.1f}")
        if name == "ivr":
            by_path: dict[str, list[float]] = defaultdict(list)
            for r in rounds:
                for path, values in r["ivr"][0].latencies.items():
                    by_path[path].extend(values)
            for path, values in sorted(by_path.items()):
                print(f"  {path:26} {len(values):9d} {1000 * statistics.median(values):8.1f} "
                      f"{1000 * percentile(values, 99):8.1f}")
    server = web_server.server_times(access_log, sum(len(v) for v in everything.values()))
    print("time inside gunicorn (ms), same requests: " + ", ".join(
        f"{name} p50 {statistics.median(v):.1f} p99 {percentile(v, 99):.1f}" for name, v in server.items()))
    errors = {name: [e for r in rounds for e in r[name][0].errors] for name in names}
    durable_ok = len(everything["durable"]) - len(errors["durable"])
    print(f"durable floor: {floor_rows} rows committed for {durable_ok} answers of 200")
    failed = [e for name in names for e in errors[name]]
    if failed:
        print(f"!! {len(failed)} requests did not answer 200; first: {failed[0]}")
    goals = {"durable": ("  (goal >= 0.8 at saturation, --pace 0)", "  (goal <= 1.5 with paced callers, --pace 1)"),
             "bare": ("", "")}
    for floor in ("durable", "bare"):
        rates = [tuple(len(latencies(r[x][0])) / r[x][1] for x in ("ivr", floor)) for r in rounds]
        p99s = [tuple(1000 * percentile(latencies(r[x][0]), 99) for x in ("ivr", floor)) for r in rounds]
        throughput = [a / b for a, b in rates]
        p99 = [a / max(b, 1.0) for a, b in p99s]
        if args.rounds > 1:
            print(f"per round, throughput ratio IVR/{floor}: " + " ".join(
                f"{x:.2f} ({a:.0f}/{b:.0f} req/s)" for x, (a, b) in zip(throughput, rates, strict=True)))
            print(f"per round, p99 ratio IVR/{floor}:        " + " ".join(
                f"{x:.2f} ({a:.0f}/{b:.0f} ms)" for x, (a, b) in zip(p99, p99s, strict=True)))
        print(f"throughput ratio IVR/{floor}: {statistics.median(throughput):.2f}  (IVR "
              f"{statistics.median(a for a, _ in rates):.1f} req/s, {labels[floor]} "
              f"{statistics.median(b for _, b in rates):.1f} req/s{', medians' if args.rounds > 1 else ''})"
              f"{goals[floor][0]}")
        print(f"p99 ratio IVR/{floor}: {statistics.median(p99):.2f}  (IVR "
              f"{statistics.median(a for a, _ in p99s):.1f} ms, {labels[floor]} "
              f"{statistics.median(b for _, b in p99s):.1f} ms{', medians' if args.rounds > 1 else ''})"
              f"{goals[floor][1]}")
    return 1 if failed or floor_rows != durable_ok else 0


if __name__ == "__main__":
    sys.exit(main())

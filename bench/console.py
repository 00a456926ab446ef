"""Console benchmark: `python3 run.py bench console [--incidents 10000] [--requests 40]`.

Server-side cost of the incident list, measured in-process through the Flask app (no network):
- the list's live fragment and the whole list page with 10 incidents, 200 (one full page) and
  10,000 (of which a few hundred are open), with ratios: the list pages by 200 and orders in one
  query, so 10,000 should cost what 200 cost (rendering 200 rows), not what 10,000 rows would;
- a live poll when nothing changed: the browser sends its ETag and gets 304 from the change
  mark (index lookups), against a poll that renders, from the same run.
Reports medians and p90 in milliseconds. Seeding goes through the lifecycle commands.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if sys.path and Path(sys.path[0]).resolve() == ROOT / "bench":
    sys.path[0] = str(ROOT)

from werkzeug.security import generate_password_hash  # noqa: E402

from hotline.base.lifecycle import Actor, Channel  # noqa: E402
from hotline.base.models import Incident, IncidentStatus, utcnow  # noqa: E402
from hotline.base.runtime import get_runtime  # noqa: E402
from hotline.console import changes  # noqa: E402
from hotline.paging import commands  # noqa: E402
from hotline.service.embedded_redis import start_embedded_redis  # noqa: E402
from tests.support.sandbox import Hotline  # noqa: E402

USER, PASSWORD = "bench", "bench pass phrase"
ADMIN = Actor(USER, Channel.CONSOLE)


def write_config(folder: Path) -> Path:
    text = (ROOT / "config.toml").read_text(encoding="utf-8")
    text = text.replace('flows_dir = "ivr_flows"', f'flows_dir = "{ROOT / "ivr_flows"}"')
    text += (f'\n[console]\n[console.users.{USER}]\nrole = "admin"\n'
             f'password_hash = "{generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")}"\n')
    path = folder / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


TYPES = ("cyber_security", "reputation", "other", "workplace_accident")


def seed(h: Hotline, start: int, count: int) -> None:
    """Every 40th report stopped and every 25th accepted, through the lifecycle commands; the rest
    are history: closed rows (with a note on every 10th) written in bulk, since going through
    the commands one by one would take minutes and the list only reads them."""
    with h.session() as s:
        history = []
        for n in range(start, start + count):
            if n % 40 and n % 25:
                history.append(Incident(ref=f"B{n:06d}", type_key=TYPES[n % 4], severity="normal", language="zh-TW",
                                        caller=f"+8869{n:08d}", callback_number=f"+8869{n:08d}",
                                        status=IncidentStatus.CLOSED, closed_at=utcnow()))
                continue
            out = commands.report(s, call_sid=f"CAbench{n:06d}", type_key=TYPES[n % 4], lang="zh-TW",
                                  caller=f"+8869{n:08d}", actor=ADMIN, record_max_seconds=60)
            incident_id = out.incident_ids[0]
            if n % 40 == 0:
                commands.stop_paging(s, incident_id, ADMIN, "bench")
            else:
                commands.accept(s, person="lin", name="Lin Mei", actor=ADMIN, incident_id=incident_id)
        s.add_all(history)
        s.flush()
        for n, incident in enumerate(history):
            if n % 10 == 0:
                commands.add_note(s, incident.id, ADMIN, "火災 已處理")


def client_for(h: Hotline):  # type: ignore[no-untyped-def]
    client = h.app.test_client()
    page = client.get("/console/login").get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    assert client.post("/console/login", data={"user": USER, "password": PASSWORD, "csrf_token": token}
                       ).status_code == 302
    return client


def timed(client, url: str, n: int, headers: dict[str, str] | None = None,  # type: ignore[no-untyped-def]
          status: int | None = 200) -> list[float]:
    client.get(url, headers=headers)  # warm: templates compiled, caches filled
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        r = client.get(url, headers=headers)
        out.append((time.perf_counter() - t0) * 1000)
        assert status is None or r.status_code == status, (url, r.status_code)
    return out


def summary(ms: list[float]) -> str:
    ms = sorted(ms)
    return f"median {statistics.median(ms):7.2f} ms  p90 {ms[int(len(ms) * 0.9) - 1]:7.2f} ms"


def measure(h: Hotline, n: int) -> dict[str, list[float]]:
    client = client_for(h)
    out = {"rows": timed(client, "/console/incidents/rows", n), "page": timed(client, "/console/incidents", n),
           "search": timed(client, "/console/incidents/rows?q=%E7%81%AB%E7%81%BD", n)}
    tag = client.get("/console/incidents/rows").headers["ETag"]
    polls = []
    for _ in range(n):  # an unchanged poll; the 15-second clock may tick once: re-read the tag then
        t0 = time.perf_counter()
        r = client.get("/console/incidents/rows", headers={"If-None-Match": tag})
        polls.append((time.perf_counter() - t0) * 1000)
        if r.status_code == 200:
            tag = r.headers["ETag"]
            polls.pop()
    out["poll_unchanged"] = polls
    out["baseline_healthz"] = timed(client, "/healthz", n, status=None)  # 503 here: no workers run
    with h.app.app_context(), get_runtime().db.engine.connect() as connection:
        marks = []
        for _ in range(n):
            t0 = time.perf_counter()
            changes.mark(connection)
            marks.append((time.perf_counter() - t0) * 1000)
    out["change_mark"] = marks
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=40)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        redis = start_embedded_redis(tmp / "redis", persist=False)
        h = Hotline(tmp, redis.url, "sqlite", config_path=write_config(tmp))
        try:
            seed(h, 0, 10)
            small = measure(h, args.requests)
            seed(h, 10, 190)
            page_full = measure(h, args.requests)  # 200: one full page of rows, like 10,000 shows
            t0 = time.perf_counter()
            seed(h, 200, args.incidents - 200)
            print(f"seeded {args.incidents - 200} more incidents in {time.perf_counter() - t0:.1f} s")
            large = measure(h, args.requests)
        finally:
            h.close()
            redis.stop()
    for key in ("rows", "page", "search", "poll_unchanged", "baseline_healthz", "change_mark"):
        ratio = statistics.median(large[key]) / statistics.median(small[key])
        full = statistics.median(large[key]) / statistics.median(page_full[key])
        print(f"{key:16s} 10: {summary(small[key])} | 200: {summary(page_full[key])} | {args.incidents}: "
              f"{summary(large[key])} | {args.incidents}/10 {ratio:5.2f} | {args.incidents}/200 {full:5.2f}")
    rendered = statistics.median(large["rows"])
    unchanged = statistics.median(large["poll_unchanged"])
    bare = statistics.median(large["baseline_healthz"])
    print(f"unchanged poll with {args.incidents} incidents: {unchanged:.2f} ms, "
          f"{unchanged / rendered:.3f} of a rendered poll ({rendered:.2f} ms), {unchanged / bare:.2f}x the bare "
          f"/healthz request ({bare:.2f} ms); its own work, the change mark: "
          f"{statistics.median(large['change_mark']):.3f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Crisis notification benchmark: `python3 run.py bench crisis [--trials 30] [--team 20]`.

Through the real app, Redis, an RQ worker running callout-queue jobs in-process
(`hotline.service.workers.CalloutWorker`) and the sim, on SQLite:
- crisis: "confirm" (the acceptor's verdict committed, the notification queued) -> the sim
  receives the LAST team member's first Calls.create, for a team of `--team` people (all roles
  filled by named people). Also the first member's, to show the spread.
- baseline, same run, same worker: the callout's own first dial (recording-complete webhook ->
  the first Calls.create), measured as bench/callout.py does.
Prints p50/p99 of each and the ratio of the crisis p99 (last member) to the callout's p99 first
dial: "notifying a whole team costs about as much as ringing one person".
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if sys.path and Path(sys.path[0]).resolve() == ROOT / "bench":
    sys.path[0] = str(ROOT)  # else bench/callout.py would shadow the callout package

from bench import callout as callout_bench  # noqa: E402
from hotline.base import jobs  # noqa: E402
from hotline.base.lifecycle import Actor, Channel  # noqa: E402
from hotline.base.models import Incident  # noqa: E402
from hotline.crisis import commands as crisis  # noqa: E402
from hotline.paging import commands  # noqa: E402
from hotline.service.embedded_redis import start_embedded_redis  # noqa: E402
from tests.support.sandbox import Hotline  # noqa: E402

ROLES = ("management", "communications", "it_security", "legal", "hr")


def people(team: int) -> list[tuple[str, str]]:
    return [(f"p{i:02d}", f"+8869130{i:05d}") for i in range(team)]


def write_config(folder: Path, team: int) -> Path:
    """bench/callout.py's config (chen then lin on call), `team` more people, and one plan naming them all."""
    base = callout_bench.write_config(folder).read_text(encoding="utf-8")
    extra = "".join(f'\n[people.{key}]\nname = "Member {key}"\nphone = "{phone}"\nlanguages = ["en-US"]\n'
                    for key, phone in people(team))
    plans = folder / "plans"
    plans.mkdir(exist_ok=True)
    keys = [key for key, _ in people(team)]
    plan = "".join(f'[team.{role}]\nperson = {json.dumps(keys[i::len(ROLES)])}\n\n' for i, role in enumerate(ROLES))
    plan += '[statement]\n"zh-TW" = "{type} {reference}"\n"en-US" = "{type} {reference}"\n'
    (plans / "cyber_security.toml").write_text(plan, encoding="utf-8")
    crisis_section = f'\n[crisis]\nplans_dir = "{plans}"\n'
    path = folder / "config.toml"
    path.write_text(base + extra + crisis_section, encoding="utf-8")
    return path


def one_crisis(h: Hotline, stamps: callout_bench.Stamps, n: int, numbers: set[str]) -> tuple[float, float]:
    """An accepted cyber-security report is confirmed; seconds to the first and last team Calls.create."""
    with h.session() as s:
        incident = Incident(type_key="cyber_security", language="zh-TW", ref=f"B{n:05d}")
        s.add(incident)
        s.flush()
        incident_id = incident.id
        commands.accept(s, person="chen", name="Chen Wei", actor=Actor("chen", Channel.CLI), incident_id=incident_id)
    t0 = time.time()
    out = jobs.run(crisis.activate, incident_id, h.config, Actor("chen", Channel.RESPONDER), acceptor_only=True)
    assert out.ok, out
    arrivals = [stamps.wait_create(number, t0) for number in sorted(numbers)]
    h.sim.settle()
    return min(arrivals) - t0, max(arrivals) - t0


def run(trials: int, team: int) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix="bench-crisis-"))
    redis = start_embedded_redis(tmp / "redis", persist=False)
    h = Hotline(tmp, redis.url, "sqlite", config_path=write_config(tmp, team))
    logging.getLogger("hotline.audit").setLevel(logging.WARNING)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    numbers = {phone for _, phone in people(team)}
    for number in numbers:
        h.sim.phone(number).busy()  # each call ends at once: nothing keeps ringing between trials
    stamps = callout_bench.Stamps(h)
    try:
        callout_bench.start_worker(h, True, tmp / "worker.log")
        firsts = [callout_bench.one_incident(h, stamps, i)[0] for i in range(trials)]
        spans = [one_crisis(h, stamps, i, numbers) for i in range(trials)]
    finally:
        h.close()
        redis.stop()
    first_member, last_member = [a for a, _ in spans], [b for _, b in spans]
    pct = callout_bench.pct
    return {"trials": trials, "team": team,
            "baseline_callout_first_dial": callout_bench.summary(firsts),
            "crisis_first_member_first_dial": callout_bench.summary(first_member),
            "crisis_last_member_first_dial": callout_bench.summary(last_member),
            "ratio_p50_last_member_to_callout_first_dial": round(pct(last_member, 50) / pct(firsts, 50), 2),
            "ratio_p99_last_member_to_callout_first_dial": round(pct(last_member, 99) / pct(firsts, 99), 2)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=30)
    parser.add_argument("--team", type=int, default=20)
    args = parser.parse_args()
    print(json.dumps(run(args.trials, args.team), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Coverage check benchmark: `python3 run.py bench coverage [--weeks 4]`.

Runs `hotline.rotas.coverage.check` over the shipped config.toml (4 weeks x every incident type, hourly)
and sets its time against a baseline from the same run: one call of the rota resolver
(`hotline.rotas.resolve.resolve_contacts`, for the default policy) times the number of checks made. A
ratio near or below 1 means the check costs no more than resolving each (hour, type) once;
it shares one resolution between the types that use the same policy, so it can be below 1.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if sys.path and Path(sys.path[0]).resolve() == ROOT / "bench":
    sys.path[0] = str(ROOT)

from hotline.base.config import load_config  # noqa: E402
from hotline.rotas.coverage import check  # noqa: E402
from hotline.rotas.policy import OncallSettings  # noqa: E402
from hotline.rotas.resolve import resolve_contacts  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--weeks", type=int, default=4)
    p.add_argument("--repeat", type=int, default=5)
    args = p.parse_args(argv)
    cfg = load_config(ROOT / "config.toml", env={})
    oncall = cfg.section(OncallSettings)
    start = datetime(2026, 12, 7, 1, tzinfo=UTC)
    runs, checks = [], 0
    for _ in range(args.repeat):
        t = time.perf_counter()
        gaps, checks = check(oncall, cfg.people, cfg.incident_types, cfg.languages, start, args.weeks)
        runs.append(time.perf_counter() - t)
    policy = oncall.policy_for("cyber_security")
    samples = 2000
    t = time.perf_counter()
    for i in range(samples):
        resolve_contacts(policy, oncall.rotas, (), start + timedelta(hours=i), people=cfg.people,
                         fallback=oncall.fallback)
    one = (time.perf_counter() - t) / samples
    took = statistics.median(runs)
    baseline = one * checks
    print(f"coverage: {args.weeks} weeks x {len(cfg.incident_types)} types hourly = {checks} checks, "
          f"{len(gaps)} gap(s)")
    print(f"  check: {took * 1000:.1f} ms (median of {args.repeat})")
    print(f"  baseline: one resolver call {one * 1e6:.1f} us x {checks} checks = {baseline * 1000:.1f} ms")
    print(f"  ratio check / baseline: {took / baseline:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Layered rota resolver benchmark: `python3 run.py bench rotas [--repeat 3]`.

Resolves whom to ring for every incident type of the shipped config.toml, hourly for one year
(8,760 x 7 checks), with 40 overrides spread over the year:

- layered: every rota given three layers (its weekly turn, a weekend-daytime layer, a nightly
  22:00-07:00 layer), through today's resolver (`hotline.rotas.resolve.resolve_contacts`);
- baseline: the same checks with the shipped weekly rotas through the resolver as it was before
  layers (`tests/support/weekly_rota.py`, kept verbatim), in the same run.

Prints both times and their ratio (issue #28's target: at most 2), and the weekly rotas through
today's resolver against the same baseline (a weekly rota should cost no more than before).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from datetime import time as clock
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if sys.path and Path(sys.path[0]).resolve() == ROOT / "bench":
    sys.path[0] = str(ROOT)

from hotline.base.config import load_config  # noqa: E402
from hotline.rotas.policy import Layer, OncallSettings, Override, Rota, Window  # noqa: E402
from hotline.rotas.resolve import resolve_contacts  # noqa: E402
from tests.support import weekly_rota  # noqa: E402

START = datetime(2027, 1, 1, tzinfo=UTC)
HOURS = 8760


def three_layers(rota: Rota) -> Rota:
    base = rota.layers[0]
    weekends = Layer("weekends", tuple(reversed(base.members)), base.start, clock(8), 24,
                     (Window(frozenset({5, 6}), clock(8), clock(20)),))
    every_night = Window(frozenset(range(7)), clock(22), clock(7))
    nights = Layer("nights", base.members, base.start, clock(22), 24, (every_night,))
    return Rota(rota.key, rota.members, rota.handoff_weekday, rota.handoff_time, rota.timezone, rota.start,
                rota.shift_weeks, rota.overrides, (base, weekends, nights))


def overrides(rotas: Mapping[str, Rota], people: Sequence[str]) -> tuple[Override, ...]:
    keys = sorted(rotas)
    return tuple(Override(keys[i % len(keys)], people[i % len(people)], START + timedelta(hours=i * 211),
                          START + timedelta(hours=i * 211 + 14)) for i in range(40))


def run(resolve: Callable[..., object], settings: OncallSettings, rotas: Mapping[str, Rota], types: Sequence[str],
        extra: Sequence[Override], people: Mapping[str, object]) -> tuple[float, int]:
    policies = [settings.policy_for(t) for t in types]
    checks = 0
    t = time.perf_counter()
    for hour in range(HOURS):
        now = START + timedelta(hours=hour)
        for policy in policies:
            resolve(policy, rotas, extra, now, people=people, fallback=settings.fallback)
            checks += 1
    return time.perf_counter() - t, checks


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--repeat", type=int, default=3)
    args = p.parse_args(argv)
    cfg = load_config(ROOT / "config.toml", env={})
    settings = cfg.section(OncallSettings)
    types = list(cfg.incident_types)
    layered = {k: three_layers(r) for k, r in settings.rotas.items()}
    extra = overrides(settings.rotas, list(cfg.people))
    times: dict[str, list[float]] = {"baseline": [], "layered": [], "weekly": []}
    checks = 0
    for _ in range(args.repeat):  # interleaved, so a busy machine slows all three alike
        took, checks = run(weekly_rota.resolve_contacts, settings, settings.rotas, types, extra, cfg.people)
        times["baseline"].append(took)
        times["layered"].append(run(resolve_contacts, settings, layered, types, extra, cfg.people)[0])
        times["weekly"].append(run(resolve_contacts, settings, settings.rotas, types, extra, cfg.people)[0])
    med = {k: statistics.median(v) for k, v in times.items()}
    print(f"rotas: one year hourly x {len(types)} types = {checks} checks, {len(extra)} overrides")
    print(f"  baseline (weekly rotas, the resolver before layers): {med['baseline'] * 1000:.0f} ms")
    print(f"  layered (three layers per rota, today's resolver):   {med['layered'] * 1000:.0f} ms")
    print(f"  weekly rotas through today's resolver:               {med['weekly'] * 1000:.0f} ms")
    print(f"  ratio layered / baseline: {med['layered'] / med['baseline']:.2f} (target <= 2)")
    print(f"  ratio weekly / baseline:  {med['weekly'] / med['baseline']:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

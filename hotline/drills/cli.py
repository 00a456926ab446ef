"""`python run.py drill create|list|start|inject|stop|finish|report|coverage`: drills from a terminal.

Each command is the lifecycle's own (`hotline.drills.commands`), acted as the shell user. A
drill is created from a `[drills.scenarios.NAME]` of config.toml or from options; either way the
scenario is checked as config.toml is, and a bad one is refused with the key and the fix.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from datetime import UTC, datetime
from typing import Any, TextIO

from sqlalchemy import select

from hotline.base.config import Config
from hotline.base.db import create_schema
from hotline.base.lifecycle import Actor, Channel
from hotline.base.runtime import get_runtime
from hotline.drills import commands as drills
from hotline.drills import report as drill_report
from hotline.drills.models import Drill, DrillKind, DrillState
from hotline.drills.settings import DrillSettings, check_scenario
from hotline.rotas.coverage import check as coverage_check
from hotline.rotas.models import stored_overrides
from hotline.rotas.policy import OncallSettings


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="run.py drill", description="Plan, run and measure drills.")
    sub = p.add_subparsers(dest="command", required=True)
    create = sub.add_parser("create", help="a drill from a scenario in config.toml, or from these options")
    create.add_argument("--scenario", help="a [drills.scenarios.NAME] of config.toml")
    create.add_argument("--kind", choices=list(DrillKind))
    create.add_argument("--type", dest="type_key", help="an [incident_types] key")
    create.add_argument("--severity", default="unknown")
    create.add_argument("--policy")
    create.add_argument("--participants", default="", help="person keys, comma-separated")
    create.add_argument("--text", default="", help="the report, spoken by text-to-speech")
    create.add_argument("--inbound-from", help="full_scale: the report is a real call from this number")
    create.add_argument("--whole-plan", action="store_true",
                        help="go on through the crisis plan in drill mode (nothing public, only participants called)")
    create.add_argument("--start", action="store_true", help="start it at once")
    ls = sub.add_parser("list", help="drills, newest first")
    ls.add_argument("--limit", type=int, default=30)
    for name, text in (("start", "start a drill (it waits while a real incident is open)"),
                       ("finish", "finish a running drill"), ("report", "a drill's results")):
        one = sub.add_parser(name, help=text)
        one.add_argument("id", type=int)
        if name == "report":
            one.add_argument("--csv", action="store_true", help="as CSV")
    stop = sub.add_parser("stop", help="stop a drill: its calls end, its reports are closed")
    stop.add_argument("id", type=int)
    stop.add_argument("--reason", default="stopped from the command line")
    inject = sub.add_parser("inject", help="an event during a running drill")
    inject.add_argument("id", type=int)
    inject.add_argument("event", choices=list(drills.INJECTIONS))
    cov = sub.add_parser("coverage", help="replay the coming weeks hour by hour against the rotas and policies")
    cov.add_argument("--weeks", type=int, default=4)
    return p


def main(argv: list[str] | None = None, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    args = _parser().parse_args(argv)
    rt = get_runtime()
    cfg = rt.config
    create_schema(rt.db.engine)
    if args.command == "coverage":
        return _coverage(cfg, args.weeks, out)
    actor = Actor(_user(), Channel.CLI)
    if args.command == "create":
        return _create(cfg, args, actor, out)
    if args.command == "list":
        return _list(args.limit, out)
    if args.command == "report":
        return _report(cfg, args.id, args.csv, out)
    result = {
        "start": lambda: drills.run(drills.start, cfg, args.id, actor),
        "stop": lambda: drills.run(drills.end, args.id, DrillState.STOPPED, actor, args.reason),
        "finish": lambda: drills.run(drills.end, args.id, DrillState.FINISHED, actor, "finished from the command line"),
        "inject": lambda: drills.run(drills.inject, cfg, args.id, args.event, actor),
    }[args.command]()
    print(result.message or result.code, file=out)
    return 0 if result.ok else 1


def _create(cfg: Config, args: Any, actor: Actor, out: TextIO) -> int:
    if args.scenario:
        scenario = cfg.section(DrillSettings).scenarios.get(args.scenario)
        if scenario is None:
            known = ", ".join(sorted(cfg.section(DrillSettings).scenarios)) or "(none)"
            print(f"no scenario {args.scenario!r} in [drills.scenarios]; use one of: {known}", file=out)
            return 2
    else:
        spec: dict[str, Any] = {"kind": args.kind, "type": args.type_key, "severity": args.severity,
                                "report_text": args.text,
                                "participants": [p for p in args.participants.split(",") if p]}
        if args.policy:
            spec["policy"] = args.policy
        if args.inbound_from:
            spec["inbound_from"] = args.inbound_from
        if args.whole_plan:
            spec["whole_plan"] = True
        found, problems = check_scenario(cfg, "", spec, "command line", at="drill")
        if found is None:
            for problem in problems:
                print(f"refused: {problem.key} = {problem.value!r}: {problem.fix}", file=out)
            return 2
        scenario = found
    created = drills.run(drills.create, cfg, scenario, actor)
    print(created.message, file=out)
    if args.start and created.drill_id is not None:
        started = drills.run(drills.start, cfg, created.drill_id, actor)
        print(started.message, file=out)
        return 0 if started.ok else 1
    return 0


def _list(limit: int, out: TextIO) -> int:
    with get_runtime().db.session() as s:
        rows = list(s.scalars(select(Drill).order_by(Drill.id.desc()).limit(limit)))
        if not rows:
            print("no drills", file=out)
            return 0
        print(f"{'id':>4}  {'kind':<11} {'state':<9} {'type':<20} {'participants':<28} when", file=out)
        for d in rows:
            when = d.started_at or d.scheduled_for
            shown = when.isoformat(timespec="minutes") if when and d.started_at else "-"  # a surprise stays secret
            note = f"  ({d.wait_reason})" if d.state == DrillState.WAITING and d.wait_reason else ""
            print(f"{d.id:>4}  {d.kind:<11} {d.state:<9} {d.type_key:<20} {','.join(d.participants)[:28]:<28} "
                  f"{shown}{note}", file=out)
    return 0


def _report(cfg: Config, drill_id: int, as_csv: bool, out: TextIO) -> int:
    with get_runtime().db.session() as s:
        results = drill_report.load(s, drill_id, cfg.section(DrillSettings).targets)
    if results is None:
        print(f"no drill {drill_id}", file=out)
        return 1
    if as_csv:
        out.write(drill_report.to_csv(results))
        return 0

    def secs(v: float | None) -> str:
        return "never" if v is None else f"{v:g} s"

    print(f"drill {drill_id}: first ring {secs(results.first_ring_seconds)}, first answer "
          f"{secs(results.first_answer_seconds)}, accepted {secs(results.accept_seconds)}"
          f"{' by ' + results.accepted_by if results.accepted_by else ''}", file=out)
    for p in results.people:
        print(f"  {p.name}: rang {p.rang}, answered {p.answered}, accepted {'yes' if p.accepted else 'no'}", file=out)
    for f in results.failures:
        print(f"  failed: {f}", file=out)
    for m in results.misses:
        print(f"  missed target: {m}", file=out)
    return 0


def _coverage(cfg: Config, weeks: int, out: TextIO) -> int:
    """With the overrides made in the console too: paging rings whom they name."""
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    with get_runtime().db.session() as s:
        overrides = stored_overrides(s, start)
    gaps, checks = coverage_check(cfg.section(OncallSettings), cfg.people, cfg.incident_types, cfg.languages, start,
                                  weeks, overrides=overrides)
    for gap in gaps:
        print(gap, file=out)
    print(f"{checks} checks over {weeks} weeks x {len(cfg.incident_types)} types: "
          f"{len(gaps)} gap(s)" if gaps else f"{checks} checks over {weeks} weeks: no gap", file=out)
    return 1 if gaps else 0


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no user name in some containers
        return "unknown"

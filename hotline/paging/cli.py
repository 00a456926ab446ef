"""`python run.py callout list|stop|page-again|close|reopen|cycle`: see and steer paging from a terminal.

Each command is the lifecycle's own, acted as the shell user, and takes the report's reference
number as people see it (e.g. 1042). Stopping paging needs a reason; it is shown wherever the
incident is ("paging stopped by X: reason") until someone pages again.
"""

from __future__ import annotations

import argparse
import sys
from typing import TextIO

from sqlalchemy import select

from hotline.base.cycle import run_cycle
from hotline.base.runtime import get_runtime
from hotline.base.states import CALLOUT_ACTIVE, CalloutState
from hotline.base.terminal import act_on_report, shell_user
from hotline.paging import commands
from hotline.paging.models import Callout


def main(argv: list[str] | None = None, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    parser = argparse.ArgumentParser(prog="run.py callout", description="See and steer paging.")
    sub = parser.add_subparsers(dest="command", required=True)
    ls = sub.add_parser("list", help="callouts still running (all recent ones with --all)")
    ls.add_argument("--all", action="store_true", help="include accepted and cancelled callouts")
    ls.add_argument("--limit", type=int, default=50)
    ls.add_argument("--drills", action="store_true", help="drills' callouts instead of real ones")
    stop = sub.add_parser("stop", help="stop paging for a report (needs --reason)")
    stop.add_argument("ref", help="the report's reference number, e.g. 1042")
    stop.add_argument("--reason", required=True)
    again = sub.add_parser("page-again", help="resume paging for a report whose paging was stopped")
    again.add_argument("ref")
    close = sub.add_parser("close", help="close (resolve) a report")
    close.add_argument("ref")
    close.add_argument("--note", default="")
    reopen = sub.add_parser("reopen", help="reopen a closed report")
    reopen.add_argument("ref")
    reopen.add_argument("--reason", default="")
    sub.add_parser("cycle", help="run one pass of the convergence cycle now (what the engine does every few seconds)")
    args = parser.parse_args(argv)
    if args.command == "list":
        return _list(out, args.all, args.limit, args.drills)
    if args.command == "cycle":
        print(f"convergence: {run_cycle(every_active=True)}", file=out)
        return 0
    actor = shell_user()
    commands_by_name = {
        "stop": lambda i: (commands.stop_paging, i, actor, args.reason),
        "page-again": lambda i: (commands.page_again, i, actor),
        "close": lambda i: (commands.resolve, i, actor, args.note),
        "reopen": lambda i: (commands.reopen, i, actor, args.reason),
    }
    return act_on_report(out, args.ref, commands_by_name[args.command])


def _list(out: TextIO, everything: bool, limit: int, drills: bool = False) -> int:
    with get_runtime().db.session() as s:
        # A drill's callouts are never among the real ones (`--drills` lists them instead).
        q = select(Callout).where(Callout.drill_id.is_not(None) if drills else Callout.drill_id.is_(None))
        q = q.order_by(Callout.id.desc()).limit(limit)
        if not everything:
            q = q.where(Callout.state.in_(CALLOUT_ACTIVE))
        callouts = list(s.scalars(q))
        if not callouts:
            print("no callouts running" if not everything else "no callouts", file=out)
            return 0
        print(f"{'id':>5}  {'state':<15} {'type':<20} {'reports':<24} {'round':>5}  last call", file=out)
        for c in callouts:
            refs = ",".join(i.ref or str(i.id) for i in c.incidents[:4]) + ("..." if len(c.incidents) > 4 else "")
            last = c.attempts[-1] if c.attempts else None
            last_text = f"{last.person_name} ({last.outcome or last.state})" if last else "-"
            if c.state == CalloutState.ACCEPTED:
                last_text = f"accepted by {c.accepted_by_name}"
            print(f"{c.id:>5}  {c.state:<15} {c.type_key:<20} {refs:<24} {c.round:>5}  {last_text}", file=out)
    return 0

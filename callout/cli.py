"""`python run.py callout list|cancel|reconcile`: see and stop callouts from a terminal.

Cancelling is the only way an UNACKNOWLEDGED callout stops repeating short of someone
accepting, so it takes the report's reference number as people see it (e.g. 1042).
"""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import TextIO

from sqlalchemy import select

from callout.closeout import cancel_callout
from callout.engine import callout_for_incident
from callout.states import CalloutState
from hotline.base.callout_models import Callout
from hotline.base.models import Incident
from hotline.base.runtime import get_runtime


def main(argv: list[str] | None = None, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    parser = argparse.ArgumentParser(prog="run.py callout", description="See and stop callouts.")
    sub = parser.add_subparsers(dest="command", required=True)
    ls = sub.add_parser("list", help="callouts still running (all recent ones with --all)")
    ls.add_argument("--all", action="store_true", help="include accepted and cancelled callouts")
    ls.add_argument("--limit", type=int, default=50)
    cancel = sub.add_parser("cancel", help="stop the callout for a report")
    cancel.add_argument("ref", help="the report's reference number, e.g. 1042")
    cancel.add_argument("--reason", default="cancelled by an administrator")
    sub.add_parser("reconcile", help="re-queue all pending callout work (what a worker does at start)")
    args = parser.parse_args(argv)
    if args.command == "list":
        return _list(out, args.all, args.limit)
    if args.command == "cancel":
        return _cancel(out, args.ref, args.reason)
    from callout.reconcile import run

    print(f"re-queued: {run()}", file=out)
    return 0


def _list(out: TextIO, everything: bool, limit: int) -> int:
    with get_runtime().db.session() as s:
        q = select(Callout).order_by(Callout.id.desc()).limit(limit)
        if not everything:
            q = q.where(Callout.state.in_(CalloutState.ACTIVE))
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


def _cancel(out: TextIO, ref: str, reason: str) -> int:
    with get_runtime().db.session() as s:
        incident = s.scalar(select(Incident).where(Incident.ref == ref.strip()))
        callout = callout_for_incident(s, incident.id) if incident else None
        callout_id, state = (callout.id, callout.state) if callout else (None, None)
    if incident is None:
        print(f"no report with reference {ref}", file=out)
        return 1
    if callout_id is None:
        print(f"report {ref} has no callout", file=out)
        return 1
    if not cancel_callout(callout_id, reason, actor=f"cli:{_user()}"):
        print(f"callout {callout_id} for report {ref} had already ended ({state})", file=out)
        return 1
    print(f"callout {callout_id} for report {ref} cancelled", file=out)
    return 0


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no user name in some containers
        return "unknown"

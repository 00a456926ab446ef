"""What a feature's `run.py` command needs to act on a report from a terminal: the shell user as
the actor, and a report found by the reference people see (e.g. 1042)."""

from __future__ import annotations

import getpass
from collections.abc import Callable
from typing import Any, TextIO

from sqlalchemy import select

from hotline.base import jobs
from hotline.base.lifecycle import Actor, Channel
from hotline.base.models import Incident
from hotline.base.runtime import get_runtime


def act_on_report(out: TextIO, ref: str, command: Callable[[int], tuple[Any, ...]]) -> int:
    """Run `command(incident_id)` (a command and its arguments) on the report `ref`; print what came of it."""
    with get_runtime().db.session() as s:
        incident_id = s.scalar(select(Incident.id).where(Incident.ref == ref.strip()))
    if incident_id is None:
        print(f"no report with reference {ref}", file=out)
        return 1
    fn, *rest = command(incident_id)
    result, queued = jobs.run_and_queue(fn, *rest)
    print(f"report {ref}: {result.message or result.code}", file=out)
    if not queued:
        print("  what follows (ending calls, paging) is done by the hotline's convergence cycle: within seconds "
              "while `python3 run.py` runs, else when it starts", file=out)
    return 0 if result.ok else 1


def shell_user() -> Actor:
    """The person at the terminal, as the lifecycle records them."""
    try:
        name = getpass.getuser()
    except Exception:  # noqa: BLE001 - no user name in some containers
        name = "unknown"
    return Actor(name, Channel.CLI)

"""`python3 run.py hold REF --reason TEXT` (and `--release`): legal hold on a report from a terminal.

A held report's recordings and transcripts outlive the retention policy until the hold is
released; both are lifecycle commands (`hotline.retention.legal_hold`), acted as the shell user.
"""

from __future__ import annotations

import argparse
import sys
from typing import TextIO

from hotline.base.terminal import act_on_report, shell_user
from hotline.retention import legal_hold


def main(argv: list[str] | None = None, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    parser = argparse.ArgumentParser(prog="run.py hold", description="Keep a report's recordings and transcripts "
                                     "past the retention policy (legal hold), or end the hold.")
    parser.add_argument("ref", help="the report's reference number, e.g. 1042")
    parser.add_argument("--reason", required=True, help="why (a court order, a complaint ...): kept in the audit")
    parser.add_argument("--release", action="store_true", help="end the hold: retention applies again")
    args = parser.parse_args(argv)
    actor = shell_user()
    command = legal_hold.release_hold if args.release else legal_hold.hold
    return act_on_report(out, args.ref, lambda i: (command, i, actor, args.reason))

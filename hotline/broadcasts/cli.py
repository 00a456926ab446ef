"""`run.py broadcast send|list|show|approve|cancel`: broadcasts from a terminal.

    python3 run.py broadcast send --groups all_staff --channels sms,email --ask-safety \
        --message "en-US=Earthquake: leave the building by the stairs." --message "zh-TW=地震：請走樓梯離開大樓。"
    python3 run.py broadcast show 3          # tallies per group and site, who needs help

Under the two-person rule a broadcast sent from here waits until a second person approves it
(`broadcast approve ID` as another user, or the console).
"""

from __future__ import annotations

import argparse
import sys
from typing import TextIO

from sqlalchemy import select

from hotline.base import jobs
from hotline.base.db import create_schema
from hotline.base.runtime import get_runtime
from hotline.base.terminal import shell_user
from hotline.broadcasts import commands, tally
from hotline.broadcasts.models import Broadcast
from hotline.broadcasts.settings import BroadcastSettings


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="run.py broadcast", description="Tell groups of the directory something.")
    sub = ap.add_subparsers(dest="command", required=True)
    send = sub.add_parser("send", help="a new broadcast (sent now, or once approved under the two-person rule)")
    send.add_argument("--groups", required=True, help="directory group keys, comma-separated")
    send.add_argument("--channels", default="sms,email,push", help="in the order they are tried: sms,voice,email,push")
    send.add_argument("--message", action="append", required=True,
                      help="LANG=TEXT (repeat per language) or TEXT for the default language")
    send.add_argument("--title", default="")
    send.add_argument("--ask-safety", action="store_true", help='ask "are you safe?" (1 safe, 2 need help)')
    sub.add_parser("list", help="the latest broadcasts")
    for name, text in (("show", "tallies, who needs help, who has not answered"), ("approve", "approve a draft"),
                       ("cancel", "withdraw a draft or stop sending")):
        sub.add_parser(name, help=text).add_argument("id", type=int)
    return ap


def main(argv: list[str], out: TextIO | None = None) -> int:
    out = out or sys.stdout
    args = _parser().parse_args(argv)
    rt = get_runtime()
    cfg = rt.config
    create_schema(rt.db.engine)
    actor = shell_user()
    if args.command == "send":
        bodies = {}
        for item in args.message:
            lang, eq, text = item.partition("=")
            bodies[lang if eq and lang in cfg.languages else cfg.default_language] = text if eq and \
                lang in cfg.languages else item
        settings = cfg.section(BroadcastSettings)
        spec = commands.Spec(args.title, bodies, tuple(g.strip() for g in args.groups.split(",") if g.strip()),
                             tuple(c.strip() for c in args.channels.split(",") if c.strip()),
                             "safety" if args.ask_safety else None, settings.retry_minutes, settings.help_type,
                             source="cli")
        result = jobs.run(commands.draft, spec, actor, settings.two_person_rule)
    elif args.command == "approve":
        result = jobs.run(commands.approve, args.id, actor)
    elif args.command == "cancel":
        result = jobs.run(commands.cancel, args.id, actor)
    elif args.command == "list":
        with rt.db.session() as s:
            for b in s.scalars(select(Broadcast).order_by(Broadcast.id.desc()).limit(50)):
                print(f"{b.id:>5}  {b.state:<9} {b.recipients_total:>6} people  {','.join(b.groups):<24} {b.title}",
                      file=out)
        return 0
    else:
        return _show(args.id, out)
    print(result.message or result.code, file=out)
    return 0 if result.ok else 1


def _show(broadcast_id: int, out: TextIO) -> int:
    with get_runtime().db.session() as s:
        t = tally.tally(s, broadcast_id)
    if t is None:
        print(f"no broadcast {broadcast_id}", file=out)
        return 1
    b, q = t.broadcast, t.question
    print(f"broadcast {b.id} ({b.state}): {b.title}; {t.overall.total} people", file=out)
    names = [f"{a.key} {a.label.get('en-US', a.key)}" for a in q.answers] if q else []
    for name, c in [("everyone", t.overall), *sorted(t.by_group.items()), *(("site " + k, v) for k, v in
                                                                          t.by_site.items())]:
        answers = ", ".join(f"{n}: {c.answers[n.split()[0]]}" for n in names)
        print(f"  {name:<24} {c.total:>6}  {answers or f'reached: {c.reached}'}; waiting {c.waiting}; "
              f"unreachable {c.unreachable}", file=out)
    for p in t.needs_help:
        print(f"  NEEDS HELP: {p.name} ({p.site}) {p.phone or ''} report {p.incident_ref or '-'}", file=out)
    return 0

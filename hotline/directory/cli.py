"""`run.py directory import FILE | list | groups | group KEY --rule "site = Taipei" [--name NAME]`.

The import prints what it did and every refused row with its line and reason, so whoever ran the
HR export can fix the source and import again (matched rows are updated, not doubled).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TextIO

from sqlalchemy import select

from hotline.base.db import create_schema
from hotline.base.runtime import get_runtime
from hotline.base.terminal import shell_user
from hotline.directory import commands, groups
from hotline.directory.models import DirectoryGroup, DirectoryPerson


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="run.py directory", description="People and groups that broadcasts reach.")
    sub = ap.add_subparsers(dest="command", required=True)
    imp = sub.add_parser("import", help="add or update people from an HR export (CSV)")
    imp.add_argument("file", type=Path, help="columns: name, phone, email, department, site, language")
    sub.add_parser("list", help="everyone in the directory")
    sub.add_parser("groups", help="the groups and how many people each has now")
    grp = sub.add_parser("group", help="make or change a group")
    grp.add_argument("key")
    grp.add_argument("--rule", default="", help='e.g. "site = Taipei; department = HR" (empty: hand-picked)')
    grp.add_argument("--name", default="")
    return ap


def main(argv: list[str], out: TextIO | None = None) -> int:
    out = out or sys.stdout
    args = _parser().parse_args(argv)
    rt = get_runtime()
    cfg = rt.config
    create_schema(rt.db.engine)
    with rt.db.session() as s:
        if args.command == "import":
            try:
                text = args.file.read_text(encoding="utf-8-sig")
            except (OSError, UnicodeDecodeError) as exc:
                print(f"directory import: cannot read {args.file}: {exc}", file=sys.stderr)
                return 2
            report = commands.import_people(s, text, shell_user(), cfg.default_region, cfg.languages)
            print(f"added {report.added}, updated {report.updated}, unchanged {report.unchanged}, "
                  f"refused {len(report.refused)}", file=out)
            for r in report.refused:
                print(f"  line {r.line}: {r.reason}", file=out)
            return 1 if report.refused else 0
        if args.command == "list":
            for p in s.scalars(select(DirectoryPerson).where(DirectoryPerson.active.is_(True))
                               .order_by(DirectoryPerson.site, DirectoryPerson.name)):
                print(f"{p.id:>6}  {p.name:<30} {p.phone or '-':<16} {p.email or '-':<32} {p.site}/{p.department} "
                      f"{p.language} {','.join(p.channels)}", file=out)
            return 0
        if args.command == "groups":
            for g in s.scalars(select(DirectoryGroup).order_by(DirectoryGroup.key)):
                print(f"{g.key:<20} {groups.count(s, g):>6} people  {groups.rule_text(g.rules) or '(by hand)'}",
                      file=out)
            return 0
        result = commands.save_group(s, args.key, args.name or args.key, args.rule, shell_user())
    print(result.message, file=out)
    return 0 if result.ok else 1

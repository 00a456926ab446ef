"""`run.py integrations add|list|rotate|revoke` and `run.py events test FILE.json`.

Keys and HMAC secrets are printed once, at `add` and `rotate`; only their hashes are kept
(the HMAC secret is kept, since checking a signature needs it, but never shown again).
`events test` reads an Events v2 or Alertmanager body and prints the rule it would hit for an
integration's type (or `--type`), creating nothing.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TextIO

from sqlalchemy.orm import Session

from hotline.base.config import Config
from hotline.base.db import create_schema
from hotline.base.runtime import get_runtime
from hotline.base.terminal import shell_user
from hotline.events import integrations, parse
from hotline.events.rules import decide, describe
from hotline.events.settings import EventSettings


def integrations_main(argv: list[str], out: TextIO | None = None) -> int:
    out = out or sys.stdout
    ap = argparse.ArgumentParser(prog="run.py integrations", description="Who may send events, with which key.")
    sub = ap.add_subparsers(dest="command", required=True)
    add = sub.add_parser("add", help="a new integration; prints its key once")
    add.add_argument("name")
    add.add_argument("--type", required=True, help="the incident type its events open, e.g. cyber_security")
    add.add_argument("--hmac", action="store_true", help="also require a signed body (prints the secret once)")
    sub.add_parser("list", help="every integration, its type and state (never its key)")
    for name, text in (("rotate", "a new key (and secret); the old one stops working now"),
                       ("revoke", "no key opens it any more; its history stays")):
        sub.add_parser(name, help=text).add_argument("name")
    args = ap.parse_args(argv)
    cfg = get_runtime().config
    if args.command == "add" and args.type not in cfg.incident_types:
        print(f"integrations: no incident type {args.type!r}; use one of: {', '.join(cfg.incident_types)}",
              file=sys.stderr)
        return 2
    db = get_runtime().db
    create_schema(db.engine)
    try:
        with db.session() as s:
            if args.command == "list":
                return _list(s, out)
            if args.command == "revoke":
                integrations.revoke(s, args.name, shell_user().who)
                print(f"integration {args.name}: revoked", file=out)
                return 0
            creds = (integrations.add(s, args.name, args.type, args.hmac, shell_user().who) if args.command == "add"
                     else integrations.rotate(s, args.name, shell_user().who))
    except integrations.IntegrationError as exc:
        print(f"integrations: {exc}", file=sys.stderr)
        return 1
    _show(cfg, creds, out)
    return 0


def _list(s: Session, out: TextIO) -> int:
    rows = integrations.listing(s)
    if not rows:
        print("no integrations; add one with `run.py integrations add NAME --type TYPE`", file=out)
        return 0
    print(f"{'name':<24} {'type':<20} {'state':<8} {'hmac':<5} {'created':<17} {'rotated':<17} revoked", file=out)
    for r in rows:
        print(f"{r.name:<24} {r.type_key:<20} {integrations.state(r):<8} {'yes' if r.hmac_secret else 'no':<5} "
              f"{integrations.when(r.created_at):<17} {integrations.when(r.rotated_at):<17} "
              f"{integrations.when(r.revoked_at)}", file=out)
    return 0


def _show(cfg: Config, creds: integrations.Credentials, out: TextIO) -> None:
    print(f"integration {creds.name}: key (shown once, store it in the sending tool):\n  {creds.key}", file=out)
    if creds.hmac_secret:
        print(f"HMAC secret (shown once; sign each body, see README):\n  {creds.hmac_secret}", file=out)
    print(f"Events API v2: POST {cfg.public_url}/events/v2/enqueue with routing_key = the key\n"
          f"Alertmanager:  url {cfg.public_url}/events/alertmanager, "
          f"http_config.authorization.credentials = the key", file=out)


def events_main(argv: list[str], out: TextIO | None = None) -> int:
    out = out or sys.stdout
    ap = argparse.ArgumentParser(prog="run.py events", description="Try the activation rules on an event.")
    sub = ap.add_subparsers(dest="command", required=True)
    test = sub.add_parser("test", help="which rule an event would hit; creates nothing")
    test.add_argument("file", help="an Events API v2 body or an Alertmanager notification (JSON)")
    test.add_argument("--type", help="the incident type (default: from the body's routing_key integration)")
    args = ap.parse_args(argv)
    cfg = get_runtime().config
    settings = cfg.section(EventSettings)
    try:
        body = json.loads(Path(args.file).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        print(f"events test: cannot read {args.file}: {exc}", file=sys.stderr)
        return 2
    is_alertmanager = isinstance(body, dict) and "alerts" in body and "groupKey" in body
    event, errors = parse.alertmanager(body) if is_alertmanager else parse.events_v2(body)
    if event is None:
        print("invalid event:\n" + "\n".join(f"  - {e}" for e in errors), file=out)
        return 1
    type_key = args.type or _type_of(body)
    if type_key not in cfg.incident_types:
        print(f"events test: give --type (one of: {', '.join(cfg.incident_types)}); the body names no "
              "known integration", file=sys.stderr)
        return 2
    rules = settings.rules.get(type_key)
    verdict, rule, reason = decide(event, rules, type_key)
    print(f"format: {'alertmanager' if is_alertmanager else 'events v2'}; action {event.action}; "
          f"dedup_key {event.dedup_key}", file=out)
    print(f"type {type_key}: " + ("; ".join(describe(rules.rules)) if rules and rules.rules else "no rules")
          + f"; otherwise {rules.otherwise if rules else 'page'}", file=out)
    print(f"verdict: {verdict} ({reason})" if event.action == "trigger"
          else f"verdict: {event.action} of the open incident for this key (rules apply to triggers)", file=out)
    return 0


def _type_of(body: object) -> str | None:
    key = body.get("routing_key") if isinstance(body, dict) else None
    if not isinstance(key, str):
        return None
    try:
        with get_runtime().db.session() as s:
            found = integrations.find(s, key)
    except Exception:  # noqa: BLE001 - no database yet: --type is needed
        return None
    return found.type_key if found else None


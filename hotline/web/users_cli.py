"""`run.py users add NAME --role admin|viewer [--person KEY]`: hash a console password and print the
config.toml lines to paste. Only the hash is printed: config.toml is committed.

The password is prompted for twice on a terminal, or read from the first line of stdin
when stdin is not a terminal (scripts, `echo ... | run.py users add`).
"""

from __future__ import annotations

import argparse
import getpass
import sys

from werkzeug.security import generate_password_hash

from hotline.web.settings import ROLES, USER_RE

MIN_LENGTH = 10


def _read_password() -> str | None:
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("new console password: ")
    if getpass.getpass("again: ") != first:
        print("users: the two passwords differ", file=sys.stderr)
        return None
    return first


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="run.py users", description="Console users (stored as hashes in config.toml).")
    sub = ap.add_subparsers(dest="action", required=True)
    add = sub.add_parser("add", help="hash a password and print the [console.users.NAME] lines to paste")
    add.add_argument("name")
    add.add_argument("--role", choices=ROLES, required=True)
    add.add_argument("--person", help="the [people] key this login is (its Accept takes incidents as theirs)")
    args = ap.parse_args(argv)
    if not USER_RE.match(args.name):
        print("users: use letters, digits, '_', '.' or '-' for the name (at most 64)", file=sys.stderr)
        return 2
    password = _read_password()
    if password is None:
        return 1
    if len(password) < MIN_LENGTH:
        print(f"users: use at least {MIN_LENGTH} characters", file=sys.stderr)
        return 1
    print("# paste into config.toml:")
    print(f"[console.users.{args.name}]")
    print(f'role = "{args.role}"')
    print(f'password_hash = "{generate_password_hash(password)}"')
    if args.person:
        print(f'person = "{args.person}"')
    return 0

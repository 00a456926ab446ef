"""Print a password hash for `[console.users.NAME] password_hash`: python -m hotline.console.hashpw"""

from __future__ import annotations

import getpass
import sys

from werkzeug.security import generate_password_hash


def main() -> int:
    first = getpass.getpass("new console password: ")
    if len(first) < 10:
        print("use at least 10 characters", file=sys.stderr)
        return 1
    if getpass.getpass("again: ") != first:
        print("the two passwords differ", file=sys.stderr)
        return 1
    print(generate_password_hash(first))
    return 0


if __name__ == "__main__":
    sys.exit(main())

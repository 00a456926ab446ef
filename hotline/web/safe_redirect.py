"""Where the console may send a browser after login: a path on this site, nothing else.

`next=` comes from the URL, so anyone can craft it. Browsers drop tabs and newlines from URLs and
treat `\\` like `/`, so "/\\t/evil.example" or "/\\\\evil.example" become "//evil.example", another
site. Only a plain absolute path survives; everything else is replaced by the home page.
Every redirect whose target comes from a request (login, language switch, actions, callback
marks) goes through `same_origin_path`; tests/console/test_open_redirect.py keeps it so.
"""

from __future__ import annotations

from urllib.parse import urlsplit


def same_origin_path(target: str | None) -> str | None:
    """`target` when it is a path on this site (with any query), else None."""
    if not target or not target.startswith("/") or len(target) > 2000:
        return None
    if any(ch < " " or ch in "\\\x7f" or not ch.isprintable() for ch in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or target.startswith("//"):
        return None
    return target

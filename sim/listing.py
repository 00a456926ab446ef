"""How Twilio's list endpoints filter and page (Calls.json, Recordings.json, ...), in one place.

Documented behaviour reproduced here:
- newest first (by DateCreated);
- date filters: `DateCreated` on Recordings, `StartTime` / `EndTime` on Calls, each also as an
  inequality: the query key `DateCreated>` (written `DateCreated>=2009-07-06` in a URL) keeps what
  was created on or after that moment, `DateCreated<` on or before it. A value is a day in GMT
  (`YYYY-MM-DD`: midnight starting that day) or, as the helper libraries send it, an instant
  (`YYYY-MM-DDTHH:MM:SSZ`); the plain key keeps that day (or that second). A value that is neither
  is refused (400, code 20001);
- paging: `PageSize` (default 50, at most 1000); each page names `first_page_uri`, `uri`,
  `previous_page_uri` and `next_page_uri` (null on the last page), `start`, `end`, `page`,
  `page_size`. The next page's `PageToken` is a cursor (`PA` + the SID of the page's last item),
  so a record created while a client walks the pages does not shift or repeat the later ones.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar
from urllib.parse import urlencode

T = TypeVar("T")


class BadFilter(ValueError):
    """A date filter Twilio would refuse."""


def parse_when(value: str) -> tuple[float, float]:
    """The [start, end) epoch range a filter value names: a whole day, or one second."""
    value = value.strip()
    for fmt, span in (("%Y-%m-%d", timedelta(days=1)), ("%Y-%m-%dT%H:%M:%SZ", timedelta(seconds=1))):
        try:
            start = datetime.strptime(value, fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
        return start.timestamp(), (start + span).timestamp()
    raise BadFilter(f"Invalid date: {value!r}; use YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ")


def date_filter(args: Mapping[str, str], name: str, when: Callable[[T], float | None]) -> Callable[[T], bool]:
    """The predicate for `name`, `name>` and `name<` in `args` (a record without the date fails
    any filter on it)."""
    tests: list[Callable[[float], bool]] = []
    if args.get(name):
        lo, hi = parse_when(args[name])
        tests.append(lambda t: lo <= t < hi)
    if args.get(name + ">"):
        after = parse_when(args[name + ">"])[0]
        tests.append(lambda t: t >= after)
    if args.get(name + "<"):
        before = parse_when(args[name + "<"])[0]
        tests.append(lambda t: t <= before)

    def keep(item: T) -> bool:
        if not tests:
            return True
        t = when(item)
        return t is not None and all(test(t) for test in tests)

    return keep


def page(path: str, args: Mapping[str, str], key: str, items: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """One page of `items` (already filtered and newest first) as Twilio's list JSON."""
    size = max(1, min(1000, int(args.get("PageSize", 50))))
    number = max(0, int(args.get("Page", 0)))
    token = args.get("PageToken", "")
    start = number * size
    if token.startswith("PA"):
        sids = [item.get("sid") for item in items]
        if token[2:] in sids:
            start = sids.index(token[2:]) + 1
    chunk = list(items[start:start + size])
    rest = {k: v for k, v in args.items() if k not in ("Page", "PageSize", "PageToken")}

    def uri(p: int, **extra: str) -> str:
        return path + "?" + urlencode({**rest, "PageSize": size, "Page": p, **extra})

    has_next = start + size < len(items) and bool(chunk)
    return {
        key: chunk,
        "start": start,
        "end": start + max(0, len(chunk) - 1),
        "page": number,
        "page_size": size,
        "uri": uri(number, **({"PageToken": token} if token else {})),
        "first_page_uri": uri(0),
        "previous_page_uri": uri(number - 1) if number > 0 else None,
        "next_page_uri": uri(number + 1, PageToken="PA" + str(chunk[-1].get("sid"))) if has_next else None,
    }

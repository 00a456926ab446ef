"""Who is in a group: its rule (every field it names must match one of its values, case ignored;
`"*"` matches any value) plus whoever was put in by hand, active people only.

Worked out in SQL when a broadcast is sent, so ten thousand people cost one query per group, and
the answer is always today's directory. `parse_rule` reads the rule as an admin writes it
("site = Taipei, Hsinchu; department = HR") and says what is wrong with a bad one.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import ColumnElement, Select, and_, func, select, true, union
from sqlalchemy.orm import Session

from hotline.directory.models import RULE_FIELDS, DirectoryGroup, DirectoryPerson, GroupMember

Rules = dict[str, list[str]]


def parse_rule(text: str) -> tuple[Rules, str | None]:
    """"site = Taipei, Hsinchu; department = HR" -> ({"site": ["Taipei", "Hsinchu"], ...}, None),
    or ({}, what is wrong). An empty text is no rule: a hand-picked group."""
    rules: Rules = {}
    for part in (p.strip() for p in text.split(";")):
        if not part:
            continue
        name, eq, values = part.partition("=")
        name = name.strip().lower()
        if not eq or name not in RULE_FIELDS:
            return {}, f"{part!r}: write FIELD = VALUE, VALUE with FIELD one of {', '.join(RULE_FIELDS)}"
        listed = [v.strip() for v in values.split(",") if v.strip()]
        if not listed:
            return {}, f"{part!r}: give at least one value (or * for any)"
        rules.setdefault(name, []).extend(listed)
    return rules, None


def rule_text(rules: Rules) -> str:
    return "; ".join(f"{name} = {', '.join(values)}" for name, values in rules.items())


def _condition(rules: Rules) -> ColumnElement[bool]:
    tests = []
    for name, values in rules.items():
        if "*" in values:
            continue
        column = getattr(DirectoryPerson, name)
        tests.append(func.lower(column).in_([v.lower() for v in values]))
    return and_(true(), *tests)


def member_query(group: DirectoryGroup) -> Select[int]:
    """The ids of the group's active members."""
    by_hand = select(GroupMember.person_id).join(DirectoryPerson, DirectoryPerson.id == GroupMember.person_id).where(
        GroupMember.group_id == group.id, DirectoryPerson.active.is_(True))
    if not group.rules:
        return by_hand
    by_rule = select(DirectoryPerson.id).where(DirectoryPerson.active.is_(True), _condition(group.rules))
    return select(union(by_rule, by_hand).subquery().c[0])


def members(s: Session, keys: Iterable[str]) -> dict[int, list[str]]:
    """person id -> the keys of the named groups they are in (a person in two groups once)."""
    found: dict[int, list[str]] = {}
    wanted = select(DirectoryGroup).where(DirectoryGroup.key.in_(list(keys))).order_by(DirectoryGroup.id)
    for group in s.scalars(wanted):
        for person_id in s.scalars(member_query(group)):
            found.setdefault(person_id, []).append(group.key)
    return found


def count(s: Session, group: DirectoryGroup) -> int:
    return s.scalar(select(func.count()).select_from(member_query(group).subquery())) or 0

"""Commands of the directory: people and groups, as the console, the CLI and an import change them.

The rules, written once:

1. A person is reachable: a name and at least one of a valid phone (E.164, through
   `hotline.base.phone`) or an email. Phones and emails are unique across the directory, so one
   phone never answers for two people.
2. An import matches a row to the person with the same email, else the same phone, and updates
   them; anyone else is added. Nobody is deleted by an import (a missing row may be an HR export
   of one site); removing a person makes them inactive, so past broadcasts still name them.
3. A group has a key (what plans and the CLI use) and a rule and/or hand-picked members; a rule
   that does not parse is refused with what is wrong.
4. Every change writes one audit row (no incident), naming the actor and channel.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from hotline.base.lifecycle import Actor, Channel, Outcome, audited
from hotline.base.models import utcnow
from hotline.base.phone import to_e164
from hotline.directory import hr_csv
from hotline.directory.groups import Rules, parse_rule
from hotline.directory.models import CHANNELS, DirectoryGroup, DirectoryPerson, GroupMember


@dataclass
class ImportReport:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    refused: list[hr_csv.Refusal] = field(default_factory=list)


@dataclass(frozen=True)
class PersonFields:
    name: str
    phone: str | None
    email: str | None
    department: str = ""
    site: str = ""
    language: str = ""
    channels: tuple[str, ...] = ()
    console_user: str | None = None


def check_person(f: PersonFields, region: str, languages: tuple[str, ...]) -> PersonFields | str:
    """The fields cleaned (phone to E.164, email lower case), or what is wrong with them."""
    raw = {"name": f.name.strip(), "phone": (f.phone or "").strip(), "email": (f.email or "").strip(),
           "department": f.department.strip(), "site": f.site.strip(), "language": f.language,
           "channels": " ".join(f.channels)}
    found = hr_csv.check_row(0, raw, region, languages)
    if isinstance(found, str):
        return found
    return PersonFields(found.name, found.phone, found.email, found.department, found.site, found.language,
                        found.channels, (f.console_user or "").strip() or None)


def _clash(s: Session, f: PersonFields, person_id: int | None) -> str | None:
    tests = [c for c in (DirectoryPerson.phone == f.phone if f.phone else None,
                         DirectoryPerson.email == f.email if f.email else None) if c is not None]
    other = s.scalar(select(DirectoryPerson).where(or_(*tests), DirectoryPerson.id != (person_id or 0)).limit(1))
    if other is None:
        return None
    what = "phone" if f.phone and other.phone == f.phone else "email"
    return f"that {what} belongs to {other.name} already"


def save_person(s: Session, f: PersonFields, actor: Actor, region: str, languages: tuple[str, ...],
                person_id: int | None = None, now: datetime | None = None) -> Outcome:
    checked = check_person(f, region, languages)
    if isinstance(checked, str):
        return Outcome(False, "invalid_person", checked)
    clash = _clash(s, checked, person_id)
    if clash:
        return Outcome(False, "duplicate", clash)
    person = s.get(DirectoryPerson, person_id) if person_id else DirectoryPerson(created_at=now or utcnow())
    if person is None:
        return Outcome(False, "no_person", f"no person {person_id}")
    _apply(person, checked, now or utcnow())
    if person_id is None:
        s.add(person)
    s.flush()
    audited(s, "directory.person_saved" if person_id else "directory.person_added", None, actor,
            person_id=person.id, name=person.name)
    return Outcome(True, "saved", f"{person.name} saved")


def _apply(person: DirectoryPerson, f: PersonFields, now: datetime) -> bool:
    """Write `f` onto `person`; True if anything changed."""
    values = {"name": f.name, "phone": f.phone, "email": f.email, "department": f.department, "site": f.site,
              "language": f.language, "channels": list(f.channels or CHANNELS), "active": True}
    if f.console_user is not None:
        values["console_user"] = f.console_user
    changed = any(getattr(person, k, None) != v for k, v in values.items())
    if changed:
        for key, value in values.items():
            setattr(person, key, value)
        person.updated_at = now
    return changed


def remove_person(s: Session, person_id: int, actor: Actor) -> Outcome:
    person = s.get(DirectoryPerson, person_id)
    if person is None or not person.active:
        return Outcome(False, "no_person", "no such person")
    person.active = False
    audited(s, "directory.person_removed", None, actor, person_id=person_id, name=person.name)
    return Outcome(True, "removed", f"{person.name} removed")


def import_people(s: Session, text: str, actor: Actor, region: str, languages: tuple[str, ...],
                  now: datetime | None = None) -> ImportReport:
    """An HR export: rows matched by email, else phone (rule 2); refused rows listed with why."""
    now = now or utcnow()
    rows, refused = hr_csv.parse(text, region, languages)
    report = ImportReport(refused=list(refused))
    people = list(s.scalars(select(DirectoryPerson)))
    by_email = {p.email: p for p in people if p.email}
    by_phone = {p.phone: p for p in people if p.phone}
    for row in rows:
        f = PersonFields(row.name, row.phone, row.email, row.department, row.site, row.language, row.channels)
        by_mail = by_email.get(row.email) if row.email else None
        by_tel = by_phone.get(row.phone) if row.phone else None
        if by_mail is not None and by_tel is not None and by_mail is not by_tel:
            report.refused.append(hr_csv.Refusal(row.line, f"its email is {by_mail.name}'s and its phone is "
                                                 f"{by_tel.name}'s: fix one of them", row.name))
            continue
        mine = by_mail or by_tel
        if mine is None:
            mine = DirectoryPerson(created_at=now)
            _apply(mine, f, now)
            s.add(mine)
            report.added += 1
        elif _apply(mine, f, now):
            report.updated += 1
        else:
            report.unchanged += 1
        for key, index in ((mine.email, by_email), (mine.phone, by_phone)):
            if key:
                index[key] = mine
    s.flush()
    audited(s, "directory.imported", None, actor, added=report.added, updated=report.updated,
            unchanged=report.unchanged, refused=len(report.refused))
    return report


def save_group(s: Session, key: str, name: str, rule: str, actor: Actor) -> Outcome:
    key = key.strip().lower()
    if not key or not key.replace("_", "").replace("-", "").isalnum() or len(key) > 64:
        return Outcome(False, "bad_key", "a group key is letters, digits, - and _ (e.g. taipei_hr)")
    rules, problem = parse_rule(rule)
    if problem:
        return Outcome(False, "bad_rule", problem)
    group = s.scalar(select(DirectoryGroup).where(DirectoryGroup.key == key))
    if group is None:
        group = DirectoryGroup(key=key, name=name.strip()[:120] or key, rules=rules)
        s.add(group)
    else:
        group.name, group.rules = name.strip()[:120] or group.name, rules
    s.flush()
    audited(s, "directory.group_saved", None, actor, group=key, rules=rules)
    return Outcome(True, "group_saved", f"group {key} saved")


def set_member(s: Session, group_key: str, person_id: int, member: bool, actor: Actor) -> Outcome:
    group = s.scalar(select(DirectoryGroup).where(DirectoryGroup.key == group_key))
    if group is None or s.get(DirectoryPerson, person_id) is None:
        return Outcome(False, "not_found", "no such group or person")
    row = s.scalar(select(GroupMember).where(GroupMember.group_id == group.id, GroupMember.person_id == person_id))
    if member == (row is not None):
        return Outcome(False, "unchanged", "already so")
    if member:
        s.add(GroupMember(group_id=group.id, person_id=person_id))
    else:
        s.delete(row)
    audited(s, "directory.member_added" if member else "directory.member_removed", None, actor, group=group_key,
            person_id=person_id)
    return Outcome(True, "member_added" if member else "member_removed")


def opt_out_email(s: Session, person_id: int, now: datetime | None = None) -> bool:
    """List-Unsubscribe: this person gets no more broadcast email (kept until an admin edits them)."""
    person = s.get(DirectoryPerson, person_id)
    if person is None or person.email_opted_out_at is not None:
        return False
    person.email_opted_out_at = now or utcnow()
    audited(s, "directory.email_opted_out", None, Actor(f"person:{person_id}", Channel.API), person_id=person_id)
    return True


def rules_of(s: Session, key: str) -> Rules | None:
    group = s.scalar(select(DirectoryGroup).where(DirectoryGroup.key == key))
    return None if group is None else dict(group.rules)


def person_by_phone(s: Session, phone: str, region: str = "TW") -> DirectoryPerson | None:
    number = to_e164(phone, region)
    return s.scalar(select(DirectoryPerson).where(DirectoryPerson.phone == number)) if number else None

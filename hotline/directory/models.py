"""Directory tables, on the shared `Base`: people, groups and hand-picked group members.

A directory person is not a `[people]` entry of config.toml: those are the few who are paged;
these are everyone an organisation may need to tell something (thousands of staff, imported from
an HR export). A group is a rule over people's fields (site = Taipei and department = HR), a
hand-picked list, or both; who is in it is worked out when a broadcast is sent
(`hotline.directory.groups`), so a new hire in Taipei is in "Taipei" without anyone editing it.
Only `hotline.directory.commands` writes these rows, and each change is audited.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hotline.base.models import Base, utcnow

CHANNELS = ("sms", "voice", "email", "push")  # what a person may prefer, in the order they prefer it
RULE_FIELDS = ("site", "department", "language")  # what a group's rule may test


class DirectoryPerson(Base):
    __tablename__ = "directory_people"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    phone: Mapped[str | None] = mapped_column(String(32), unique=True)  # E.164
    email: Mapped[str | None] = mapped_column(String(254), unique=True)  # lower case
    department: Mapped[str] = mapped_column(String(80), default="", index=True)
    site: Mapped[str] = mapped_column(String(80), default="", index=True)
    language: Mapped[str] = mapped_column(String(16))
    channels: Mapped[list[Any]] = mapped_column(default=list)  # preferred order, of CHANNELS
    console_user: Mapped[str | None] = mapped_column(String(64), index=True)  # their console login, if any
    active: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    email_opted_out_at: Mapped[datetime | None]  # List-Unsubscribe: no more broadcast email
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class DirectoryGroup(Base):
    __tablename__ = "directory_groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)  # what plans and the CLI name it by
    name: Mapped[str] = mapped_column(String(120))
    rules: Mapped[dict[str, Any]] = mapped_column(default=dict)  # field -> [values]; {} = hand-picked only
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class GroupMember(Base):
    """A person put in a group by hand (beside whoever its rule takes)."""

    __tablename__ = "directory_group_members"
    __table_args__ = (UniqueConstraint("group_id", "person_id", name="uq_group_member"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("directory_groups.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("directory_people.id"), index=True)

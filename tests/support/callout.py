"""The callout tests' database helpers: a base config, the rota's people, a fixed start time, a
database labelled with its backend, and incidents added straight to it.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from hotline.base.config import Person
from hotline.base.db import Database
from hotline.base.models import Incident

BASE_TOML = """
[organisation]
name = "Test Org"
default_region = "TW"
timezone = "Asia/Taipei"

[hotline]
numbers = ["+886277001234"]

[incident_types.cyber_security]
names = { "zh-TW" = "資訊安全", "en-US" = "cyber-security" }

[incident_types.reputation]
names = { "zh-TW" = "聲譽危機", "en-US" = "reputation" }

[incident_types.other]
names = { "zh-TW" = "其他", "en-US" = "other" }

[people.chen]
name = "Chen Wei"
phone = "+886912000001"

[people.lin]
name = "Lin Mei"
phone = "+886912000002"

[people.wang]
name = "Wang Hao"
phone = "+886912000003"

[people.director]
name = "Director Lee"
phone = "+886912000009"
"""


PEOPLE = {
    "chen": Person("chen", "Chen Wei", "+886912000001", ("zh-TW",)),
    "lin": Person("lin", "Lin Mei", "+886912000002", ("zh-TW",)),
    "wang": Person("wang", "Wang Hao", "+886912000003", ("zh-TW",)),
    "director": Person("director", "Director Lee", "+886912000009", ("zh-TW",)),
}


T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # Monday 09:00 in Taipei


class DbUnderTest(Database):
    """hotline.base.db.Database over a test's own engine, labelled with its backend."""

    def __init__(self, engine: Engine, kind: str):
        super().__init__(str(engine.url), engine)
        self.kind = kind


def add_incidents(session: Session, n: int = 1, type_key: str = "cyber_security") -> list[int]:
    incidents = [Incident(type_key=type_key, language="zh-TW") for _ in range(n)]
    session.add_all(incidents)
    session.flush()
    return [i.id for i in incidents]

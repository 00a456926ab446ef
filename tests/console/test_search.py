"""Search, one function on both databases: reference and caller number by substring, notes and
transcripts by full-text search (FTS5 on SQLite, tsvector on PostgreSQL), Chinese included;
a note written a moment ago is found at once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from hotline.base.db import Database
from hotline.base.lifecycle import Actor, Channel
from hotline.base.models import Incident, Recording, Transcript
from hotline.paging import commands, search
from tests.support.postgres import database

ADMIN = Actor("alice", Channel.CONSOLE)


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    with database(request.param, tmp_path) as d:
        yield d


def _incident(s, ref: str, caller: str) -> int:
    i = Incident(ref=ref, caller=caller, callback_number=caller, language="zh-TW", status="accepted")
    s.add(i)
    s.flush()
    return i.id


def _found(db: Database, query: str) -> list[str]:
    with db.session() as s:
        return sorted(s.scalars(select(Incident.ref).where(search.matches(s, query))))


def test_one_search_function_on_both_databases(db: Database):
    with db.session() as s:
        fire = _incident(s, "1001", "+886955000123")
        flood = _incident(s, "1002", "+886955000456")
        _incident(s, "2003", "+886277001234")
        rec = Recording(incident_id=fire, sid="RE1", status="stored")
        s.add(rec)
        s.flush()
        s.add(Transcript(recording_id=rec.id, status="done", text="There is a fire in building three"))
        commands.add_note(s, flood, ADMIN, "大樓地下室淹水，已通知物業")
    assert _found(db, "1002") == ["1002"]  # reference
    assert _found(db, "000123") == ["1001"]  # part of a caller number
    assert _found(db, "BUILDING") == ["1001"]  # transcript, any case
    assert _found(db, "fire three") == ["1001"]  # every word must match
    assert _found(db, "fire flood") == []
    assert _found(db, "淹水") == ["1002"]  # two Chinese characters inside a sentence
    assert _found(db, "地下室") == ["1002"]
    assert _found(db, "水淹") == []  # the characters in order, not anywhere
    assert _found(db, "") == [] and _found(db, "'\" OR 1=1 --") == []  # quotes are words, not syntax
    with db.session() as s:  # a note written now is found at once
        commands.add_note(s, fire, ADMIN, "caller rang back: smoke only")
    assert _found(db, "smoke") == ["1001"]
    with db.session() as s:
        assert search.refresh(s) == 0  # nothing new: nothing rebuilt

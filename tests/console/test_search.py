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


def test_an_exact_reference_ranks_first_then_a_reference_prefix_then_the_rest(db: Database):
    """Searching 1004 shows report 1004 first, though a more urgent report's caller number holds
    1004 (urgency alone put that one first); a reference beginning with 1004 comes second."""
    from hotline.console import queries  # the list's own query, ranking included

    with db.session() as s:
        s.add(Incident(ref="1006", caller="+886912341004", language="zh-TW", status="paging", severity="danger"))
        s.add(Incident(ref="10045", caller="+886955000999", language="zh-TW", status="accepted"))
        s.add(Incident(ref="1004", caller="+886955000111", language="zh-TW", status="closed"))
        s.add(Incident(ref="2001", caller="+886955000222", language="zh-TW", status="paging"))
    with db.session() as s:
        rows, total = queries.incidents(s, queries.Filters(q="1004"), {})
        assert [r.incident.ref for r in rows] == ["1004", "10045", "1006"] and total == 3
        assert [r.incident.ref for r in rows][:1] == [next(queries.every_incident(s, queries.Filters(q="1004"),
                                                                                   {})).incident.ref]
        rows, _ = queries.incidents(s, queries.Filters(q="+8869"), {})  # no reference matches: urgency decides
        assert [r.incident.ref for r in rows][:2] == ["1006", "2001"]


def test_an_event_made_incident_is_found_by_its_summary(db: Database):
    """A monitoring event's summary (its `event_received` row, as hotline.events.commands writes it)
    is searchable like a note, Chinese included."""
    from hotline.base import audit

    with db.session() as s:
        disk = _incident(s, "1010", "")
        _incident(s, "1011", "")
        audit.record(s, "event_received", disk, actor="integration:grafana", action="trigger",
                     summary="Disk full on db-primary 資料庫磁碟已滿", source="grafana")
    assert _found(db, "db-primary") == ["1010"]
    assert _found(db, "磁碟") == ["1010"]
    assert _found(db, "disk full") == ["1010"]

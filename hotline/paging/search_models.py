"""The full-text index of incidents: one document per incident (its notes and transcripts),
indexed by SQLite FTS5 or by a PostgreSQL GIN index on `to_tsvector('simple', body)`.

The document is derived data, rebuilt from the audit timeline and the transcripts by
`hotline.paging.search`; nothing else writes it. Chinese has no spaces between words, so
the text is stored with a space around every CJK character and a query becomes a phrase of
single characters: "火災" finds "大樓火災" on both databases without a segmenter.
"""

from __future__ import annotations

from sqlalchemy import DDL, ForeignKey, Integer, Text, event
from sqlalchemy.orm import Mapped, mapped_column

from hotline.base.models import Base

FTS_TABLE = "incident_search_fts"


class SearchDoc(Base):
    __tablename__ = "incident_search"

    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True)
    body: Mapped[str] = mapped_column(Text, default="")


class SearchMark(Base):
    """How far the index has read the audit timeline and the transcripts (one row, id 1)."""

    __tablename__ = "incident_search_mark"

    id: Mapped[int] = mapped_column(primary_key=True)
    audit_id: Mapped[int] = mapped_column(Integer, default=0)
    transcript_id: Mapped[int] = mapped_column(Integer, default=0)


_SQLITE = (
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5(body, content='incident_search', "
    "content_rowid='incident_id')",
    f"CREATE TRIGGER IF NOT EXISTS incident_search_ai AFTER INSERT ON incident_search BEGIN "
    f"INSERT INTO {FTS_TABLE}(rowid, body) VALUES (new.incident_id, new.body); END",
    f"CREATE TRIGGER IF NOT EXISTS incident_search_ad AFTER DELETE ON incident_search BEGIN "
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, body) VALUES ('delete', old.incident_id, old.body); END",
    f"CREATE TRIGGER IF NOT EXISTS incident_search_au AFTER UPDATE ON incident_search BEGIN "
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, body) VALUES ('delete', old.incident_id, old.body); "
    f"INSERT INTO {FTS_TABLE}(rowid, body) VALUES (new.incident_id, new.body); END",
)
_POSTGRES = ("CREATE INDEX IF NOT EXISTS ix_incident_search_body ON incident_search "
             "USING gin (to_tsvector('simple', body))",)

for _statement in _SQLITE:
    event.listen(SearchDoc.__table__, "after_create", DDL(_statement).execute_if(dialect="sqlite"))
for _statement in _POSTGRES:
    event.listen(SearchDoc.__table__, "after_create", DDL(_statement).execute_if(dialect="postgresql"))

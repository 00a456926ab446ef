"""Search over incidents: reference and caller number by substring, notes, transcript text and a
monitoring event's summary by full-text search (SQLite FTS5 or PostgreSQL's text search), behind
one function, `matches`; `rank` orders what matched: the exact reference first, then references
that begin with the query, then the rest (a caller number that merely contains it).

The index (hotline/paging/search_models.py) is brought up to date by `refresh`, which reads
only what was added to the audit timeline and the transcripts since it last looked; searching
calls it first, so results always include the note written a second ago. It re-reads a window
of recent ids each time because PostgreSQL can commit a lower id after a higher one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from sqlalchemy import ColumnElement, Select, and_, case, false, func, or_, select, text
from sqlalchemy.orm import Session

from hotline.base.models import AuditEvent, Incident, Recording, Transcript
from hotline.base.states import TranscriptStatus
from hotline.paging.search_models import FTS_TABLE, SearchDoc, SearchMark

REREAD = 200  # ids re-read below the mark, for transactions that committed out of order
CJK = re.compile(r"([\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef])")
INDEXED_KINDS = ("note", "event_received")  # a note's text; an event's summary (hotline.events.commands)


def spaced(value: str) -> str:
    """A space around every CJK character, so each is a token for either database."""
    return " ".join(CJK.sub(r" \1 ", value).split())


def terms(query: str) -> list[str]:
    """The query's words, each searched as a phrase (a CJK run becomes a phrase of characters)."""
    return [spaced(t) for t in re.findall(r"[\w\u2e80-\u9fff\uf900-\ufaff]+", query)][:8]


def refresh(s: Session) -> int:
    """Rebuild the documents of incidents with new notes or transcripts; returns how many."""
    mark = s.get(SearchMark, 1)
    if mark is None:
        mark = SearchMark(id=1, audit_id=0, transcript_id=0)
        s.add(mark)
        s.flush()
    top_audit = s.scalar(select(func.max(AuditEvent.id))) or 0
    top_transcript = s.scalar(select(func.max(Transcript.id))) or 0
    if top_audit <= mark.audit_id and top_transcript <= mark.transcript_id:
        return 0
    ids = set(s.scalars(select(AuditEvent.incident_id).where(
        AuditEvent.id > mark.audit_id - REREAD, AuditEvent.id <= top_audit, AuditEvent.kind.in_(INDEXED_KINDS),
        AuditEvent.incident_id.is_not(None))))
    ids |= set(s.scalars(select(Recording.incident_id).join(Transcript, Transcript.recording_id == Recording.id)
                         .where(Transcript.id > mark.transcript_id - REREAD, Transcript.id <= top_transcript,
                                Recording.incident_id.is_not(None))))
    rebuild(s, sorted(i for i in ids if i is not None))
    mark.audit_id, mark.transcript_id = max(mark.audit_id, top_audit), max(mark.transcript_id, top_transcript)
    return len(ids)


def rebuild(s: Session, incident_ids: Iterable[int]) -> None:
    for incident_id in incident_ids:
        notes = s.scalars(select(AuditEvent.detail).where(AuditEvent.incident_id == incident_id,
                                                          AuditEvent.kind.in_(INDEXED_KINDS)).order_by(AuditEvent.id))
        said = s.scalars(select(Transcript.text).join(Recording, Transcript.recording_id == Recording.id).where(
            Recording.incident_id == incident_id, Transcript.status == TranscriptStatus.DONE))
        body = spaced(" ".join([*(str(d.get("text") or d.get("summary") or "") for d in notes), *said]))
        doc = s.get(SearchDoc, incident_id)
        if doc is None:
            s.add(SearchDoc(incident_id=incident_id, body=body))
        elif doc.body != body:
            doc.body = body
    s.flush()


def matches(s: Session, query: str) -> ColumnElement[bool]:
    """A WHERE clause on Incident: every word of `query` is in its reference, caller number,
    notes or transcripts. Brings the index up to date first."""
    words = terms(query)
    if not words:
        return false()
    refresh(s)
    clauses = []
    for n, word in enumerate(words):
        like = "%" + word.replace(" ", "").replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        clauses.append(or_(Incident.ref.ilike(like, escape="\\"), Incident.caller.like(like, escape="\\"),
                           Incident.callback_number.like(like, escape="\\"), Incident.id.in_(_full_text(s, word, n))))
    return and_(*clauses)


def rank(query: str) -> ColumnElement[int]:
    """0 for the incident whose reference is the query, 1 for references beginning with it, 2 for
    every other match: searching "1004" shows report 1004 above a caller number holding 1004."""
    wanted = query.strip().lower()
    prefix = wanted.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return case((func.lower(Incident.ref) == wanted, 0), (Incident.ref.ilike(prefix, escape="\\"), 1), else_=2)


def _full_text(s: Session, word: str, n: int) -> Select[int]:
    """Incident ids whose document holds `word` as a phrase, in the database's own dialect."""
    name = f"fts{n}"
    if s.get_bind().dialect.name == "postgresql":
        return select(SearchDoc.incident_id).where(
            text(f"to_tsvector('simple', body) @@ phraseto_tsquery('simple', :{name})").bindparams(**{name: word}))
    phrase = '"' + word.replace('"', '""') + '"'
    return select(text("rowid")).select_from(text(FTS_TABLE)).where(
        text(f"{FTS_TABLE} MATCH :{name}").bindparams(**{name: phrase}))

"""A database as release 9268a80 left it (schema and one report's rows), for the migration tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, text

LEGACY = Path(__file__).parents[1] / "ops" / "legacy"


T = "'2026-01-02 03:04:05.000000'"


LEGACY_ROWS = [
    "INSERT INTO incidents (ref, type_key, severity, caller, language, status, source, drill, call_sid, created_at,"
    f" updated_at, closed_at) VALUES ('1001', 'fire', 'danger', '+886912000001', 'zh-TW', 'closed', 'phone', false,"
    f" 'CA1', {T}, {T}, {T})",
    "INSERT INTO calls (sid, direction, purpose, status, abandoned, incident_id, created_at)"
    f" VALUES ('CA1', 'inbound', 'report', 'completed', false, 1, {T})",
    f"INSERT INTO call_events (call_id, status, at, detail) VALUES (1, 'completed', {T}, '{{}}')",
    "INSERT INTO recordings (incident_id, sid, kind, status, path, sha256, attempts, created_at)"
    f" VALUES (1, 'RE1', 'report', 'stored', '/nowhere/1.wav', 'ab12', 1, {T})",
    "INSERT INTO transcripts (recording_id, status, text, words, created_at)"
    f" VALUES (1, 'done', 'fire in building three', '[]', {T})",
    "INSERT INTO audit_events (incident_id, at, kind, actor, detail)"
    f" VALUES (1, {T}, 'reported', 'system', '{{\"via\": \"caller\"}}')",
    "INSERT INTO callouts (state, type_key, policy_key, storm, round, created_at, updated_at)"
    f" VALUES ('accepted', 'fire', 'default', false, 1, {T}, {T})",
    "INSERT INTO callout_incidents (callout_id, incident_id, active) VALUES (1, 1, false)",
    "INSERT INTO attempts (callout_id, person_key, person_name, phone, round, step, source, ring_timeout, state,"
    f" outcome, created_at, place_tries) VALUES (1, 'amy', 'Amy', '+886912000002', 1, 1, '', 25, 'completed',"
    f" 'accepted', {T}, 1)",
    f"INSERT INTO leases (name, holder, expires_at) VALUES ('converge', 'old-node:1', {T})",
]


LEGACY_COUNTS = {"incidents": 1, "calls": 1, "call_events": 1, "recordings": 1, "transcripts": 1, "audit_events": 1,
                 "callouts": 1, "callout_incidents": 1, "attempts": 1, "leases": 1}


@dataclass
class Db:
    kind: str
    url: str
    engine: Engine

    def load_legacy(self) -> None:
        """The schema exactly as release 9268a80's create_all made it (no alembic_version)."""
        lines = (LEGACY / f"9268a80.{self.kind}.sql").read_text().splitlines()
        ddl = "\n".join(line for line in lines if not line.startswith("--"))
        statements = [s.strip() for s in ddl.split(";\n") if s.strip()]
        with self.engine.begin() as c:
            for stmt in statements:
                c.exec_driver_sql(stmt.rstrip(";"))

    def insert_legacy_rows(self) -> None:
        """One report's worth of rows, written the way release 9268a80 wrote them."""
        with self.engine.begin() as c:
            for stmt in LEGACY_ROWS:
                c.execute(text(stmt))

    def tables(self) -> set[str]:
        from sqlalchemy import inspect

        with self.engine.connect() as c:
            return set(inspect(c).get_table_names())

    def scalar(self, sql: str) -> object:
        with self.engine.connect() as c:
            return c.scalar(text(sql))

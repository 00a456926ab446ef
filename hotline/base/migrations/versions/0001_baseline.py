"""Baseline: the schema of release 9268a80, the last one made by `Base.metadata.create_all`.

A database that release created has these tables and no `alembic_version`; `hotline.base.schema`
stamps it with this revision instead of running it. Types are spelled out here (not imported from
the models) so that this revision means the same thing whatever the models become.

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

UTC_TIME = sa.DateTime(timezone=True)


def _time(name: str, nullable: bool = True) -> sa.Column[datetime]:
    return sa.Column(name, UTC_TIME, nullable=nullable)


def _index(table: str, *columns: str, unique: bool = False) -> None:
    op.create_index(f"ix_{table}_{columns[0]}", table, list(columns), unique=unique)


def upgrade() -> None:
    op.create_table(
        "incidents",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("ref", sa.String(12)),
        sa.Column("type_key", sa.String(40), nullable=False),
        sa.Column("severity", sa.String(20), nullable=False),
        sa.Column("caller", sa.String(32)),
        sa.Column("callback_number", sa.String(32)),
        sa.Column("language", sa.String(16), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("relayed_by", sa.String(64)),
        sa.Column("site", sa.String(16)),
        sa.Column("drill", sa.Boolean(), nullable=False),
        sa.Column("call_sid", sa.String(64)),
        _time("created_at", False),
        _time("updated_at", False),
        _time("page_due_at"),
        sa.Column("paging_stopped_by", sa.String(64)),
        sa.Column("paging_stopped_reason", sa.Text()),
        _time("paging_stopped_at"),
        _time("accepted_at"),
        sa.Column("accepted_by", sa.String(64)),
        _time("closed_at"),
    )
    _index("incidents", "ref", unique=True)
    _index("incidents", "status")
    _index("incidents", "call_sid")
    _index("incidents", "page_due_at")

    op.create_table(
        "leases",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("holder", sa.String(120), nullable=False),
        _time("expires_at", False),
    )

    op.create_table(
        "callouts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("type_key", sa.String(40), nullable=False),
        sa.Column("policy_key", sa.String(40), nullable=False),
        sa.Column("storm", sa.Boolean(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("step", sa.Integer()),
        _time("created_at", False),
        _time("updated_at", False),
        _time("started_at"),
        _time("unacknowledged_at"),
        _time("next_wake_at"),
        sa.Column("accepted_by", sa.String(64)),
        sa.Column("accepted_by_name", sa.String(120)),
        _time("accepted_at"),
        sa.Column("accepted_attempt_id", sa.Integer()),
        _time("cancelled_at"),
        sa.Column("cancel_reason", sa.Text()),
        sa.Column("storm_type", sa.String(40)),
        _time("closed_out_at"),
        sa.UniqueConstraint("storm_type"),
    )
    _index("callouts", "state")
    _index("callouts", "next_wake_at")

    op.create_table(
        "calls",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("sid", sa.String(64), nullable=False),
        sa.Column("direction", sa.String(20), nullable=False),
        sa.Column("purpose", sa.String(20), nullable=False),
        sa.Column("from_number", sa.String(32)),
        sa.Column("to_number", sa.String(32)),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("abandoned", sa.Boolean(), nullable=False),
        sa.Column("incident_id", sa.Integer(), sa.ForeignKey("incidents.id")),
        _time("created_at", False),
        _time("ended_at"),
        sa.Column("duration", sa.Integer()),
        sa.UniqueConstraint("sid"),
    )
    _index("calls", "incident_id")
    _index("calls", "abandoned")

    op.create_table(
        "recordings",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("incident_id", sa.Integer(), sa.ForeignKey("incidents.id")),
        sa.Column("sid", sa.String(64)),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("source_url", sa.Text()),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("path", sa.Text()),
        sa.Column("sha256", sa.String(64)),
        sa.Column("duration", sa.Float()),
        sa.Column("format", sa.String(40)),
        sa.Column("size", sa.Integer()),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _time("last_try_at"),
        sa.Column("error", sa.Text()),
        _time("created_at", False),
        _time("stored_at"),
        sa.UniqueConstraint("sid"),
    )
    _index("recordings", "status")
    _index("recordings", "incident_id")

    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("incident_id", sa.Integer(), sa.ForeignKey("incidents.id")),
        _time("at", False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
    )
    _index("audit_events", "at")
    _index("audit_events", "incident_id")

    op.create_table(
        "callout_incidents",
        sa.Column("callout_id", sa.Integer(), sa.ForeignKey("callouts.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("incident_id", sa.Integer(), sa.ForeignKey("incidents.id"), primary_key=True),
        sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()),
    )
    # An incident is paged by at most one callout at a time.
    op.create_index("uq_incident_paged_once", "callout_incidents", ["incident_id"], unique=True,
                    sqlite_where=sa.text("active = 1"), postgresql_where=sa.text("active"))

    op.create_table(
        "attempts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("callout_id", sa.Integer(), sa.ForeignKey("callouts.id", ondelete="CASCADE"), nullable=False),
        sa.Column("person_key", sa.String(64), nullable=False),
        sa.Column("person_name", sa.String(120), nullable=False),
        sa.Column("phone", sa.String(32), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(80), nullable=False),
        sa.Column("ring_timeout", sa.Integer(), nullable=False),
        sa.Column("call_sid", sa.String(64)),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("outcome", sa.String(20)),
        sa.Column("answered_by", sa.String(40)),
        sa.Column("digits", sa.String(16)),
        _time("created_at", False),
        _time("ring_started_at"),
        _time("answered_at"),
        _time("ended_at"),
        sa.Column("twilio_error", sa.Text()),
        _time("placing_at"),
        sa.Column("place_tries", sa.Integer(), nullable=False),
        _time("retry_at"),
        sa.UniqueConstraint("callout_id", "round", "step", "person_key", name="uq_attempt_slot"),
        sa.UniqueConstraint("call_sid"),
    )
    # At most one attempt per callout ends accepted.
    op.create_index("uq_attempt_one_acceptor", "attempts", ["callout_id"], unique=True,
                    sqlite_where=sa.text("outcome = 'accepted'"), postgresql_where=sa.text("outcome = 'accepted'"))
    _index("attempts", "callout_id")
    _index("attempts", "state")

    op.create_table(
        "call_events",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("call_id", sa.Integer(), sa.ForeignKey("calls.id"), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        _time("at", False),
        sa.Column("detail", sa.JSON(), nullable=False),
    )
    _index("call_events", "call_id")

    op.create_table(
        "transcripts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("recording_id", sa.Integer(), sa.ForeignKey("recordings.id"), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("words", sa.JSON(), nullable=False),
        sa.Column("model", sa.Text()),
        sa.Column("language", sa.String(16)),
        sa.Column("audio_seconds", sa.Float()),
        sa.Column("decode_seconds", sa.Float()),
        sa.Column("rtf", sa.Float()),
        sa.Column("reason", sa.Text()),
        _time("created_at", False),
        sa.UniqueConstraint("recording_id"),
    )


def downgrade() -> None:
    for table in ("transcripts", "call_events", "attempts", "callout_incidents", "audit_events", "recordings",
                  "calls", "callouts", "leases", "incidents"):
        op.drop_table(table)

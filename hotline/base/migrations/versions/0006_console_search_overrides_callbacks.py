"""The console: full-text search of incidents (`incident_search`, with an FTS5 table and its
triggers on SQLite, a GIN index on PostgreSQL), rota overrides made from the console, and the
"called back / dismissed" state of abandoned calls.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28 12:31:33.191037
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


# The search index beside the table, as hotline.paging.search_models defined it at this revision
# (written out: a migration keeps what it did, whatever the models say later).
SEARCH_INDEX = {
    "sqlite": (
        "CREATE VIRTUAL TABLE IF NOT EXISTS incident_search_fts USING fts5(body, content='incident_search', "
        "content_rowid='incident_id')",
        "CREATE TRIGGER IF NOT EXISTS incident_search_ai AFTER INSERT ON incident_search BEGIN "
        "INSERT INTO incident_search_fts(rowid, body) VALUES (new.incident_id, new.body); END",
        "CREATE TRIGGER IF NOT EXISTS incident_search_ad AFTER DELETE ON incident_search BEGIN "
        "INSERT INTO incident_search_fts(incident_search_fts, rowid, body) "
        "VALUES ('delete', old.incident_id, old.body); END",
        "CREATE TRIGGER IF NOT EXISTS incident_search_au AFTER UPDATE ON incident_search BEGIN "
        "INSERT INTO incident_search_fts(incident_search_fts, rowid, body) "
        "VALUES ('delete', old.incident_id, old.body); "
        "INSERT INTO incident_search_fts(rowid, body) VALUES (new.incident_id, new.body); END",
    ),
    "postgresql": ("CREATE INDEX IF NOT EXISTS ix_incident_search_body ON incident_search "
                   "USING gin (to_tsvector('simple', body))",),
}


def upgrade() -> None:
    op.create_table('incident_search_mark',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('audit_id', sa.Integer(), nullable=False),
    sa.Column('transcript_id', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('rota_overrides',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rota', sa.String(length=40), nullable=False),
    sa.Column('person', sa.String(length=64), nullable=False),
    sa.Column('start', sa.DateTime(timezone=True), nullable=False),
    sa.Column('end', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('cancelled_by', sa.String(length=64), nullable=True),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('rota_overrides', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rota_overrides_end'), ['end'], unique=False)
        batch_op.create_index(batch_op.f('ix_rota_overrides_rota'), ['rota'], unique=False)

    op.create_table('incident_search',
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('incident_id')
    )
    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.add_column(sa.Column('callback_state', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('callback_by', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('callback_at', sa.DateTime(timezone=True), nullable=True))
    for statement in SEARCH_INDEX[op.get_bind().dialect.name]:
        op.execute(statement)

def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("incident_search_ai", "incident_search_ad", "incident_search_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS incident_search_fts")
    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.drop_column('callback_at')
        batch_op.drop_column('callback_by')
        batch_op.drop_column('callback_state')

    op.drop_table('incident_search')
    with op.batch_alter_table('rota_overrides', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rota_overrides_rota'))
        batch_op.drop_index(batch_op.f('ix_rota_overrides_end'))

    op.drop_table('rota_overrides')
    op.drop_table('incident_search_mark')

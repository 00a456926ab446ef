"""Reports by text: `text_conversations`, one per report made by SMS.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 11:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('text_conversations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sender', sa.String(length=32), nullable=False),
    sa.Column('number', sa.String(length=32), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('language', sa.String(length=10), nullable=False),
    sa.Column('stage', sa.String(length=12), nullable=False),
    sa.Column('texts', sa.JSON(), nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_text_conversations_sender_stage', 'text_conversations', ['sender', 'stage'], unique=False)
    op.create_index(op.f('ix_text_conversations_incident_id'), 'text_conversations', ['incident_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_text_conversations_incident_id'), table_name='text_conversations')
    op.drop_index('ix_text_conversations_sender_stage', table_name='text_conversations')
    op.drop_table('text_conversations')

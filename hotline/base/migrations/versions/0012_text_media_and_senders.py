"""Reports by text, continued: the "someone is on it" notice (`text_conversations.picked_up_at`),
MMS photos stored on site (`text_media`), each sender's allowance (`text_senders`).

Revision ID: 0012
Revises: 0010
Create Date: 2026-12-07 14:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('text_conversations') as batch:
        batch.add_column(sa.Column('picked_up_at', sa.DateTime(timezone=True), nullable=True))
    op.create_table('text_media',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('conversation_id', sa.Integer(), nullable=False),
    sa.Column('url', sa.String(length=500), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('path', sa.String(length=500), nullable=True),
    sa.Column('sha256', sa.String(length=64), nullable=True),
    sa.Column('size', sa.Integer(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_try_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('stored_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['conversation_id'], ['text_conversations.id'], ),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_text_media_incident_id'), 'text_media', ['incident_id'], unique=False)
    op.create_index(op.f('ix_text_media_status'), 'text_media', ['status'], unique=False)
    op.create_table('text_senders',
    sa.Column('sender', sa.String(length=32), nullable=False),
    sa.Column('tokens', sa.Float(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('sender')
    )


def downgrade() -> None:
    op.drop_table('text_senders')
    op.drop_index(op.f('ix_text_media_status'), table_name='text_media')
    op.drop_index(op.f('ix_text_media_incident_id'), table_name='text_media')
    op.drop_table('text_media')
    with op.batch_alter_table('text_conversations') as batch:
        batch.drop_column('picked_up_at')

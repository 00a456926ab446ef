"""Two-way messages on a report made from the app (`app_messages`): the admin's, and the
reporter's replies, each reply once however often the phone sends it; and a report's voice memo
(`app_reports.memo_path`, `memo_type`: the file is in the recording store).

Revision ID: 0016
Revises: 0012
Create Date: 2026-12-07 15:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0016'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('app_reports') as batch:
        batch.add_column(sa.Column('memo_path', sa.String(length=500), nullable=True))
        batch.add_column(sa.Column('memo_type', sa.String(length=40), nullable=True))
    op.create_table('app_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('incoming', sa.Boolean(), nullable=False),
    sa.Column('client_msg_id', sa.String(length=40), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('who', sa.String(length=64), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], ),
    sa.ForeignKeyConstraint(['report_id'], ['app_reports.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('report_id', 'client_msg_id', name='uq_app_messages_report_client')
    )
    op.create_index(op.f('ix_app_messages_incident_id'), 'app_messages', ['incident_id'], unique=False)
    op.create_index(op.f('ix_app_messages_report_id'), 'app_messages', ['report_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_app_messages_report_id'), table_name='app_messages')
    op.drop_index(op.f('ix_app_messages_incident_id'), table_name='app_messages')
    op.drop_table('app_messages')
    with op.batch_alter_table('app_reports') as batch:
        batch.drop_column('memo_type')
        batch.drop_column('memo_path')

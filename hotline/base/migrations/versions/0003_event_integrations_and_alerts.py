"""Events API: `integrations` (hashed keys per monitoring source) and `event_alerts` (dedup keys to incidents).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 12:05:30.683963
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('integrations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('type_key', sa.String(length=40), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('hmac_secret', sa.String(length=128), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('rotated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('key_hash'),
    sa.UniqueConstraint('name')
    )
    op.create_table('event_alerts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('integration_id', sa.Integer(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('dedup_key', sa.String(length=255), nullable=False),
    sa.Column('open_key', sa.String(length=255), nullable=True),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('source', sa.String(length=255), nullable=False),
    sa.Column('severity', sa.String(length=20), nullable=False),
    sa.Column('custom_details', sa.JSON(), nullable=False),
    sa.Column('decision', sa.String(length=10), nullable=False),
    sa.Column('rule', sa.String(length=120), nullable=False),
    sa.Column('events', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_event_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], ),
    sa.ForeignKeyConstraint(['integration_id'], ['integrations.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('integration_id', 'open_key', name='uq_event_alert_open')
    )
    with op.batch_alter_table('event_alerts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_event_alerts_dedup_key'), ['dedup_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_event_alerts_incident_id'), ['incident_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_event_alerts_integration_id'), ['integration_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('event_alerts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_event_alerts_integration_id'))
        batch_op.drop_index(batch_op.f('ix_event_alerts_incident_id'))
        batch_op.drop_index(batch_op.f('ix_event_alerts_dedup_key'))

    op.drop_table('event_alerts')
    op.drop_table('integrations')

"""Drills: `drills` and `drill_events`; `incidents.drill_id` and `callouts.drill_id` say which drill made a row.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 12:16:16.103425
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('drills',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('scenario_key', sa.String(length=64), nullable=True),
    sa.Column('type_key', sa.String(length=40), nullable=False),
    sa.Column('severity', sa.String(length=20), nullable=False),
    sa.Column('language', sa.String(length=16), nullable=False),
    sa.Column('report_text', sa.Text(), nullable=False),
    sa.Column('report_file', sa.Text(), nullable=True),
    sa.Column('callers', sa.JSON(), nullable=False),
    sa.Column('phones', sa.JSON(), nullable=False),
    sa.Column('inbound_from', sa.String(length=32), nullable=True),
    sa.Column('policy_key', sa.String(length=40), nullable=True),
    sa.Column('participants', sa.JSON(), nullable=False),
    sa.Column('runner', sa.String(length=64), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('scheduled_for', sa.DateTime(timezone=True), nullable=True),
    sa.Column('schedule', sa.JSON(), nullable=False),
    sa.Column('max_minutes', sa.Integer(), nullable=False),
    sa.Column('wait_reason', sa.Text(), nullable=True),
    sa.Column('twilio_down_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ended_by', sa.String(length=64), nullable=True),
    sa.Column('end_reason', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('drills', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_drills_scenario_key'), ['scenario_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_drills_scheduled_for'), ['scheduled_for'], unique=False)
        batch_op.create_index(batch_op.f('ix_drills_state'), ['state'], unique=False)

    op.create_table('drill_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('drill_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['drill_id'], ['drills.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('drill_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_drill_events_drill_id'), ['drill_id'], unique=False)

    with op.batch_alter_table('callouts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('drill_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_callouts_drill_id'), ['drill_id'], unique=False)

    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('drill_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_incidents_drill_id'), ['drill_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_incidents_drill_id'))
        batch_op.drop_column('drill_id')

    with op.batch_alter_table('callouts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_callouts_drill_id'))
        batch_op.drop_column('drill_id')

    with op.batch_alter_table('drill_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_drill_events_drill_id'))

    op.drop_table('drill_events')
    with op.batch_alter_table('drills', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_drills_state'))
        batch_op.drop_index(batch_op.f('ix_drills_scheduled_for'))
        batch_op.drop_index(batch_op.f('ix_drills_scenario_key'))

    op.drop_table('drills')

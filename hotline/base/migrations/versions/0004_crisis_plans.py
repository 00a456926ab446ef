"""Crisis plans: `crises`, their team members, checklist steps, statements and bridge legs.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 12:09:00.449385
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('crises',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('type_key', sa.String(length=40), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('decided_by', sa.String(length=64), nullable=False),
    sa.Column('decided_via', sa.String(length=20), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('dark_site_on', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('incident_id')
    )
    with op.batch_alter_table('crises', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_crises_dark_site_on'), ['dark_site_on'], unique=False)

    op.create_table('crisis_bridge_legs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('crisis_id', sa.Integer(), nullable=False),
    sa.Column('call_sid', sa.String(length=64), nullable=False),
    sa.Column('person_key', sa.String(length=64), nullable=True),
    sa.Column('joined_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('left_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['crisis_id'], ['crises.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('crisis_id', 'call_sid', name='uq_bridge_leg')
    )
    with op.batch_alter_table('crisis_bridge_legs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_crisis_bridge_legs_crisis_id'), ['crisis_id'], unique=False)

    op.create_table('crisis_members',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('crisis_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('person_key', sa.String(length=64), nullable=False),
    sa.Column('is_deputy', sa.Boolean(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('calls', sa.Integer(), nullable=False),
    sa.Column('next_call_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_call_sid', sa.String(length=64), nullable=True),
    sa.Column('last_called_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('first_dial_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['crisis_id'], ['crises.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('crisis_id', 'role', 'person_key', name='uq_crisis_member')
    )
    with op.batch_alter_table('crisis_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_crisis_members_crisis_id'), ['crisis_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_crisis_members_next_call_at'), ['next_call_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_crisis_members_state'), ['state'], unique=False)

    op.create_table('crisis_statements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('crisis_id', sa.Integer(), nullable=False),
    sa.Column('bodies', sa.JSON(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('drafted_by', sa.String(length=64), nullable=False),
    sa.Column('drafted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('approved_by', sa.String(length=64), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['crisis_id'], ['crises.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('crisis_statements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_crisis_statements_crisis_id'), ['crisis_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_crisis_statements_published_at'), ['published_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_crisis_statements_state'), ['state'], unique=False)

    op.create_table('crisis_steps',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('crisis_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('owner_role', sa.String(length=20), nullable=False),
    sa.Column('text', sa.JSON(), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('done_by', sa.String(length=64), nullable=True),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reminded_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['crisis_id'], ['crises.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('crisis_steps', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_crisis_steps_crisis_id'), ['crisis_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_crisis_steps_due_at'), ['due_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('crisis_steps', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_crisis_steps_due_at'))
        batch_op.drop_index(batch_op.f('ix_crisis_steps_crisis_id'))

    op.drop_table('crisis_steps')
    with op.batch_alter_table('crisis_statements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_crisis_statements_state'))
        batch_op.drop_index(batch_op.f('ix_crisis_statements_published_at'))
        batch_op.drop_index(batch_op.f('ix_crisis_statements_crisis_id'))

    op.drop_table('crisis_statements')
    with op.batch_alter_table('crisis_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_crisis_members_state'))
        batch_op.drop_index(batch_op.f('ix_crisis_members_next_call_at'))
        batch_op.drop_index(batch_op.f('ix_crisis_members_crisis_id'))

    op.drop_table('crisis_members')
    with op.batch_alter_table('crisis_bridge_legs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_crisis_bridge_legs_crisis_id'))

    op.drop_table('crisis_bridge_legs')
    with op.batch_alter_table('crises', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_crises_dark_site_on'))

    op.drop_table('crises')

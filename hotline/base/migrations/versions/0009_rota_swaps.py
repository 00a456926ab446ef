"""Rota swaps between two people (issue #28): `rota_swaps`.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 14:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('rota_swaps',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rota', sa.String(length=40), nullable=False),
    sa.Column('requester', sa.String(length=64), nullable=False),
    sa.Column('partner', sa.String(length=64), nullable=False),
    sa.Column('start', sa.DateTime(timezone=True), nullable=False),
    sa.Column('end', sa.DateTime(timezone=True), nullable=False),
    sa.Column('back_start', sa.DateTime(timezone=True), nullable=True),
    sa.Column('back_end', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_by', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_rota_swaps_rota'), 'rota_swaps', ['rota'], unique=False)
    op.create_index(op.f('ix_rota_swaps_partner'), 'rota_swaps', ['partner'], unique=False)
    op.create_index(op.f('ix_rota_swaps_end'), 'rota_swaps', ['end'], unique=False)
    op.create_index(op.f('ix_rota_swaps_state'), 'rota_swaps', ['state'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_rota_swaps_state'), table_name='rota_swaps')
    op.drop_index(op.f('ix_rota_swaps_end'), table_name='rota_swaps')
    op.drop_index(op.f('ix_rota_swaps_partner'), table_name='rota_swaps')
    op.drop_index(op.f('ix_rota_swaps_rota'), table_name='rota_swaps')
    op.drop_table('rota_swaps')

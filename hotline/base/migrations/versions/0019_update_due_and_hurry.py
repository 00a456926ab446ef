"""A published statement's "next update due" reminder, claimed once per due time
(`crisis_statements.update_reminded_at`); and "escalate now" while a callout waits between
rounds (`callouts.hurried_at`: the wait under way then ends at once).

Revision ID: 0019
Revises: 0017
Create Date: 2026-12-07 17:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0019'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('crisis_statements') as batch:
        batch.add_column(sa.Column('update_reminded_at', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('callouts') as batch:
        batch.add_column(sa.Column('hurried_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('callouts') as batch:
        batch.drop_column('hurried_at')
    with op.batch_alter_table('crisis_statements') as batch:
        batch.drop_column('update_reminded_at')

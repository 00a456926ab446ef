"""Who holds a broadcast delivery's claim (`broadcast_deliveries.claimed_by`: "<host> <pid> <start>"
of the sending process), so a dead sender's claims are taken again as soon as its death is seen
(hotline.broadcasts.claims), not a fixed minute later; and when a text whose final status
callback is late was last asked about at Twilio (`asked_at`), so one Twilio still calls "sent"
waits its turn behind the others.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 17:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('broadcast_deliveries') as batch:
        batch.add_column(sa.Column('claimed_by', sa.String(length=120), nullable=True))
        batch.add_column(sa.Column('asked_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('broadcast_deliveries') as batch:
        batch.drop_column('asked_at')
        batch.drop_column('claimed_by')

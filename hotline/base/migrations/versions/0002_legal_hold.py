"""Legal hold: `incidents.legal_hold_by`, who put the incident on hold (NULL = not held).

Retention never purges the recordings or transcripts of a held incident.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("incidents", sa.Column("legal_hold_by", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("incidents") as batch:
        batch.drop_column("legal_hold_by")

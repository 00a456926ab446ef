"""Issue #28, the rest: a review action item's one reminder email (`review_actions.emailed_at`,
claimed before it is sent); and a drill of the whole plan (`drills.whole_plan`): its report goes
on through the crisis plan (activation, team, bridge, checklist, statement) in drill mode, and
the drill is finished by its runner or its time limit rather than when the report is taken.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 17:55:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('drills') as batch:
        batch.add_column(sa.Column('whole_plan', sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table('review_actions') as batch:
        batch.add_column(sa.Column('emailed_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('review_actions') as batch:
        batch.drop_column('emailed_at')
    with op.batch_alter_table('drills') as batch:
        batch.drop_column('whole_plan')

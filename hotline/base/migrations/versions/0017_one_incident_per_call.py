"""One call, one incident: a partial unique index on `incidents.call_sid` (NULL for reports that
are not calls' own, such as monitoring events).

A database that already holds a call filed twice (the multi-node race this index closes) keeps
both incidents: the first keeps the call; each later one lets go of the CallSid and gets a
timeline line naming the first, so a responder sees they are one report. Nothing is deleted.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 17:50:00
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

_INCIDENTS = sa.table('incidents', sa.column('id', sa.Integer), sa.column('ref', sa.String),
                      sa.column('call_sid', sa.String))
_AUDIT = sa.table('audit_events', sa.column('incident_id', sa.Integer), sa.column('at', sa.DateTime(timezone=True)),
                  sa.column('kind', sa.String), sa.column('actor', sa.String), sa.column('detail', sa.JSON))


def upgrade() -> None:
    connection = op.get_bind()
    doubled = connection.execute(
        sa.select(_INCIDENTS.c.call_sid).where(_INCIDENTS.c.call_sid.is_not(None))
        .group_by(_INCIDENTS.c.call_sid).having(sa.func.count() > 1)).scalars().all()
    for call_sid in doubled:
        first, *later = connection.execute(sa.select(_INCIDENTS.c.id, _INCIDENTS.c.ref)
                                           .where(_INCIDENTS.c.call_sid == call_sid)
                                           .order_by(_INCIDENTS.c.id)).all()
        for incident_id, _ in later:
            connection.execute(sa.update(_INCIDENTS).where(_INCIDENTS.c.id == incident_id).values(call_sid=None))
            connection.execute(sa.insert(_AUDIT).values(
                incident_id=incident_id, at=datetime.now(UTC), kind='incident_duplicate_of',
                actor='system', detail={'of': first.id, 'of_ref': first.ref, 'call_sid': call_sid}))
    with op.batch_alter_table('incidents') as batch:
        batch.drop_index('ix_incidents_call_sid')
        batch.create_index('uq_incidents_call_sid', ['call_sid'], unique=True,
                           sqlite_where=sa.text('call_sid IS NOT NULL'),
                           postgresql_where=sa.text('call_sid IS NOT NULL'))


def downgrade() -> None:
    with op.batch_alter_table('incidents') as batch:
        batch.drop_index('uq_incidents_call_sid')
        batch.create_index('ix_incidents_call_sid', ['call_sid'], unique=False)

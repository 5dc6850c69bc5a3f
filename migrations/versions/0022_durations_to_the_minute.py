"""signed procedure durations in whole minutes, never rounded up (13 min 08 s is 13 minutes)

Durations were stored rounded up (a minute begun counted as a minute). Every signed record keeps
its start and end, so the upgrade recomputes each stored duration by whole minutes; the downgrade
puts the rounded-up figure back.

Revision ID: 0022_durations_to_the_minute
Revises: 0021_patient_records
Create Date: 2026-12-05 11:00:00.000000

"""
import math

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0022_durations_to_the_minute'
down_revision = '0021_patient_records'
branch_labels = None
depends_on = None

records = sa.table('procedure_records', sa.column('id', sa.Integer), sa.column('started_at', sa.DateTime),
                   sa.column('ended_at', sa.DateTime), sa.column('duration_minutes', sa.Integer))


def _recompute(minutes_of):
    conn = op.get_bind()
    signed = conn.execute(sa.select(records.c.id, records.c.started_at, records.c.ended_at)
                          .where(records.c.duration_minutes.is_not(None))).all()
    for record_id, started_at, ended_at in signed:
        seconds = max(0, (ended_at - started_at).total_seconds())
        conn.execute(records.update().where(records.c.id == record_id)
                     .values(duration_minutes=minutes_of(seconds)))


def upgrade():
    _recompute(lambda seconds: int(seconds // 60))


def downgrade():
    _recompute(lambda seconds: math.ceil(seconds / 60))

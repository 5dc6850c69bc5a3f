"""a signed procedure's duration runs from its start to its sign-out step, not to the signature

Signing stamped the end and the duration at the signature: a procedure signed out at 23 minutes
and signed 11 minutes later read 34 minutes and was flagged as long (in the note, the case page,
the FHIR Procedure's performedPeriod and Reports › Procedures). The end is now the sign-out step's
first save (a correction does not move it), so the upgrade recomputes each signed record's end and
its whole minutes from the start to it; a signed record without a sign-out row (none can be signed
so today) keeps its own. The signature's time is kept as it was. The downgrade puts the signature
back as the end, as before.

Revision ID: 0043_duration_to_sign_out
Revises: 0042_anticoagulant_last_dose
Create Date: 2026-12-06 13:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0043_duration_to_sign_out'
down_revision = '0042_anticoagulant_last_dose'
branch_labels = None
depends_on = None

records = sa.table('procedure_records', sa.column('id', sa.Integer), sa.column('status', sa.String),
                   sa.column('started_at', sa.DateTime), sa.column('ended_at', sa.DateTime),
                   sa.column('signed_at', sa.DateTime), sa.column('duration_minutes', sa.Integer))
steps = sa.table('procedure_steps', sa.column('record_id', sa.Integer), sa.column('step', sa.String),
                 sa.column('first_recorded_at', sa.DateTime))


def _restamp(ends):
    """Each signed record's end from `ends` {record id: end}, and its whole minutes from the start."""
    conn = op.get_bind()
    for record_id, started_at in conn.execute(sa.select(records.c.id, records.c.started_at)
                                              .where(records.c.status == 'signed')).all():
        if ends.get(record_id) is None:
            continue
        end = ends[record_id]
        minutes = int(max(0, (end - started_at).total_seconds()) // 60)
        conn.execute(records.update().where(records.c.id == record_id)
                     .values(ended_at=end, duration_minutes=minutes))


def upgrade():
    conn = op.get_bind()
    _restamp(dict(conn.execute(sa.select(steps.c.record_id, sa.func.min(steps.c.first_recorded_at))
                               .where(steps.c.step == 'sign_out').group_by(steps.c.record_id)).all()))


def downgrade():
    conn = op.get_bind()
    _restamp(dict(conn.execute(sa.select(records.c.id, records.c.signed_at)
                               .where(records.c.status == 'signed')).all()))

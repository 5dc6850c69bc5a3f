"""a procedure record names only the other procedures that were in progress at its start

A record keeps the cases of the physician's other procedures she acknowledged to start it. The
demo seed starts its procedures at the times they happened, but the start named every procedure of
hers in progress at seeding: each earlier record of the physician with today's case in procedure
said "Another procedure in progress (case 14)" on its note, case page and FHIR Procedure (0037
copied the same from the audit rows the seed wrote). The upgrade keeps, of each record's list, the
cases with a procedure that same physician had started by then and had not yet signed or abandoned;
a list left empty is no value at all. The audit rows are append-only and keep what they said. The
downgrade leaves the lists as they are (the older schema reads them alike).

Revision ID: 0044_acknowledged_in_progress
Revises: 0043_duration_to_sign_out
Create Date: 2026-12-06 14:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0044_acknowledged_in_progress'
down_revision = '0043_duration_to_sign_out'
branch_labels = None
depends_on = None

records = sa.table('procedure_records', sa.column('id', sa.Integer), sa.column('case_id', sa.Integer),
                   sa.column('started_by_id', sa.Integer), sa.column('started_at', sa.DateTime),
                   sa.column('signed_at', sa.DateTime), sa.column('abandoned_at', sa.DateTime),
                   sa.column('acknowledged_case_ids', sa.JSON(none_as_null=True)))


def _in_progress_at(other, by, at):
    """`other` (a record's row) was the physician `by`'s procedure, in progress at `at`."""
    return (other.started_by_id == by and other.started_at <= at
            and (other.signed_at is None or other.signed_at > at)
            and (other.abandoned_at is None or other.abandoned_at > at))


def upgrade():
    conn = op.get_bind()
    acknowledging = conn.execute(sa.select(records.c.id, records.c.started_by_id, records.c.started_at,
                                           records.c.acknowledged_case_ids)
                                 .where(records.c.acknowledged_case_ids.is_not(None))).all()
    named = {case_id for row in acknowledging for case_id in row.acknowledged_case_ids or ()}
    of_case = {}
    for other in conn.execute(sa.select(records.c.case_id, records.c.started_by_id, records.c.started_at,
                                        records.c.signed_at, records.c.abandoned_at)
                              .where(records.c.case_id.in_(sorted(named)))) if named else ():
        of_case.setdefault(other.case_id, []).append(other)
    for row in acknowledging:
        kept = [case_id for case_id in row.acknowledged_case_ids or ()
                if any(_in_progress_at(other, row.started_by_id, row.started_at) for other in of_case.get(case_id, ()))]
        if kept != list(row.acknowledged_case_ids or ()):
            conn.execute(records.update().where(records.c.id == row.id).values(acknowledged_case_ids=kept or None))


def downgrade():
    pass

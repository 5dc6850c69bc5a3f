"""procedure records keep whether their start checked the patient in (checked_in_at_start)

A physician who starts a procedure for a patient never checked in at the desk ticks that the patient
is here, and the start checks the appointment in (0058's start warnings). Until now only the
appointment's history and the start's audit row said so; the record and its note now say it with
the other start acknowledgements. Records started before read it from that audit row, whose summary
said "the patient was not checked in: checked in with the start"; the others read false. The
downgrade drops the column; the audit row still says it.

Revision ID: 0067_checked_in_at_start
Revises: 0066_given_name_parts
Create Date: 2026-12-07 09:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0067_checked_in_at_start'
down_revision = '0066_given_name_parts'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('procedure_records', schema=None) as batch_op:
        batch_op.add_column(sa.Column('checked_in_at_start', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    op.execute(
        "UPDATE procedure_records SET checked_in_at_start = true WHERE CAST(id AS VARCHAR(40)) IN ("
        "SELECT object_id FROM audit_events WHERE object_type = 'procedure_record' AND action = 'create' "
        "AND summary LIKE '%not checked in: checked in with the start%')")


def downgrade():
    with op.batch_alter_table('procedure_records', schema=None) as batch_op:
        batch_op.drop_column('checked_in_at_start')

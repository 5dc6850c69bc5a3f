"""indexes for the reports' "first of its case" (first verdict, first booking)

The lead times and the eligibility figures keep only each case's first verdict and first booking
(no row of the same case with a lower id). With (case_id, id) indexes that test is read from the
index alone instead of every verdict or appointment row (at 100,000 cases the referral-to-verdict
lead time went from 304 ms to 98 ms).

Revision ID: 0025_report_first_rows
Revises: 0024_preparation_plan
Create Date: 2026-12-05 11:10:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0025_report_first_rows'
down_revision = '0024_preparation_plan'
branch_labels = None
depends_on = None

INDEXES = [
    ('eligibility_verdicts', 'ix_eligibility_verdicts_case_id_id'),
    ('appointments', 'ix_appointments_case_id_id'),
]


def upgrade():
    for table, name in INDEXES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(name, ['case_id', 'id'], unique=False)


def downgrade():
    for table, name in reversed(INDEXES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(name)

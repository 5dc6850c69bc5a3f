"""appointments keep the day of the blood thinner's last dose, confirmed at readiness when the hold
did not fit the booked day

Appointments confirmed before this have none: the table asks to confirm it. The downgrade drops the
column; the audit trail still says what was confirmed.

Revision ID: 0042_anticoagulant_last_dose
Revises: 0041_outside_injections
Create Date: 2026-12-06 02:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0042_anticoagulant_last_dose'
down_revision = '0041_outside_injections'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('anticoagulant_last_dose_on', sa.Date(), nullable=True))


def downgrade():
    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.drop_column('anticoagulant_last_dose_on')

"""procedure records keep what the physician answered at the start for a blood thinner's hold that did
not fit the booked day with no day of the last dose confirmed: the day she entered, or her decision to
proceed without one

Until now the start never asked, so no record started before this has either: no day, not
acknowledged. The downgrade drops both columns; the audit trail still says what was answered.

Revision ID: 0045_hold_at_start
Revises: 0044_acknowledged_in_progress
Create Date: 2026-12-06 05:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0045_hold_at_start'
down_revision = '0044_acknowledged_in_progress'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('procedure_records', schema=None) as batch_op:
        batch_op.add_column(sa.Column('anticoagulant_last_dose_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('hold_acknowledged', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))


def downgrade():
    with op.batch_alter_table('procedure_records', schema=None) as batch_op:
        batch_op.drop_column('hold_acknowledged')
        batch_op.drop_column('anticoagulant_last_dose_on')

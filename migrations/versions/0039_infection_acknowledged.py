"""procedure records keep whether the physician acknowledged an active infection or fever on the
risk screen to start them, as they keep a pregnancy

Until now the start never asked about it, so no record started before this acknowledged one: they
all read false. The downgrade drops the column; the audit trail still says what was acknowledged.

Revision ID: 0039_infection_acknowledged
Revises: 0038_blank_contact_null
Create Date: 2026-12-06 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0039_infection_acknowledged'
down_revision = '0038_blank_contact_null'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('procedure_records', schema=None) as batch_op:
        batch_op.add_column(sa.Column('infection_acknowledged', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))


def downgrade():
    with op.batch_alter_table('procedure_records', schema=None) as batch_op:
        batch_op.drop_column('infection_acknowledged')

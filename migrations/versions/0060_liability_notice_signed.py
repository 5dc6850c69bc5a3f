"""appointments.liability_notice_signed: whether the patient signed the liability notice

A session over the payer's limits needs the patient's liability notice (Medicare's ABN, form
CMS-R-131, or another payer's financial-responsibility notice) signed before the procedure; the
readiness list now asks for it, and the procedure note reads the answer (GA with an ABN on file, GZ
without). Appointments booked before this revision were never asked: they keep NULL ("not recorded"),
and their notes still say to check the signed forms. New appointments start at false (the ORM's
default). The downgrade drops the column.

Revision ID: 0060_liability_notice_signed
Revises: 0059_follow_up_windows_on_time
Create Date: 2026-12-06 17:05:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0060_liability_notice_signed'
down_revision = '0059_follow_up_windows_on_time'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('appointments') as batch_op:
        batch_op.add_column(sa.Column('liability_notice_signed', sa.Boolean(), nullable=True))


def downgrade():
    with op.batch_alter_table('appointments') as batch_op:
        batch_op.drop_column('liability_notice_signed')

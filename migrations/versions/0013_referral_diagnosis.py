"""the referral's diagnosis as ICD-10-CM codes

Revision ID: 0013_referral_diagnosis
Revises: 0012_report_indexes
Create Date: 2026-12-05 08:05:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013_referral_diagnosis'
down_revision = '0012_report_indexes'
branch_labels = None
depends_on = None


def upgrade():
    # Existing referrals were never coded: an empty list, not a guess.
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('diagnosis_codes', sa.JSON(), nullable=False, server_default='[]'))


def downgrade():
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_column('diagnosis_codes')

"""the clinic's billing setting: a physician office (CPT 27096 only, the default) or a facility
(ASC or hospital outpatient), whose claim carries HCPCS G0260 besides the physician's 27096

Revision ID: 0023_clinic_billing_setting
Revises: 0022_durations_to_the_minute
Create Date: 2026-12-05 11:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0023_clinic_billing_setting"
down_revision = "0022_durations_to_the_minute"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('clinic_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('billing_setting', sa.String(length=20), nullable=False,
                                      server_default='office'))
        batch_op.create_check_constraint(batch_op.f('ck_clinic_settings_billing_setting_known'), "billing_setting IN ('office', 'facility')")


def downgrade():
    with op.batch_alter_table('clinic_settings', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_clinic_settings_billing_setting_known'), type_='check')
        batch_op.drop_column('billing_setting')

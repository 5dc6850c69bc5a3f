"""the clinic's settings carry a version number, so a stale admin form cannot overwrite them

Admin › Clinic contact and the Billing & payer profiles forms now carry the version they were
opened on and a save from an older one is refused (a second admin's stale form silently reverted
the clinic's phone number). The existing row starts at version 1; the downgrade drops the column,
losing nothing else.

Revision ID: 0051_clinic_settings_version
Revises: 0050_language_not_known
Create Date: 2026-12-06 08:45:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0051_clinic_settings_version'
down_revision = '0050_language_not_known'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('clinic_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version_id', sa.Integer(), nullable=False, server_default='1'))


def downgrade():
    with op.batch_alter_table('clinic_settings', schema=None) as batch_op:
        batch_op.drop_column('version_id')

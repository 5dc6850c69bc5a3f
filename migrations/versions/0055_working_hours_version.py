"""a physician's working hours carry a version number, so a stale admin form cannot overwrite them

Admin › Rooms & hours › a physician's working hours now carries the version it was opened on, and a
save from an older form is refused (a second admin's stale form silently replaced the first's
hours). Every account starts at version 1; the downgrade drops the column, losing nothing else.

Revision ID: 0055_working_hours_version
Revises: 0054_relief_read_when_felt
Create Date: 2026-12-06 11:45:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0055_working_hours_version'
down_revision = '0054_relief_read_when_felt'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('hours_version', sa.Integer(), nullable=False, server_default='1'))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('hours_version')

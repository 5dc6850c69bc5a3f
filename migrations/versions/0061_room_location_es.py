"""rooms.location_es: where the patient goes, in Spanish

Patients who read Spanish got every message in Spanish but the room's location as the admin typed
it in English ("Imaging department, level 2"). A room now has the same line in Spanish, shown to
them on their page, in their reminders and in the calendar file when it is filled; empty (every room
after this upgrade), they read the English line as before. The downgrade drops the column.

Revision ID: 0061_room_location_es
Revises: 0060_liability_notice_signed
Create Date: 2026-12-06 17:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0061_room_location_es'
down_revision = '0060_liability_notice_signed'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('rooms') as batch_op:
        batch_op.add_column(sa.Column('location_es', sa.String(length=200), nullable=False, server_default=''))


def downgrade():
    with op.batch_alter_table('rooms') as batch_op:
        batch_op.drop_column('location_es')

"""when each preparation step last changed on the risk screen (hold, premedication, fasting)

A plan changed after the booking (a longer hold, the prescriber's agreement, a premedication added)
is given to the patient when it changes: whether its dates are still ahead is judged at that moment,
not at the booking's. Screens already on file keep NULL: their steps are judged from the booking or
the latest move, as before. The downgrade drops the three columns.

Revision ID: 0035_preparation_step_changes
Revises: 0034_family_name_parts
Create Date: 2026-12-05 19:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0035_preparation_step_changes'
down_revision = '0034_family_name_parts'
branch_labels = None
depends_on = None

COLUMNS = ('hold_set_at', 'premedication_set_at', 'fasting_set_at')


def upgrade():
    with op.batch_alter_table('risk_screens') as batch:
        for name in COLUMNS:
            batch.add_column(sa.Column(name, sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('risk_screens') as batch:
        for name in reversed(COLUMNS):
            batch.drop_column(name)

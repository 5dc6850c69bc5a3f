"""the cases of one state in waiting order: the worklist filtered by a state reads the first rows of
one index range (state, state_changed_at, id), with the id that breaks ties, so it never sorts nor
walks past the open cases of other states (at 1,000,000 cases the open cases' index walked 0.9 ms
for the cases under review, 0.2 ms at 100,000)

Revision ID: 0033_state_waiting_order
Revises: 0032_relief_spans
Create Date: 2026-12-05 14:10:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0033_state_waiting_order'
down_revision = '0032_relief_spans'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index('ix_cases_state_changed')
        batch_op.create_index('ix_cases_state_changed', ['state', 'state_changed_at', 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index('ix_cases_state_changed')
        batch_op.create_index('ix_cases_state_changed', ['state', 'state_changed_at'], unique=False)

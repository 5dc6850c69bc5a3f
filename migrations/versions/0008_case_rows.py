"""each case's worklist line, kept with the case

The worklist used to run the eligibility engine for every row of every page. case_rows keeps what
a row says (what the case waits for, whether its verdict still stands, whether a physician
overrode it) with the clinic day and default payer profile it was worked out for; the app writes it
in the same flush as every change of the case's records. The upgrade leaves the table empty: the
worklist works out a missing line when it shows it, and `flask worklist refresh` (run it once after
upgrading, then nightly from cron) fills them all.

Revision ID: 0008_case_rows
Revises: 0007_case_state_counts
Create Date: 2026-12-05 08:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0008_case_rows'
down_revision = '0007_case_state_counts'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'case_rows',
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('waiting_for', sa.JSON(), nullable=False),
        sa.Column('verdict_stale', sa.Boolean(), nullable=False),
        sa.Column('overridden', sa.Boolean(), nullable=False),
        sa.Column('computed_on', sa.Date(), nullable=False),
        sa.Column('default_profile', sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_rows_case_id_cases'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('case_id', name=op.f('pk_case_rows')),
    )
    with op.batch_alter_table('case_rows', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_rows_computed_on'), ['computed_on'], unique=False)


def downgrade():
    with op.batch_alter_table('case_rows', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_rows_computed_on'))
    op.drop_table('case_rows')

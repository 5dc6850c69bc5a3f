"""each injected side's relief span kept for the reports (relief_spans)

The reports' relief survival curve read every diary score of the period's injected sides in time
order, in two grouped passes (3.2 s at 100,000 cases with 1 M diary entries). Each side's span (whole
days relief lasted at 50 % or more, and whether it ended or was censored) is now kept per case and
side, written with the change that alters it (tracker/diary/kept.py) and read by the same functions
as the physician's diary reading. The backfill computes every signed case's spans with those
functions (tracker.diary.kept.keep_all), a batch of cases at a time.

Revision ID: 0032_relief_spans
Revises: 0031_mrn_key_ignores_punctuation
Create Date: 2026-12-05 12:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

from tracker.diary.kept import keep_all


# revision identifiers, used by Alembic.
revision = '0032_relief_spans'
down_revision = '0031_mrn_key_ignores_punctuation'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'relief_spans',
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('side', sa.String(length=5), nullable=False),
        sa.Column('injected_at', sa.DateTime(), nullable=False),
        sa.Column('lasted_days', sa.Integer(), nullable=False),
        sa.Column('ended', sa.Boolean(), nullable=False),
        sa.CheckConstraint("side IN ('left', 'right')", name=op.f('ck_relief_spans_relief_span_side')),
        sa.CheckConstraint('lasted_days >= 0', name=op.f('ck_relief_spans_relief_span_days')),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_relief_spans_case_id_cases')),
        sa.PrimaryKeyConstraint('case_id', 'side', name=op.f('pk_relief_spans')),
    )
    with op.batch_alter_table('relief_spans', schema=None) as batch_op:
        batch_op.create_index('ix_relief_spans_injected_at', ['injected_at', 'lasted_days', 'ended'], unique=False)
    keep_all(op.get_bind())


def downgrade():
    with op.batch_alter_table('relief_spans', schema=None) as batch_op:
        batch_op.drop_index('ix_relief_spans_injected_at')
    op.drop_table('relief_spans')

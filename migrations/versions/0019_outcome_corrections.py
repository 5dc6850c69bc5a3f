"""outcomes keep the diary's reading of the duration beside the recorded one, with the reason for a
difference; a physician's correction keeps the replaced values (outcome_revisions)

The backfill reads the diary's duration from what each outcome kept when it was recorded (per_side:
the shorter side's days, none when a side had nothing to judge by), so an outcome recorded as 120
days against a diary reading 42 shows both from now on. Earlier outcomes have no reason on file.

Revision ID: 0019_outcome_corrections
Revises: 0018_diary_felt_at
Create Date: 2026-12-05 08:30:00.000000

"""
import json

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0019_outcome_corrections'
down_revision = '0018_diary_felt_at'
branch_labels = None
depends_on = None


def _diary_days(per_side):
    if isinstance(per_side, str):
        per_side = json.loads(per_side)
    days = [side.get('therapeutic_days') for side in (per_side or {}).values()]
    return None if not days or None in days else min(days)


def upgrade():
    with op.batch_alter_table('outcomes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('diary_therapeutic_days', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('therapeutic_days_reason', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('version_id', sa.Integer(), server_default='1', nullable=False))

    outcomes = sa.table('outcomes', sa.column('id', sa.Integer), sa.column('per_side', sa.JSON),
                        sa.column('diary_therapeutic_days', sa.Integer))
    bind = op.get_bind()
    for row in bind.execute(sa.select(outcomes.c.id, outcomes.c.per_side)).all():
        bind.execute(outcomes.update().where(outcomes.c.id == row.id)
                     .values(diary_therapeutic_days=_diary_days(row.per_side)))

    op.create_table('outcome_revisions',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('outcome_id', sa.Integer(), nullable=False),
                    sa.Column('diagnostic_result', sa.String(length=16), nullable=True),
                    sa.Column('therapeutic_days', sa.Integer(), nullable=True),
                    sa.Column('therapeutic_days_reason', sa.Text(), nullable=False),
                    sa.Column('notes', sa.Text(), nullable=False),
                    sa.Column('replaced_at', sa.DateTime(), nullable=False),
                    sa.Column('replaced_by_id', sa.Integer(), nullable=False),
                    sa.Column('reason', sa.Text(), nullable=False),
                    sa.CheckConstraint("reason <> ''", name=op.f('ck_outcome_revisions_reason_given')),
                    sa.ForeignKeyConstraint(['outcome_id'], ['outcomes.id'],
                                            name=op.f('fk_outcome_revisions_outcome_id_outcomes')),
                    sa.ForeignKeyConstraint(['replaced_by_id'], ['users.id'],
                                            name=op.f('fk_outcome_revisions_replaced_by_id_users')),
                    sa.PrimaryKeyConstraint('id', name=op.f('pk_outcome_revisions')))
    with op.batch_alter_table('outcome_revisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outcome_revisions_outcome_id'), ['outcome_id'], unique=False)


def downgrade():
    with op.batch_alter_table('outcome_revisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outcome_revisions_outcome_id'))
    op.drop_table('outcome_revisions')
    # Plain DROP COLUMN (SQLite 3.35 and later): no table rebuild.
    for column in ('version_id', 'therapeutic_days_reason', 'diary_therapeutic_days'):
        op.execute(f'ALTER TABLE outcomes DROP COLUMN {column}')

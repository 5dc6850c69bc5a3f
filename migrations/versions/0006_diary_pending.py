"""diary points record when they were completed; partial indexes on the points still pending

The reminder and overdue queries used to count each point's entries; with diary_points.completed_at
they read one column, through indexes that hold only the points still waiting for an entry (these
replace the full opens_at and closes_at indexes, which nothing else reads).

The backfill marks complete every point with an entry for each side its case rates (two for a
bilateral case, one otherwise), at the time the last of them was first entered: a corrected entry's
first revision keeps that time, as the app leaves completed_at alone on a correction.

Revision ID: 0006_diary_pending
Revises: 0005_diary
Create Date: 2026-12-01 09:12:40.118264

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006_diary_pending'
down_revision = '0005_diary'
branch_labels = None
depends_on = None

PENDING = sa.text('completed_at IS NULL')

# Plain SQL that PostgreSQL and SQLite both run; correlated sub-selects, as SQLite has no UPDATE ... FROM
# before 3.33.
BACKFILL = """
UPDATE diary_points SET completed_at = (
    SELECT max(COALESCE((SELECT min(r.entered_at) FROM diary_entry_revisions r WHERE r.entry_id = e.id),
                        e.entered_at))
    FROM diary_entries e WHERE e.point_id = diary_points.id)
WHERE (SELECT count(*) FROM diary_entries e WHERE e.point_id = diary_points.id)
      >= (SELECT CASE WHEN c.side = 'bilateral' THEN 2 ELSE 1 END FROM cases c WHERE c.id = diary_points.case_id)
"""


def upgrade():
    with op.batch_alter_table('diary_points', schema=None) as batch_op:
        batch_op.add_column(sa.Column('completed_at', sa.DateTime(), nullable=True))

    op.execute(BACKFILL)

    with op.batch_alter_table('diary_points', schema=None) as batch_op:
        batch_op.drop_index('ix_diary_points_opens_at')
        batch_op.drop_index('ix_diary_points_closes_at')
        batch_op.create_index('ix_diary_points_pending_closes_at', ['closes_at'], unique=False,
                              postgresql_where=PENDING, sqlite_where=PENDING)
        batch_op.create_index('ix_diary_points_pending_window', ['opens_at', 'closes_at'], unique=False,
                              postgresql_where=PENDING, sqlite_where=PENDING)


def downgrade():
    with op.batch_alter_table('diary_points', schema=None) as batch_op:
        batch_op.drop_index('ix_diary_points_pending_window', postgresql_where=PENDING, sqlite_where=PENDING)
        batch_op.drop_index('ix_diary_points_pending_closes_at', postgresql_where=PENDING, sqlite_where=PENDING)
        batch_op.create_index('ix_diary_points_closes_at', ['closes_at'], unique=False)
        batch_op.create_index('ix_diary_points_opens_at', ['opens_at'], unique=False)

    with op.batch_alter_table('diary_points', schema=None) as batch_op:
        batch_op.drop_column('completed_at')

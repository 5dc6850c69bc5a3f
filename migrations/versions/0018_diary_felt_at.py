"""diary entries record the moment the score describes (felt_at)

A score describes the pain when it is given, or, for a score staff record from a call, the moment
the patient recalls. Entries made before this revision were given when they were entered, so the
backfill copies entered_at (the first entry's time for a corrected entry, whose entered_at moved
to the correction).

Revision ID: 0018_diary_felt_at
Revises: 0017_held_forms
Create Date: 2026-12-05 08:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0018_diary_felt_at'
down_revision = '0017_held_forms'
branch_labels = None
depends_on = None

BACKFILL = """
UPDATE diary_entries SET felt_at = COALESCE(
    (SELECT min(r.entered_at) FROM diary_entry_revisions r WHERE r.entry_id = diary_entries.id),
    entered_at)
"""


def upgrade():
    # Nullable in the schema: making it NOT NULL would make SQLite rebuild the table, which the
    # revisions referencing its rows refuse. The app and this backfill always set it.
    with op.batch_alter_table('diary_entries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('felt_at', sa.DateTime(), nullable=True))
    op.execute(BACKFILL)


def downgrade():
    # A plain DROP COLUMN (SQLite 3.35 and later), for the same reason: no table rebuild.
    op.execute('ALTER TABLE diary_entries DROP COLUMN felt_at')

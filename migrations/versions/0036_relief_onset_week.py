"""relief spans worked out again: a score below half before day 7 no longer ends the relief

The kept relief spans (relief_spans) ended at the first follow-up score below 50 %, so a diary
reading 43 % on day 1 (the anaesthetic worn off, the steroid not yet acting) and 57-71 % from day 2
to 2 weeks read 0 days. tracker.diary.relief now lets the steroid its first week: a score below
half before day 7 neither ends the relief nor denies it. Every signed case's spans are worked out
again with that rule (tracker.diary.kept.keep_all, a batch of cases at a time). The downgrade keeps
the spans as they are: the rule before cannot be run again from here, and the reports read them
either way.

Revision ID: 0036_relief_onset_week
Revises: 0035_preparation_step_changes
Create Date: 2026-12-05 20:00:00

"""
from alembic import op
import sqlalchemy as sa

from tracker.diary.kept import keep_all


# revision identifiers, used by Alembic.
revision = '0036_relief_onset_week'
down_revision = '0035_preparation_step_changes'
branch_labels = None
depends_on = None


def upgrade():
    conn = op.get_bind()
    conn.execute(sa.text("DELETE FROM relief_spans"))
    keep_all(conn)


def downgrade():
    pass

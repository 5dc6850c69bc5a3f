"""relief spans worked out again: each score read at the moment it was felt

A diary score felt inside its time point's window was read at the point's time: a 3-month score
given on day 76 (its window opens 14 days early) counted as 90 days of relief, which meets
Medicare's 90 days for a repeat on 76 days seen. tracker.diary.relief now reads every score at the
moment it was felt (DESIGN.md section 4), and a side whose relief had not ended is censored where
its diary stops (its latest follow-up score), not at its last score at 50 % or more. Every signed
case's kept spans (relief_spans) are worked out again with that reading (tracker.diary.kept.keep_all,
a batch of cases at a time). Recorded outcomes are not touched: a recorded clinical decision keeps
the duration the physician recorded. The downgrade keeps the spans as they are: the reading before
cannot be run again from here, and the reports read them either way.

Revision ID: 0054_relief_read_when_felt
Revises: 0053_side_days
Create Date: 2026-12-06 12:00:00

"""
from alembic import op
import sqlalchemy as sa

from tracker.diary.kept import keep_all


# revision identifiers, used by Alembic.
revision = '0054_relief_read_when_felt'
down_revision = '0053_side_days'
branch_labels = None
depends_on = None


def upgrade():
    conn = op.get_bind()
    conn.execute(sa.text("DELETE FROM relief_spans"))
    keep_all(conn)


def downgrade():
    pass

"""relief spans worked out again: a side that never reached 50 % relief leaves the curve on day 0

A side whose follow-up scores never reached 50 % relief, its diary stopping before day 7 (8 before,
8 on day 1 and 8 on day 2, then nothing), was kept as censored where its diary stopped, so the
relief survival curve counted it as still at 50 % or more to that day, while its diary read "0
days: no relief of 50 % or more". tracker.diary.relief now counts such a side as an event on day 0
(no day of relief to count). Every signed case's kept spans (relief_spans) are worked out again
with that reading (tracker.diary.kept.keep_all, a batch of cases at a time); a span the reading does
not change stays as it was. Recorded outcomes are not touched. The downgrade keeps the spans as
they are: the reading before cannot be run again from here, and the reports read them either way.

Revision ID: 0069_relief_none_seen_day_0
Revises: 0068_patient_no_longer_reachable
Create Date: 2026-12-07 23:30:00

"""
from alembic import op
import sqlalchemy as sa

from tracker.diary.kept import keep_all


# revision identifiers, used by Alembic.
revision = '0069_relief_none_seen_day_0'
down_revision = '0068_patient_no_longer_reachable'
branch_labels = None
depends_on = None


def upgrade():
    conn = op.get_bind()
    conn.execute(sa.text("DELETE FROM relief_spans"))
    keep_all(conn)


def downgrade():
    pass

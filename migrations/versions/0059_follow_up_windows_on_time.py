"""the diary's follow-up windows from day 7 on open at their point, never before it

A score describes the moment it is given, and the reminder goes out when a window opens: the
windows of Day 7, 2 weeks, 6 weeks and 3, 6 and 12 months opened 1, 3, 7 and 14 days before their
point, so a patient who answered on time described a day before it (a 3-month score on day 76
showed relief for 76 days) and a payer's duration (Medicare's repeat: 90 days, the 3-month point)
could never be met on time. Each now opens at its point (`due_at`) and stays open after it as long
as the whole window was: Day 7 2 days, 2 weeks 6, 6 weeks 14, the months 28
(tracker/diary/schedule.py as of this revision).

Points of those codes whose window has not opened yet and that hold no entry get the new window;
one already open (or closed) or with a score stays as it was (a score describes the moment it was
given). The overdue list's `chase_until` (the opening of the case's next point, kept on each
point: tracker/diary/chase.py) and `chased` are worked out again for the cases touched, as the app
works them out. The downgrade gives back the old windows to the points still without an entry
whose old window would not have opened yet, and works the chase out again likewise.

Revision ID: 0059_follow_up_windows_on_time
Revises: 0058_baseline_on_injection_day
Create Date: 2026-12-06 14:20:00

"""
from datetime import datetime, timedelta

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0059_follow_up_windows_on_time'
down_revision = '0058_baseline_on_injection_day'
branch_labels = None
depends_on = None

# Per code: (old opens_before, old closes_after, new closes_after) in days; the new opens_before is 0.
WINDOWS = {
    'd7': (1, 1, 2),
    'w2': (3, 3, 6),
    'w6': (7, 7, 14),
    'mo3': (14, 14, 28),
    'mo6': (14, 14, 28),
    'mo12': (14, 14, 28),
}
# The baseline and the anaesthetic window's points: never chased (as in 0027_diary_chase).
NEVER_CHASED = ('t0', 'm15', 'm30', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6')
BATCH = 500

points = sa.table('diary_points', sa.column('id', sa.Integer), sa.column('case_id', sa.Integer),
                  sa.column('point_code', sa.String), sa.column('due_at', sa.DateTime),
                  sa.column('opens_at', sa.DateTime), sa.column('closes_at', sa.DateTime),
                  sa.column('completed_at', sa.DateTime), sa.column('chase_until', sa.DateTime),
                  sa.column('chased', sa.Boolean))
entries = sa.table('diary_entries', sa.column('point_id', sa.Integer))
cases = sa.table('cases', sa.column('id', sa.Integer), sa.column('state', sa.String))


def _utcnow():
    # Stored as naive UTC.
    return datetime.utcnow()


def upgrade():
    def new_window(code, due_at):
        return due_at, due_at + timedelta(days=WINDOWS[code][2])
    _move(_utcnow(), new_window, lambda code, due_at, now: True)


def downgrade():
    def old_window(code, due_at):
        before, after, _ = WINDOWS[code]
        return due_at - timedelta(days=before), due_at + timedelta(days=after)
    # Only where the old window would not have opened yet either.
    _move(_utcnow(), old_window, lambda code, due_at, now: due_at - timedelta(days=WINDOWS[code][0]) > now)


def _move(now, window, still_to_open):
    """Give `window(code, due_at)` to the points of WINDOWS' codes whose window has not opened at
    `now` and that hold no entry, in batches by id, then work the chase out again for their cases."""
    conn = op.get_bind()
    touched, after_id = set(), 0
    move = (points.update().where(points.c.id == sa.bindparam('point_id'))
            .values(opens_at=sa.bindparam('new_opens'), closes_at=sa.bindparam('new_closes')))
    while True:
        rows = conn.execute(
            sa.select(points.c.id, points.c.case_id, points.c.point_code, points.c.due_at, points.c.opens_at,
                      points.c.closes_at)
            .where(points.c.id > after_id, points.c.point_code.in_(sorted(WINDOWS)), points.c.due_at.is_not(None),
                   points.c.opens_at > now, points.c.completed_at.is_(None),
                   ~sa.exists().where(entries.c.point_id == points.c.id))
            .order_by(points.c.id).limit(BATCH)).all()
        if not rows:
            break
        after_id = rows[-1].id
        changes = []
        for row in rows:
            if not still_to_open(row.point_code, row.due_at, now):
                continue
            opens, closes = window(row.point_code, row.due_at)
            if (opens, closes) != (row.opens_at, row.closes_at):
                changes.append({'point_id': row.id, 'new_opens': opens, 'new_closes': closes})
                touched.add(row.case_id)
        if changes:
            conn.execute(move, changes)
    ordered = sorted(touched)
    for start in range(0, len(ordered), BATCH):
        conn.execute(_keep_chase(ordered[start:start + BATCH], now))


def _keep_chase(case_ids, now):
    """`chase_until` and `chased` of every point of these cases, as tracker/diary/chase.py works
    them out: until the next point's opening (the last point keeps its own: None in follow-up, the
    moment the case left it otherwise, which no window moves); chased when the case is in follow-up,
    the point is not the baseline's or the anaesthetic window's, and its chase has not ended."""
    later = points.alias('later')
    next_opening = (sa.select(sa.func.min(later.c.opens_at))
                    .where(later.c.case_id == points.c.case_id, later.c.opens_at > points.c.opens_at)
                    .scalar_subquery())
    until = sa.func.coalesce(next_opening, points.c.chase_until)
    in_follow_up = sa.exists().where(cases.c.id == points.c.case_id, cases.c.state == 'follow_up')
    still = sa.or_(until.is_(None), until > sa.literal(now, sa.DateTime))
    return (points.update().where(points.c.case_id.in_(case_ids))
            .values(chase_until=until,
                    chased=sa.case((sa.and_(in_follow_up, points.c.point_code.not_in(NEVER_CHASED), still),
                                    sa.true()), else_=sa.false())))

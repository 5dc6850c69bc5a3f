"""How long a diary point is chased, kept on the point so the overdue list is an index range.

A missed point is chased (listed as overdue, see tracker/diary/overdue.py) from the moment its
window closes until the case's next point opens (then the patient is asked for that one, and a
score recalled for the missed moment grows less reliable by the day: DESIGN.md section 4), and
the last point until its case leaves follow-up. The baseline and the anaesthetic window's points
are never chased: given late they would not count.

Each point keeps two values, written with the points at signing and when the case leaves
follow-up (in the flush that writes its new state), never worked out per request:

- `chase_until`: the next point's opening; for the last point None while its case is in
  follow-up, then the moment it left;
- `chased`: whether the point may still be chased. Time alone ends a chase (the next point
  opens), so the nightly `flask worklist refresh` clears it for the points whose `chase_until`
  has passed; until it runs, the overdue query's `chase_until > now` leaves them out anyway. The
  overdue list's partial index holds only pending points still chased, so its size follows the
  cases in follow-up, never the years of missed points behind them.
"""
from sqlalchemy import and_, case, event, exists, false, func, inspect, literal, or_, select, true, update
from sqlalchemy.orm import Session, aliased

from tracker.diary.schedule import SCHEDULES, Phase
from tracker.extensions import db
from tracker.models import Case, DiaryPoint
from tracker.timeutil import utcnow
from tracker.workflow import State

# The baseline and the anaesthetic window's points of every schedule.
NEVER_CHASED = frozenset(point.code for schedule in SCHEDULES.values() for point in schedule.points
                         if point.phase in (Phase.BASELINE, Phase.ANAESTHETIC))


def never_chased():
    """SQL: the point is of a kind nobody chases."""
    return DiaryPoint.point_code.in_(sorted(NEVER_CHASED))


def next_opening():
    """SQL: when the case's next point opens (None for the last point)."""
    later = aliased(DiaryPoint)
    return (select(func.min(later.opens_at))
            .where(later.case_id == DiaryPoint.case_id, later.opens_at > DiaryPoint.opens_at)
            .scalar_subquery())


def _keep(case_id, left_at=None):
    """The UPDATE that works out `chase_until` and `chased` for every point of a case (a point
    whose chase has already ended, as a diary entered late has, is not chased)."""
    until = next_opening()
    if left_at is not None:
        until = func.coalesce(until, literal(left_at, DiaryPoint.chase_until.type))
    in_follow_up = exists().where(Case.id == DiaryPoint.case_id, Case.state == State.FOLLOW_UP)
    still = or_(until.is_(None), until > literal(utcnow(), DiaryPoint.chase_until.type))
    return (update(DiaryPoint).where(DiaryPoint.case_id == case_id)
            .values(chase_until=until,
                    chased=case((and_(in_follow_up, ~never_chased(), still), true()), else_=false()))
            .execution_options(synchronize_session=False))


def keep_for_case(case_id):
    """Work out `chase_until` and `chased` for every point of a case after its points were written
    (signing). The caller commits."""
    db.session.flush()
    db.session.execute(_keep(case_id))
    for point in list(db.session.identity_map.values()):
        if isinstance(point, DiaryPoint) and point.case_id == case_id:
            db.session.expire(point, ["chase_until", "chased"])


@event.listens_for(Session, "after_flush")
def _left_follow_up(session, flush_context):
    """A case that leaves follow-up (the close, or any other write of its state) stops every
    chase in the same flush: its last point's `chase_until` becomes the moment it left."""
    for case_row in session.dirty:
        if not isinstance(case_row, Case):
            continue
        history = inspect(case_row).attrs.state.history
        # The old state is known when it was read before the write (as `transition` does); a
        # write to an unread state is taken as leaving follow-up when it closes the case.
        left = (history.deleted[0] == State.FOLLOW_UP) if history.deleted else case_row.state == State.CLOSED
        if history.added and left and case_row.state != State.FOLLOW_UP:
            session.connection().execute(_keep(case_row.id, left_at=case_row.state_changed_at or utcnow()))


def end_lapsed(now, batch=5000):
    """Clear `chased` on the points whose chase ended by `now` (the nightly refresh; idempotent,
    safe on two machines at once: each update is a plain write of the same answer). Returns how
    many points it cleared."""
    done = 0
    while True:
        ids = select(DiaryPoint.id).where(DiaryPoint.chased.is_(True), DiaryPoint.chase_until <= now) \
            .limit(batch).scalar_subquery()
        cleared = db.session.execute(update(DiaryPoint).where(DiaryPoint.id.in_(ids)).values(chased=False)
                                     .execution_options(synchronize_session=False)).rowcount
        db.session.commit()
        done += cleared
        if cleared < batch:
            return done

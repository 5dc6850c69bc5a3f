"""Overdue diaries for the coordinators: cases in follow-up with a time point whose window has
closed without an entry for every side, and no later point open yet (once one has opened, the
missed one is missed, not chased), most overdue first, with the last reminder tried.

The baseline is left out: once the injection has started it can no longer be given, so there is
nobody to chase for it (the physician's diary view shows it missing). So are the anaesthetic
window's points: given late they would not count.

Which points are chased, and until when, is kept on each point (tracker/diary/chase.py), so the
list is a range of one partial index read in order: a case has at most one overdue point (the
next point opens after a missed one closes, and ends its chase), and the page reads only its own
rows of that range, never ranking every overdue case. A page is loaded in a fixed number of
queries whatever its size: the page of cases with their patients, their overdue points, their
reminders, their links and their patients' accounts.
"""
from dataclasses import dataclass

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import aliased, joinedload

from tracker.diary.services import time_point
from tracker.extensions import db
from tracker.models import Case, DiaryLink, DiaryPoint, DiaryReminder, User


def entry_missing():
    """SQL: the point lacks an entry for a side its case needs (a bilateral case rates both).
    The point records when it was completed, so this reads one column of the point (and the
    partial indexes on pending points) instead of counting its entries."""
    return DiaryPoint.completed_at.is_(None)


def superseded(now):
    """SQL: a later point of the same case has opened by `now`. A missed point is never chased
    once one has: the patient is asked for that one, and a score recalled for the missed moment
    grows less reliable by the day (DESIGN.md section 4). (The overdue list reads the same answer
    kept on the point, `chase_until`.)"""
    later = aliased(DiaryPoint)
    return exists().where(later.case_id == DiaryPoint.case_id, later.opens_at > DiaryPoint.opens_at,
                          later.opens_at <= now)


def _overdue(now):
    # The terms of the partial index ix_diary_points_chased_closes_at first, then the range.
    return (entry_missing(), DiaryPoint.chased,
            DiaryPoint.closes_at < now, or_(DiaryPoint.chase_until.is_(None), DiaryPoint.chase_until > now))


def query(now):
    """Cases with an overdue point, the one whose missed window closed first at the top."""
    return (select(Case).join(DiaryPoint, DiaryPoint.case_id == Case.id)
            .options(joinedload(Case.patient))
            .where(*_overdue(now))
            .order_by(DiaryPoint.closes_at, DiaryPoint.id))


@dataclass(frozen=True)
class OverduePoint:
    label: str
    closed_at: object
    days: int


@dataclass(frozen=True)
class Row:
    case: Case
    points: list
    days_overdue: int
    last_reminder: DiaryReminder | None
    # A working personal link or an active patient account: otherwise no reminder can go out.
    reachable: bool = True


def rows(cases, now):
    ids = [case.id for case in cases]
    if not ids:
        return []
    points = db.session.execute(
        select(DiaryPoint).where(DiaryPoint.case_id.in_(ids), *_overdue(now)).order_by(DiaryPoint.closes_at)
    ).scalars().all()
    # At most REMINDER_MAX_ATTEMPTS rows per point: reading them all is cheaper than asking the
    # database for the newest per case.
    reminders = db.session.execute(
        select(DiaryReminder, DiaryPoint.case_id).join(DiaryPoint, DiaryPoint.id == DiaryReminder.point_id)
        .where(DiaryPoint.case_id.in_(ids)).order_by(DiaryReminder.claimed_at, DiaryReminder.id)
    ).all()
    by_case = {case_id: [] for case_id in ids}
    cases_by_id = {case.id: case for case in cases}
    for point in points:
        by_case[point.case_id].append(OverduePoint(time_point(cases_by_id[point.case_id], point.point_code).label,
                                                   point.closes_at, (now - point.closes_at).days))
    last = {case_id: reminder for reminder, case_id in reminders}
    linked = set(db.session.execute(
        select(DiaryLink.case_id).where(DiaryLink.case_id.in_(ids), DiaryLink.revoked_at.is_(None),
                                        DiaryLink.expires_at > now)).scalars())
    with_account = set(db.session.execute(
        select(User.patient_id).where(User.patient_id.in_([case.patient_id for case in cases]),
                                      User.active.is_(True))).scalars())
    return [Row(case, by_case[case.id], max((p.days for p in by_case[case.id]), default=0), last.get(case.id),
                case.id in linked or case.patient_id in with_account)
            for case in cases]


CSV_HEADER = ["Case", "MRN", "Patient", "Phone", "Side", "Overdue scores", "Oldest window closed",
              "Days overdue", "Last reminder", "Last reminder status", "A reminder can reach the patient"]


def csv_row(row):
    """An overdue row as the CSV download writes it: the page's columns, one case a line."""
    case, reminder = row.case, row.last_reminder
    return (case.id, case.patient.mrn, case.patient.display_name, case.patient.phone, case.side,
            "; ".join(point.label for point in row.points), min((p.closed_at for p in row.points), default=None),
            row.days_overdue, (reminder.sent_at or reminder.claimed_at) if reminder else None,
            (reminder.status + (f": {reminder.detail}" if reminder.detail else "")) if reminder else "none sent",
            row.reachable)

"""Overdue diaries for the coordinators: cases in follow-up with a time point whose window has
closed without an entry for every side, and no later point open yet (once one has opened, the
missed one is missed, not chased), most overdue first, with the last reminder tried.

The baseline is left out: once the injection has started it can no longer be given, so there is
nobody to chase for it (the physician's diary view shows it missing). So are the anaesthetic
window's points: given late they would not count.

Which points are chased, and until when, is kept on each point (tracker/diary/chase.py), so the
list is a range of one partial index read in order: a case has at most one overdue point (the
next point opens after a missed one closes, and ends its chase), and the page reads only its own
rows of that range, never ranking every overdue case. A page is loaded in two queries whatever
its size: its rows (each case's overdue point with the patient's name and contacts, and whether a
reminder can reach them), then their reminders. Both read only the columns the list shows.
"""
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import bindparam, exists, or_, select
from sqlalchemy.orm import aliased

from tracker.contact import REACHED_BY, status_words
from tracker.diary.schedule import point_of
from tracker.extensions import db
from tracker.models import Case, DiaryLink, DiaryPoint, DiaryReminder, Patient, User
from tracker.patients.identity import full_name
from tracker.phones import display as phone_shown
from tracker.vocab import ContactChannel


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
    """The list's rows, the case whose missed window closed first at the top: one a case (its one
    overdue point), as plain rows of the columns the list shows, with whether a reminder can reach
    the patient (a working personal link or an active patient account)."""
    return _listing().params(now=now)


@lru_cache(maxsize=1)
def _listing():
    # Built once per process (building it costs more than reading a page of it); `now` is bound
    # on each use.
    now = bindparam("now")
    # Asked per row read, through the links' and accounts' indexes: as EXISTS, PostgreSQL would
    # hash every working link first, planning for all the overdue rows, not the page's 26.
    linked = (select(DiaryLink.id).where(DiaryLink.case_id == Case.id, DiaryLink.revoked_at.is_(None),
                                         DiaryLink.expires_at > now)
              .limit(1).scalar_subquery().is_not(None))
    with_account = (select(User.id).where(User.patient_id == Case.patient_id, User.active.is_(True))
                    .scalar_subquery().is_not(None))
    return (select(Case.id.label("case_id"), Case.side, Case.payer_profile_code, Patient.family_name,
                   Patient.given_name, Patient.mrn, Patient.phone, Patient.preferred_contact, DiaryPoint.point_code,
                   DiaryPoint.closes_at,
                   or_(linked, with_account).label("reachable"))
            .join_from(DiaryPoint, Case, DiaryPoint.case_id == Case.id)
            .join(Patient, Patient.id == Case.patient_id)
            # A patient no longer reachable (died, left the clinic's care) is not chased.
            .where(*_overdue(now), Patient.contact_ended.is_(None))
            .order_by(DiaryPoint.closes_at, DiaryPoint.id))


@lru_cache(maxsize=1)
def _reminders():
    # At most REMINDER_MAX_ATTEMPTS rows per point: reading them all is cheaper than asking the
    # database for the newest per case.
    return (select(DiaryReminder.status, DiaryReminder.detail, DiaryReminder.sent_at, DiaryReminder.claimed_at,
                   DiaryPoint.case_id)
            .join(DiaryPoint, DiaryPoint.id == DiaryReminder.point_id)
            .where(DiaryPoint.case_id.in_(bindparam("case_ids", expanding=True)))
            .order_by(DiaryReminder.claimed_at, DiaryReminder.id))


@dataclass(frozen=True)
class OverduePoint:
    label: str
    closed_at: object
    days: int


@dataclass(frozen=True)
class LastReminder:
    status: str
    detail: str | None
    sent_at: object
    claimed_at: object


@dataclass(frozen=True)
class Row:
    case_id: int
    patient: str  # the name as lists show it, "Family, Given"
    mrn: str
    phone: str | None
    side: object
    points: list
    days_overdue: int
    last_reminder: LastReminder | None
    # A working personal link or an active patient account, and a patient who does not prefer phone
    # calls: otherwise no reminder can go out.
    reachable: bool = True
    # No automatic message goes to a patient who prefers phone calls (tracker.contact): staff call.
    prefers_calls: bool = False


def rows(found, now):
    """The list's rows for rows of `query` (a page, or a batch of the download), with each case's
    last reminder: one more query, whatever their number."""
    if not found:
        return []
    by_case = {}
    for row in found:
        # A case has one overdue point; should it ever have two, they share its line.
        by_case.setdefault(row.case_id, []).append(row)
    last = {case_id: LastReminder(status, detail, sent_at, claimed_at)
            for status, detail, sent_at, claimed_at, case_id
            in db.session.execute(_reminders(), {"case_ids": list(by_case)})}
    result = []
    for case_id, points in by_case.items():
        first = points[0]
        shown = [OverduePoint(point_of(first.payer_profile_code, p.point_code).label, p.closes_at,
                              (now - p.closes_at).days)
                 for p in sorted(points, key=lambda p: p.closes_at)]
        prefers_calls = not REACHED_BY[ContactChannel(first.preferred_contact)]
        result.append(Row(case_id, full_name(first.family_name, first.given_name), first.mrn, first.phone,
                          first.side, shown, max(p.days for p in shown), last.get(case_id),
                          bool(first.reachable) and not prefers_calls, prefers_calls))
    return result


CSV_HEADER = ["Case", "MRN", "Patient", "Phone", "Side", "Overdue scores", "Oldest window closed",
              "Days overdue", "Last reminder", "Last reminder status", "A reminder can reach the patient"]


def csv_row(row):
    """An overdue row as the CSV download writes it: the page's columns, one case a line."""
    reminder = row.last_reminder
    # The number as the page shows it ("(201) 555-0100"): stored as E.164, "+1201…" would be
    # escaped as a formula (tracker/export.py) and read "'+1201…" in a spreadsheet.
    return (row.case_id, row.mrn, row.patient, phone_shown(row.phone), row.side,
            "; ".join(point.label for point in row.points), min((p.closed_at for p in row.points), default=None),
            row.days_overdue, (reminder.sent_at or reminder.claimed_at) if reminder else None,
            "; ".join(filter(None, (
                (status_words(reminder) + (f": {reminder.detail}" if reminder.detail else "")) if reminder else None,
                # What holds now, after any earlier reminder: a patient who has since chosen calls gets no more.
                "none: prefers phone calls" if row.prefers_calls else None))) or "none sent",
            row.reachable)

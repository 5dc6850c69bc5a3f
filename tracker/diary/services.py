"""The pain diary's changes: creating a case's time points, entries (by the patient or by staff on
the phone), corrections with history, and the personal links. Views parse and check access; every
write happens here, with its audit row (never the scores themselves), in one commit.

Choices made here (README, "Pain diary"):
- The baseline (t0) is the patient's to give only before the injection: once the procedure has
  started, a score typed by the patient would measure the wrong thing, so only staff may still
  record a baseline the patient gave earlier (marked late).
- An entry is accepted from the moment its window opens; after the window closes it is marked late.
- One live personal link per case: sending a new one revokes the older ones, so a link forwarded
  or lost by mistake stops working as soon as staff send a fresh one, and reminders always carry
  the one link that works.
- A link that cannot be sent (no SMS provider or mail server set up) replaces nothing: the patient
  keeps the link they hold, and staff are shown it to read to them. Revoking it first, then making
  a new one, is the deliberate way to end a link that went astray. A link made without one working
  is kept as "not sent" (`sent_to` empty), never as sent.
"""
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from tracker import audit, contact, i18n, phones
from tracker.access import record_denial
from tracker.clinic import clinic_contact
from tracker.diary import chase, kept, links, relief
from tracker.diary.schedule import (DEFAULT_SCHEDULE, Due, EntryStatus, Phase, TimePoint, current_points,
                                    describes_hours, due_times, entry_status, given_for_earlier_appointment,
                                    is_open_now, point_of, schedule_for, window_holding)
from tracker.extensions import db
from tracker.links import public_url
from tracker.mail import MailError, send_mail
from tracker.sms import SmsError, send_sms, undo_all_but_the_stop
from tracker.models import DiaryEntry, DiaryEntryRevision, DiaryLink, DiaryPoint, DiaryReminder
from tracker.models.schedule import ACTIVE_STATUSES
from tracker.refusals import FieldError, Refusal, check_version
from tracker.timeutil import format_clinic, start_of_clinic_day, to_clinic, utcnow
from tracker.transactions import service, undo_refused_write
from tracker.vocab import N_, ContactChannel, EntrySource, Side, joints_of
from tracker.workflow import FINAL_STATES, State

BASELINE = "t0"
# Entries are taken while the diary is live: before the injection (the baseline), and from the
# injection on, signed or not (AFTER_INJECTION_STATES).
ENTRY_STATES = frozenset({State.SCHEDULED, State.IN_PROCEDURE, State.FOLLOW_UP})
# The post-injection points take entries from the moment the injectate is recorded (they are made
# then: the procedure may be signed hours later) and in follow-up. A procedure whose injectate is
# recorded cannot be abandoned, so a case with these points never goes back to scheduled.
AFTER_INJECTION_STATES = frozenset({State.IN_PROCEDURE, State.FOLLOW_UP})
# A case in these states is over: its link shows the patient's scores only, and ends
# DIARY_LINK_DAYS_AFTER_CLOSE after it got there.
CLOSED_STATES = FINAL_STATES  # the workflow's own set: the diary ends where the case does
# A personal link is sent from the booking until the case closes (also while the injection is given).
LINK_STATES = ENTRY_STATES | {State.IN_PROCEDURE}
# Stands in for "no end yet" so the baseline's open window sorts and compares like the others.
_NO_END = datetime(9999, 1, 1, tzinfo=timezone.utc)

# The warning signs (diary/_when_to_call.html: fever, redness or swelling where the needle went in, new
# numbness or weakness in the leg) are shown on the patient's pages this long after the injection,
# whatever the diary's state: a physician may record the outcome, which ends the diary, minutes after
# the injection, and an infection of the joint, a bleed or a weak leg shows in the hours and days after
# it, rarely after two weeks. While the diary runs they are shown however long it runs.
WHEN_TO_CALL_DAYS = 14

NOT_LIVE = _l("This diary is not taking entries now.")
LINK_NOT_VALID = _l("This link is not valid any more - ask the clinic for a new one.")


class EntryRefused(FieldError):
    """Nothing was stored; `message` says why in the patient's words, next to `field`."""

    def __init__(self, message, field="point"):
        super().__init__(field, message)


class LinkRefused(Refusal):
    """No link was sent; the message says why."""


# ------------------------------------------------------------------ the case's time points

def sides_of(case):
    """The sides the patient rates: each side of a bilateral case, otherwise the case's side."""
    return list(joints_of(case.side))


def _schedule(case):
    try:
        return schedule_for(case.payer_profile_code)
    except KeyError:
        return DEFAULT_SCHEDULE  # a profile without a schedule of its own reads the default


def time_point(case, code):
    """The schedule's description of a stored point (its label and phase)."""
    return point_of(case.payer_profile_code, code)


def baseline_opens(starts_at):
    """When the baseline's window opens for an appointment starting at `starts_at`: the clinic's
    midnight starting its day, the morning of the injection. A score given days before describes
    the pain then, not before the injection; opening at midnight, not at the booking, also lets
    staff record a score the patient recalls from that morning when the booking is made the same day."""
    return start_of_clinic_day(starts_at)


def ensure_baseline(case, opens_at):
    """The baseline point, open from `opens_at` (baseline_opens: the morning of the injection's day)
    until the injection. Booked again (after a no-show or a cancellation) or moved before anything
    was entered for it, its window follows the new day. Given already, it describes the pain on
    the morning it was given: moved to a later day (or booked again) its scores felt before the new
    morning were given for an appointment that did not take place, so the window follows the new
    day too and the patient is asked again (`given_earlier`: no reading counts those scores; the
    new score replaces them, keeping them as a revision). Moved within the day it stays as given;
    one closed by the injection is never moved. The caller commits."""
    row = _point_row(case, BASELINE)
    if row is None:
        row = DiaryPoint(case_id=case.id, point_code=BASELINE, opens_at=opens_at)
        db.session.add(row)
    elif row.closes_at is None and row.completed_at is None and not row.entries:
        row.opens_at = opens_at
    elif row.closes_at is None and any(entry.felt_at < opens_at for entry in row.entries):
        row.opens_at, row.completed_at = opens_at, None
        _audit(audit.Action.UPDATE, "diary_point", row.id,
               f"case {case.id}: diary {BASELINE} asked again on the morning of the new appointment "
               f"(the score given {short_day(min(e.felt_at for e in row.entries))} was for an "
               "appointment that did not take place)", None, None)
        kept.keep_relief(case)  # the reports' relief span, in the caller's commit
    return row


def given_earlier(row, entry):
    """Whether `entry` of point `row` is a baseline given for an earlier appointment, felt before
    the window of the appointment it now waits for (schedule.given_for_earlier_appointment): kept,
    shown as such, never read as the baseline."""
    return given_for_earlier_appointment(Phase.BASELINE if row.point_code == BASELINE else None,
                                         entry.felt_at, row.opens_at)


def first_entry(entry):
    """The score as it was first entered: the values its first correction replaced (a revision), or
    the entry itself when it was never corrected. Its `entered_at` is when the score was first
    entered (a correction saves the entry's `entered_at` as the moment of the correction), its
    `source` and `entered_by` how and by whom. A baseline given again for this appointment starts
    afresh: the score it replaced, entered before this window opened, is another appointment's."""
    row = entry.point
    since = entry.revisions
    if row.point_code == BASELINE:
        earlier = [i for i, r in enumerate(entry.revisions) if r.entered_at < row.opens_at]
        since = entry.revisions[earlier[-1] + 1:] if earlier else since
    return since[0] if since else entry


def corrected_at(entry):
    """When the score was last corrected (its entered_at once corrected), or None when it stands as
    first entered."""
    return entry.entered_at if first_entry(entry) is not entry else None


def start_follow_up(case, injected_at):
    """At the injection (its injectate recorded), and again at signing: close the baseline at the
    injection and create every post-injection point of the case's schedule with its window, timed
    from `injected_at`; points already made are kept as they are. The caller commits.

    A procedure started on an earlier day than booked opens the baseline's window at that day's
    start at the latest, so the window never closes before it opens."""
    baseline = _point_row(case, BASELINE)
    if baseline is None:
        baseline = ensure_baseline(case, baseline_opens(injected_at))
    elif baseline.closes_at is None:
        baseline.opens_at = min(baseline.opens_at, baseline_opens(injected_at))
    baseline.due_at = baseline.closes_at = injected_at
    existing = set(db.session.execute(
        db.select(DiaryPoint.point_code).filter_by(case_id=case.id)).scalars())
    for due in due_times(_schedule(case), injected_at):
        if due.point.code not in existing:
            db.session.add(DiaryPoint(case_id=case.id, point_code=due.point.code, due_at=due.due_at,
                                      opens_at=due.opens_at, closes_at=due.closes_at))
    # Until when each missed point is chased, kept with the points (the overdue list's index).
    chase.keep_for_case(case.id)


def withdraw_follow_up(case):
    """The injection turns out not to be over (a bilateral record's sign-out set back to name no side
    not injected, with a joint still to inject): the post-injection points made for the one joint
    are removed, to be made again when every joint is injected, timed from the later one (the
    baseline then closes at that injection too). Returns None once removed; or, removing nothing,
    why they cannot be: the first point the patient has already rated, or been reminded of, for the
    joint alone (its label and "rated" or "reminded"), since a score of one joint injected cannot
    stand in a diary of both. The caller commits."""
    points = db.session.execute(
        db.select(DiaryPoint).filter(DiaryPoint.case_id == case.id, DiaryPoint.point_code != BASELINE)
        .order_by(DiaryPoint.due_at)).scalars().all()
    ids = [point.id for point in points]
    if not ids:
        return None
    rated = set(db.session.execute(db.select(DiaryEntry.point_id).filter(DiaryEntry.point_id.in_(ids))).scalars())
    reminded = set(db.session.execute(
        db.select(DiaryReminder.point_id).filter(DiaryReminder.point_id.in_(ids))).scalars())
    for point in points:
        if point.id in rated or point.id in reminded:
            return time_point(case, point.point_code).label, "rated" if point.id in rated else "reminded"
    for point in points:
        db.session.delete(point)
    db.session.flush()
    return None


def _point_row(case, code):
    return db.session.execute(
        db.select(DiaryPoint).filter_by(case_id=case.id, point_code=code)).scalar_one_or_none()


# ------------------------------------------------------------------ reading the diary

@dataclass
class PointView:
    """One time point as a page shows it."""

    row: DiaryPoint
    point: TimePoint
    due: Due
    status: str
    entries: dict = field(default_factory=dict)  # side -> DiaryEntry
    # side -> a baseline DiaryEntry given for an earlier appointment (given_earlier): not a score
    # of this point; the patient is asked again, and the new score replaces it.
    earlier: dict = field(default_factory=dict)

    @property
    def code(self):
        return self.row.point_code

    @property
    def label(self):
        # In the reader's language (staff: English); the schedule marks each label for the catalog.
        # Read through the request's catalog: a page asks for it twice per time point.
        return i18n.catalog().ugettext(self.point.label)

    @property
    def is_baseline(self):
        return self.code == BASELINE

    @property
    def entered(self):
        return bool(self.entries)

    @property
    def late(self):
        return any(entry.late for entry in self.entries.values())

    @property
    def first_entered_at(self):
        """When this point's first score was first entered (a later correction moves no entry time
        shown), or None."""
        return min((first_entry(entry).entered_at for entry in self.entries.values()), default=None)

    @property
    def missed(self):
        return not self.is_baseline and self.status == EntryStatus.MISSED

    @property
    def injected_at(self):
        return None if self.point.offset is None or self.row.due_at is None else self.row.due_at - self.point.offset

    def describes_hours(self, entry):
        """The hours after the injection `entry` describes (tracker.diary.schedule.describes_hours)."""
        return describes_hours(entry.felt_at, self.injected_at)

    def outside_window(self, entry):
        """An entry describing a moment outside this point's window (filed here before scores were
        read by the moment they describe): it is read at that moment, not as this point."""
        return not self.is_baseline and not self.due.opens_at <= entry.felt_at <= self.due.closes_at


@dataclass
class Diary:
    case: object
    points: list
    # What is asked now: for the patient the points open now, closing soonest first; for staff
    # also the missed points a recalled score may still be given for, most recent first.
    waiting: list
    # The next point that is not open yet, if any.
    upcoming: PointView | None
    # The point whose window holds this moment, entered or not (a score felt now is filed there).
    holding_now: PointView | None = None

    @property
    def current(self):
        return self.waiting[0] if self.waiting else None

    @property
    def missed(self):
        return [p for p in self.points if p.missed]

    @property
    def injected_at(self):
        """When the injection was given (its injectate recorded, which made the points after it),
        or None before."""
        return next((p.injected_at for p in self.points if p.injected_at is not None), None)

    def view(self, code):
        return next((p for p in self.points if p.code == code), None)


def _due_of(row, point):
    return Due(point, row.due_at or row.closes_at or _NO_END, row.opens_at, row.closes_at or _NO_END)


def read_diary(case, now=None, for_patient=True):
    """The case's points with their entries and where each stands at `now`, and what is asked:
    the patient only for points open now (the baseline only before the injection starts)."""
    now = now or utcnow()
    rows, entries_by_point = _load_diary(case)
    points = [_point_view(case, row, entries_by_point.get(row.id, {}), now) for row in rows]
    askable = [p for p in points if not p.entered and may_enter(case, p, for_patient)]
    waiting = _asked_of_patient(askable, now) if for_patient else _asked_of_staff(askable, now)
    holding = window_holding([p.due for p in points], now)
    return Diary(case, points, waiting, _upcoming(askable, now),
                 next((p for p in points if holding is not None and p.code == holding.point.code), None))


def _load_diary(case):
    """The case's point rows in window order, and their entries (with their corrections) by point
    id and side, in one query."""
    rows = db.session.execute(
        db.select(DiaryPoint).filter_by(case_id=case.id).order_by(DiaryPoint.opens_at, DiaryPoint.id)
        .options(db.joinedload(DiaryPoint.entries).options(
            db.joinedload(DiaryEntry.entered_by),
            db.joinedload(DiaryEntry.revisions).options(db.joinedload(DiaryEntryRevision.replaced_by),
                                                        db.joinedload(DiaryEntryRevision.entered_by))))
    ).unique().scalars().all()
    by_point = {row.id: {Side(entry.side): entry for entry in row.entries} for row in rows if row.entries}
    return rows, by_point


def _point_view(case, row, all_entries, now):
    point = time_point(case, row.point_code)
    due = _due_of(row, point)
    entries = {side: e for side, e in all_entries.items() if not given_earlier(row, e)}
    earlier = {side: e for side, e in all_entries.items() if given_earlier(row, e)}
    first = min((first_entry(e).entered_at for e in entries.values()), default=None)
    # A case's state changes no more once it is closed or cancelled: the change is its end.
    ended_at = case.state_changed_at if case.state in FINAL_STATES else None
    status = (EntryStatus.LATE if any(e.late for e in entries.values())
              else entry_status(due, first, now, ended_at))
    return PointView(row, point, due, status, entries, earlier)


def _asked_of_patient(askable, now):
    by_code = {p.code: p for p in askable}
    return [by_code[due.point.code] for due in current_points([p.due for p in askable], (), now)]


def _asked_of_staff(askable, now):
    """Open points first, then missed ones, most recent first: a patient on the phone recalls
    yesterday better than last week."""
    open_now = _asked_of_patient(askable, now)
    missed = sorted((p for p in askable if p.due.closes_at < now), key=lambda p: p.due.due_at, reverse=True)
    return open_now + missed


def _upcoming(askable, now):
    return min((p for p in askable if now < p.row.opens_at), key=lambda p: p.row.opens_at, default=None)


def may_enter(case, view, for_patient=True):
    """Whether the diary takes an entry for this point at all (opening time aside)."""
    if case.state not in ENTRY_STATES:
        return False
    if view.is_baseline and for_patient:
        return case.state == State.SCHEDULED and view.row.closes_at is None
    if not view.is_baseline and case.state not in AFTER_INJECTION_STATES:
        return False
    return True


def worse_than_before(case, code, scores):
    """Whether scores (side -> 0..10) just given for point `code` after the injection are, on any
    side, worse than the pain before it (tracker.diary.relief.worse_than_before): the side's own
    score before the injection, else the examination's, as the diary's reading takes it."""
    if code == BASELINE:
        return False
    row = _point_row(case, BASELINE)
    before = {Side(entry.side): entry.score for entry in (row.entries if row else ())
              if not given_earlier(row, entry)}
    examination = case.examination.baseline_nrs if case.examination else None
    return any(relief.worse_than_before(before.get(Side(side), examination), score)
               for side, score in scores.items())


def point_status(case, view):
    """Where a time point stands, in the words the case page, the physician's diary page and its CSV
    download all use: once the case is closed, a point nobody scored and not missed was never asked."""
    if view.entered:
        return _("Entered late") if view.late else _("Entered")
    if view.status == EntryStatus.MISSED:
        return _("Missed")
    if case.state in FINAL_STATES:
        return _("Not asked: the diary has ended")
    return _("Due now") if view.status == EntryStatus.OPEN else _("Not open yet")


def when(moment, now=None):
    """"10:15 AM" today, "Tuesday, December 8 at 10:15 AM" another day (clinic time, in the reader's language)."""
    return i18n.when(moment, now or utcnow())


def from_when(moment, now=None):
    """"from 14:30" today, "from Tuesday, December 3 at 14:30" another day."""
    return i18n.from_when(moment, now or utcnow())


def opens_words(view, now=None):
    """When a point not open yet will be asked, as the patient reads it after "Next: <point>,":
    "from Tuesday, December 8 at 10:15 AM (New York time)", and for the baseline (open from the
    clinic's midnight) "on the morning of your injection, Monday, December 7, 2026"."""
    if view.is_baseline:
        return _("on the morning of your injection, %(date)s", date=i18n.long_date(view.row.opens_at))
    return i18n.in_clinic_zone(from_when(view.row.opens_at, now))


def closes_words(view, now=None):
    """Until when a point open now takes its score, as the patient reads it after "Please give it
    by": "Thursday, December 10 at 8:25 AM (New York time)"."""
    return i18n.in_clinic_zone(when(view.due.closes_at, now))


def missed_words(points):
    """The points the patient missed, in a sentence with why they are not asked any more:
    "Missed: the “15 minutes after” and “3 hours after” scores. These are not asked for any more: …"."""
    quoted = [_("“%(point)s”", point=p.label) for p in points]
    return ngettext("Missed: the %(points)s score. It is not asked for any more: a score given now would "
                    "describe your pain today, not then.",
                    "Missed: the %(points)s scores. These are not asked for any more: a score given now "
                    "would describe your pain today, not then.",
                    len(points), points=i18n.listed(quoted))


# Which injection a diary is about, in a patient's words: a patient with two open cases (both
# joints, or two injections) must not file one injection's score under the other's. Whole
# sentences per side and moment, so each language orders and agrees them its own way.
_ABOUT = {
    ("left", "after"): N_("Your left side, after your injection on %(date)s"),
    ("right", "after"): N_("Your right side, after your injection on %(date)s"),
    ("bilateral", "after"): N_("Both sides, after your injection on %(date)s"),
    ("left", "before"): N_("Your left side, before your injection on %(date)s"),
    ("right", "before"): N_("Your right side, before your injection on %(date)s"),
    ("bilateral", "before"): N_("Both sides, before your injection on %(date)s"),
    ("left", None): N_("Your left side, before your injection"),
    ("right", None): N_("Your right side, before your injection"),
    ("bilateral", None): N_("Both sides, before your injection"),
}


def diary_about(case, diary=None):
    """The side and the injection a case's diary is about, as the patient reads it: "Your left
    side, after your injection on Tuesday, November 17, 2026" once it was given (the day its
    follow-up points run from), "… before your injection on …" (the day booked) while the
    baseline is asked."""
    diary = diary or read_diary(case)
    side = Side(case.side).value
    if diary.injected_at is not None:
        return _(_ABOUT[(side, "after")], date=i18n.long_date(diary.injected_at))
    booked = min((a.starts_at for a in case.appointments if a.status in ACTIVE_STATUSES), default=None)
    if booked is not None:
        return _(_ABOUT[(side, "before")], date=i18n.long_date(booked))
    return _(_ABOUT[(side, None)])


def says_when_to_call(case, diary, now=None):
    """Whether the patient's pages show when to call the clinic: once the injection is given, while
    the diary runs and, whatever its state, for WHEN_TO_CALL_DAYS after the injection."""
    if diary.injected_at is None:
        return False
    return (case.state not in CLOSED_STATES
            or (now or utcnow()) < diary.injected_at + timedelta(days=WHEN_TO_CALL_DAYS))


@dataclass(frozen=True)
class PatientNote:
    """What a patient's home card and case page say of a case's diary, from one reading of it."""

    due: PointView | None = None  # the point to enter now
    # Which injection the diary is about: said with the point due, and once the injection is given.
    about: str | None = None
    given: bool = False  # the injection was given: its injectate is recorded, the diary runs from it
    # The baseline when it is not asked yet (booked for a later day): "on the morning of your
    # injection, …" (opens_words).
    baseline_later: PointView | None = None
    # Nothing due now, the injection given: the next point and when it opens ("Next: 30 minutes
    # after, from 12:19 PM"), so the patient knows when to come back.
    next_after: PointView | None = None
    when_to_call: bool = False  # the warning signs are shown (says_when_to_call)


def patient_note(case, now=None):
    """The patient's pages' words on the diary: the score due now, what it is about, whether the
    injection was given (the procedure may still be open, its record unsigned), the baseline
    still to come, and whether to say when to call the clinic (also once the diary has ended)."""
    if case.state in CLOSED_STATES:
        # Its injection was given before it closed: a case closed WHEN_TO_CALL_DAYS ago or more says
        # nothing, without reading its diary, so a patient's home page with years of cases reads
        # the diaries of the few closed lately only.
        if (now or utcnow()) - case.state_changed_at >= timedelta(days=WHEN_TO_CALL_DAYS) or not case.diary_points:
            return PatientNote()
        return PatientNote(when_to_call=says_when_to_call(case, read_diary(case, now), now))
    if case.state not in ENTRY_STATES:
        return PatientNote()
    diary = read_diary(case, now)
    due, given = diary.current, diary.injected_at is not None
    upcoming = diary.upcoming if due is None else None
    later = upcoming if upcoming is not None and upcoming.is_baseline else None
    return PatientNote(due, diary_about(case, diary) if due or given else None, given, later,
                       upcoming if given and later is None else None, says_when_to_call(case, diary, now))


# ------------------------------------------------------------------ entries

def _check_open(case, view, now, for_patient, open_now=None):
    if view is None:
        raise EntryRefused(_("This time point is not in your diary."))
    if case.state not in ENTRY_STATES:
        raise EntryRefused(NOT_LIVE)
    if view.is_baseline and for_patient and not may_enter(case, view, for_patient):
        raise EntryRefused(_("The score before the injection can only be given before the injection starts."))
    if not may_enter(case, view, for_patient):
        raise EntryRefused(NOT_LIVE)
    if now < view.row.opens_at:
        raise EntryRefused(_("The “%(point)s” score can be entered %(from)s. Please come back then.",
                             point=view.label, **{"from": opens_words(view, now)}))
    if for_patient and not is_open_now(view.due, now):
        if open_now is not None:
            # Another point is open now: the page's form asks for it at once (diary/pages.py).
            raise EntryRefused(_("The “%(point)s” score could be given until %(until)s: it is missed. A score "
                                 "now would describe your pain today, not then.",
                                 point=view.label, until=closes_words(view, now)))
        raise EntryRefused(_("The “%(point)s” score could be given until %(until)s: it is missed. A score now "
                             "would describe your pain today, not then, so please give the next one when it is due.",
                             point=view.label, until=closes_words(view, now)))


def recalled_point(diary, felt_at, now):
    """The point a score recalled for `felt_at` belongs to, the one whose window holds that moment,
    and the moment as kept. Raises EntryRefused (next to the time) for a moment to come or between
    two windows.

    Staff type whole minutes, and windows open at the injection's second: a window opening inside
    the minute typed ("11:30" for a window opening 11:30:31) holds it, at its opening moment."""
    if felt_at > now:
        raise EntryRefused("This time is still to come: give the time the patient felt this pain.", field="felt_at")
    dues = [p.due for p in diary.points]
    due = window_holding(dues, felt_at)
    if due is None:
        # A window opening inside the typed minute, even one that closed again within it (a
        # baseline opened at booking and closed by a procedure started seconds later).
        minute_ends = felt_at.replace(second=0, microsecond=0) + timedelta(minutes=1)
        opening = next((d for d in dues if felt_at < d.opens_at < minute_ends and d.opens_at <= now), None)
        if opening is not None:
            due, felt_at = opening, opening.opens_at
    if due is None:
        before = max((p for p in diary.points if p.due.closes_at < felt_at), key=lambda p: p.due.closes_at,
                     default=None)
        after = min((p for p in diary.points if p.due.opens_at > felt_at), key=lambda p: p.due.opens_at,
                    default=None)
        around = [f"“{before.label}” closed {when(before.due.closes_at, now)}" if before else "",
                  f"“{after.label}” opens {when(i18n.opening_minute(after.due.opens_at), now)}" if after else ""]
        raise EntryRefused(f"No time point of this diary covers {when(felt_at, now)} "
                           f"({'; '.join(part for part in around if part)}). A score describes the "
                           "moment it was felt, so it is kept only for a moment a time point asks about.",
                           field="felt_at")
    return diary.view(due.point.code), felt_at


def recalled_refusal(case, felt_at, now=None):
    """Why a score staff recall for `felt_at` would be refused whatever its number (the moment is
    to come or between two windows, its point is not open or already entered), or None: the phone
    form names it with its own errors rather than after they are fixed. Reads only."""
    now = now or utcnow()
    diary = read_diary(case, now, for_patient=False)
    try:
        view, _felt = recalled_point(diary, felt_at, now)
        _check_open(case, view, now, for_patient=False)
        if view.entered:
            raise _duplicate(view)
    except EntryRefused as refused:
        return refused
    return None


@service
def record_entry(case, code, scores, answers, source, actor=None, link=None, now=None, felt_at=None):
    """Store the scores (side -> 0..10) for one point with the optional answers
    (analgesic_used, opioid_used, physical_therapy_done: True/False/None).

    The patient's score describes now, for point `code`, which must be open now. Staff give
    `felt_at`, the moment the patient recalls; the point is the one whose window holds it (`code`
    is not used), and a score recorded after that window closed is marked late.

    Raises EntryRefused when the point is not open, not in this diary, or already entered; then
    nothing is stored.
    """
    now = now or utcnow()
    for_patient = source != EntrySource.STAFF_PHONE
    diary = read_diary(case, now, for_patient)
    if for_patient:
        felt_at, view = now, diary.view(code)
    else:
        view, felt_at = recalled_point(diary, felt_at, now)
    if for_patient and view is not None and view.entered and case.state in ENTRY_STATES:
        # Sent again (another tab, a reload) once its window closed: saved, not "missed".
        raise _duplicate(view, scores)
    _check_open(case, view, now, for_patient, open_now=diary.current if for_patient else None)
    if view.entered:
        raise _duplicate(view, scores)
    late = entry_status(view.due, now, now) == EntryStatus.LATE
    sides = sides_of(case)
    if set(scores) != set(sides):
        raise EntryRefused(_("Give a score for each side."), field="score")
    for side in sides:
        if side in view.earlier:
            _replace_earlier(view.earlier[side], scores[side], answers, felt_at, late, source, actor, now)
            continue
        db.session.add(DiaryEntry(point_id=view.row.id, case_id=case.id, side=side, score=scores[side],
                                  entered_at=now, felt_at=felt_at, entered_by_id=actor.id if actor else None,
                                  source=source, late=late, **_answers(answers)))
    # Every side is scored at once (checked above), so the point is complete now. The reminder and
    # overdue queries read this instead of counting entries; a correction leaves it as it is.
    view.row.completed_at = now
    try:
        db.session.flush()
    except (IntegrityError, StaleDataError):
        # Another tab or device entered this point a moment ago: the unique constraint refused it
        # (or, given again, the earlier score's entry was replaced meanwhile: its version moved).
        undo_refused_write()
        raise _duplicate(read_diary(case, now, for_patient).view(view.code), scores) from None
    _audit(audit.Action.CREATE, "diary_point", view.row.id,
           f"case {case.id}: diary {view.code} entered ({EntrySource(source).label.lower()})"
           + (", late" if late else "")
           + (", replacing the score given for an appointment that did not take place" if view.earlier else ""),
           actor, link)
    kept.keep_relief(case)  # the reports' relief span, in this commit
    db.session.commit()
    return view, late


def _replace_earlier(entry, score, answers, felt_at, late, source, actor, now):
    """The baseline given again replaces the one given for an earlier appointment (one entry per
    point and side), which is kept as a revision saying so."""
    reason = (f"Given on {short_day(entry.felt_at)} for an appointment that did not take place; asked again "
              f"on the morning of {short_day(felt_at)}")
    _keep_revision(entry, reason, actor, now)
    entry.score, entry.felt_at, entry.late = score, felt_at, late
    for name, value in _answers(answers).items():
        setattr(entry, name, value)
    entry.entered_at, entry.entered_by_id, entry.source = now, actor.id if actor else None, source


def short_day(moment):
    """"Mon 7 Dec 2026", clinic time: the day a revision's reason names."""
    local = to_clinic(moment)
    return f"{local:%a} {local.day} {local:%b %Y}"


def _keep_revision(entry, reason, actor, now):
    entry.revisions.append(DiaryEntryRevision(
        score=entry.score, analgesic_used=entry.analgesic_used, opioid_used=entry.opioid_used,
        physical_therapy_done=entry.physical_therapy_done, entered_at=entry.entered_at,
        entered_by_id=entry.entered_by_id, source=entry.source, replaced_at=now,
        replaced_by_id=actor.id if actor else None, reason=reason))


def _duplicate(view, chosen=None):
    """The refusal of a second score for an entered point: the score on file, and that the one just
    chosen (`chosen`, side -> score: a second phone on the same link, a tab left open) was not saved."""
    first = view.first_entered_at if view else None
    on_file = scores_words(view.entries) if view else ""
    message = (_("The “%(point)s” score was already entered: %(scores)s, %(when)s.", point=view.label,
                 scores=on_file, when=when(first))
               if first else _("The “%(point)s” score was already entered.", point=view.label))
    if chosen and all(score is not None for score in chosen.values()):
        message += " " + _("Your score, %(scores)s, was not saved.", scores=scores_words(chosen))
    return EntryRefused(message + " " + _("Only one entry per time point is kept: to change it, use “Correct”."))


def scores_words(scores):
    """"4/10", or per side "left 4/10 and right 3/10" (side -> a score or an entry)."""
    out = {Side(side): getattr(score, "score", score) for side, score in scores.items()}
    if len(out) == 1:
        return f"{next(iter(out.values()))}/10"
    return i18n.listed(f"{i18n.side_word(side)} {score}/10" for side, score in sorted(out.items()))


def _answers(answers):
    return {name: answers.get(name) for name in ("analgesic_used", "opioid_used", "physical_therapy_done")}


def may_patient_correct(entry, now=None):
    """A patient may correct their own entry (not one staff made for them) on the day it was first
    entered, clinic time; after that the clinic corrects it."""
    if entry.source == EntrySource.STAFF_PHONE:
        return False
    if entry.point.case.state not in ENTRY_STATES:
        return False  # a closed or cancelled case's diary takes nothing more
    if entry.point.point_code == BASELINE and entry.point.closes_at is not None:
        return False  # the baseline is fixed once the injection has started: relief is measured from it
    return to_clinic(first_entry(entry).entered_at).date() == to_clinic(now or utcnow()).date()


def score_fixed(entry, now=None):
    """Why an entry's score can no longer be corrected, as (what, since when), or None while it can.
    The block's scores are measurements taken on time: the score before the injection, what relief
    is measured from ("baseline", from the injection, which closes its window), and a score of the
    anaesthetic window given on time ("block", from its window's close). A value given after that is
    a memory: as a late score it is never counted in the block's result, and as a correction it
    would turn a negative block positive days later. A late anaesthetic score (not counted) and the
    later points' scores may still be corrected; so may any entry's answers."""
    point, now = entry.point, now or utcnow()
    if point.closes_at is None or point.closes_at > now:
        return None
    if point.point_code == BASELINE:
        return "baseline", point.closes_at
    if not entry.late and time_point(entry.case, point.point_code).phase == Phase.ANAESTHETIC:
        return "block", point.closes_at
    return None


def score_fixed_words(entry, fixed, staff):
    """What `score_fixed` means, in the reader's words: why the score stays, and for staff what to do
    instead; for a patient, to tell the clinic."""
    if not staff:
        return _("This score can no longer be changed: its time has passed. If it was wrong, please tell "
                 "the clinic.")
    what, since = fixed
    when = format_clinic(since)
    if what == "baseline":
        return _("Not changed: the score before the injection is what relief is measured from, and the injection "
                 "was given on %(when)s. If the patient says it was wrong, record the block's result as you "
                 "judge it with the outcome, with the reason.", when=when)
    label = _(time_point(entry.case, entry.point.point_code).label)
    return _("Not changed: the “%(label)s” score is one of the block's, and its window closed on %(when)s. A "
             "value given after it is a memory, not a measurement: the block's result is read from the scores "
             "given on time. If the patient says it was wrong, record the block's result as you judge it with "
             "the outcome, with the reason.", label=label, when=when)


@service
def correct_entry(entry, score, answers, reason, version_id, source, actor=None, link=None, now=None):
    """Replace an entry's values, keeping the replaced ones (with who and why) as a revision.
    The entry keeps its lateness: that belongs to when the point was answered first."""
    now = now or utcnow()
    check_version(entry, version_id)
    if entry.case.state not in ENTRY_STATES:
        raise EntryRefused(NOT_LIVE, field="score")
    if given_earlier(entry.point, entry):
        raise EntryRefused(_("This score was given for an appointment that did not take place: give the score "
                             "before the injection again instead."), field="score")
    if source != EntrySource.STAFF_PHONE and not may_patient_correct(entry, now):
        raise EntryRefused(_("This entry can no longer be changed here: please ask the clinic to correct it."),
                           field="score")
    before = {"score": entry.score, **{name: getattr(entry, name) for name in _answers(answers)}}
    after = {"score": score, **_answers(answers)}
    if before == after:
        # A "correction" that changes nothing would count as one (the chart's "corrected") and
        # move who entered the score, with nothing to show for it.
        raise EntryRefused(_("This is the score already saved: nothing was changed."), field="score")
    if score != entry.score and (fixed := score_fixed(entry, now)):
        raise EntryRefused(score_fixed_words(entry, fixed, source == EntrySource.STAFF_PHONE), field="score")
    reason = (reason or "").strip()
    if not reason:
        raise EntryRefused(_("Say why the score changes (for example: I tapped the wrong number)."), field="reason")
    _keep_revision(entry, reason, actor, now)
    entry.score = score
    for name, value in _answers(answers).items():
        setattr(entry, name, value)
    entry.entered_at, entry.entered_by_id, entry.source = now, actor.id if actor else None, source
    _audit(audit.Action.UPDATE, "diary_entry", entry.id,
           f"case {entry.case_id}: diary {entry.point.point_code} {entry.side} corrected "
           f"({EntrySource(source).label.lower()})", actor, link, before=before, after=after)
    kept.keep_relief(entry.case)  # the reports' relief span, in this commit
    db.session.commit()


def _audit(action, object_type, object_id, summary, actor, link, **changes):
    if link is not None:
        audit.record(action, object_type, object_id, summary=summary, actor=link_actor(link), **changes)
    else:
        audit.record(action, object_type, object_id, summary=summary, user=actor, **changes)


# ------------------------------------------------------------------ personal links

def link_actor(link):
    return f"diary link {link.id}"


def baseline_missing(case, now=None):
    """Whether the score before the injection can still be taken and has not been: the baseline's
    window is open (from the morning of the appointment's day until the injection closes it) and
    it has no score for every side. Staff at the desk and at the table are told so, while asking
    the patient still gives the baseline."""
    now = now or utcnow()
    return db.session.scalar(
        db.select(db.func.count()).select_from(DiaryPoint).where(
            DiaryPoint.case_id == case.id, DiaryPoint.point_code == BASELINE, DiaryPoint.completed_at.is_(None),
            DiaryPoint.opens_at <= now, db.or_(DiaryPoint.closes_at.is_(None), DiaryPoint.closes_at > now))) > 0


def live_link(case, now=None):
    now = now or utcnow()
    link = db.session.execute(
        db.select(DiaryLink).filter(DiaryLink.case_id == case.id, DiaryLink.revoked_at.is_(None),
                                    DiaryLink.expires_at > now).order_by(DiaryLink.id.desc()).limit(1)
    ).scalar_one_or_none()
    return link if link is not None and now < link_ends_at(link) else None


def live_link_among(links, now=None):
    """`live_link` picked from the case's links already read, newest first (a page listing them
    asks the database once)."""
    now = now or utcnow()
    link = next((link for link in links if link.usable_at(now)), None)
    return link if link is not None and now < link_ends_at(link) else None


def link_ends_at(link):
    """When the link stops working: its expiry, or DIARY_LINK_DAYS_AFTER_CLOSE after its case
    closed, whichever comes first; for a patient recorded as died, from that moment (undoing the
    record brings a link not expired back)."""
    case = link.case
    if case.patient.died:
        return min(link.expires_at, case.patient.contact_ended_at)
    if case.state not in CLOSED_STATES:
        return link.expires_at
    return min(link.expires_at,
               case.state_changed_at + timedelta(days=current_app.config["DIARY_LINK_DAYS_AFTER_CLOSE"]))


def link_url(link):
    """The link's address (a fresh signature of the same link each time: any of them works), on
    PUBLIC_URL: the patient opens it from outside, whatever address the staff member's page used."""
    return public_url("patient_link.entry", token=links.sign(link))


def with_pain_worse_line(text):
    """A diary text (the link, the reminder) ending with the clinic's number for a patient whose
    pain is much worse after the injection: the one number they need, on the phone they hold."""
    return " ".join(part for part in (text, clinic_contact().pain_worse_line()) if part)


def create_link(case, actor, now=None, sent_to=None):
    """A new personal link for the case; the older ones are revoked (one live link per case).
    Returns (link, the links it replaced). The caller commits."""
    now = now or utcnow()
    replaced = _revoke_live(case, actor, now)
    link = DiaryLink(case_id=case.id, created_at=now, created_by_id=actor.id, sent_to=sent_to,
                     expires_at=now + timedelta(days=current_app.config["DIARY_LINK_DAYS"]))
    db.session.add(link)
    db.session.flush()
    return link, replaced


@dataclass
class LinkSent:
    """What `send_link` did: `link` went (or, `sent` False, was to go) by text or email; `replaced`
    False when it is the patient's working link, kept because nothing could be sent."""

    link: DiaryLink
    by_text: bool
    sent: bool
    replaced: bool = True


def _can_send(by_text):
    """Whether a text (an email) would reach a provider (a mail server), not only the log."""
    return bool(current_app.config.get("TWILIO_ACCOUNT_SID" if by_text else "MAIL_SERVER"))


@service
def send_link(case, actor, now=None):
    """Create a new personal link, revoke the older ones and send the new one to the patient: by
    text when their preferred contact is a text message and their number takes texts
    (`contact.text_number`: a mobile, no STOP), otherwise by email. The message holds the clinic's
    name and the link only: no name of a procedure, side or score. Raises LinkRefused (nothing
    changed) without a number or an address, or when the SMS provider or the mail server fails.

    Without a provider (or mail server) nothing can go out: a working link is kept and given back
    to be read to the patient, and a link made for want of one is kept as not sent; either is
    then shown by `link_to_give`. Returns a LinkSent."""
    now = now or utcnow()
    patient = case.patient
    if contact.nothing_sent_because(patient):
        raise LinkRefused(contact.nothing_sent_because(patient))
    number, address = contact.text_number(patient), contact.email_address(patient)
    if number is None and address is None:
        if patient.preferred_contact == ContactChannel.SMS:
            raise LinkRefused("Texts cannot reach this patient (no mobile number, or they answered STOP) and "
                              "there is no email address: add one to the patient's details first.")
        raise LinkRefused("This patient has no email address: add one to the patient's details first.")
    if case.state not in LINK_STATES:
        raise LinkRefused("A diary link is sent once the injection is booked and until the case closes.")
    by_text = number is not None
    sent = _can_send(by_text)
    channel = "text" if by_text else "email"
    kept = None if sent else live_link(case, now)
    if kept is not None:
        # Nothing changes: the page that shows it (`link_to_give`) audits each showing.
        return LinkSent(kept, by_text, sent=False, replaced=False)
    link, replaced = create_link(case, actor, now, sent_to=(number or address) if sent else None)
    clinic = current_app.config["CLINIC_NAME"]
    try:
        with i18n.patient_locale(patient):
            if number:
                send_sms(number, with_pain_worse_line(_("%(clinic)s: your personal link for your pain diary: %(link)s "
                                                        "Keep it to yourself.", clinic=clinic, link=link_url(link))))
            else:
                send_mail(address, _("Your pain diary link from %(clinic)s", clinic=clinic), _link_message(link))
    except SmsError as error:
        undo_all_but_the_stop(number)
        if error.not_mobile:
            raise LinkRefused(f"The SMS provider says {phones.display(number)} is not a mobile number (a landline?): "
                              "texts cannot reach it. Nothing changed: give a mobile number, or choose another way "
                              "to contact the patient (Correct details).") from None
        raise LinkRefused(("The text may have gone (the provider did not answer in time), but its link "
                           "does not work: nothing changed. Send it again." if error.maybe_sent else
                           "The text could not be sent (the SMS provider did not accept it). Nothing "
                           "changed: try again later.")) from None
    except MailError:
        raise LinkRefused("The email could not be sent (the mail server did not accept it). "
                          "Nothing changed: try again later.") from None
    audit.record(audit.Action.CREATE, "diary_link", link.id,
                 summary=f"case {case.id}: diary link "
                         + (f"sent by {channel}" if sent else f"made, not sent by {channel} (no "
                            f"{'SMS provider' if by_text else 'mail server'}): shown to read to the patient")
                         + (f", replacing link {', '.join(str(r.id) for r in replaced)}" if replaced else ""),
                 user=actor)
    db.session.commit()
    return LinkSent(link, by_text, sent)


def link_to_give(case, now=None):
    """The case's working link when staff are to read it to the patient (or give it to them to
    copy) because nothing can send them one now: no SMS provider for a number that takes texts,
    else no mail server, while a link may be sent (`LINK_STATES`). None otherwise. It is read from
    the database each time it is shown: a bearer link never travels in a cookie or an address."""
    patient = case.patient
    number, address = contact.text_number(patient), contact.email_address(patient)
    if case.state not in LINK_STATES or (number is None and address is None) or _can_send(number is not None):
        return None
    return live_link(case, now)


def link_destination(patient):
    """Where `send_link` would send a link now, as staff read it: (by text, the number or address),
    or None when it cannot be sent."""
    number, address = contact.text_number(patient), contact.email_address(patient)
    if number:
        return True, phones.display(number)
    return (False, address) if address else None


def sent_by_text(link):
    """Whether the link went by text (`sent_to` is then the number, else the email address)."""
    return bool(link.sent_to) and "@" not in link.sent_to


def sent_to_shown(link):
    """Where the link was sent, as staff read it: the address, or the number in the clinic's style."""
    return phones.display(link.sent_to) if sent_by_text(link) else link.sent_to


def _link_message(link):
    return _("Hello,\n\nPlease use this personal link to fill in your pain diary:\n\n%(link)s\n\n"
             "Keep it to yourself: anyone with the link can add to your diary. If you did not expect "
             "this message, please call the clinic.\n\n%(clinic)s\n",
             link=link_url(link), clinic=clinic_contact().signature())


def _revoke_live(case, actor, now):
    rows = db.session.execute(
        db.select(DiaryLink).filter(DiaryLink.case_id == case.id, DiaryLink.revoked_at.is_(None))
    ).scalars().all()
    for row in rows:
        row.revoked_at, row.revoked_by_id = now, actor.id
    return rows


@service
def revoke_link(link, actor, now=None):
    if link.revoked_at is not None:
        return
    link.revoked_at, link.revoked_by_id = now or utcnow(), actor.id
    audit.record(audit.Action.UPDATE, "diary_link", link.id,
                 summary=f"case {link.case_id}: diary link revoked", user=actor)
    db.session.commit()


def open_link(token, now=None):
    """The link a token names if it still works: the signature verifies, the row exists for the
    case the token names, and it is neither revoked nor expired. Each use is stamped and audited;
    a refused token is audited without saying which check failed (and gives no hint to the holder)."""
    now = now or utcnow()
    read = links.read(token)
    link = db.session.get(DiaryLink, read[0]) if read else None
    if link is None or link.case_id != read[1] or not link.usable_at(now) or now >= link_ends_at(link):
        record_denial("diary link refused", "diary_link", link.id if link else None, actor="diary link (not valid)")
        return None
    link.last_used_at = now
    return link


def refuse_link_use(link, summary):
    """Audit a refused use of a working link; nothing else from the request is kept."""
    record_denial(summary, "diary_link", link.id, actor=link_actor(link))


def note_link_view(link):
    audit.viewed("case", link.case_id, summary="diary opened through the personal link", actor=link_actor(link))

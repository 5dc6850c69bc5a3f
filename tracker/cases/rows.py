"""A case's worklist line, worked out when the case changes rather than when a page is read.

What a line says (what the case waits for, whether its verdict still stands) comes from the same
eligibility engine as the case page, so the two never disagree; but running the engine for every
row of every page made the worklist's cost grow with the record. Here it runs when something the
line depends on is written, in the same flush as that change, and the answer is kept in
`case_rows`:

- any change to a case or to a record of it (review, verdict, appointment, procedure, diary,
  outcome), or to the patient or an injection recorded as given elsewhere, works out again, as the transaction commits, the lines of every case
  of that patient: earlier injections count towards each other's caps and spacing. A change
  written in SQL, which the session does not see (a merge moving cases to another record), names
  its patients with `follow_patients`;
- time alone can change an answer (a rolling 12-month window, ongoing care adding weeks): a line
  records the clinic day it was worked out for, and `flask worklist refresh` (cron, once a night
  after midnight, clinic time; safe to run twice at once) brings the lines of earlier days up to
  date. Within the day, a booking of the patient's passing its no-show grace changes what the caps
  read: the line keeps that moment (`current_until`), and past it counts as outdated too;
- a line worked out on an earlier day, or under another clinic default payer profile, is never
  shown as it is: the page works it out again for that row (so a missed cron run costs speed, never
  correctness).
"""
import logging
from datetime import date, timedelta

from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

from tracker.eligibility.standing import clinic_default_profile_code, current_assessment, staleness
from tracker.extensions import db
from tracker.models import Appointment, Case, CaseRow, OutsideInjection, Patient
from tracker.timeutil import clinic_today, utcnow
from tracker.vocab import AppointmentStatus
from tracker.workflow import State

logger = logging.getLogger(__name__)

WAITING_BY_STATE = {
    State.REFERRED: "review to start",
    State.SCHEDULED: "procedure day",
    State.IN_PROCEDURE: "checklist to be signed",
    State.FOLLOW_UP: "pain diary and outcome",
}
INCOMPLETE_VERDICT = "physician: incomplete verdict to decide or override"
REEVALUATE = "verdict stale: re-evaluate"
# States whose line depends on the verdict and whether it still stands (and so on time).
VERDICT_STATES = frozenset({State.UNDER_REVIEW, State.ELIGIBLE, State.NOT_ELIGIBLE, State.SCHEDULED})

__all__ = ["work_out", "line_for", "is_current", "refresh_outdated", "mark_all_outdated", "follow_patients",
           "VERDICT_STATES"]


def work_out(case, default_profile, today):
    """(waiting_for, verdict_stale, overridden) for `case` as its facts stand on `today`."""
    verdict = case.current_verdict
    overridden = bool(verdict and verdict.override_at)
    if case.state not in VERDICT_STATES:
        return ([WAITING_BY_STATE[case.state]] if case.state in WAITING_BY_STATE else []), False, overridden
    assessment = current_assessment(case, default_profile, today)
    stale = staleness(case, verdict, assessment) is not None
    result = assessment[0]
    if case.state == State.UNDER_REVIEW:
        waiting = result.waiting_for() or ["eligibility verdict (all criteria met)"]
        if stale:
            # An incomplete verdict read facts that have changed since: evaluate again (the case
            # page names what changed), then whatever is still to record.
            waiting = [REEVALUATE] + waiting
        elif verdict is not None and verdict.incomplete and not overridden:
            # The verdict stands and says "incomplete": a physician decides (override with the
            # outside records) unless the unknown criteria get answered.
            waiting = [INCOMPLETE_VERDICT] + waiting
    elif stale:
        waiting = [REEVALUATE]
    elif case.state == State.ELIGIBLE:
        waiting = ["booking"]
    elif case.state == State.SCHEDULED:
        waiting = [WAITING_BY_STATE[case.state]]
    else:
        shortfalls = [c["shortfall"] for c in verdict.snapshot["criteria"] if c["status"] != "met"] if verdict else []
        waiting = ["physician review"] + shortfalls
    return waiting, stale, overridden


def is_current(row, case, default_profile, today, now=None):
    """Whether the kept line still says what working it out now would say: worked out today (and,
    for a line that reads the verdict, not past its `current_until`), under the clinic's default
    profile where the case has none of its own."""
    if row is None:
        return False
    if case.payer_profile_code is None and row.default_profile != default_profile:
        return False
    if case.state not in VERDICT_STATES:
        return True
    return row.computed_on == today and (row.current_until is None or (now or utcnow()) < row.current_until)


def current_until(session, patient_ids, now):
    """{patient id: when time alone may next change the lines of that patient's cases}: the first
    moment one of the patient's bookings passes its no-show grace and stops counting as a session
    to come (its own booked day, the caps' booked sessions; `eligibility.facts.still_to_be_given`).
    A patient without one is not listed. One query for all of them."""
    grace = timedelta(minutes=current_app.config["NO_SHOW_GRACE_MINUTES"])
    rows = session.execute(
        db.select(Case.patient_id, db.func.min(Appointment.starts_at)).join(Appointment.case)
        .where(Case.patient_id.in_(set(patient_ids)), Appointment.status == AppointmentStatus.BOOKED,
               Appointment.starts_at >= now - grace)
        .group_by(Case.patient_id)).all()
    return {patient_id: first + grace for patient_id, first in rows}  # min() reads back aware UTC, as its column


def line_for(case, default_profile, today):
    """(waiting_for, verdict_stale, overridden): the kept line when current, else worked out now."""
    row = case.row
    if is_current(row, case, default_profile, today):
        return list(row.waiting_for), row.verdict_stale, row.overridden
    return work_out(case, default_profile, today)


def keep(session, case, default_profile, today, until):
    """Work out and keep the line of `case`; `until`: `current_until` of its patient's cases."""
    waiting, stale, overridden = work_out(case, default_profile, today)
    row = case.row
    if row is None:
        row = CaseRow(case=case)
        session.add(row)
    row.waiting_for, row.verdict_stale, row.overridden = waiting, stale, overridden
    row.computed_on, row.default_profile = today, default_profile
    row.current_until = until.get(case.patient_id) if case.state in VERDICT_STATES else None
    return row


def refresh_outdated(batch=500):
    """Work out again every line kept for an earlier day (or another default profile), a batch per
    transaction. Each batch locks its lines first (skipping any a user's change holds: that change
    writes its own fresh line), so a line is never written from facts older than the lock. Two
    runs at once share the work. Returns how many lines were worked out."""
    _add_missing_lines()
    done = 0
    while True:
        today, default_profile = clinic_today(), clinic_default_profile_code()
        locked = db.session.scalars(
            db.select(CaseRow.case_id).join(Case).where(
                db.or_(CaseRow.computed_on < today, CaseRow.current_until <= utcnow(),
                       db.and_(Case.payer_profile_code.is_(None), CaseRow.default_profile != default_profile)),
                db.or_(Case.state.in_(VERDICT_STATES), CaseRow.computed_on == date.min))
            .order_by(CaseRow.case_id).limit(batch).with_for_update(of=CaseRow, skip_locked=True)).all()
        if not locked:
            db.session.commit()
            return done
        cases = db.session.scalars(db.select(Case).where(Case.id.in_(locked))).all()
        until = current_until(db.session, {case.patient_id for case in cases}, utcnow())
        for case in cases:
            keep(db.session, case, default_profile, today, until)
        db.session.commit()
        done += len(locked)


def mark_all_outdated():
    """Mark every kept line as never worked out, so the next `refresh_outdated` works each out again:
    once after an upgrade whose release words a line differently (the nightly run skips a line kept
    today). The page works out a marked line itself meanwhile."""
    db.session.execute(db.update(CaseRow).values(computed_on=date.min))
    db.session.commit()


def _add_missing_lines():
    """A line for every case that has none yet (after an upgrade), marked as never worked out."""
    db.session.execute(
        _insert(db.session)(CaseRow).from_select(
            ["case_id", "waiting_for", "verdict_stale", "overridden", "computed_on", "default_profile"],
            db.select(Case.id, db.literal([], db.JSON), db.false(), db.false(), db.literal(date.min, db.Date),
                      db.literal(""))
            .outerjoin(CaseRow).where(CaseRow.case_id.is_(None))).on_conflict_do_nothing())
    db.session.commit()


def _insert(session):
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


def _touched(session):
    """(patient ids, case ids) whose lines this flush may change: a case, or a record of a case
    (review, verdict, appointment, procedure, diary, outcome), or a patient being written."""
    patients, cases = set(), set()
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, CaseRow):
            continue
        if isinstance(obj, Patient):
            patients.add(obj.id)
            continue
        if isinstance(obj, OutsideInjection):
            # An injection given elsewhere counts towards every case of its patient.
            patients.add(obj.patient_id)
            continue
        case = obj if isinstance(obj, Case) else _case_of(obj)
        if case is None and getattr(obj, "case_id", None) is not None:
            # A record written with its case's id only (a verdict): its case from the session.
            case = session.get(Case, obj.case_id)
        if case is not None:
            cases.add(case.id)
            patients.add(case.patient_id)
    return patients - {None}, cases - {None}


def _case_of(obj):
    """The case a record belongs to (directly, or through its procedure record or diary point)."""
    for path in (("case",), ("record", "case"), ("point", "case"), ("entry", "point", "case")):
        target = obj
        for name in path:
            target = getattr(target, name, None)
            if target is None:
                break
        if isinstance(target, Case):
            return target
    return None


# The lines are worked out when the transaction commits, from what the database now holds (values
# as loaded, so an enum is an enum even where the code assigned a plain string), for every case of
# each patient touched by any flush of the transaction: earlier injections count towards each
# other's caps and spacing.

def follow_patients(session, patient_ids):
    """Work out again, as this transaction commits, the lines of every case of `patient_ids`:
    for a change the session does not see as written objects (an UPDATE statement)."""
    session.info.setdefault("worklist_patients", set()).update(patient_ids)


@event.listens_for(Session, "after_flush")
def _note_touched(session, _context):
    patients, _cases = _touched(session)
    if patients:
        session.info.setdefault("worklist_patients", set()).update(patients)


@event.listens_for(Session, "before_commit")
def _keep_lines(session):
    session.flush()  # what is still pending is part of the transaction too
    if not session.info.get("worklist_patients"):
        return
    patient_ids = session.info.pop("worklist_patients", set())
    # Lock the lines before reading the facts: a nightly refresh working on them waits for this
    # commit (or skips them), so it never writes a line from facts older than this change.
    session.execute(db.select(CaseRow.case_id).join(Case).where(Case.patient_id.in_(patient_ids))
                    .order_by(CaseRow.case_id).with_for_update(of=CaseRow))
    session.expire_all()
    with session.no_autoflush:
        today, default_profile = clinic_today(), clinic_default_profile_code()
        cases = session.scalars(db.select(Case).where(Case.patient_id.in_(patient_ids))).all()
        until = current_until(session, patient_ids, utcnow())
        for case in cases:
            try:
                keep(session, case, default_profile, today, until)
            except Exception:  # noqa: BLE001 - a line is a cache: the change itself must not fail
                logger.exception("worklist line of case %s not worked out; the page will work it out", case.id)
                if case.row is not None:
                    case.row.computed_on = date.min


@event.listens_for(Session, "after_soft_rollback")
def _forget_touched(session, _previous_transaction):
    session.info.pop("worklist_patients", None)

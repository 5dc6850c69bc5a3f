"""The patient's own surface: separate templates, nothing but the patient's own cases.

Every query here is scoped by the signed-in patient's record; another patient's case or
appointment is a 404.
"""
from flask import Blueprint, Response, abort, render_template
from flask_login import current_user
from sqlalchemy.orm import selectinload

from tracker import audit
from tracker.access import allow
from tracker.extensions import db
from tracker.loaders import own_appointment, own_case
from tracker.models import Appointment, Case
from tracker.models.schedule import ACTIVE_STATUSES
from tracker.procedures.records import restart_told
from tracker.roles import Role
from tracker.scheduling import calendar
from tracker.scheduling.reminders import after_cancelling, next_booked_day, preparation_for
from tracker.timeutil import utcnow
from tracker.vocab import NOT_STARTED, AppointmentStatus
from tracker.workflow import State

bp = Blueprint("patient", __name__)


def next_appointment(case):
    upcoming = [a for a in case.appointments if a.status in ACTIVE_STATUSES and a.ends_at > utcnow()]
    return min(upcoming, key=lambda a: a.starts_at) if upcoming else None


@bp.route("/")
@allow(Role.PATIENT)
def home():
    cases = db.session.execute(
        db.select(Case).filter_by(patient_id=current_user.patient_id).order_by(Case.id.desc())
    ).scalars().all()
    return render_template("patient/home.html", cases=cases,
                           appointments={c.id: next_appointment(c) for c in cases})


@bp.route("/cases/<int:case_id>")
@allow(Role.PATIENT)
def case(case_id):
    case = own_case(case_id)
    audit.viewed("case", case.id, summary="patient viewed own case")
    appointment = next_appointment(case)
    cancelled = cancelled_ahead(case)
    # Every cancelled appointment points to the same next booking: read once, whatever their number.
    next_day = next_booked_day(case.patient_id) if cancelled else None
    # Told at the sign-out; said on the patient's page once the record is signed, while the diary runs.
    restart = restart_told(case.procedure_records) if case.state == State.FOLLOW_UP else ""
    return render_template("patient/case.html", case=case, appointment=appointment, restart=restart,
                           moved=appointment is not None and calendar.sequence(appointment) > 0,
                           cancelled=cancelled, undo_steps=lambda old: after_cancelling(old, next_day),
                           steps=preparation_for(appointment) if appointment else [])


def cancelled_ahead(case):
    """Cancelled appointments whose time has not come: the patient may still have them in a
    calendar, and their calendar file now removes them."""
    # With their changes (when each got its time), in one query more whatever their number.
    return db.session.execute(
        db.select(Appointment).options(selectinload(Appointment.changes))
        .where(Appointment.case_id == case.id, Appointment.status == AppointmentStatus.CANCELLED,
               Appointment.ends_at > utcnow())
        .order_by(Appointment.starts_at)).scalars().all()


@bp.route("/appointments/<int:appointment_id>.ics")
@allow(Role.PATIENT)
def calendar_file(appointment_id):
    """The appointment's calendar entry as it stands (same UID; SEQUENCE raised by each move): a
    moved one updates the entry, a cancelled one (METHOD:CANCEL, STATUS:CANCELLED) removes it. One
    that took place or was missed has nothing more to say to a calendar."""
    appointment = own_appointment(appointment_id)
    cancelled = appointment.status == AppointmentStatus.CANCELLED
    if appointment.status not in NOT_STARTED and not cancelled:
        abort(404)
    data = calendar.appointment_calendar(appointment, cancelled=cancelled)
    audit.record(audit.Action.EXPORT, "appointment", appointment.id,
                 summary="patient downloaded .ics" + (" (cancellation)" if cancelled else ""))
    db.session.commit()
    return Response(data, mimetype=calendar.MIMETYPE,
                    headers={"Content-Disposition": f"attachment; filename={calendar.filename(appointment)}"})

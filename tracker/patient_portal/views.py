"""The patient's own surface: separate templates, nothing but the patient's own cases.

Every query here is scoped by the signed-in patient's record; another patient's case or
appointment is a 404.
"""
from flask import Blueprint, Response, abort, render_template
from flask_login import current_user

from tracker import audit
from tracker.access import allow
from tracker.extensions import db
from tracker.loaders import own_appointment, own_case
from tracker.models import Case
from tracker.models.schedule import ACTIVE_STATUSES
from tracker.roles import Role
from tracker.scheduling import calendar
from tracker.scheduling.instructions import preparation
from tracker.timeutil import to_clinic, utcnow
from tracker.vocab import NOT_STARTED

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
    audit.record(audit.Action.VIEW, "case", case.id, summary="patient viewed own case")
    db.session.commit()
    appointment = next_appointment(case)
    return render_template("patient/case.html", case=case, appointment=appointment,
                           steps=preparation(case.risk_screen, to_clinic(appointment.starts_at)) if appointment else [])


@bp.route("/appointments/<int:appointment_id>.ics")
@allow(Role.PATIENT)
def calendar_file(appointment_id):
    appointment = own_appointment(appointment_id)
    if appointment.status not in NOT_STARTED:
        abort(404)  # a cancelled or past appointment has nothing to put in a calendar
    data = calendar.appointment_calendar(appointment)
    audit.record(audit.Action.EXPORT, "appointment", appointment.id, summary="patient downloaded .ics")
    db.session.commit()
    return Response(data, mimetype=calendar.MIMETYPE,
                    headers={"Content-Disposition": f"attachment; filename={calendar.filename(appointment)}"})

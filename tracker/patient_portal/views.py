"""The patient's own surface: separate templates, nothing but the patient's own cases.

Every query here is scoped by the signed-in patient's record; another patient's case or
appointment is a 404.
"""
from flask import Blueprint, Response, render_template
from flask_login import current_user
from icalendar import Calendar, Event

from tracker import audit
from tracker.access import Role, allow, deny
from tracker.extensions import db
from tracker.models import Appointment, Case
from tracker.models.schedule import ACTIVE_STATUSES
from tracker.scheduling.instructions import preparation
from tracker.timeutil import utcnow

bp = Blueprint("patient", __name__)


def own_case(case_id):
    case = db.session.execute(
        db.select(Case).filter_by(id=case_id, patient_id=current_user.patient_id)
    ).scalar_one_or_none()
    if case is None:
        deny("patient asked for a case that is not theirs", "case", case_id, status=404)
    return case


def own_appointment(appointment_id):
    appointment = db.session.execute(
        db.select(Appointment).join(Appointment.case)
        .filter(Appointment.id == appointment_id, Case.patient_id == current_user.patient_id)
    ).scalar_one_or_none()
    if appointment is None:
        deny("patient asked for an appointment that is not theirs", "appointment", appointment_id,
             status=404)
    return appointment


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
                           steps=preparation(case.risk_screen) if appointment else [])


@bp.route("/appointments/<int:appointment_id>.ics")
@allow(Role.PATIENT)
def calendar_file(appointment_id):
    appointment = own_appointment(appointment_id)
    case = appointment.case
    calendar = Calendar()
    calendar.add("prodid", "-//SI joint injection tracker//EN")
    calendar.add("version", "2.0")
    event = Event()
    event.add("uid", f"appointment-{appointment.id}@si-joint-tracker")
    event.add("dtstamp", utcnow())
    event.add("dtstart", appointment.starts_at)
    event.add("dtend", appointment.ends_at)
    event.add("summary", f"SI joint injection ({case.side.label.lower()} side)")
    event.add("location", appointment.room.location or appointment.room.name)
    event.add("description", "\n".join(preparation(case.risk_screen)))
    calendar.add_component(event)
    audit.record(audit.Action.EXPORT, "appointment", appointment.id, summary="patient downloaded .ics")
    db.session.commit()
    return Response(calendar.to_ical(), mimetype="text/calendar",
                    headers={"Content-Disposition": f"attachment; filename=appointment-{appointment.id}.ics"})


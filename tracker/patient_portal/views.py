"""The patient's own surface: separate templates, nothing but the patient's own cases.

Every query here is scoped by the signed-in patient's record; another patient's case or
appointment is a 404.
"""
from flask import Blueprint, Response, abort, current_app, render_template
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from icalendar import Calendar, Event

from tracker import audit
from tracker.access import allow
from tracker.extensions import db
from tracker.loaders import own_appointment, own_case
from tracker.models import Case
from tracker.models.schedule import ACTIVE_STATUSES
from tracker.roles import Role
from tracker.scheduling.instructions import preparation
from tracker.timeutil import utcnow
from tracker.vocab import AppointmentStatus

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
                           steps=preparation(case.risk_screen) if appointment else [])


# Calendar entries sync to third parties (phone vendors, mail providers): no side, drug or diagnosis.
CALENDAR_TITLE = _l("SI joint injection appointment")


@bp.route("/appointments/<int:appointment_id>.ics")
@allow(Role.PATIENT)
def calendar_file(appointment_id):
    appointment = own_appointment(appointment_id)
    if appointment.status not in (AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN):
        abort(404)  # a cancelled or past appointment has nothing to put in a calendar
    clinic = current_app.config["CLINIC_NAME"]
    place = appointment.room.location or appointment.room.name
    calendar = Calendar()
    calendar.add("prodid", "-//SI joint injection tracker//EN")
    calendar.add("version", "2.0")
    event = Event()
    # The same UID for the life of the appointment, and a SEQUENCE that grows with each move, so
    # a calendar that imports the file again updates the entry instead of adding a second one.
    event.add("uid", f"appointment-{appointment.id}@si-joint-tracker")
    event.add("sequence", sum(1 for change in appointment.changes if change.change == "rescheduled"))
    event.add("dtstamp", utcnow())
    event.add("dtstart", appointment.starts_at)
    event.add("dtend", appointment.ends_at)
    # In the language of the page it is downloaded from (the patient's).
    event.add("summary", f"{CALENDAR_TITLE} · {clinic}")
    event.add("location", f"{clinic}, {place}")
    event.add("description", _("%(title)s at %(clinic)s, %(place)s. How to prepare: see your page on the "
                               "clinic's website.", title=CALENDAR_TITLE, clinic=clinic, place=place))
    calendar.add_component(event)
    audit.record(audit.Action.EXPORT, "appointment", appointment.id, summary="patient downloaded .ics")
    db.session.commit()
    return Response(calendar.to_ical(), mimetype="text/calendar",
                    headers={"Content-Disposition": f"attachment; filename=appointment-{appointment.id}.ics"})

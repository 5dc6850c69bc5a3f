"""Scheduling: booking from an eligible case, the appointment page (readiness, check-in, move,
cancel), the day board per room and the physician's own day."""
from datetime import datetime, timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.exc import StaleDataError

from tracker.access import Role, allow
from tracker.cases.views import get_case
from tracker.extensions import db
from tracker.formfields import options
from tracker.models import Appointment, AppointmentChange, Case
from tracker.referrals.services import physicians
from tracker.scheduling import services
from tracker.scheduling.forms import (BookingForm, CancelForm, DayForm, ReadinessForm,
                                      ReadinessOverrideForm, SlotSearchForm)
from tracker.scheduling.rules import NotAClockTime, clinic_to_utc
from tracker.timeutil import clinic_today, clinic_zone, to_clinic
from tracker.validation import StaleEdit

bp = Blueprint("scheduling", __name__)

SCHEDULERS = (Role.COORDINATOR, Role.PHYSICIAN)
STALE = ("This appointment was changed by someone else while you were looking at it. Nothing was "
         "changed; check it as it is now and try again.")


def get_appointment(appointment_id):
    appointment = db.session.get(Appointment, appointment_id) or abort(404)
    get_case(appointment.case_id)  # the same access rule as the case
    return appointment


def _slots_for(duration):
    search = SlotSearchForm(request.args)
    search.physician.choices = options([(str(u.id), u.name) for u in physicians()], blank="Any physician")
    search.validate()
    first_day = search.from_date.data or clinic_today()
    physician_id = int(search.physician.data) if search.physician.data else None
    minutes = search.minutes.data or int(duration.total_seconds() // 60)
    slots = services.next_free_slots(first_day, timedelta(minutes=minutes), physician_id)
    return search, slots


def _proposal(form):
    start = clinic_to_utc(form.date.data, form.start.data, clinic_zone())
    return services.Proposal(start, timedelta(minutes=form.duration.data), form.physician_id.data,
                             form.room_id.data)


def _booking_page(template, status, **context):
    form = context["form"]
    duration = timedelta(minutes=form.duration.data or 30)
    search, slots = _slots_for(duration)
    return render_template(
        template, search=search, slots=slots,
        physician_names={value: label for value, label, *_ in form.physician_id.iter_choices()},
        room_names={value: label for value, label, *_ in form.room_id.iter_choices()}, **context), status


def _attempt(form, action):
    """Run a booking action; returns (done, warnings) and puts errors next to the fields."""
    try:
        proposal = _proposal(form)
    except NotAClockTime as error:
        form.start.errors.append(str(error))
        return False, []
    try:
        action(proposal)
        return True, []
    except services.BookingProblems as problems:
        db.session.rollback()
        for name, message in problems.errors.items():
            form[name].errors.append(message)
        if problems.warnings:
            form.acknowledge.data = False
        return False, problems.warnings
    except (StaleEdit, StaleDataError):
        db.session.rollback()
        flash(STALE, "error")
        return False, []


@bp.route("/cases/<int:case_id>/book", methods=["GET", "POST"])
@allow(*SCHEDULERS)
def book(case_id):
    case = get_case(case_id)
    form = BookingForm(request.form if request.method == "POST" else None,
                       data={"duration": 30, "physician_id": case.physician_id, **_prefill(request.args)})
    form.set_choices(physicians(), services.active_rooms())
    warnings, status = [], 200
    if form.validate_on_submit():
        done, warnings = _attempt(form, lambda p: services.book(case, p, current_user,
                                                                form.acknowledge.data))
        if done:
            flash("Appointment booked.", "success")
            return redirect(url_for("cases.show", case_id=case.id))
        status = 409 if warnings or form.start.errors else 422
    elif form.is_submitted():
        status = 422
    return _booking_page("scheduling/book.html", status, case=case, form=form, warnings=warnings,
                         appointment=None)


def _prefill(args):
    """A free slot chosen from the list arrives as ?date=&start=&minutes=&physician=&room=."""
    data = {}
    try:
        if args.get("minutes", "").isdigit():
            data["duration"] = int(args["minutes"])
        if args.get("date"):
            data["date"] = datetime.strptime(args["date"], "%Y-%m-%d").date()
        if args.get("start"):
            data["start"] = datetime.strptime(args["start"], "%H:%M").time()
        if args.get("physician", "").isdigit():
            data["physician_id"] = int(args["physician"])
        if args.get("room", "").isdigit():
            data["room_id"] = int(args["room"])
    except ValueError:
        pass  # a hand-edited address: the form simply starts empty
    return data


@bp.route("/appointments/<int:appointment_id>")
@allow(Role.COORDINATOR, Role.PHYSICIAN, Role.ADMIN)
def show(appointment_id):
    appointment = get_appointment(appointment_id)
    return _appointment_page(appointment)


def _appointment_page(appointment, status=200, **forms):
    changes = db.session.execute(
        db.select(AppointmentChange).options(joinedload(AppointmentChange.actor))
        .filter_by(appointment_id=appointment.id).order_by(AppointmentChange.id)
    ).scalars().all()
    readiness_form = forms.get("readiness_form") or ReadinessForm(obj=appointment)
    return render_template(
        "scheduling/appointment.html", appointment=appointment, case=appointment.case,
        changes=changes, items=services.readiness_items(appointment),
        ready=services.readiness.is_ready(appointment, appointment.case.risk_screen),
        readiness_form=readiness_form,
        override_form=forms.get("override_form") or ReadinessOverrideForm(version_id=appointment.version_id),
        cancel_form=forms.get("cancel_form") or CancelForm(version_id=appointment.version_id),
    ), status


@bp.route("/appointments/<int:appointment_id>/reschedule", methods=["GET", "POST"])
@allow(*SCHEDULERS)
def reschedule(appointment_id):
    appointment = get_appointment(appointment_id)
    local = to_clinic(appointment.starts_at)
    minutes = int((appointment.ends_at - appointment.starts_at).total_seconds() // 60)
    form = BookingForm(request.form if request.method == "POST" else None, data={
        "date": local.date(), "start": local.time(), "duration": minutes,
        "physician_id": appointment.physician_id, "room_id": appointment.room_id,
        "version_id": appointment.version_id, **_prefill(request.args)})
    form.set_choices(physicians(), services.active_rooms())
    form.submit.label.text = "Move appointment"
    warnings, status = [], 200
    if form.validate_on_submit():
        done, warnings = _attempt(form, lambda p: services.reschedule(
            appointment, p, form.reason.data, current_user, form.version_id.data, form.acknowledge.data))
        if done:
            flash("Appointment moved.", "success")
            return redirect(url_for("scheduling.show", appointment_id=appointment.id))
        status = 409 if warnings or form.start.errors else 422
    elif form.is_submitted():
        status = 422
    return _booking_page("scheduling/book.html", status, case=appointment.case, form=form,
                         warnings=warnings, appointment=appointment)


@bp.route("/appointments/<int:appointment_id>/cancel", methods=["POST"])
@allow(*SCHEDULERS)
def cancel(appointment_id):
    appointment = get_appointment(appointment_id)
    form = CancelForm()
    if form.validate_on_submit():
        try:
            services.cancel(appointment, form.reason.data, current_user, form.version_id.data)
        except services.BookingProblems as problems:
            db.session.rollback()
            form.reason.errors.extend(problems.errors.values())
        except (StaleEdit, StaleDataError):
            db.session.rollback()
            flash(STALE, "error")
            return redirect(url_for("scheduling.show", appointment_id=appointment.id))
        else:
            flash("Appointment cancelled; the case is eligible again and can be booked.", "success")
            return redirect(url_for("cases.show", case_id=appointment.case_id))
    return _appointment_page(appointment, 422, cancel_form=form)


@bp.route("/appointments/<int:appointment_id>/check-in", methods=["POST"])
@allow(Role.COORDINATOR)
def check_in(appointment_id):
    appointment = get_appointment(appointment_id)
    if FlaskForm().validate_on_submit():  # the CSRF check: the button has no other fields
        try:
            services.check_in(appointment, current_user)
            flash(f"{appointment.case.patient.display_name} is checked in.", "success")
        except services.BookingProblems as problems:
            db.session.rollback()
            flash(" ".join(problems.errors.values()), "error")
    back = request.form.get("back")
    return redirect(back if back and back.startswith("/schedule/") else
                    url_for("scheduling.show", appointment_id=appointment.id))


@bp.route("/appointments/<int:appointment_id>/readiness", methods=["POST"])
@allow(*SCHEDULERS)
def readiness(appointment_id):
    appointment = get_appointment(appointment_id)
    form = ReadinessForm()
    if form.validate_on_submit():
        try:
            services.update_readiness(appointment, form.values(), form.version_id.data, current_user)
        except (StaleEdit, StaleDataError):
            db.session.rollback()
            flash(STALE, "error")
            return _appointment_page(db.session.get(Appointment, appointment_id), 409, readiness_form=form)
        flash("Readiness saved.", "success")
    return redirect(url_for("scheduling.show", appointment_id=appointment.id))


@bp.route("/appointments/<int:appointment_id>/readiness-override", methods=["POST"])
@allow(Role.PHYSICIAN)
def readiness_override(appointment_id):
    appointment = get_appointment(appointment_id)
    form = ReadinessOverrideForm()
    if form.validate_on_submit():
        try:
            services.override_readiness(appointment, form.reason.data, current_user, form.version_id.data)
        except (StaleEdit, StaleDataError):
            db.session.rollback()
            flash(STALE, "error")
        else:
            flash("Readiness override recorded.", "success")
            return redirect(url_for("scheduling.show", appointment_id=appointment.id))
    return _appointment_page(appointment, 422, override_form=form)


def _day():
    form = DayForm(request.args)
    form.validate()
    return form, form.date.data or clinic_today()


def _day_appointments(day, physician_id=None):
    """The day's appointments with everything the board shows, in a fixed number of queries."""
    query = (
        db.select(Appointment)
        .options(joinedload(Appointment.case).joinedload(Case.patient),
                 joinedload(Appointment.case).selectinload(Case.risk_screen),
                 joinedload(Appointment.physician), joinedload(Appointment.room))
        .filter(Appointment.starts_at >= services.clinic_day_start(day),
                Appointment.starts_at < services.clinic_day_start(day + timedelta(days=1)))
        .order_by(Appointment.starts_at, Appointment.id)
    )
    if physician_id:
        query = query.filter(Appointment.physician_id == physician_id)
    appointments = db.session.execute(query).unique().scalars().all()
    return [(a, services.readiness.is_ready(a, a.case.risk_screen),
             services.readiness.missing(a, a.case.risk_screen)) for a in appointments]


@bp.route("/schedule/day")
@allow(Role.COORDINATOR, Role.PHYSICIAN, Role.ADMIN)
def day_board():
    form, day = _day()
    entries = _day_appointments(day)
    # Active rooms, plus any room no longer in use that still has appointments that day.
    rooms = {room.id: room for room in services.active_rooms()}
    for appointment, _, _ in entries:
        rooms.setdefault(appointment.room_id, appointment.room)
    rooms = list(rooms.values())
    columns = [(room, [e for e in entries if e[0].room_id == room.id]) for room in rooms]
    return render_template("scheduling/day.html", form=form, day=day, columns=columns,
                           previous=day - timedelta(days=1), following=day + timedelta(days=1))


@bp.route("/schedule/mine")
@allow(Role.PHYSICIAN)
def my_day():
    form, day = _day()
    return render_template("scheduling/my_day.html", form=form, day=day,
                           entries=_day_appointments(day, current_user.id),
                           previous=day - timedelta(days=1), following=day + timedelta(days=1))


"""Scheduling: booking from an eligible case, the appointment page (readiness, check-in, move,
cancel), the day board per room and the physician's own day."""
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy.orm import joinedload

from tracker import audit, contact
from tracker.access import allow
from tracker.cases.services import record_view
from tracker.errors import back_to, on_refusal
from tracker.extensions import db
from tracker.formfields import TrackerForm, differences, options
from tracker.loaders import get_case
from tracker.models import Appointment, AppointmentChange
from tracker.referrals.services import physicians
from tracker.refusals import StaleEdit
from tracker.roles import Role
from tracker.scheduling import board, instructions, services
from tracker.scheduling import reminders as appointment_messages
from tracker.scheduling.liability import notice_for
from tracker.scheduling.forms import (FIRST_YEAR, LAST_YEAR, BookingForm, CancelForm, DayForm,
                                      ReadinessForm, ReadinessOverrideForm, SlotSearchForm)
from tracker.scheduling.rules import (DEFAULT_DURATION, MAX_DURATION, MIN_DURATION, NotAClockTime, closed_on,
                                     clinic_to_utc, slots_from)
from tracker.security import is_safe_next
from tracker.timeutil import clinic_today, clinic_zone, to_clinic, utcnow
from tracker.workflow import State
from tracker.vocab import NOT_STARTED, AppointmentStatus

bp = Blueprint("scheduling", __name__)
bp.add_app_template_global(appointment_messages.label, "message_label")
bp.add_app_template_global(contact.status_words, "message_status")

SCHEDULERS = (Role.COORDINATOR, Role.PHYSICIAN)
STALE = _l("This appointment was changed by someone else while you were looking at it. Nothing was "
         "changed; check it as it is now and try again.")


def get_appointment(appointment_id):
    appointment = db.session.get(Appointment, appointment_id) or abort(404)
    get_case(appointment.case_id)  # the same access rule as the case
    return appointment


def _valid(field):
    """The field's value if it passed validation, else None (the caller falls back to a default)."""
    return None if field.errors else field.data


def _minutes(value):
    """A duration in minutes within 15..240, else None: a hand-edited address must not reach the
    slot finder's date arithmetic."""
    ok = isinstance(value, int) and MIN_DURATION.total_seconds() // 60 <= value <= MAX_DURATION.total_seconds() // 60
    return value if ok else None


def _slots_for(duration, case=None, appointment=None):
    """The free-slot list: for the case's physician until the user picks another (or "any"), and
    around the appointment being moved (its own time is not a clash)."""
    search = SlotSearchForm(request.args)
    search.physician.choices = options([(str(u.id), u.name) for u in physicians()], blank="Any physician")
    search.validate()
    if "minutes" not in request.args:  # the booking form's duration until the search box is used
        search.minutes.data = int(duration.total_seconds() // 60)
    search.physician_note = None
    if "physician" not in request.args and case is not None and case.physician_id:
        if case.physician.bookable:
            search.physician.data = str(case.physician_id)
        else:  # an inactive physician has no free slot: the list is every active physician's, and says so
            search.physician_note = (
                _("%(name)s is no longer active: searching all physicians.", name=case.physician.name)
                if not case.physician.active else
                _("%(name)s is no longer a physician: searching all physicians.", name=case.physician.name))
    today = clinic_today()
    fits = (instructions.first_day_that_fits(case.risk_screen, to_clinic(utcnow()))
            if case is not None and case.risk_screen is not None else today)
    first_day, search.note = slots_from(_valid(search.from_date), today, fits)
    if search.note:  # the box shows the day the list starts on, not the one typed
        search.from_date.data, search.from_date.raw_data = first_day, [first_day.isoformat()]
    physician_id = int(search.physician.data) if _valid(search.physician) and search.physician.data else None
    minutes = _minutes(_valid(search.minutes)) or int(duration.total_seconds() // 60)
    slots = services.next_free_slots(first_day, timedelta(minutes=minutes), physician_id,
                                     exclude_id=appointment.id if appointment else None)
    if appointment is not None:  # its own time, physician and room is no move
        slots = [s for s in slots if (s.start, s.physician_id, s.room_id) !=
                 (appointment.starts_at, appointment.physician_id, appointment.room_id)]
    return search, slots


def _proposal(form):
    start = clinic_to_utc(form.date.data, form.start.data, clinic_zone())
    return services.Proposal(start, timedelta(minutes=form.duration.data), form.physician_id.data,
                             form.room_id.data)


def _booking_page(template, status, **context):
    form = context["form"]
    form.shown_at.data = utcnow().isoformat()  # what the user sees now: the schedule as it stands
    minutes = _minutes(form.duration.data)
    # A case that cannot be booked gets the page's notice, not free slots it cannot take.
    search, slots = (_slots_for(timedelta(minutes=minutes) if minutes else DEFAULT_DURATION,
                                context.get("case"), context.get("appointment"))
                     if context.get("bookable", True) else (None, []))
    physician_names = {value: label for value, label, *_ in form.physician_id.iter_choices()}
    html = render_template(
        template, search=search, slots=slots, physician_names=physician_names,
        physician_hint=_physician_hint(context["case"], form, physician_names),
        room_names={value: label for value, label, *_ in form.room_id.iter_choices()}, **context)
    if request.method == "GET":
        # The form names the patient: opening it is a view of the case, as the case page is.
        record_view(context["case"], current_user, "move form" if context.get("appointment") else "booking form")
    return html, status


def _physician_hint(case, form, physician_names):
    """What the physician chosen does to the case, said before booking: the case's physician is
    the one it is booked with, so another physician takes the case over (see
    services._assign_physician). Said again in bold when the one chosen (a free slot of another
    physician, or a form sent back) is not the case's."""
    if case.physician is None:
        return _("The case has no physician yet: it becomes the case of the physician it is booked with.")
    chosen = form.physician_id.data
    if chosen in (None, case.physician_id):
        return _("The case's physician is %(name)s. Choosing another physician reassigns the case to them "
                 "(it moves to their list; the timeline records the change).", name=case.physician.name)
    return Markup("<strong>%s</strong>") % _(
        "Not the case's physician: booking with %(chosen)s reassigns the case from %(name)s to %(chosen)s "
        "(it leaves %(name)s's list for theirs; the timeline records the change).",
        chosen=physician_names.get(chosen) or _("this physician"), name=case.physician.name)


def _shown_at(form):
    """When the form's page was shown (None if the field is missing or was edited)."""
    try:
        shown = datetime.fromisoformat(form.shown_at.data or "")
    except ValueError:
        return None
    return shown if shown.tzinfo is not None else None


def _acknowledged(form):
    """The digest of the warnings the user ticked the box for (None: not ticked)."""
    return form.warnings_digest.data if form.acknowledge.data else None


def _booking_refused(form, refusal, page):
    """A refused booking or move: the reasons next to the fields, the warnings to acknowledge
    (again, if they changed after the box was ticked), the form as typed."""
    if isinstance(refusal, services.BookingProblems):
        for name, message in refusal.errors.items():
            form[name].errors.append(message)
        if refusal.warnings:
            form.acknowledge.data = False
            form.warnings_digest.data = services.warnings_digest(refusal.warnings)
            if refusal.changed:
                form.acknowledge.errors.append(
                    "The warnings changed after you ticked the box (the schedule or the case changed "
                    "meanwhile). Nothing was booked: read them again and tick the box to go ahead.")
        return page(refusal.warnings, 409 if refusal.warnings or form.start.errors else 422)
    flash(str(STALE) if isinstance(refusal, StaleEdit) else str(refusal), "error")
    return page([], refusal.status)


def _proposal_or_error(form):
    """The proposal the form describes, or None with the reason next to the start time."""
    try:
        return _proposal(form)
    except NotAClockTime as error:
        form.start.errors.append(str(error))
        return None


def _valid_or_errors(form):
    """The proposal of a form that validates, or None with every error beside its field at once: a
    form refused for one field (a duration of 5 minutes) also says a day or time already past,
    rather than on the next submit."""
    if form.validate_on_submit():
        return _proposal_or_error(form)
    if form.is_submitted() and form.date.data and form.start.data and not (form.date.errors or form.start.errors):
        try:
            start = clinic_to_utc(form.date.data, form.start.data, clinic_zone())
        except NotAClockTime as error:
            form.start.errors.append(str(error))
            return None
        for name, message in services.past(start).items():
            form[name].errors.append(message)
    return None


@bp.route("/cases/<int:case_id>/book", methods=["GET", "POST"])
@allow(*SCHEDULERS)
def book(case_id):
    case = get_case(case_id)
    form = BookingForm(request.form if request.method == "POST" else None,
                       data={"duration": 30, "physician_id": case.physician_id, **_prefill(request.args)})
    form.set_choices(physicians(), services.active_rooms())

    def page(warnings, status):
        return _booking_page("scheduling/book.html", status, case=case, form=form, warnings=warnings,
                             appointment=None, bookable=case.state == State.ELIGIBLE and not case.patient.died)

    proposal = _valid_or_errors(form)
    if proposal is None:
        return page([], 422 if form.is_submitted() else 200)
    on_refusal(lambda refusal: _booking_refused(form, refusal, page))
    services.book(case, proposal, current_user, _acknowledged(form), seen_at=_shown_at(form))
    flash(_("Appointment booked."), "success")
    return redirect(url_for("cases.show", case_id=case.id))


def _prefill(args):
    """A free slot chosen from the list arrives as ?date=&start=&minutes=&physician=&room=."""
    data = {}
    try:
        minutes = _minutes(int(args["minutes"])) if args.get("minutes", "").isdigit() else None
        if minutes:
            data["duration"] = minutes
        if args.get("date"):
            day = datetime.strptime(args["date"], "%Y-%m-%d").date()
            if FIRST_YEAR <= day.year <= LAST_YEAR:
                data["date"] = day
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
@allow(Role.COORDINATOR, Role.PHYSICIAN)
def show(appointment_id):
    appointment = get_appointment(appointment_id)
    record_view(appointment.case, current_user, f"appointment {appointment.id}")
    return _appointment_page(appointment)


def _appointment_page(appointment, status=200, **forms):
    changes = db.session.execute(
        db.select(AppointmentChange).options(joinedload(AppointmentChange.actor))
        .filter_by(appointment_id=appointment.id).order_by(AppointmentChange.id)
    ).scalars().all()
    readiness_form = forms.get("readiness_form") or ReadinessForm(obj=appointment)
    cancel_form = forms.get("cancel_form") or CancelForm(version_id=appointment.version_id)
    # What the person sees now: a later refusal names what others changed after this moment.
    readiness_form.shown_at.data = cancel_form.shown_at.data = utcnow().isoformat()
    items = services.readiness_items(appointment)
    for item in items:
        # Each box says what it confirms for this patient: the day-of check names the glucose check,
        # the pregnancy test or the physician's decision when the risk screen asks for them.
        readiness_form[item.field].label.text = _(item.label)
    risk = appointment.case.risk_screen
    notice = notice_for(appointment.case, appointment)
    overrides = [c for c in changes if c.change == "readiness_override"]
    # A patient recorded as died: no check-in or move, the cancel form open (a booking is refused anyway).
    died = appointment.case.patient.died and appointment.status in NOT_STARTED
    override_form = forms.get("override_form") or ReadinessOverrideForm(version_id=appointment.version_id)
    # The refused start's link (?override=1#readiness-override) opens the physician's override: no
    # script needed to reach it (js/open-target.js puts the keyboard in its reason box).
    override_open = request.args.get("override") == "1"
    return render_template(
        "scheduling/appointment.html", appointment=appointment, case=appointment.case,
        changes=changes, items=items,
        physician_inactive=board.physician_inactive(appointment.status, appointment.physician.name,
                                                    appointment.physician.not_booked_with),
        room_out_of_use=board.room_out_of_use(appointment.status, appointment.room.name, appointment.room.active),
        closed=_closed(appointment),
        # Only a booking still to come moves: a missed one's Move would only answer with its refusal.
        movable=services.not_movable(appointment) is None and not died,
        liability=notice if appointment.status in NOT_STARTED else None,
        ready=services.readiness.is_ready(appointment, risk, notice),
        by_override=services.readiness.by_override(appointment, risk, notice),
        still_needed=services.readiness.still_needed(appointment, risk, notice),
        hold=services.hold_at_table(appointment),
        steps=appointment_messages.preparation_for(appointment),
        channels=appointment_messages.channels_for(appointment),
        preparing=appointment_messages.preparation_reminder_to_come(appointment),
        unread=(appointment_messages.preparation_unread(appointment)
                if appointment.status in NOT_STARTED else None),
        hold_undone=(appointment_messages.hold_undone(appointment)
                     if appointment.status == AppointmentStatus.CANCELLED else ""),
        override_at=overrides[-1].at if overrides and appointment.readiness_override_reason else None,
        can_check_in=board.can_check_in(appointment) and not died, died=died,
        readiness_form=readiness_form, conflicts=forms.get("conflicts", []),
        override_form=override_form, override_open=override_open,
        # Opened by the link of an appointment whose patient died (?cancel=1#cancel-appointment), and
        # whenever the patient died: cancelling is all that is left to do.
        cancel_form=cancel_form, cancel_open=forms.get("cancel_open", False) or request.args.get("cancel") == "1"
        or died,
        reminder_hours=_hours_in_words(appointment_messages.offsets()),
    ), status


def _closed(appointment):
    """The appointment page's flag for a day closed (a holiday, the physician's leave), or None."""
    day = appointment.clinic_day
    closure = closed_on(day, appointment.physician_id, services.closures_between(day, day))
    return board.closed_flag(appointment.status, closure, day, appointment.physician.name)


def _hours_in_words(hours):
    """[48, 24] as "48 and 24", [72, 48, 24] as "72, 48 and 24"."""
    words = [str(h) for h in hours]
    return " and ".join([", ".join(words[:-1]), words[-1]]) if len(words) > 1 else "".join(words)


@bp.route("/appointments/<int:appointment_id>/reschedule", methods=["GET", "POST"])
@allow(*SCHEDULERS)
def reschedule(appointment_id):
    appointment = get_appointment(appointment_id)
    if why := services.not_movable(appointment):
        # Cancelled, checked in, started, done or a no-show: no form to fill in, and a form opened
        # before that happened is refused the same way, whatever its version.
        flash(why, "error")
        return redirect(url_for("scheduling.show", appointment_id=appointment.id))
    local = to_clinic(appointment.starts_at)
    minutes = int((appointment.ends_at - appointment.starts_at).total_seconds() // 60)
    form = BookingForm(request.form if request.method == "POST" else None, data={
        "date": local.date(), "start": local.time(), "duration": minutes,
        "physician_id": appointment.physician_id, "room_id": appointment.room_id,
        "version_id": appointment.version_id, **_prefill(request.args)})
    form.set_choices(physicians(), services.active_rooms())
    form.submit.label.text = _("Move appointment")
    form.acknowledge.label.text = _("I have read the warnings above and want to move anyway")
    form.reason.flags.required = True  # a move needs its reason (the service says so if it is left empty)

    def page(warnings, status):
        return _booking_page("scheduling/book.html", status, case=appointment.case, form=form,
                             warnings=warnings, appointment=appointment)

    proposal = _valid_or_errors(form)
    if proposal is None:
        return page([], 422 if form.is_submitted() else 200)
    on_refusal(lambda refusal: _booking_refused(form, refusal, page))
    services.reschedule(appointment, proposal, form.reason.data, current_user, form.version_id.data,
                        _acknowledged(form), seen_at=_shown_at(form))
    flash(_("Appointment moved."), "success")
    return redirect(url_for("scheduling.show", appointment_id=appointment.id))


@bp.route("/appointments/<int:appointment_id>/cancel", methods=["POST"])
@allow(*SCHEDULERS)
def cancel(appointment_id):
    appointment = get_appointment(appointment_id)
    form = CancelForm()
    if not form.validate_on_submit():
        return _appointment_page(appointment, 422, cancel_form=form)
    on_refusal(lambda refusal: _cancel_refused(appointment, form, refusal))
    services.cancel(appointment, form.reason.data, current_user, form.version_id.data)
    if appointment.status == AppointmentStatus.NO_SHOW:
        flash(_("The patient did not come within %(grace)s minutes of the start, so the appointment is "
                "recorded as a no-show, not a cancellation; the case is eligible again and can be booked.",
                grace=current_app.config["NO_SHOW_GRACE_MINUTES"]), "success")
    elif appointment.case.patient.died:
        flash(_("Appointment cancelled. The patient died: cancel the case too (Cancel case, below)."), "success")
    else:
        flash(_("Appointment cancelled; the case is eligible again and can be booked."), "success")
    if undo := appointment_messages.hold_undone(appointment):
        flash(undo, "warning")
    return redirect(url_for("cases.show", case_id=appointment.case_id))


def _stale(appointment, form, kept):
    """Why a save from a page shown before someone else's change was refused: what they changed
    since the page was shown (moved to when, by whom), then what became of the entries."""
    changed = services.changes_since(appointment, _shown_at(form) if "shown_at" in form else None)
    if not changed:
        return f"{STALE} {kept}"
    return " ".join([_("This appointment was changed by someone else while you were looking at it: %(changes)s.",
                       changes="; ".join(changed)), kept])


def _cancel_refused(appointment, form, refusal):
    """A stale form comes back with the reason typed, under the appointment as it is now and what
    changed: pressing Cancel again cancels it as it now stands. Otherwise the reason it cannot be
    cancelled is shown next to the reason typed."""
    if isinstance(refusal, StaleEdit):
        flash(_stale(appointment, form, _("Nothing was cancelled; your reason is kept below: check the appointment "
                                          "as it is now, then press Cancel appointment again to cancel it.")), "error")
        form.version_id.data = appointment.version_id
        return _appointment_page(appointment, 409, cancel_form=form, cancel_open=True)
    if isinstance(refusal, services.BookingProblems) and "status" in refusal.errors:
        # No longer cancellable (done, in procedure, a no-show, cancelled): the page has no cancel
        # form any more, so the reason goes at its top.
        flash(refusal.errors["status"], "error")
        return redirect(url_for("scheduling.show", appointment_id=appointment.id))
    form.reason.errors.extend(refusal.errors.values() if isinstance(refusal, services.BookingProblems)
                              else [str(refusal)])
    return _appointment_page(appointment, 422, cancel_form=form)


def _shown_again(appointment, form_name, form):
    """A refused readiness save or override: why, on the appointment page as it is now; a stale
    form keeps what was typed beside it, with what changed meanwhile, and takes the current version."""
    def respond(refusal):
        if isinstance(refusal, services.BookingProblems) and refusal.errors and all(name in form for name in refusal.errors):
            # A value refused (the day of the last dose): the reason next to its field, all kept.
            for name, message in refusal.errors.items():
                form[name].errors.append(message)
            return _appointment_page(appointment, 422, **{form_name: form})
        if not isinstance(refusal, StaleEdit):
            flash(str(refusal), "error")
            return _appointment_page(appointment, 409)
        if form_name == "readiness_form":
            flash(_stale(appointment, form, _("Nothing was saved; your ticks are kept below, beside what is saved "
                                              "now.")), "error")
            conflicts = differences(form, appointment)  # the saved ticks against the typed ones
        else:
            flash(_stale(appointment, form, _("Nothing was saved; your reason is kept below.")), "error")
            conflicts = []
        # Shown what changed, the person may save again on the appointment as it now is.
        form.version_id.data = appointment.version_id
        return _appointment_page(appointment, 409, conflicts=conflicts, **{form_name: form})

    return respond


@bp.route("/appointments/<int:appointment_id>/messages/resend", methods=["POST"])
@allow(Role.COORDINATOR)
def resend_message(appointment_id):
    """Send the patient the appointment's message again, now (a failed or lost one, or a patient
    who asks): by their channel, recorded with the coordinator's name."""
    appointment = get_appointment(appointment_id)
    if TrackerForm().validate_on_submit():  # the CSRF check: the button has no other fields
        messages = appointment_messages.resend(appointment, current_user._get_current_object())
        if not messages and contact.nothing_sent_because(appointment.case.patient):
            flash(contact.nothing_sent_because(appointment.case.patient), "error")
        elif not messages:
            flash(_("Nothing was sent: the patient has no way to be reached automatically (no email, "
                    "texts stopped or not possible, or phone calls preferred), or the appointment has "
                    "nothing to tell. Call the patient."), "error")
        for message in messages:
            if message.status == appointment_messages.SENT:
                flash(_("Sent again by %(channel)s.", channel=CHANNEL_WORDS[message.channel]), "success")
            else:
                flash(_("The %(channel)s could not be sent: %(detail)s",
                        channel=CHANNEL_WORDS[message.channel], detail=message.detail), "error")
    return redirect(url_for("scheduling.show", appointment_id=appointment.id, _anchor="messages"))


CHANNEL_WORDS = {"email": "email", "sms": "text message"}


@bp.route("/appointments/<int:appointment_id>/check-in", methods=["POST"])
@allow(Role.COORDINATOR)
def check_in(appointment_id):
    appointment = get_appointment(appointment_id)
    # Back to the page the button was on (the day board), but never off the site.
    target = request.form.get("next")
    back = target if is_safe_next(target) else url_for("scheduling.show", appointment_id=appointment.id)
    if TrackerForm().validate_on_submit():  # the CSRF check: the button has no other fields
        on_refusal(back_to(back, stale=STALE))
        services.check_in(appointment, current_user)
        flash(_("%(display_name)s is checked in.", display_name=appointment.case.patient.display_name), "success")
    return redirect(back)


@bp.route("/appointments/<int:appointment_id>/readiness", methods=["POST"])
@allow(*SCHEDULERS)
def readiness(appointment_id):
    appointment = get_appointment(appointment_id)
    form = ReadinessForm()
    if form.validate_on_submit():
        on_refusal(_shown_again(appointment, "readiness_form", form))
        services.update_readiness(appointment, form.values(), form.version_id.data, current_user)
        flash(_("Readiness saved."), "success")
    return redirect(url_for("scheduling.show", appointment_id=appointment.id))


@bp.route("/appointments/<int:appointment_id>/readiness-override", methods=["POST"])
@allow(Role.PHYSICIAN)
def readiness_override(appointment_id):
    appointment = get_appointment(appointment_id)
    form = ReadinessOverrideForm()
    if not form.validate_on_submit():
        return _appointment_page(appointment, 422, override_form=form)
    on_refusal(_shown_again(appointment, "override_form", form))
    services.override_readiness(appointment, form.reason.data, current_user, form.version_id.data)
    flash(_("Readiness override recorded."), "success")
    return redirect(url_for("scheduling.show", appointment_id=appointment.id))


def _day():
    """The day asked for in ?date=, or today (with the message next to the field) when it is
    missing or unreadable; the field shows the day on the page unless the user typed something else."""
    form = DayForm(request.args)
    form.validate()
    day = _valid(form.date) or clinic_today()
    if not form.date.raw_data:
        form.date.data = day
    return form, day


def _audit_day_view(what, day):
    """A day list shows patients' names: record who looked at which day (one row per view)."""
    audit.viewed("schedule_day", day.isoformat(), summary=f"viewed {what}", user=current_user)


@bp.route("/schedule/day")
@allow(Role.COORDINATOR, Role.PHYSICIAN)
def day_board():
    form, day = _day()
    _audit_day_view("day board", day)
    columns = board.columns(board.board_entries(day))
    return render_template("scheduling/day.html", form=form, day=day, columns=columns,
                           previous=day - timedelta(days=1), following=day + timedelta(days=1))


@bp.route("/schedule/mine")
@allow(Role.PHYSICIAN)
def my_day():
    form, day = _day()
    _audit_day_view("my day", day)
    entries = board.physicians_day(day, current_user.id)
    return render_template("scheduling/my_day.html", form=form, day=day, entries=entries,
                           previous=day - timedelta(days=1), following=day + timedelta(days=1))


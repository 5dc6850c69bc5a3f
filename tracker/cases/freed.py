"""What staff must hear when a move of a case cancelled its appointment (the transition table's
`FreesBooking`: cancelling the case, or a re-evaluation that finds it no longer eligible): which
appointment went, and the blood thinner the patient was told to stop for it."""
from flask import flash
from flask_babel import gettext as _

from tracker.scheduling.reminders import channels_for, hold_undone
from tracker.timeutil import format_clinic
from tracker.vocab import NOT_STARTED, AppointmentStatus


def booked(case):
    """The case's appointments not started yet, read before the move."""
    return [a for a in case.appointments if a.status in NOT_STARTED]


def say_cancelled(before):
    """After the move: a warning for each of `before` (booked()) it cancelled, naming it, and the
    blood-thinner restart the patient must hear about (the appointment's own Cancel says the same)."""
    for appointment in before:
        if appointment.status != AppointmentStatus.CANCELLED:
            continue
        which = {"when": format_clinic(appointment.starts_at, "%a %d %b %Y %H:%M"),
                 "physician": appointment.physician.name}
        # A patient no message reaches (phone calls preferred, no address) hears it from staff.
        flash(_("The appointment of %(when)s with %(physician)s is cancelled with it; the patient is sent the "
                "cancellation.", **which) if channels_for(appointment) else
              _("The appointment of %(when)s with %(physician)s is cancelled with it; no message goes to the patient "
                "by itself: call them to tell them.", **which), "warning")
        if undo := hold_undone(appointment):
            flash(undo, "warning")

"""Ending an active appointment (cancelled, or a no-show) without touching the case's state.

Its own module because two callers free a slot in their own transaction: a transition the
table declares `frees_booking` (cancelling the appointment or the case, a re-evaluation that
finds the case no longer eligible: `cases.services.transition` runs it), and the no-show sweep.
"""
from datetime import timedelta

from flask import current_app

from tracker import audit
from tracker.models import AppointmentChange
from tracker.timeutil import utcnow
from tracker.vocab import AppointmentStatus


def missed(appointment, now=None):
    """Booked, and not checked in within NO_SHOW_GRACE_MINUTES of its start: a no-show, whether or
    not `flask appointments mark-no-shows` has marked it yet."""
    grace = timedelta(minutes=current_app.config["NO_SHOW_GRACE_MINUTES"])
    return appointment.status == AppointmentStatus.BOOKED and appointment.starts_at < (now or utcnow()) - grace


def release(appointment, reason, actor, status=AppointmentStatus.CANCELLED):
    """End an active appointment (cancelled or no-show) without touching the case's state. One the
    patient already missed ends as a no-show even when it is cancelled (the appointment, or its
    case) before the cron run marked it: which run came first must not turn a no-show into a
    cancellation in the reports."""
    if status == AppointmentStatus.CANCELLED and missed(appointment):
        status = AppointmentStatus.NO_SHOW
    appointment.status = status
    appointment.cancelled_reason = reason.strip() if status == AppointmentStatus.CANCELLED else None
    appointment.changes.append(AppointmentChange(actor_id=actor.id if actor else None,
                                                 change=status.value, reason=reason.strip()))
    audit.record(audit.Action.UPDATE, "appointment", appointment.id, summary=status.value,
                 user=actor, actor=None if actor else "system")

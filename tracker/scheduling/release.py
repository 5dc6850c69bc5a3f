"""Ending an active appointment (cancelled, or a no-show) without touching the case's state.

Its own module because two callers free a slot in their own transaction: a transition the
table declares `frees_booking` (cancelling the appointment or the case, a re-evaluation that
finds the case no longer eligible: `cases.services.transition` runs it), and the no-show sweep.
"""
from tracker import audit
from tracker.models import AppointmentChange
from tracker.vocab import AppointmentStatus


def release(appointment, reason, actor, status=AppointmentStatus.CANCELLED):
    """End an active appointment (cancelled or no-show) without touching the case's state."""
    appointment.status = status
    appointment.cancelled_reason = reason.strip() if status == AppointmentStatus.CANCELLED else None
    appointment.changes.append(AppointmentChange(actor_id=actor.id if actor else None,
                                                 change=status.value, reason=reason.strip()))
    audit.record(audit.Action.UPDATE, "appointment", appointment.id, summary=status.value,
                 user=actor, actor=None if actor else "system")

"""Cases: moving a case through its lifecycle.

`transition` is the one function through which every state change goes: it checks the move
against the table in `tracker.workflow`, then writes the new state, a case-history row and an
audit row, and commits them together.
"""
from tracker import audit
from tracker.extensions import db
from tracker.models import CaseHistory
from tracker.timeutil import utcnow
from tracker.validation import StaleEdit
from tracker.workflow import SYSTEM, State, TransitionRefused, check

__all__ = ["transition", "TransitionRefused", "record_view"]


def transition(case, action, actor, reason="", version_id=None, commit=True, at=None):
    """Apply `action` to `case` as `actor` (None: the tracker itself), or raise TransitionRefused /
    StaleEdit with nothing written. `at` is when it happened, if not now: the procedure's own
    clock (its start dates the injection for caps and spacing)."""
    if version_id is not None and str(case.version_id) != str(version_id):
        raise StaleEdit
    move = check(case, action, actor.role if actor else SYSTEM, reason)
    previous = State(case.state)
    now = at or utcnow()
    case.state = move.target
    case.state_changed_at = now
    db.session.add(CaseHistory(case=case, at=now, actor_id=actor.id if actor else None,
                               actor_role=actor.role if actor else None, action=action,
                               from_state=previous, to_state=move.target,
                               reason=(reason or "").strip()))
    audit.record(audit.Action.TRANSITION, "case", case.id,
                 summary=f"{action}: {previous.value} → {move.target.value}", user=actor,
                 actor=None if actor else "system")
    if move.target == State.CANCELLED and case.active_appointment:
        # A cancelled case keeps no booking: its slot is freed in the same transaction.
        from tracker.scheduling.services import release

        release(case.active_appointment, f"case cancelled: {reason.strip()}", actor)
    if commit:
        db.session.commit()
    return move


def record_view(case, actor, what="case"):
    """Audit that `actor` saw this case's record (`what`: which page of it)."""
    audit.record(audit.Action.VIEW, "case", case.id, summary=f"viewed {what}", user=actor)
    db.session.commit()

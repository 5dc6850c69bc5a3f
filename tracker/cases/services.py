"""Cases: moving a case through its lifecycle, and the queries behind the worklists.

`transition` is the one function through which every state change goes: it checks the move
against the table in `tracker.workflow`, then writes the new state, a case-history row and an
audit row, and commits them together.
"""
from sqlalchemy import func
from sqlalchemy.orm import joinedload

from tracker import audit
from tracker.extensions import db
from tracker.models import Case, CaseHistory, Patient
from tracker.timeutil import utcnow
from tracker.validation import StaleEdit
from tracker.workflow import FINAL_STATES, State, TransitionRefused, check

__all__ = ["transition", "TransitionRefused", "state_counts", "cases_query"]


def transition(case, action, actor, reason="", version_id=None, commit=True):
    """Apply `action` to `case` as `actor`, or raise TransitionRefused / StaleEdit (nothing written)."""
    if version_id is not None and str(case.version_id) != str(version_id):
        raise StaleEdit
    move = check(case, action, actor.role, reason)
    previous = State(case.state)
    now = utcnow()
    case.state = move.target
    case.state_changed_at = now
    db.session.add(CaseHistory(case=case, at=now, actor_id=actor.id, actor_role=actor.role,
                               action=action, from_state=previous, to_state=move.target,
                               reason=(reason or "").strip()))
    audit.record(audit.Action.TRANSITION, "case", case.id,
                 summary=f"{action}: {previous.value} → {move.target.value}", user=actor)
    if commit:
        db.session.commit()
    return move


def record_view(case, actor):
    audit.record(audit.Action.VIEW, "case", case.id, summary="viewed case", user=actor)
    db.session.commit()


def state_counts():
    rows = db.session.execute(db.select(Case.state, func.count()).group_by(Case.state)).all()
    counts = {state: 0 for state in State}
    counts.update({State(state): n for state, n in rows})
    return counts


def cases_query(states=None, q=None, physician_id=None):
    query = (
        db.select(Case)
        .options(joinedload(Case.patient), joinedload(Case.physician))
        .order_by(Case.state_changed_at, Case.id)
    )
    if states:
        query = query.filter(Case.state.in_([State(s) for s in states]))
    if physician_id:
        query = query.filter(Case.physician_id == physician_id)
    if q:
        term = q.strip()
        like = f"{term.lower()}%"
        query = query.join(Case.patient).filter(db.or_(
            Patient.mrn == term,
            func.lower(Patient.family_name).like(like),
            func.lower(Patient.given_name).like(like),
        ))
    return query


def open_states():
    return [s for s in State if s not in FINAL_STATES]


"""The case page, rendered by the case views and again by the eligibility views when an override
is refused (with the form as typed)."""
from flask import render_template
from flask_login import current_user
from sqlalchemy.orm import selectinload

from tracker.cases.forms import TransitionForm
from tracker.cases.services import guard_facts
from tracker.cases.summary import case_summary
from tracker.eligibility.forms import EvaluateForm, OverrideForm
from tracker.eligibility.standing import current_assessment, may_evaluate, profile_for, staleness
from tracker.extensions import db
from tracker.models import Case, CaseHistory, Patient
from tracker.roles import Role
from tracker.workflow import State, available, verdict_problems


def render_case(case, override_form=None, status=200):
    """The case page: everything captured so far, the verdict with its criteria, the timeline."""
    # The engine dates the patient's earlier injections from their cases' history and reads their
    # outcomes: load them in a fixed number of queries rather than per earlier case.
    db.session.execute(db.select(Patient).filter_by(id=case.patient_id).options(
        selectinload(Patient.cases).options(selectinload(Case.history), selectinload(Case.outcome)))).all()
    history = db.session.execute(
        db.select(CaseHistory).options(selectinload(CaseHistory.actor))
        .filter_by(case_id=case.id).order_by(CaseHistory.id)
    ).scalars().all()
    verdict = case.current_verdict
    today = current_assessment(case)  # evaluated once for the whole page
    stale_reason = staleness(case, verdict, today)
    booking_problems = []
    if case.state == State.ELIGIBLE:
        booking_problems = verdict_problems(guard_facts(case, stale_because=stale_reason))
    # Overridable: a not-eligible verdict, or an incomplete one that still stands (the case waits
    # under review for a criterion the outside records may settle).
    may_override = current_user.role == Role.PHYSICIAN and verdict is not None and verdict.override_at is None and (
        case.state == State.NOT_ELIGIBLE
        or (case.state == State.UNDER_REVIEW and verdict.incomplete and stale_reason is None))
    return render_template(
        "cases/show.html", case=case, history=history, summary=case_summary(case, profile_for(case)),
        may_override=may_override,
        transitions=available(case.state, current_user.role),
        form=TransitionForm(version_id=case.version_id),
        verdict=verdict, stale=stale_reason is not None, stale_reason=stale_reason,
        booking_problems=booking_problems,
        assessment=today[0], can_evaluate=may_evaluate(case, stale_reason is not None),
        evaluate_form=EvaluateForm(version_id=case.version_id),
        override_form=override_form or OverrideForm(version_id=case.version_id),
    ), status

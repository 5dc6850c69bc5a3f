"""Cases: the coordinator's worklist, the physician's home, referral intake, the case page and
its state changes."""
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.exc import StaleDataError

from tracker.access import Role, allow, require
from tracker.cases import services
from tracker.cases import worklist as worklist_queries
from tracker.cases.forms import TransitionForm, WorklistFilterForm
from tracker.cases.summary import case_summary
from tracker.eligibility.forms import EvaluateForm, OverrideForm
from tracker.eligibility.services import (clinic_default_profile_code, current_assessment,
                                          may_evaluate, profile_for, staleness)
from tracker.extensions import db
from tracker.formfields import options, paginate
from tracker.models import Case, CaseHistory, Patient
from tracker.policy import PROFILE_CHOICES
from tracker.referrals.services import physicians
from tracker.validation import StaleEdit
from tracker.workflow import State, TransitionRefused, available, verdict_problems

bp = Blueprint("cases", __name__)

PHYSICIAN_FOCUS = (State.NOT_ELIGIBLE, State.SCHEDULED, State.IN_PROCEDURE, State.FOLLOW_UP)


def get_case(case_id, action="case.view"):
    """Load a case (404) and check the current user may `action` it (403, audited)."""
    case = db.session.get(Case, case_id, options=[joinedload(Case.patient)]) or abort(404)
    require(action, case, "case", case.id)
    return case


def _paginate(query):
    return paginate(query, current_app.config["PER_PAGE"])


def _filters():
    filters = WorklistFilterForm(request.args)
    filters.state.choices = options(State, blank="All open cases")
    filters.physician.choices = options([(str(u.id), u.name) for u in physicians()], blank="Any physician")
    filters.profile.choices = options(PROFILE_CHOICES, blank="Any payer")
    if not filters.validate():
        # An unknown value in the address is ignored rather than shown as an error.
        for field in (filters.state, filters.physician, filters.side, filters.profile, filters.sort):
            if field.errors:
                field.data, field.errors = None, []
    return filters, clinic_default_profile_code()


@bp.route("/")
@allow(Role.COORDINATOR)
def worklist():
    filters, default_profile = _filters()
    states = [filters.state.data] if filters.state.data else worklist_queries.open_states()
    physician_id = int(filters.physician.data) if filters.physician.data else None
    page = _paginate(worklist_queries.query(
        states, filters.q.data, physician_id, filters.side.data, filters.profile.data,
        default_profile, filters.sort.data or worklist_queries.DEFAULT_SORT))
    return render_template("cases/worklist.html", page=page, filters=filters,
                           rows=worklist_queries.rows(page.items, default_profile),
                           counts=worklist_queries.state_counts())


@bp.route("/physician")
@allow(Role.PHYSICIAN)
def physician_home():
    default_profile = clinic_default_profile_code()
    page = _paginate(worklist_queries.query(PHYSICIAN_FOCUS, physician_id=current_user.id,
                                            unassigned_too=True, sort="waiting"))
    return render_template("cases/physician_home.html", page=page, focus=PHYSICIAN_FOCUS,
                           rows=worklist_queries.rows(page.items, default_profile),
                           counts=worklist_queries.state_counts())


@bp.route("/<int:case_id>")
@allow(Role.COORDINATOR, Role.PHYSICIAN, Role.ADMIN)
def show(case_id):
    case = get_case(case_id)
    services.record_view(case, current_user)
    return render_case(case)


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
    return render_template(
        "cases/show.html", case=case, history=history, summary=case_summary(case, profile_for(case)),
        transitions=available(case, current_user.role),
        form=TransitionForm(version_id=case.version_id),
        verdict=verdict, stale=stale_reason is not None, stale_reason=stale_reason,
        booking_problems=verdict_problems(case, stale_reason) if case.state == State.ELIGIBLE else [],
        assessment=today[0], can_evaluate=may_evaluate(case, stale_reason is not None),
        evaluate_form=EvaluateForm(version_id=case.version_id),
        override_form=override_form or OverrideForm(version_id=case.version_id),
    ), status


@bp.route("/<int:case_id>/transition", methods=["POST"])
@allow(Role.COORDINATOR, Role.PHYSICIAN, Role.ADMIN)
def apply_transition(case_id):
    case = get_case(case_id, "case.steer")
    form = TransitionForm()
    if not form.validate_on_submit():
        abort(400)
    offered = {t.action for t in available(case, current_user.role)}
    try:
        if form.action.data not in offered:
            raise TransitionRefused("That change is not available for this case now.")
        move = services.transition(case, form.action.data, current_user, form.reason.data,
                                   version_id=form.version_id.data)
    except (StaleEdit, StaleDataError):
        db.session.rollback()
        flash("This case was changed by someone else while you were looking at it. Nothing was "
              "changed; review the current state below and try again.", "error")
    except TransitionRefused as refusal:
        db.session.rollback()
        flash(str(refusal), "error")
    else:
        flash(f"Case is now {move.target.label.lower()}.", "success")
    return redirect(url_for("cases.show", case_id=case_id))

"""Evaluating eligibility and the physician's override, from the case page."""
from flask import Blueprint, flash, redirect, url_for
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError

from tracker.access import allow
from tracker.cases.page import render_case
from tracker.eligibility import services
from tracker.eligibility.forms import EvaluateForm, OverrideForm
from tracker.extensions import db
from tracker.loaders import get_case
from tracker.policy import get_profile
from tracker.roles import Role
from tracker.validation import StaleEdit
from tracker.workflow import TransitionRefused

bp = Blueprint("eligibility", __name__)

STALE_PAGE = ("This case was changed by someone else while you were looking at it. Nothing was "
              "changed; review the case as it is now and try again.")


@bp.route("/<int:case_id>/eligibility/evaluate", methods=["POST"])
@allow(Role.COORDINATOR, Role.PHYSICIAN)
def evaluate(case_id):
    case = get_case(case_id)
    form = EvaluateForm()
    if form.validate_on_submit():
        try:
            verdict = services.evaluate_case(case, current_user, form.version_id.data)
        except (StaleEdit, StaleDataError):
            db.session.rollback()
            flash(STALE_PAGE, "error")
        except TransitionRefused as refusal:
            db.session.rollback()
            flash(str(refusal), "error")
        else:
            flash("Eligible under " + get_profile(verdict.profile_code).name if verdict.eligible else
                  "Not eligible: see the criteria not met below.", "success" if verdict.eligible else "warning")
    return redirect(url_for("cases.show", case_id=case_id, _anchor="eligibility"))


@bp.route("/<int:case_id>/eligibility/override", methods=["POST"])
@allow(Role.PHYSICIAN)
def override(case_id):
    case = get_case(case_id)
    form = OverrideForm()
    if form.validate_on_submit():
        try:
            services.override(case, current_user, form.reason.data, form.version_id.data)
        except (StaleEdit, StaleDataError):
            db.session.rollback()
            flash(STALE_PAGE, "error")
        except TransitionRefused as refusal:
            db.session.rollback()
            form.reason.errors.append(str(refusal))
            return render_case(db.session.get(type(case), case_id), override_form=form, status=422)
        else:
            flash("Overridden: the case is eligible. The reason is shown with the verdict.", "success")
        return redirect(url_for("cases.show", case_id=case_id, _anchor="eligibility"))
    return render_case(case, override_form=form, status=422)

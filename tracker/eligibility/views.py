"""Evaluating eligibility and the physician's override, from the case page."""
from flask_babel import lazy_gettext as _l
from flask import Blueprint, flash, redirect, url_for
from flask_login import current_user
from flask_babel import gettext as _

from tracker.access import allow
from tracker.cases import freed
from tracker.cases.page import render_case
from tracker.eligibility import services
from tracker.eligibility.forms import EvaluateForm, OverrideForm
from tracker.errors import back_to, on_refusal
from tracker.loaders import get_case
from tracker.policy import get_profile
from tracker.refusals import StaleEdit
from tracker.roles import Role

bp = Blueprint("eligibility", __name__)

STALE_PAGE = _l("This case was changed by someone else while you were looking at it. Nothing was "
              "changed; review the case as it is now and try again.")


@bp.route("/<int:case_id>/eligibility/evaluate", methods=["POST"])
@allow(Role.COORDINATOR, Role.PHYSICIAN)
def evaluate(case_id):
    case = get_case(case_id)
    form = EvaluateForm()
    back = url_for("cases.show", case_id=case_id, _anchor="eligibility")
    if form.validate_on_submit():
        on_refusal(back_to(back, stale=STALE_PAGE))
        booked = freed.booked(case)
        verdict = services.evaluate_case(case, current_user, form.version_id.data)
        flash(*_verdict_message(verdict))
        freed.say_cancelled(booked)  # no longer eligible: its appointment went with the booking
    return redirect(back)


def _verdict_message(verdict):
    """What the evaluation says, with its flash category."""
    if verdict.override_at is not None and verdict.incomplete:
        return (_("Incomplete under the profile, and the physician's override stands: every criterion reads "
                  "as before."), "success")
    if verdict.override_at is not None:
        return (_("Not eligible under the profile, and the physician's override stands: every criterion reads "
                  "as before."), "success")
    if verdict.eligible:
        return _("Eligible under %(profile)s", profile=get_profile(verdict.profile_code).name), "success"
    if verdict.incomplete:
        return (_("Incomplete: still unknown: %(criteria)s. None failed; the case stays under review.",
                  criteria=", ".join(verdict.unknown_criteria)), "warning")
    return _("Not eligible: see the criteria not met below."), "warning"


@bp.route("/<int:case_id>/eligibility/override", methods=["POST"])
@allow(Role.PHYSICIAN)
def override(case_id):
    case = get_case(case_id)
    form = OverrideForm()
    if not form.validate_on_submit():
        return render_case(case, override_form=form, status=422)
    on_refusal(lambda refusal: _override_refused(case, form, refusal))
    services.override(case, current_user, form.reason.data, form.version_id.data)
    flash(_("Overridden: the case is eligible. The reason is shown with the verdict."), "success")
    return redirect(url_for("cases.show", case_id=case_id, _anchor="eligibility"))


def _override_refused(case, form, refusal):
    """A stale form goes back to the case as it is now; a refused override shows the reason next
    to what was typed."""
    if isinstance(refusal, StaleEdit):
        return back_to(url_for("cases.show", case_id=case.id, _anchor="eligibility"), STALE_PAGE)(refusal)
    form.reason.errors.append(str(refusal))
    return render_case(case, override_form=form, status=422)

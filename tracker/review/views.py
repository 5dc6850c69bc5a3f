"""Under review: conservative care, examination and risk screen pages."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_babel import gettext as _

from tracker.access import allow
from tracker.cases.services import record_view
from tracker.clinical import oswestry_band, oswestry_index
from tracker.cases.summary import care_figures
from tracker.eligibility.standing import current_assessment, profile_for
from tracker.errors import back_to, on_refusal
from tracker.extensions import db
from tracker.formfields import differences, merge_with_saved, remember_opened, say_taken
from tracker.loaders import get_case
from tracker.models import ConservativeCare
from tracker.policy import CriterionCode
from tracker.refusals import StaleEdit
from tracker.review import services
from tracker.review.forms import ExaminationForm, OngoingRehabForm, RiskScreenForm, TherapyForm
from tracker.roles import Role
from tracker.scheduling import instructions
from tracker.scheduling.services import clinic_closed, clinic_weekdays
from tracker.timeutil import to_clinic, utcnow

bp = Blueprint("review", __name__)

STAFF_WHO_DOCUMENT = (Role.COORDINATOR, Role.PHYSICIAN)
# Said at the top of the page: the saved values are listed below it, then the form as typed.
CONFLICT = ("Someone else saved this record after you opened it. Nothing was saved; the saved "
            "values are shown below and your entries are still in the form. Check both and save again.")
CARE_CRITERIA = {CriterionCode.CONSERVATIVE_CARE_DURATION, CriterionCode.CONSERVATIVE_CARE_COMPOSITION,
                 CriterionCode.ONGOING_REHAB}


def _say(refusal):
    """Why nothing was saved: someone else's save came first, or the case has moved on."""
    flash(CONFLICT if isinstance(refusal, StaleEdit) else str(refusal), "error")


def _said(respond):
    """A refusal answer that says why, then shows the page `respond(refusal)` gives."""
    def answer(refusal):
        _say(refusal)
        return respond(refusal)
    return answer


def _warn_if_before_onset(case, values):
    """Saved, but it will not count: care that ended before the symptom onset belongs to another
    episode (the eligibility evidence lists it as left out, with the same reason)."""
    end, onset = values["end_date"], case.symptom_onset
    if end is not None and onset is not None and end < onset:
        flash(_("This therapy ended on %(isoformat)s, before the symptom onset on %(isoformat2)s: it belongs "
                "to another episode and does not count towards conservative care for this case.",
                isoformat=end.isoformat(), isoformat2=onset.isoformat()), "warning")


def _therapy_or_404(case, therapy_id):
    row = db.session.get(ConservativeCare, therapy_id)
    if row is None or row.case_id != case.id:
        abort(404)
    return row


def _viewed(case, what):
    """A page showing the record, opened (not a re-shown form after a POST): audit who saw it."""
    if request.method == "GET":
        record_view(case, current_user, what)


def _care_page(case, form, rehab_form, editing=None, status=200, conflicts=()):
    _viewed(case, "conservative care")
    profile = profile_for(case)
    verdict, _assessment = current_assessment(case)
    return render_template(
        "review/conservative_care.html", case=case, rows=case.conservative_care, form=form,
        rehab_form=rehab_form, editing=editing, care=care_figures(case, profile),
        criteria=[c for c in verdict.criteria if c.code in CARE_CRITERIA], conflicts=conflicts,
    ), status


def _rehab_form(case):
    return OngoingRehabForm(version_id=case.version_id, ongoing_active_rehab=case.ongoing_active_rehab)


@bp.route("/<int:case_id>/conservative-care", methods=["GET", "POST"])
@allow(*STAFF_WHO_DOCUMENT)
def conservative_care(case_id):
    case = get_case(case_id)
    form = TherapyForm()
    if form.validate_on_submit():
        on_refusal(_said(lambda refusal: _care_page(case, form, _rehab_form(case), status=409)))
        services.add_therapy(case, form.values(), current_user)
        flash(_("Therapy added."), "success")
        _warn_if_before_onset(case, form.values())
        return redirect(url_for("review.conservative_care", case_id=case.id))
    return _care_page(case, form, _rehab_form(case), status=422 if form.is_submitted() else 200)


@bp.route("/<int:case_id>/conservative-care/<int:therapy_id>", methods=["GET", "POST"])
@allow(*STAFF_WHO_DOCUMENT)
def edit_therapy(case_id, therapy_id):
    case = get_case(case_id)
    row = _therapy_or_404(case, therapy_id)
    form = TherapyForm(obj=row)
    if form.validate_on_submit():
        on_refusal(_said(lambda refusal: _therapy_conflict(case, therapy_id, form)))
        services.update_therapy(row, form.values(), form.version_id.data, current_user)
        flash(_("Therapy updated."), "success")
        _warn_if_before_onset(case, form.values())
        return redirect(url_for("review.conservative_care", case_id=case.id))
    return _care_page(case, form, _rehab_form(case), editing=row, status=422 if form.is_submitted() else 200)


def _therapy_conflict(case, therapy_id, form):
    """The therapy as saved now beside what was typed."""
    row = _therapy_or_404(case, therapy_id)
    return _care_page(case, form, _rehab_form(case), editing=row, status=409,
                      conflicts=differences(form, row))


@bp.route("/<int:case_id>/conservative-care/<int:therapy_id>/remove", methods=["POST"])
@allow(*STAFF_WHO_DOCUMENT)
def remove_therapy(case_id, therapy_id):
    case = get_case(case_id)
    row = _therapy_or_404(case, therapy_id)
    form = TherapyForm()
    back = url_for("review.conservative_care", case_id=case.id)
    on_refusal(back_to(back, stale=CONFLICT))
    services.remove_therapy(row, form.version_id.data, current_user)
    flash(_("Therapy removed."), "success")
    return redirect(back)


@bp.route("/<int:case_id>/conservative-care/rehab", methods=["POST"])
@allow(*STAFF_WHO_DOCUMENT)
def ongoing_rehab(case_id):
    case = get_case(case_id)
    rehab_form = OngoingRehabForm()
    back = url_for("review.conservative_care", case_id=case.id)
    if rehab_form.validate_on_submit():
        on_refusal(back_to(back, stale=CONFLICT))
        services.set_ongoing_rehab(case, rehab_form.ongoing_active_rehab.data, rehab_form.version_id.data,
                                   current_user)
        flash(_("Ongoing rehabilitation saved."), "success")
    return redirect(back)


@bp.route("/<int:case_id>/examination", methods=["GET", "POST"])
@allow(*STAFF_WHO_DOCUMENT)
def examination(case_id):
    case = get_case(case_id)
    exam = case.examination
    form = ExaminationForm(obj=exam)
    if not form.is_submitted():
        form = _examination_as_saved(case)
        remember_opened(form)
    if form.validate_on_submit():
        on_refusal(_said(lambda refusal: _examination_page(case, form, 409, conflict=True)))
        services.save_examination(case, form.values(), form.version_id.data, current_user)
        flash(_("Examination saved."), "success")
        return redirect(url_for("cases.show", case_id=case.id))
    return _examination_page(case, form, 422 if form.is_submitted() else 200)


def _examination_as_saved(case):
    """The examination form filled from the examination as saved now, as the page first shows it."""
    exam = case.examination
    form = ExaminationForm(formdata=None, obj=exam)
    form.version_id.data = exam.version_id if exam else ""
    return form


def _examination_page(case, form, status, conflict=False):
    """The examination page; after a conflict, the form merged with the examination as saved now
    (formfields.merge_with_saved)."""
    conflicts = []
    if conflict:
        taken, conflicts = merge_with_saved(form, _examination_as_saved(case))
        say_taken(taken)
    exam = case.examination
    _viewed(case, "examination")
    index = oswestry_index(exam.odi_sections) if exam else None
    return render_template(
        "review/examination.html", case=case, exam=exam, form=form, odi_index=index,
        odi_band=oswestry_band(index) if index is not None else None, conflicts=conflicts,
    ), status


@bp.route("/<int:case_id>/risk-screen", methods=["GET", "POST"])
@allow(*STAFF_WHO_DOCUMENT)
def risk_screen(case_id):
    case = get_case(case_id)
    screen = case.risk_screen
    form = RiskScreenForm(obj=screen, sex=case.patient.sex)
    if not form.is_submitted():
        form = _risk_screen_as_saved(case)
        remember_opened(form)
    if form.validate_on_submit():
        on_refusal(_said(lambda refusal: _risk_screen_page(case, form, 409, conflict=True)))
        services.save_risk_screen(case, form.values(), form.version_id.data, current_user)
        flash(_("Risk screen saved."), "success")
        _plan_against_the_booking(case)
        return redirect(url_for("cases.show", case_id=case.id))
    return _risk_screen_page(case, form, 422 if form.is_submitted() else 200)


def _plan_against_the_booking(case):
    """A plan saved after the booking may no longer fit before the appointment (a longer hold, a
    premedication added the day before): say so now, as booking would have, so the appointment is
    moved or the patient called while there is time."""
    for words in instructions.plan_against_booking(case.active_appointment, case.risk_screen, to_clinic(utcnow()),
                                                   clinic_weekdays(), clinic_closed()):
        flash(words, "warning")


def _risk_screen_as_saved(case):
    """The risk screen form filled from the screen as saved now, as the page first shows it."""
    screen = case.risk_screen
    form = RiskScreenForm(formdata=None, obj=screen, sex=case.patient.sex)
    form.version_id.data = screen.version_id if screen else ""
    if screen:
        form.pregnancy.data = screen.pregnancy.value
    return form


def _risk_screen_page(case, form, status, conflict=False):
    """The risk screen page; after a conflict, the form merged with the screen as saved now
    (formfields.merge_with_saved: a colleague's change to a field left alone is taken, a field
    both changed is listed)."""
    conflicts = []
    if conflict:
        taken, conflicts = merge_with_saved(form, _risk_screen_as_saved(case))
        say_taken(taken)
    screen = case.risk_screen
    _viewed(case, "risk screen")
    return render_template("review/risk_screen.html", case=case, screen=screen, form=form,
                           conflicts=conflicts), status

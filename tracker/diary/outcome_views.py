"""The physician's diary view (chart, table, verdict and duration per side) and the outcome form.

Physicians and coordinators read the diary; only a physician records the outcome, which closes
the case (and opens the linked new case for a repeat or confirmatory block).
"""
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user
from flask_babel import gettext as _

from tracker import export
from tracker.access import allow
from tracker.cases.services import record_view
from tracker.diary import outcome as services
from tracker.diary.chart import ChartPoint, ChartSeries, pain_chart
from tracker.diary.outcome_forms import OutcomeCorrectionForm, OutcomeForm
from tracker.diary.relief import pain_rise, relief_words
from tracker.errors import on_refusal
from tracker.formfields import show_on_form
from tracker.loaders import get_case
from tracker.refusals import FieldError, StaleEdit
from tracker.roles import Role
from tracker.vocab import Side
from tracker.workflow import State

bp = Blueprint("outcome", __name__)


@bp.app_template_global()
def outcome_duration(outcome):
    """The outcome's therapeutic duration as evidence, with the diary's reading when they differ
    (a bilateral case's per joint)."""
    return services.recorded_duration(outcome)

# A rise in pain reads as one ("pain worse than before (+6)"), never as "-200 %".
bp.add_app_template_global(relief_words)
bp.add_app_template_global(pain_rise)
bp.add_app_template_global(services.results_words, "outcome_results_words")
bp.add_app_template_global(services.narrowed_words, "follow_on_narrowed_words")
bp.add_app_template_global(services.days_words, "outcome_days_words")

READERS = (Role.PHYSICIAN, Role.COORDINATOR)
CHANGED = ("This case changed after you opened the form (someone else saved it). Nothing was saved; "
           "check the case as it is now.")


def _chart(reading):
    series = [
        ChartSeries(side=side.side.value, label=f"{side.side.label} side", baseline=side.baseline.score,
                    points=tuple(ChartPoint(r.hours_after, r.score, reading.reading_label(r),
                                            side.interpretation.relief.get(r.code))
                                 for r in side.readings))
        for side in reading.sides
    ]
    return pain_chart(series, reading.profile.diagnostic_relief_threshold_percent,
                      title=f"Pain over time after the injection, case #{reading.case.id}")


def _for_case(form, case):
    """The form as this case offers it: a therapeutic injection has no diagnostic result to record;
    a bilateral block records one per joint (left_result, right_result), a one-sided block one; a
    bilateral case records its duration per joint (left_days, right_days), a one-sided case one."""
    if not services.has_block_result(case):
        del form.diagnostic_result
    if not _per_joint(case):
        del form.left_result
        del form.right_result
    else:
        del form.diagnostic_result
    if _bilateral(case):
        del form.therapeutic_days
    else:
        del form.left_days
        del form.right_days
    return form


def _bilateral(case):
    return Side(case.side) == Side.BILATERAL


def _per_joint(case):
    return services.has_block_result(case) and Side(case.side) == Side.BILATERAL


def _results_of(form):
    """(diagnostic_result, side_results) as the form gives them."""
    if getattr(form, "left_result", None) is not None:
        return None, {"left": form.left_result.data, "right": form.right_result.data}
    return (form.diagnostic_result.data if getattr(form, "diagnostic_result", None) is not None else None), None


def _days_of(form):
    """(therapeutic_days, side_days) as the form gives them (a value the form refused is None)."""
    if getattr(form, "left_days", None) is not None:
        return None, {joint: getattr(form[f"{joint}_days"], "days", None) for joint in ("left", "right")}
    return getattr(form.therapeutic_days, "days", None), None


def _shown(days):
    return "" if days is None else str(days)


def _prefilled(case, reading):
    suggested = reading.suggested_result
    days = reading.suggested_days
    per_side = {f"{side}_result": getattr(reading.diary_result(side), "value", None) for side in ("left", "right")}
    per_side.update({f"{side}_days": _shown(reading.diary_days(side)) for side in ("left", "right")})
    return _for_case(OutcomeForm(formdata=None, version_id=case.version_id,
                                 diagnostic_result=suggested.value if suggested else None,
                                 therapeutic_days=_shown(days), **per_side), case)


def _may_record(case):
    return current_user.role == Role.PHYSICIAN and case.state == State.FOLLOW_UP and case.outcome is None


def _correction_form(outcome):
    return _for_case(OutcomeCorrectionForm(
        formdata=None, version_id=outcome.version_id, diagnostic_result=outcome.diagnostic_result,
        left_result=outcome.result_for("left"), right_result=outcome.result_for("right"),
        days_reason=outcome.therapeutic_days_reason, therapeutic_days=_shown(outcome.therapeutic_days),
        left_days=_shown(outcome.days_for("left")), right_days=_shown(outcome.days_for("right")),
        notes=outcome.notes), outcome.case)


def _page(case, form=None, status=200, refusal=None, correction=None):
    reading = services.read_outcome_diary(case)
    may_record = _may_record(case)
    may_correct = current_user.role == Role.PHYSICIAN and case.outcome is not None
    return render_template(
        "diary/physician.html", case=case, reading=reading, chart=_chart(reading),
        outcome=case.outcome, close_reason=services.close_reason(case) if case.outcome else "",
        may_record=may_record, form=form or (_prefilled(case, reading) if may_record else None),
        refusal=refusal, correction=correction or (_correction_form(case.outcome) if may_correct else None),
    ), status


@bp.route("/cases/<int:case_id>/diary")
@allow(*READERS)
def physician_view(case_id):
    case = get_case(case_id)
    record_view(case, current_user, "pain diary")
    return _page(case)


@bp.route("/cases/<int:case_id>/diary.csv")
@allow(*READERS)
def diary_csv(case_id):
    case = get_case(case_id)
    # One case's diary is a few dozen lines: read whole before the audit row's commit expires the case.
    rows = list(services.diary_csv_rows(services.read_outcome_diary(case)))
    return export.download(f"case_{case_id}_diary.csv", services.DIARY_CSV_HEADER, rows,
                           f"pain diary of case {case_id}", object_type="case", object_id=case_id)


def _outcome_refused(case, form, refusal):
    """A value to correct, next to its field; otherwise why the outcome cannot be recorded now
    (already recorded, by someone else meanwhile, or the case moved on), above the form."""
    if isinstance(refusal, FieldError):
        show_on_form(form, refusal)
        return _page(case, form, 422)
    if isinstance(refusal, StaleEdit):
        return _page(case, form, 409, refusal=services.already_recorded(case.outcome) if case.outcome else CHANGED)
    return _page(case, form, 409, refusal=str(refusal))


@bp.route("/cases/<int:case_id>/outcome", methods=["POST"])
@allow(Role.PHYSICIAN)
def record(case_id):
    case = get_case(case_id, "case.steer")
    form = _for_case(OutcomeForm(), case)
    result, side_results = _results_of(form)
    if not form.validate_on_submit():
        if form.csrf_token.errors:
            abort(400)
        days, side_days = _days_of(form)
        _also_show(form, services.recording_problems(
            case, result, days, form.reason.data, form.days_reason.data, form.confirm_early.data,
            side_results=side_results, side_days=side_days))
        return _page(case, form, 422)
    on_refusal(lambda refusal: _outcome_refused(case, form, refusal))
    days, side_days = _days_of(form)
    outcome = services.record_outcome(
        case, current_user, result, days, form.next_step.data,
        notes=form.notes.data, reason=form.reason.data, version_id=form.version_id.data,
        days_reason=form.days_reason.data, confirm_early=form.confirm_early.data, side_results=side_results,
        side_days=side_days)
    if outcome.follow_on_case is not None:
        new = outcome.follow_on_case
        narrowed = services.narrowed_words(outcome)
        if narrowed:
            flash(_("Outcome recorded and case #%(id)s closed. The %(indication)s is case #%(id2)s, %(narrowed)s, "
                    "referred and ready for review.",
                    id=case.id, indication=new.indication.label.lower(), id2=new.id, narrowed=narrowed), "success")
        else:
            flash(_("Outcome recorded and case #%(id)s closed. The %(indication)s is case #%(id2)s, referred and "
                    "ready for review.",
                    id=case.id, indication=new.indication.label.lower(), id2=new.id), "success")
        return redirect(url_for("cases.show", case_id=new.id))
    flash(_("Outcome recorded and case #%(id)s closed.", id=case.id), "success")
    return redirect(url_for("cases.show", case_id=case.id))


def _also_show(form, problems):
    """The service's refusals beside the form's own, each next to its field (one message a field)."""
    for problem in problems:
        field = form[problem.field]
        if not field.errors:
            field.errors = [problem.message]


def _correction_refused(case, form, refusal):
    if isinstance(refusal, FieldError):
        show_on_form(form, refusal)
        return _page(case, status=422, correction=form)
    return _page(case, status=409, correction=form,
                 refusal="The outcome was corrected by someone else after you opened the form. Nothing "
                         "was saved; check the outcome as it is now.")


@bp.route("/cases/<int:case_id>/outcome/correct", methods=["POST"])
@allow(Role.PHYSICIAN)
def correct(case_id):
    case = get_case(case_id)
    if case.outcome is None:
        abort(404)
    form = _for_case(OutcomeCorrectionForm(), case)
    if not form.validate_on_submit():
        if form.csrf_token.errors:
            abort(400)
        days, side_days = _days_of(form)
        _also_show(form, services.correction_problems(
            case.outcome, days, form.days_reason.data, form.correction_reason.data, side_days=side_days))
        return _page(case, status=422, correction=form)
    on_refusal(lambda refusal: _correction_refused(case, form, refusal))
    result, side_results = _results_of(form)
    days, side_days = _days_of(form)
    services.correct_outcome(case.outcome, current_user, result, days,
                             form.days_reason.data, form.notes.data, form.correction_reason.data, form.version_id.data,
                             side_results=side_results, side_days=side_days)
    flash(_("Outcome of case #%(id)s corrected; the earlier values are kept in its history.", id=case.id), "success")
    return redirect(url_for("outcome.physician_view", case_id=case.id, _anchor="outcome"))

"""The reports page and its CSV downloads (coordinators and physicians)."""
from flask import Blueprint, abort, render_template, request
from flask_login import current_user

from tracker import audit, export
from tracker.access import allow
from tracker.cases.worklist import physician_filter_options
from tracker.roles import Role
from tracker.eligibility.standing import clinic_default_profile_code
from tracker.formfields import options
from tracker.policy import PROFILE_CHOICES
from tracker.policy.engine import _add_months
from tracker.reports import charts, figures
from tracker.reports.forms import ReportFilterForm
from tracker.timeutil import clinic_today

bp = Blueprint("reports", __name__)

READERS = (Role.COORDINATOR, Role.PHYSICIAN)
FILTER_FIELDS = ("start", "end", "physician", "profile", "side", "indication")


def default_period(today):
    """The last 12 months, today included."""
    from datetime import timedelta

    return _add_months(today, -12) + timedelta(days=1), today


def _unknown(field, what):
    typed = request.args.get(field.name, "")
    field.errors[:] = [f"There is no {what} “{typed}”: choose one from the list."]


def read_filters():
    """The filter form as typed, and the Filters it asks for (None while anything is wrong)."""
    form = ReportFilterForm(request.args)
    form.physician.choices = physician_filter_options()
    form.profile.choices = options(PROFILE_CHOICES, blank="Any payer")
    start, end = default_period(clinic_today())
    if not request.args.get("start") and not request.args.get("end"):
        form.start.data, form.end.data = start, end
    if not form.validate():
        for field, what in ((form.physician, "physician"), (form.profile, "payer profile"),
                            (form.side, "side"), (form.indication, "indication")):
            if field.errors:
                _unknown(field, what)
        return form, None
    filters = figures.Filters(
        start=form.start.data or start, end=form.end.data or end,
        default_profile=clinic_default_profile_code(),
        physician_id=int(form.physician.data) if form.physician.data else None,
        profile=form.profile.data or None, side=form.side.data or None,
        indication=form.indication.data or None)
    if filters.end < filters.start:  # one date typed, the other defaulted
        form.end.errors = [f"The period ends ({filters.end.isoformat()}) before it starts "
                           f"({filters.start.isoformat()}); check the two dates."]
        return form, None
    return form, filters


def _filter_args():
    """The filters as typed, for each table's download link (which adds its own `table`)."""
    return {name: value for name, value in request.args.items() if name in FILTER_FIELDS}


@bp.route("/reports")
@allow(*READERS)
def index():
    form, filters = read_filters()
    reports = figures.all_reports(filters) if filters else []
    drawn = {figure.key: charts.draw(figure) for report in reports for figure in report.figures}
    html = render_template("reports/index.html", form=form, filters=filters, reports=reports, charts=drawn,
                           args=_filter_args())
    if filters:
        # The Caps table names patients (name and MRN): one row for the list, as other lists write.
        listed = {row[1] for report in reports for figure in report.figures if figure.key == "caps"
                  for row in figure.rows}
        audit.viewed_list("reports", "reports", len(listed), "patient", filters.as_text(), "at or near their cap",
                          user=current_user)
    return html, 200 if filters else 422


@bp.route("/reports/export")
@allow(*READERS)
def export_table():
    form, filters = read_filters()
    key = request.args.get("table", "")
    if key not in figures.FIGURE_REPORT:
        abort(404)
    if filters is None:
        return render_template("reports/index.html", form=form, filters=None, reports=[], charts={},
                               args=_filter_args()), 422
    figure = figures.figure(filters, key)
    # The caps are as of today whatever the period: named for the day they count, not the period.
    counted = f"as-of-{clinic_today().isoformat()}" if figures.FIGURE_REPORT[key] == "caps" \
        else f"{filters.start.isoformat()}_{filters.end.isoformat()}"
    name = export.file_name(f"{key}_{counted}", [
        ("physician", export.chosen(form.physician)), ("profile", filters.profile), ("side", filters.side),
        ("indication", filters.indication)])
    return export.download(name, figure.columns, figure.rows, f"report table {key}", filters.as_text())

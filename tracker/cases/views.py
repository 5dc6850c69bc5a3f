"""Cases: the coordinator's worklist, the physician's home, referral intake, the case page and
its state changes."""
from flask_babel import lazy_gettext as _l
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_babel import gettext as _

from tracker import audit, export
from tracker.access import allow
from tracker.cases import freed, services
from tracker.cases import worklist as worklist_queries
from tracker.cases.forms import TransitionForm, WorklistFilterForm
from tracker.cases.page import PAGE_LOAD, render_case
from tracker.eligibility.standing import clinic_default_profile_code
from tracker.errors import back_to, on_refusal
from tracker.formfields import options, window
from tracker.links import id_links
from tracker.loaders import get_case
from tracker.policy import PROFILE_CHOICES
from tracker.roles import Role
from tracker.workflow import State

bp = Blueprint("cases", __name__)

STALE = _l("This case was changed by someone else while you were looking at it. Nothing was changed; "
         "review the current state below and try again.")


def _filters():
    """The worklist's filters as typed and the clinic's default profile. An unknown physician is
    named next to its filter (`filters.physician.errors`): dropped, it would list every case as
    if they were that physician's. Other unknown values in the address are ignored."""
    filters = WorklistFilterForm(request.args)
    filters.state.choices = options(State, blank="All open cases")
    filters.physician.choices = worklist_queries.physician_filter_options()
    filters.profile.choices = options(PROFILE_CHOICES, blank="Any payer")
    if not filters.validate():
        for field in (filters.state, filters.side, filters.profile, filters.sort):
            if field.errors:
                field.data, field.errors = None, []
        if filters.physician.errors:
            filters.physician.errors[:] = [_("There is no physician “%(typed)s”: choose one from the list.",
                                             typed=request.args.get("physician", ""))]
    return filters, clinic_default_profile_code()


def _worklist_query():
    """The worklist's filters as typed, the clinic's default profile, and the query they ask for
    (the page shows it 25 at a time, the CSV download whole); no query while a filter is refused."""
    filters, default_profile = _filters()
    states = [filters.state.data] if filters.state.data else worklist_queries.open_states()
    if filters.physician.errors:
        return filters, default_profile, states, None, None
    physician_id = int(filters.physician.data) if filters.physician.data else None
    return filters, default_profile, states, physician_id, worklist_queries.query(
        states, filters.q.data, physician_id, filters.side.data, filters.profile.data,
        default_profile, filters.sort.data or worklist_queries.DEFAULT_SORT)


def _refused_filters(filters):
    return render_template("cases/worklist.html", page=None, filters=filters, lines=[],
                           counts=worklist_queries.state_counts(), case_href=None), 422


@bp.route("/")
@allow(Role.COORDINATOR)
def worklist():
    filters, default_profile, states, physician_id, query = _worklist_query()
    if query is None:
        return _refused_filters(filters)
    counts = worklist_queries.state_counts()
    total = worklist_queries.total(counts, states, q=(filters.q.data or "").strip(), physician=physician_id,
                                   side=filters.side.data, profile=filters.profile.data)
    page = window(query, current_app.config["PER_PAGE"], total, scalars=False)
    # A name that finds no case: the patients one typing slip away ("Okafer" -> Okafor), as the
    # header search offers them; only then, so a page that finds cases reads nothing more.
    suggestions = worklist_queries.did_you_mean(filters.q.data) if not page.items else []
    html = render_template("cases/worklist.html", page=page, filters=filters,
                           lines=worklist_queries.lines(page.items, default_profile), counts=counts,
                           case_href=id_links("cases.show", "case_id"), suggestions=suggestions)
    audit.viewed_cases_page("worklist", page, export.filters_text(filters), len(suggestions), user=current_user)
    return html


@bp.route("/worklist.csv")
@allow(Role.COORDINATOR)
def worklist_csv():
    filters, default_profile, _states, _physician, query = _worklist_query()
    if query is None:
        return _refused_filters(filters)
    rows = (worklist_queries.csv_row(line) for batch in export.batches(query)
            for line in worklist_queries.lines(batch, default_profile))
    # The sort orders the rows and filters none out: the name leaves it out.
    name = export.file_name("worklist", [
        ("state", filters.state.data), ("physician", export.chosen(filters.physician)), ("side", filters.side.data),
        ("profile", filters.profile.data), ("search", (filters.q.data or "").strip())])
    return export.download(name, worklist_queries.CSV_HEADER, rows, "worklist", export.filters_text(filters))


@bp.route("/physician")
@allow(Role.PHYSICIAN)
def physician_home():
    default_profile = clinic_default_profile_code()
    page = window(worklist_queries.physician_query(current_user.id), current_app.config["PER_PAGE"], scalars=False)
    html = render_template("cases/physician_home.html", page=page, focus=worklist_queries.PHYSICIAN_FOCUS,
                           unassigned_too=worklist_queries.PHYSICIAN_UNASSIGNED_TOO,
                           lines=worklist_queries.lines(page.items, default_profile),
                           case_href=id_links("cases.show", "case_id"),
                           counts=worklist_queries.state_counts())
    audit.viewed_cases_page("physician's list", page, user=current_user)
    return html


@bp.route("/<int:case_id>")
@allow(Role.COORDINATOR, Role.PHYSICIAN, Role.ADMIN)
def show(case_id):
    case = get_case(case_id, options=PAGE_LOAD)
    page = render_case(case)
    # The view's audit row is the request's last statement, committed before the page is sent:
    # the connection goes back to the pool with no transaction open, so the pool's reset issues no
    # ROLLBACK, which would make psycopg drop its prepared statements (and the database plan this
    # page's queries again on the next request).
    services.record_view(case, current_user)
    return page


@bp.route("/<int:case_id>/transition", methods=["POST"])
@allow(Role.COORDINATOR, Role.PHYSICIAN, Role.ADMIN)
def apply_transition(case_id):
    case = get_case(case_id, "case.steer")
    form = TransitionForm()
    if not form.validate_on_submit():
        if form.csrf_token.errors or form.action.errors or form.version_id.errors:
            abort(400)
        # The reason is over its limit: said next to it, with what was typed.
        return render_case(case, refused_transition=form, status=422)
    on_refusal(back_to(url_for("cases.show", case_id=case_id), stale=STALE))
    booked = freed.booked(case)
    move = services.apply_button(case, form.action.data, current_user, form.reason.data, form.version_id.data)
    flash(_("Case is now %(target)s.", target=move.target.label.lower()), "success")
    freed.say_cancelled(booked)
    return redirect(url_for("cases.show", case_id=case_id))

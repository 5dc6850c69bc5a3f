"""The coordinators' list of overdue diaries, to chase patients whose scores are missing."""
from flask import Blueprint, current_app, render_template
from flask_login import current_user

from tracker import audit, export
from tracker.access import allow
from tracker.diary import overdue
from tracker.formfields import window
from tracker.roles import Role
from tracker.timeutil import utcnow

bp = Blueprint("overdue", __name__)


@bp.route("/diaries/overdue")
@allow(Role.COORDINATOR)
def overdue_diaries():
    now = utcnow()
    # Previous and Next, never a count: the ranking is read only as far as the page asked for.
    page = window(overdue.query(now), current_app.config["PER_PAGE"], scalars=False)
    html = render_template("diary/overdue.html", page=page, rows=overdue.rows(page.items, now))
    audit.viewed_cases_page("overdue diaries", page, user=current_user)
    return html


@bp.route("/diaries/overdue.csv")
@allow(Role.COORDINATOR)
def overdue_csv():
    now = utcnow()
    rows = (overdue.csv_row(row) for batch in export.batches(overdue.query(now))
            for row in overdue.rows(batch, now))
    return export.download("overdue_diaries.csv", overdue.CSV_HEADER, rows, "overdue diaries")

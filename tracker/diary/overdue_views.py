"""The coordinators' list of overdue diaries, to chase patients whose scores are missing."""
from flask import Blueprint, current_app, render_template

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
    page = window(overdue.query(now), current_app.config["PER_PAGE"])
    return render_template("diary/overdue.html", page=page, rows=overdue.rows(page.items, now))

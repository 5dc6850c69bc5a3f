"""The language switch on every patient page (see `tracker.i18n`)."""
from flask import Blueprint, redirect, request, url_for

from tracker.access import public
from tracker.i18n import LANGUAGES, remember_on_device
from tracker.security import is_safe_next

bp = Blueprint("i18n", __name__)


@bp.route("/language", methods=["POST"])
@public
def switch():
    """The switch on every patient page: remembered on this device for a year. A form post (with
    the CSRF token) so that a link cannot change it, and back to the page it was on."""
    code = request.form.get("lang", "")
    back = request.form.get("next", "")
    response = redirect(back if is_safe_next(back) else url_for("auth.index"))
    if code in LANGUAGES:
        remember_on_device(response, code)
    return response

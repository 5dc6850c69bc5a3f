"""Where each role lands, and the staff header's links. Each link shows only for the roles its route
declares (@allow), in this order; the list for a role is worked out once (per application root)
rather than on every page."""
from flask import request, url_for
from flask_login import current_user

from tracker.access import may
from tracker.roles import Role
from tracker.vocab import N_

# Where each role lands: after signing in, at `/`, and (the admin) at `/admin/`.
HOME_ENDPOINTS = {
    Role.ADMIN: "admin.users",
    Role.COORDINATOR: "cases.worklist",
    Role.PHYSICIAN: "cases.physician_home",
    Role.PATIENT: "patient.home",
}

MAIN = (
    ("cases.worklist", N_("Worklist")),
    ("cases.physician_home", N_("My cases")),
    ("scheduling.my_day", N_("My day")),
    ("scheduling.day_board", N_("Day board")),
    ("overdue.overdue_diaries", N_("Overdue diaries")),
    ("referrals.find_patient", N_("New referral")),
    ("reports.index", N_("Reports")),
    ("admin.users", N_("Users")),
    ("admin.rooms", N_("Rooms & hours")),
    ("admin.closures", N_("Closures")),
    ("admin.audit_log", N_("Audit trail")),
    ("admin.settings", N_("Billing & payer profiles")),
    ("admin.clinic", N_("Clinic contact")),
    ("admin.formulary", N_("Formulary")),
    ("api_tokens.index", N_("API tokens")),
)

_BY_ROLE = {}


def home_url(user):
    return url_for(HOME_ENDPOINTS[user.role])


def main_links():
    """(address, untranslated label) of each link the signed-in user's role may follow."""
    key = (current_user.role, request.script_root)
    if key not in _BY_ROLE:
        _BY_ROLE[key] = tuple((url_for(endpoint), label) for endpoint, label in MAIN if may(endpoint))
    return _BY_ROLE[key]

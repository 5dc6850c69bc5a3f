"""Who may do what: the route declaration and the one object-level check (the roles themselves
are in `tracker.roles`).

Every view states who may use it with `@allow(...)` or `@public`; `tests/functional/test_access_matrix.py`
walks the URL map and fails on any route without a declaration.
"""
from functools import wraps

from flask import abort, current_app, request
from flask_login import current_user

from tracker.roles import CLINICAL_STAFF, STAFF, Role

PUBLIC = "public"


def allowed_roles(view):
    """The declaration on a view function: a frozenset of roles, PUBLIC, or None if undeclared."""
    return getattr(view, "allowed_roles", None)


def may(endpoint):
    """Whether the signed-in user may use the route `endpoint`, read from the route's own
    declaration: a page offers a link or a button only where the route would accept it."""
    roles = allowed_roles(current_app.view_functions[endpoint])
    if roles == PUBLIC:
        return True
    return current_user.is_authenticated and current_user.role in roles


def public(view):
    view.allowed_roles = PUBLIC
    return view


def allow(*roles):
    """Declare the roles that may use a view; everyone else is refused (and the refusal audited)."""
    declared = frozenset(Role(r) for r in roles)

    def decorator(view):
        @wraps(view)
        def guarded(*args, **kwargs):
            if not current_user.is_authenticated:
                from tracker.extensions import login_manager

                return login_manager.unauthorized()
            if current_user.role not in declared:
                deny(f"{request.method} {request.path}")
            return view(*args, **kwargs)

        guarded.allowed_roles = declared
        return guarded

    return decorator


def record_denial(summary, object_type=None, object_id=None, **who):
    """Leave an access-denied row in the audit trail, and nothing else the request had begun
    (`who`: `user`/`actor` for a caller that is not the session's user, an API token)."""
    from tracker import audit
    from tracker.extensions import db

    db.session.rollback()
    audit.record(audit.Action.ACCESS_DENIED, object_type, object_id, summary=summary, **who)
    db.session.commit()


def deny(summary, object_type=None, object_id=None, status=403):
    """Refuse the request, leaving an access-denied row in the audit trail."""
    record_denial(summary, object_type, object_id)
    abort(status)


def _may_see_case(user, case):
    if user.role in STAFF:
        return True
    return user.role == Role.PATIENT and user.patient_id == case.patient_id


# action -> predicate(user, obj). One table, so a reviewer sees every object rule at once.
RULES = {
    "case.view": _may_see_case,
    "case.steer": lambda user, case: user.role in STAFF,
    "patient.view": lambda user, patient: user.role in CLINICAL_STAFF
    or (user.role == Role.PATIENT and user.patient_id == patient.id),
}


def can(user, action, obj=None):
    if not user.is_authenticated or not user.active:
        return False
    return RULES[action](user, obj)


def require(action, obj, object_type, object_id):
    """Abort unless the current user `can` do `action`; patients get 404 so nothing leaks about others."""
    if not can(current_user, action, obj):
        status = 404 if current_user.role == Role.PATIENT else 403
        deny(f"{action} refused", object_type, object_id, status=status)

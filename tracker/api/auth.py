"""Who may call an API route: a bearer token, never a browser session.

`@token_allow(roles, scope=...)` is the API's `@allow`: it declares the roles (so the access
matrix sees every API route) and checks the `Authorization: Bearer <token>` header. A browser's
session cookie opens nothing here, so no request can be forged from a page a signed-in user
visits (the reason the API needs no CSRF token), and a token opens no HTML page (those check the
session only). Refusals are `ApiRefusal`s (a `Refusal`): the app's one refusal handler
(tracker/errors.py) answers them in the API's own format (an OperationOutcome under /fhir, a
problem document under /api/v1), with the WWW-Authenticate challenge of a 401.
"""
from functools import wraps

from flask import g, request

from tracker import audit
from tracker.access import record_denial
from tracker.api import tokens
from tracker.models import ApiScope
from tracker.refusals import Refusal
from tracker.roles import CLINICAL_STAFF, Role
from tracker.timeutil import utcnow

REALM = "si-joint-tracker"


class ApiRefusal(Refusal):
    """The request is refused before any service runs: `status` (401, 403, 406), the FHIR issue
    `code`, and `headers` the answer carries (a 401's WWW-Authenticate)."""

    def __init__(self, status, message, code="forbidden", headers=None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.headers = headers or {}


def _challenge(error, description, scope=None):
    # RFC 6750: the error tells a client whether to get a new token (invalid_token) or one of
    # another `scope` (insufficient_scope, with a 403).
    value = f'Bearer realm="{REALM}"'
    if error:
        value += f', error="{error}", error_description="{description}"'
    if scope:
        value += f', scope="{scope}"'
    return {"WWW-Authenticate": value}


def unauthorized(message, error="invalid_token"):
    return ApiRefusal(401, message, "login", _challenge(error, message))


def presented_token():
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise ApiRefusal(401, "This API needs a bearer token (Authorization: Bearer <token>).",
                         "login", _challenge(None, None))
    return value.strip()


def _refuse(status, message, user, code="forbidden", headers=None):
    """A refusal of a known account, kept in the audit trail like a refused page."""
    record_denial(f"API {request.method} {request.path}: {message}", user=user)
    return ApiRefusal(status, message, code, headers)


def authenticate():
    """The token's row and account for this request, or an ApiRefusal (401)."""
    token = tokens.find(presented_token())
    if token is None:
        raise unauthorized("The token is not known.")
    now = utcnow()
    # A role no token acts for is the route's refusal (403), as for a role the route does not admit.
    status = token.status_at(now)
    if status not in ("active", "account not allowed"):
        g.api_token = token
        message = _dead(token, status)
        _refuse(401, message, token.user)
        raise unauthorized(message)
    token.last_used_at = now
    g.api_token, g.api_user = token, token.user
    return token


def _dead(token, status):
    """Why a token no longer opens the API, in a sentence for whoever runs the calling system."""
    if status == "revoked":
        standing = _unusable(token.user)
        if standing:
            # Revoked with the account's change (tokens.revoke_unusable): a new token of this
            # account cannot be made, so the caller is told what to ask for instead.
            return (f"This token was revoked, and its account ({token.user.email}) {standing}; ask the clinic's "
                    f"admin for a new token acting as an active coordinator or physician account.")
        return "This token was revoked; ask the clinic's admin for a new one."
    if status == "expired":
        return f"This token expired on {token.expires_at:%Y-%m-%d %H:%M} UTC; ask the clinic's admin for a new one."
    return f"This token's account ({token.user.email}) is deactivated; the token no longer opens the API."


def _unusable(user):
    """Why no token acts for `user` now ("is deactivated", "is an admin account", both), or ""."""
    reasons = ([] if user.active else ["deactivated"]) + ([] if user.role in CLINICAL_STAFF else [_an(user.role)])
    return f"is {' and '.join(reasons)}" if reasons else ""


def _an(role):
    label = role.label.lower()
    return f"{'an' if label[:1] in 'aeiou' else 'a'} {label} account"


def _not_admitted(user, declared):
    if user.role not in CLINICAL_STAFF:
        return (f"This token's account ({user.email}) is {_an(user.role)}; API tokens act only for "
                f"coordinator and physician accounts.")
    return (f"This token's account ({user.email}) is {_an(user.role)}; this route is only for "
            f"{' and '.join(sorted(r.label.lower() for r in declared))} accounts.")


def token_allow(*roles, scope=ApiScope.READ):
    declared = frozenset(Role(r) for r in roles)
    scope = ApiScope(scope)

    def decorator(view):
        @wraps(view)
        def guarded(*args, **kwargs):
            token = authenticate()
            if token.user.role not in declared:
                raise _refuse(403, _not_admitted(token.user, declared), token.user)
            if scope == ApiScope.INTAKE and token.scope != ApiScope.INTAKE:
                message = ("This token's scope is read: it reads but does not send referrals; "
                           "ask the clinic's admin for an intake token.")
                raise _refuse(403, message, token.user, "forbidden",
                              _challenge("insufficient_scope", message, ApiScope.INTAKE.value))
            return view(*args, **kwargs)

        guarded.allowed_roles = declared
        guarded.api_scope = scope
        return guarded

    return decorator


def record_read(object_type=None, object_id=None):
    """Audit an API read as a page view is audited: who (account and token, as every audit row of
    an API request names them: tracker/audit.py), what, when, from where."""
    audit.viewed(object_type, object_id, summary=f"API {request.method} {request.full_path.rstrip('?')}")


def api_user():
    return g.api_user

"""Error pages in the app's own style, and the one handler that answers a service's refusal.

A 500 shows an incident id for the logs, never a trace. A database that cannot be reached is a
503 with Retry-After and an incident id, rendered from a layout that needs no database (not even
to ask who is signed in), so the person still gets the tracker's own page with its security
headers instead of the server's bare error.

A refusal (`tracker.refusals.Refusal`) is answered by the page the view declared with
`on_refusal` before it called the service: the form again with what was typed and the reason
(`form_again`, 409/422), or back to where the form was with the reason said (`back_to`).

Under the API prefixes (`/fhir`, `/api/v1`) every answer, refusals and faults alike, is in the
API's own format (an OperationOutcome, a problem document), never an HTML page.
"""
import uuid

from flask import flash, g, redirect, render_template, request
from flask_babel import force_locale
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import BadRequest

from tracker import api
from tracker.extensions import db
from tracker.formfields import show_on_form
from tracker import typed as typed_forms
from tracker.refusals import FieldError, Refusal, StaleEdit
from tracker.roles import Role


def on_refusal(respond):
    """Declare how this request's page answers a refusal: `respond(refusal)` returns the response
    (called by the view before it calls the service)."""
    g.answer_refusal = respond


def back_to(url, stale=None):
    """A refusal answer: say why (`stale` for a StaleEdit, the page's own words) and go back to
    `url`."""
    def respond(refusal):
        flash(str(stale) if stale and isinstance(refusal, StaleEdit) else str(refusal), "error")
        return redirect(url)

    return respond


def form_again(form, page, stale=None):
    """A refusal answer for a page that shows its form again as typed: a FieldError next to its
    field (`page()` gives the page's usual status for a form with errors); any other refusal said
    above the form (`stale`, the page's own words, for a StaleEdit) with `page(409)`."""
    def respond(refusal):
        if isinstance(refusal, FieldError):
            show_on_form(form, refusal)
            return page()
        flash(str(stale) if stale and isinstance(refusal, StaleEdit) else str(refusal), "error")
        return page(409)

    return respond


def init_app(app):
    @app.errorhandler(Refusal)
    def refused(refusal):
        # Services roll back as they refuse; this also covers a refusal raised outside one, so
        # no half-made change is left in the session for the page to commit with its audit row.
        db.session.rollback()
        respond = g.pop("answer_refusal", None)
        if respond is None:
            return api.refusal_response(refusal) or (
                _error_page("errors/refused.html", reason=str(refusal)), refusal.status)
        return respond(refusal)

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        # Most often the session this form was opened in has ended (signed out, or signed in
        # again, in another tab): its token is gone. What was typed is shown back to this browser,
        # which sent it, so that nothing typed is lost; it is kept nowhere (no one is known to hold
        # it for: tracker/auth/held_forms.py holds a form only for a session that expired). Not
        # for a form an idle page sent by itself, nor one sent from another site (may_show_back).
        typed = typed_forms.shown_fields(typed_forms.posted_fields()) if typed_forms.may_show_back() else []
        return api.error_response(400, error.description) or (
            _error_page("errors/400.html", reason=error.description, typed=typed,
                        form_page=_same_site_referrer()), 400)

    @app.errorhandler(400)
    def bad_request(error):
        # Our own refusals say why; Werkzeug's default text says nothing a person can act on.
        reason = error.description if error.description != BadRequest.description else None
        return api.error_response(400, error.description) or (
            _error_page("errors/400.html", reason=reason), 400)

    @app.errorhandler(413)
    def too_large(error):
        limit_kb = app.config["MAX_CONTENT_LENGTH"] // 1024
        return api.error_response(413, f"The request is larger than {limit_kb} KB.") or (
            _error_page("errors/413.html", limit_kb=limit_kb), 413)

    @app.errorhandler(429)
    def too_many_attempts(error):
        # Flask-Limiter adds Retry-After (seconds) to the response after this handler.
        window = getattr(getattr(error, "limit", None), "limit", None)
        seconds = window.get_expiry() if window else 60
        minutes = max(1, -(-seconds // 60))
        if request.endpoint in PATIENTS_PAUSED:
            # "Ask the clinic's admin" means nothing to a patient, who has no account to sign in to
            # yet (or none at all): the personal link's layout, with the clinic's phone.
            return render_template("errors/429.html", layout="diary/link_base.html", patient=False,
                                   for_patients=True, retry_minutes=minutes), 429
        return api.error_response(429, "Too many failed attempts from this address; try again later.") or (
            _error_page("errors/429.html", retry_minutes=minutes), 429)

    @app.errorhandler(OperationalError)
    @app.errorhandler(PoolTimeout)
    def database_unavailable(error):
        """Refused connections, a server shutting down, a lock or pool wait that timed out: the
        database's operational faults, all worth a retry in a moment."""
        _rollback_quietly()
        incident = _incident()
        cause = getattr(error, "orig", None) or error
        app.logger.error("incident %s: database unavailable: %s: %s", incident, type(cause).__name__,
                         (str(cause).strip().splitlines() or [""])[0][:200])
        retry = {"Retry-After": str(RETRY_AFTER_SECONDS)}
        answer = api.error_response(503, f"The database cannot be reached just now (incident {incident}); "
                                         f"try again in {RETRY_AFTER_SECONDS} seconds.", retry)
        if answer is not None:
            return answer
        # Rendered straight from the template: render_template's context processors would ask
        # Flask-Login for the signed-in user, which needs the database.
        # The locale is forced too: choosing it asks who is signed in.
        with force_locale(app.config.get("BABEL_DEFAULT_LOCALE", "en")):
            page = app.jinja_env.get_template("errors/503.html").render(
                incident=incident, retry_after=RETRY_AFTER_SECONDS, clinic_name=app.config["CLINIC_NAME"])
        return page, 503, retry

    @app.errorhandler(403)
    def forbidden(error):
        # "Ask an admin" means nothing to a patient: theirs leads back to their page and the clinic's phone.
        page = "errors/403_patient.html" if _signed_in_patient() else "errors/403.html"
        # Nor to an admin, who is the one to ask: their refusals are of clinical work.
        admin = current_user.is_authenticated and current_user.role == Role.ADMIN
        return api.error_response(403, error.description) or (render_template(page, admin=admin), 403)

    @app.errorhandler(404)
    def not_found(error):
        return api.error_response(404, "Not found.") or (_error_page("errors/404.html"), 404)

    @app.errorhandler(405)
    def method_not_allowed(error):
        allow = dict(error.get_headers()).get("Allow")  # RFC 9110: a 405 names the methods taken
        headers = {"Allow": allow} if allow else {}
        message = "Method not allowed here."
        if request.path.startswith("/fhir/") and request.method in ("POST", "PUT", "PATCH", "DELETE"):
            # The first try of an EHR's developer: say what the server does and where a referral goes.
            message = (f"{request.method} {request.path} is not taken: this server reads resources (GET); "
                       "a referral is sent as a transaction Bundle with POST to /fhir.")
        return api.error_response(405, message, headers) or (
            _error_page("errors/404.html"), 405, headers)

    @app.errorhandler(500)
    def server_error(error):
        _rollback_quietly()
        incident = _incident()
        app.logger.error("incident %s: %s", incident, getattr(error, "original_exception", error),
                         exc_info=getattr(error, "original_exception", None))
        return api.error_response(500, f"Internal error (incident {incident}).") or (
            _error_page("errors/500.html", incident=incident), 500)


# The limited pages (tracker/ratelimit.py) a patient meets before signing in: their 429 says to call the clinic.
PATIENTS_PAUSED = {"patient_accounts.forgot_password", "patient_accounts.set_password", "patient_link.entry",
                   "patient_link.correct"}

# How long a client should wait before retrying when the database is away (a restart, a failover).
RETRY_AFTER_SECONDS = 30


def _same_site_referrer():
    """The page the refused form was on, when it is this site's (to open it again), else None."""
    referrer = request.referrer or ""
    return referrer if referrer.startswith(request.host_url) else None


def _incident():
    return uuid.uuid4().hex[:12]


def _rollback_quietly():
    """Roll back whatever the request had begun; with the database gone, that can fail too."""
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 - the page must be shown whatever the session's state
        db.session.close()


def _signed_in_patient():
    return current_user.is_authenticated and current_user.role == Role.PATIENT


def _error_page(template, **context):
    """An error page in the layout of the person who met it: a patient's own (their language
    switch, the clinic's phone, the way back to their page; a patient who changed an id in the
    address lands here), else the staff's."""
    try:
        patient = _signed_in_patient()
    except Exception:  # noqa: BLE001 - a page that cannot tell who is signed in still answers
        patient = False
    layout = "patient/base.html" if patient else "base.html"
    return render_template(template, layout=layout, patient=patient, **context)

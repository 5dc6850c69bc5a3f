"""Sessions, response headers and redirects: the parts of security every request passes through."""
import secrets
import time
from urllib.parse import urlsplit

from flask import current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, logout_user

from tracker.api import api_format
from tracker.auth import held_forms
from tracker.extensions import db, login_manager

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])


# The idle clock kept in the session moves on at most once a minute (and on every keep-alive):
# re-signing the cookie on every request cost a tenth of a millisecond a page, and a minute is
# little against a 15-minute limit. Pages tell the browser the time left on this clock
# (`idle_seconds_left`), so its warning stays exact.
RENEW_IDLE_CLOCK_EVERY = 60


@login_manager.user_loader
def load_user(user_id):
    """Session ids are "<user id>:<session token>"; a rotated token signs every copy out."""
    from tracker.models import User

    raw_id, _, token = user_id.partition(":")
    if not raw_id.isdigit() or not token:
        return None
    user = db.session.get(User, int(raw_id))
    if user is None or not secrets.compare_digest(user.session_token, token):
        return None
    return user


def start_session(user):
    """A fresh session at sign-in (nothing carried over from before it) with its clock started."""
    from flask_login import login_user

    session.clear()
    login_user(user)
    now = time.time()
    session["signed_in_at"] = now
    session["last_seen"] = now
    session.permanent = True


def end_session(user):
    """Sign out and invalidate every copy of this user's session cookie."""
    user.rotate_session_token()
    logout_user()
    session.clear()


# Requests that neither end nor renew a session: the page's question "has my session ended?"
# (static/js/session.js) must not answer by ending it, which would drop the held form's user.
READ_ONLY_ENDPOINTS = {"static", "auth.session_left"}


def session_over(now):
    """Whether the signed-in user's session has passed its absolute limit, or (staff) its idle limit."""
    config = current_app.config
    expired = now - session.get("signed_in_at", 0) > config["SESSION_MAX_AGE"].total_seconds()
    idle = current_user.is_staff and now - session.get("last_seen", 0) > config["STAFF_IDLE_TIMEOUT"].total_seconds()
    return expired or idle


def enforce_session_limits():
    """Staff sessions end after the idle limit, every session after the absolute limit.

    The times live in the signed session and are checked here on the server, so an old
    cookie replayed later is refused whatever the browser keeps.
    """
    if request.endpoint in READ_ONLY_ENDPOINTS or api_format() or not current_user.is_authenticated:
        # A session opens nothing under the API prefixes (tokens only): an ended one is no
        # reason to send an API client to the sign-in page, and an API call keeps no session alive.
        return None
    now = time.time()
    last_seen = session.get("last_seen", 0)
    if session_over(now):
        held = held_forms.hold_if_form(current_user._get_current_object())
        logout_user()
        session.clear()
        if held:
            held_forms.remember_in_session(held)
            flash(_("Your session ended before this was saved. Nothing is lost: sign in again to see "
                    "what you typed and send it."), "info")
        else:
            flash(_("Your session has ended. Please sign in again."), "info")
        return redirect(url_for("auth.sign_in", next=_same_site_path()))
    if now - last_seen >= RENEW_IDLE_CLOCK_EVERY or request.endpoint == "auth.keep_alive":
        session["last_seen"] = now
    return None


def idle_seconds_left():
    """How long the signed-in staff member has before the idle limit, on the server's clock (the
    page's warning counts down from this)."""
    left = current_app.config["STAFF_IDLE_TIMEOUT"].total_seconds() - (time.time() - session.get("last_seen", 0))
    return max(0, int(left))


def _same_site_path():
    return request.full_path.rstrip("?") if request.method == "GET" else None


def set_security_headers(response):
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "no-referrer")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if current_app.config["SESSION_COOKIE_SECURE"]:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    if request.endpoint != "static":
        # Pages may carry patient data: never cache them, so Back after sign-out shows nothing.
        headers["Cache-Control"] = "no-store"
        headers["Pragma"] = "no-cache"
    return response


def is_safe_next(target):
    """Only same-site paths: "/cases/3" yes; "//evil.example", "https://evil.example", "\\\\x" no."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return False
    if "\\" in target or any(ord(ch) < 32 for ch in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def init_app(app):
    login_manager.login_view = "auth.sign_in"
    login_manager.login_message = _l("Please sign in to continue.")
    login_manager.login_message_category = "info"
    # Session protection is done by the per-user token and the limits above.
    login_manager.session_protection = None
    app.before_request(enforce_session_limits)
    app.before_request(held_forms.forget_resent)
    app.after_request(set_security_headers)

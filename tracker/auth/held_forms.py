"""Work is not lost when a session ends: a form posted after its sender's session ended is held.

`enforce_session_limits` (tracker/security.py) ends an idle or too-old session. If that request was
a form post by a known user, the form's fields are held here, server-side, for HELD_FORM_MINUTES,
under a random token the signed-out browser keeps in its session cookie. When the same user signs
in again on that browser, they are taken to a page that shows what they typed and offers to send it
again, to the address it was meant for, or to discard it: it is never applied unseen. Re-sent, it
meets the same checks as any post (CSRF with a fresh token, the record's version: a record changed
meanwhile is refused with what was typed kept). Anyone else signing in there never sees it.
"""
import secrets
from datetime import timedelta

from flask import current_app, request, session
from flask_login import current_user

from tracker.extensions import db
from tracker.models import HeldForm
from tracker.timeutil import utcnow

SESSION_KEY = "held_form"
# The re-send form carries the token in this field, so the held copy is dropped once it is used.
RESENT_FIELD = "_held_form"
# Never held, never shown back: a fresh token is sent with the re-sent form. Nor is any password
# (a new account's, a reset): it is typed again, never stored or echoed into a page.
NOT_KEPT = {"csrf_token", RESENT_FIELD}
# Posts that are not someone's work: signing in or out, staying signed in.
NOT_HELD_ENDPOINTS = {"auth.sign_in", "auth.sign_out", "auth.keep_alive", "auth.discard_held_form"}


def hold_if_form(user):
    """Hold the current request's form for `user` if it is one worth keeping; the token, or None."""
    if (request.method != "POST" or request.endpoint in NOT_HELD_ENDPOINTS
            or request.mimetype not in ("application/x-www-form-urlencoded", "multipart/form-data")):
        return None
    fields = [[name, value] for name, value in request.form.items(multi=True)
              if name not in NOT_KEPT and "password" not in name.lower()]
    if not fields:
        return None
    now = utcnow()
    # Expired copies go whenever a new one is held: nothing clinical lingers past its time.
    db.session.execute(db.delete(HeldForm).where(HeldForm.expires_at <= now))
    held = HeldForm(token=secrets.token_urlsafe(32), user_id=user.id, path=request.path, fields=fields,
                    held_at=now, expires_at=now + timedelta(minutes=current_app.config["HELD_FORM_MINUTES"]))
    db.session.add(held)
    db.session.commit()
    return held.token


def waiting_for(user, token):
    """The held form `token` names if it is this user's and not expired, else None."""
    if not token:
        return None
    held = db.session.execute(db.select(HeldForm).filter_by(token=token)).scalar_one_or_none()
    if held is None or held.user_id != user.id or held.expires_at <= utcnow():
        return None
    return held


def discard(held):
    db.session.delete(held)
    db.session.commit()


def forget_resent():
    """Before a re-sent form reaches its view: the held copy has done its work."""
    token = request.form.get(RESENT_FIELD) if request.method == "POST" else None
    if token and current_user.is_authenticated:
        db.session.execute(db.delete(HeldForm).where(HeldForm.token == token,
                                                     HeldForm.user_id == current_user.id))
        db.session.commit()


def shown_fields(held):
    """The fields a person recognises (not the hidden bookkeeping ones), in words."""
    return [(name.replace("_", " ").capitalize(), value) for name, value in held.fields
            if name not in ("version_id", "next", "submit") and not name.endswith("_version") and value != ""]


def remember_in_session(token):
    session[SESSION_KEY] = token

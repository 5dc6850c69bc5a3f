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
from tracker.typed import RESENT_FIELD, posted_fields, shown_fields  # noqa: F401 (the held form's page uses them)

SESSION_KEY = "held_form"


def hold_if_form(user):
    """Hold the current request's form for `user` if it is one worth keeping; the token, or None."""
    fields = posted_fields()
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


def remember_in_session(token):
    session[SESSION_KEY] = token

"""Signing in and out, with failed attempts throttled per account name in the database."""
import math
from datetime import timedelta

from flask import current_app
from sqlalchemy.exc import IntegrityError

from tracker import audit
from tracker.extensions import db
from tracker.models import SignInThrottle, User
from tracker.passwords import hash_password, verify_against_nobody, verify_password
from tracker.security import end_session, start_session
from tracker.timeutil import utcnow

GENERIC_FAILURE = "The email or password is not right. Check both and try again."


class SignInRefused(Exception):
    pass


def normalise_email(email):
    return (email or "").strip().lower()


def sign_in(email, password):
    """Sign the user in, or raise SignInRefused with a message that never says whether the account exists."""
    email = normalise_email(email)
    throttle = db.session.get(SignInThrottle, email)
    now = utcnow()
    if throttle and throttle.locked_until and throttle.locked_until > now:
        minutes = math.ceil((throttle.locked_until - now).total_seconds() / 60)
        audit.record(audit.Action.SIGN_IN_FAILED, "user", None, summary="refused while locked",
                     actor=email)
        db.session.commit()
        raise SignInRefused(
            f"Too many failed sign-ins for this account. Wait {minutes} minute"
            f"{'s' if minutes != 1 else ''} and try again, or ask an admin to reset your password."
        )

    user = db.session.execute(db.select(User).filter_by(email=email)).scalar_one_or_none()
    if user is None:
        verify_against_nobody(password)
    elif user.active and verify_password(user.password_hash, password):
        if throttle:
            db.session.delete(throttle)
        user.last_sign_in_at = now
        start_session(user)
        audit.record(audit.Action.SIGN_IN, "user", user.id, user=user)
        db.session.commit()
        return user

    _count_failure(email, throttle, now)
    audit.record(audit.Action.SIGN_IN_FAILED, "user", user.id if user else None,
                 summary="inactive account" if user and not user.active else "wrong email or password",
                 actor=email)
    db.session.commit()
    raise SignInRefused(GENERIC_FAILURE)


def _count_failure(email, throttle, now):
    config = current_app.config
    window = timedelta(minutes=config["LOGIN_LOCK_MINUTES"])
    if throttle is None:
        throttle = SignInThrottle(email=email, failures=0, window_started_at=now)
        db.session.add(throttle)
        try:
            db.session.flush()
        except IntegrityError:
            # Another worker counted the first failure at the same moment: count on its row.
            db.session.rollback()
            throttle = db.session.get(SignInThrottle, email)
    if now - throttle.window_started_at > window:
        throttle.failures, throttle.window_started_at, throttle.locked_until = 0, now, None
    throttle.failures += 1
    if throttle.failures >= config["LOGIN_MAX_FAILURES"]:
        throttle.locked_until = now + window


def sign_out(user):
    audit.record(audit.Action.SIGN_OUT, "user", user.id, user=user)
    end_session(user)
    db.session.commit()


def change_password(user, current_password, new_password):
    if not verify_password(user.password_hash, current_password):
        return False
    set_password(user, new_password)
    start_session(user)  # the rotated token signs other copies out; this browser stays in
    audit.record(audit.Action.UPDATE, "user", user.id, summary="changed own password", user=user)
    db.session.commit()
    return True


def set_password(user, new_password):
    user.password_hash = hash_password(new_password)
    user.password_changed_at = utcnow()
    user.rotate_session_token()

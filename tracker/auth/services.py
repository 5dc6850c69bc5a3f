"""Signing in and out, with sign-in attempts throttled per account name in the database."""
import math
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import case, delete, literal, or_, update
from sqlalchemy.dialects import postgresql, sqlite

from tracker import audit
from tracker.extensions import db
from tracker.models import SignInThrottle, User
from tracker.models.types import UTCDateTime
from tracker.passwords import hash_password, verify_against_nobody, verify_password
from tracker.security import end_session, start_session
from tracker.timeutil import utcnow
from tracker.vocab import N_

GENERIC_FAILURE = N_("The email or password is not correct. Check both and try again.")

# INSERT ... ON CONFLICT DO UPDATE is spelled the same way on both databases, but each dialect
# has its own construct for it.
_UPSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


class SignInRefused(Exception):
    pass


def normalise_email(email):
    return (email or "").strip().lower()


def sign_in(email, password):
    """Sign the user in, or raise SignInRefused with a message that never says whether the account exists.

    The attempt is counted before the password is checked, so however many guesses arrive at
    once, at most LOGIN_MAX_FAILURES of them per lock period ever reach the hash.
    """
    email = normalise_email(email)
    now = utcnow()
    if not _count_attempt(email, now):
        raise _locked_refusal(email, now)
    # Committed before the (deliberately slow) hash check: parallel guesses see the count at
    # once, and no row or database lock is held while hashing.
    db.session.commit()

    user = db.session.execute(db.select(User).filter_by(email=email)).scalar_one_or_none()
    # Always one hash check of the same cost, before looking at whether the account is active:
    # unknown, inactive and active accounts take the same path and the same time.
    if user is None:
        password_right = verify_against_nobody(password)
    else:
        password_right = verify_password(user.password_hash, password)

    if password_right and user.active and _record_sign_in(user, now):
        # Only now that the sign-in is committed does the browser get a session.
        start_session(user)
        return user

    audit.record(audit.Action.SIGN_IN_FAILED, "user", user.id if user else None,
                 summary="inactive account" if password_right else "wrong email or password",
                 actor=email)
    db.session.commit()
    raise SignInRefused(_(GENERIC_FAILURE))


def _count_attempt(email, now):
    """Count one attempt against the account name in a single atomic statement; False (and
    nothing counted) while the name is locked.

    The database does the arithmetic (failures = failures + 1) on a row it has locked, and the
    INSERT of a name not seen before cannot collide with a concurrent one (ON CONFLICT), so
    parallel attempts can never read the same count. The attempt that reaches the limit locks the
    name; the attempts after it match no row and are refused without a password check.
    """
    config = current_app.config
    limit = config["LOGIN_MAX_FAILURES"]
    period = timedelta(minutes=config["LOGIN_LOCK_MINUTES"])
    row = SignInThrottle.__table__
    # Typed binds: the columns store naive UTC (UTCDateTime) on both databases.
    at_now, lock_end = literal(now, UTCDateTime()), literal(now + period, UTCDateTime())
    # A counting window that has run out, or a lock that has ended, starts the count afresh.
    fresh = or_(row.c.window_started_at <= now - period, row.c.locked_until.is_not(None))
    failures = case((fresh, 1), else_=row.c.failures + 1)
    statement = (
        _UPSERTS[db.engine.dialect.name](row)
        .values(email=email, failures=1, window_started_at=now,
                locked_until=now + period if limit <= 1 else None)
        .on_conflict_do_update(
            index_elements=[row.c.email],
            set_={
                "failures": failures,
                "window_started_at": case((fresh, at_now), else_=row.c.window_started_at),
                "locked_until": case((failures >= limit, lock_end), else_=None),
            },
            where=or_(row.c.locked_until.is_(None), row.c.locked_until <= now),
        )
        .returning(row.c.failures)
    )
    return db.session.execute(statement).first() is not None


def _locked_refusal(email, now):
    """Audit the refused attempt and return the refusal, saying how long to wait."""
    locked_until = db.session.scalar(
        db.select(SignInThrottle.locked_until).filter_by(email=email))
    # The lock may have been lifted a moment ago (a successful sign-in elsewhere): say 1 minute.
    minutes = max(1, math.ceil(((locked_until or now) - now).total_seconds() / 60))
    audit.record(audit.Action.SIGN_IN_FAILED, "user", None, summary="refused while locked",
                 actor=email)
    db.session.commit()
    return SignInRefused(ngettext(
        "Too many failed sign-ins for this account. Wait %(num)d minute and try again, or ask an "
        "admin to reset your password.",
        "Too many failed sign-ins for this account. Wait %(num)d minutes and try again, or ask an "
        "admin to reset your password.", minutes))


def _record_sign_in(user, now):
    """Stamp the sign-in, clear the name's count and commit; False if the account was deactivated
    since it was loaded.

    A Core UPDATE rather than the ORM: bookkeeping must not bump the user's version (optimistic
    locking), or two sign-ins at the same moment (two tabs, two devices) would conflict.
    """
    users = User.__table__
    stamped = db.session.execute(
        update(users).where(users.c.id == user.id, users.c.active.is_(True))
        .values(last_sign_in_at=now))
    if stamped.rowcount != 1:
        return False
    _clear_failures(user.email)
    audit.record(audit.Action.SIGN_IN, "user", user.id, user=user)
    db.session.commit()
    return True


def _clear_failures(email):
    db.session.execute(delete(SignInThrottle.__table__).where(SignInThrottle.email == email))


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
    # A new password lifts a lock on the name, as the locked-out message promises. No autoflush:
    # an account being created is not ready to be written yet.
    with db.session.no_autoflush:
        _clear_failures(user.email)

"""Sign-ins arriving at the same moment, as from a password-guessing script or from one person's
two devices: the throttle still lets at most LOGIN_MAX_FAILURES passwords be checked, and two
simultaneous sign-ins of the same person both succeed.

Each attempt is a real form post from its own browser-like client in its own thread (so its own
database session and connection, as in two web requests). A barrier releases the posts together
and every password check is slowed down, so that without an atomic count all the attempts would
read the count before any of them wrote it. Runs on SQLite and on PostgreSQL (TEST_DATABASE_URL).
"""
import threading
import time

import pytest

from tests.builders import GENERIC, LOCKED, make_user
from tests.helpers import PASSWORD, field_error, is_signed_in, post_together
from tracker.auth import services
from tracker.extensions import db
from tracker.models import AuditEvent, SignInThrottle, User
from tracker.models.audit import AuditAction
from tracker.roles import Role

ATTEMPTS = 12
SLOW_HASH_SECONDS = 0.2
THREAD_TIMEOUT = 60


@pytest.fixture
def hash_checks(monkeypatch):
    """Every password checked against a hash (a real account's or the dummy one), slowed down to
    widen the window in which unsynchronised attempts would overlap."""
    checked = []
    guard = threading.Lock()

    def slowed(real_check):
        def check(*args):
            with guard:
                checked.append(args[-1])
            time.sleep(SLOW_HASH_SECONDS)
            return real_check(*args)
        return check

    monkeypatch.setattr(services, "verify_password", slowed(services.verify_password))
    monkeypatch.setattr(services, "verify_against_nobody", slowed(services.verify_against_nobody))
    return checked


def _post_together(app, clients, email, password):
    """Post the sign-in form from every client at the same instant; one response per client."""
    return post_together(clients, "/sign-in", [{"email": email, "password": password}] * len(clients),
                         THREAD_TIMEOUT)


@pytest.mark.parametrize("account", ["existing", "unknown"])
def test_a_burst_of_wrong_guesses_gets_at_most_the_limit_of_password_checks(app, hash_checks,
                                                                           account):
    limit = app.config["LOGIN_MAX_FAILURES"]
    with app.app_context():
        email = make_user(Role.COORDINATOR).email if account == "existing" else "nobody@test.clinic"
        db.session.remove()
        clients = [app.test_client() for _ in range(ATTEMPTS)]

        responses = _post_together(app, clients, email, "Wrong-password-000")

        database = db.engine.dialect.name
        assert len(hash_checks) == limit, (
            f"{len(hash_checks)} of {ATTEMPTS} simultaneous guesses were checked against the hash "
            f"on {database}; at most {limit} may be")
        messages = [field_error(r.get_data(as_text=True), "password") for r in responses]
        assert all(r.status_code == 200 for r in responses)
        # The same messages whether or not the account exists: the limit's worth of "not correct",
        # then the lock.
        assert messages.count(GENERIC) == limit, messages
        locked = [m for m in messages if m != GENERIC]
        assert len(locked) == ATTEMPTS - limit
        assert all(m.startswith(LOCKED) for m in locked), locked
        assert db.session.get(SignInThrottle, email).failures == limit
        db.session.remove()

        if account == "existing":
            # The lock holds: even the right password is not checked now.
            right = _post_together(app, [app.test_client()], email, PASSWORD)[0]
            assert field_error(right.get_data(as_text=True), "password").startswith(LOCKED)
            assert len(hash_checks) == limit


def test_the_same_person_signing_in_on_two_devices_at_once_gets_in_on_both(app, hash_checks):
    with app.app_context():
        user = make_user(Role.PHYSICIAN)
        user_id, email = user.id, user.email
        db.session.remove()
        devices = [app.test_client() for _ in range(2)]

        responses = _post_together(app, devices, email, PASSWORD)

        assert [r.status_code for r in responses] == [302, 302], (
            f"simultaneous sign-ins on {db.engine.dialect.name}: "
            f"{[r.status_code for r in responses]}")
        assert all(r.location == "/cases/physician" for r in responses)
        assert all(is_signed_in(device) for device in devices)
        sign_ins = db.session.execute(db.select(AuditEvent).filter_by(
            action=AuditAction.SIGN_IN, user_id=user_id)).scalars().all()
        assert len(sign_ins) == 2
        assert db.session.get(User, user_id).last_sign_in_at is not None
        db.session.remove()

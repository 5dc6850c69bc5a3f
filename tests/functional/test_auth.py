"""Signing in and out through the real forms, with CSRF on: sessions, redirects, throttling and
the password policy."""
from datetime import timedelta
from urllib.parse import urlencode

import secrets

import pytest
from sqlalchemy import insert, update
from sqlalchemy.exc import IntegrityError, OperationalError

from config import CONFIGS, TestingConfig

from tests.helpers import PASSWORD, IsolatedClient, field_error, is_signed_in, sign_in, submit
from tracker import create_app
from tracker.auth import services as auth_services
from tracker.extensions import db
from tracker.models import AuditEvent, SignInThrottle, User
from tracker.models.audit import AuditAction
from tracker.roles import Role
from tracker.timeutil import utcnow

from tests.builders import GENERIC, LOCKED

COOKIE = "tracker_session"
HOMES = {
    Role.ADMIN: "/admin/users",
    Role.COORDINATOR: "/cases/",
    Role.PHYSICIAN: "/cases/physician",
    Role.PATIENT: "/my/",
}


def copy_cookie(source, target):
    target.set_cookie(COOKIE, source.get_cookie(COOKIE).value)
    return target


# ---------------------------------------------------------------- signing in


@pytest.mark.parametrize("role", list(Role))
def test_each_role_signs_in_with_email_and_password_and_lands_on_its_home(client, gen, role):
    # A patient is greeted by the given name on her record.
    record = {"patient": gen.patient(given_name="Harriet", family_name="Vane")} if role == Role.PATIENT else {}
    user = gen.user(role, name="Harriet Vane", **record)

    response = sign_in(client, user)

    assert response.status_code == 302
    assert response.location == HOMES[role]
    page = client.get(HOMES[role])
    assert page.status_code == 200
    assert "Harriet" in page.get_data(as_text=True)


@pytest.mark.parametrize("typed", ["/admin/", "/admin"])
def test_an_admin_typing_admin_lands_on_the_page_signing_in_leads_to(client, gen, typed):
    admin = gen.user(Role.ADMIN, name="Harriet Vane")
    landed = sign_in(client, admin).location

    page = client.get(typed, follow_redirects=True)

    assert page.status_code == 200
    assert page.request.path == landed == HOMES[Role.ADMIN]
    assert "Harriet" in page.get_data(as_text=True)


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.PHYSICIAN, Role.PATIENT])
def test_admin_typed_by_another_role_is_refused_as_every_admin_page_is(client, gen, role):
    sign_in(client, gen.user(role))

    assert client.get("/admin/").status_code == 403
    assert client.get("/admin", follow_redirects=True).status_code == 403


def test_a_script_reading_the_sign_in_pages_token_finds_one_and_signs_in(client, gen):
    """Load generators and monitoring sign in by pattern-matching the token off the page (the
    benchmark yardstick does: name="csrf_token" … value="…"); the language switch's own token must
    not make that two values."""
    import re

    user = gen.user(Role.COORDINATOR)
    page = client.get("/sign-in").get_data(as_text=True)
    [token] = re.findall(r'name="csrf_token"[^>]*value="([^"]*)"', page)
    response = client.post("/sign-in", data={"csrf_token": token, "email": user.email, "password": PASSWORD})
    assert response.status_code == 302


def test_email_is_matched_whatever_its_case(client, gen):
    gen.user(Role.COORDINATOR, email="casey@test.clinic")

    response = sign_in(client, "Casey@Test.Clinic")

    assert response.status_code == 302
    assert response.location == HOMES[Role.COORDINATOR]


def test_wrong_password_and_unknown_email_get_the_same_message_and_no_session(make_client, gen):
    user = gen.user(Role.COORDINATOR)
    wrong_password, unknown_email = make_client(), make_client()

    refused_password = sign_in(wrong_password, user, "Not-the-right-one-42")
    refused_email = sign_in(unknown_email, "nobody@test.clinic", PASSWORD)

    for response, client in ((refused_password, wrong_password), (refused_email, unknown_email)):
        assert response.status_code == 200
        assert field_error(response.get_data(as_text=True), "password") == GENERIC
        assert not is_signed_in(client)
    assert field_error(refused_password.get_data(as_text=True), "email") is None


@pytest.mark.parametrize("email, message", [
    ("", "Enter your email address."),
    ("   ", "Enter your email address."),
    ("casey.example.org", "Enter a valid email address, like name@clinic.org."),
    ("casey@", "Enter a valid email address, like name@clinic.org."),
])
def test_empty_or_malformed_email_gets_a_message_next_to_the_field(client, gen, email, message):
    gen.user(Role.COORDINATOR)

    response = sign_in(client, email)

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert field_error(html, "email") == message
    assert 'aria-invalid="true"' in html
    assert not is_signed_in(client)


def test_inactive_account_is_refused_with_the_generic_message(client, gen):
    user = gen.user(Role.PHYSICIAN, active=False)

    response = sign_in(client, user)

    assert response.status_code == 200
    assert field_error(response.get_data(as_text=True), "password") == GENERIC
    assert not is_signed_in(client)


@pytest.fixture
def hash_checks(monkeypatch):
    """The passwords checked against a hash, a real account's or the dummy one."""
    checked = []

    def counted(real_check):
        def check(*args):
            checked.append(args[-1])
            return real_check(*args)
        return check

    monkeypatch.setattr(auth_services, "verify_password", counted(auth_services.verify_password))
    monkeypatch.setattr(auth_services, "verify_against_nobody",
                        counted(auth_services.verify_against_nobody))
    return checked


@pytest.mark.parametrize("who, password", [
    ("unknown", PASSWORD),
    ("inactive", PASSWORD),
    ("inactive", "Not-the-right-one-42"),
    ("active", "Not-the-right-one-42"),
])
def test_every_refusal_checks_one_password_hash_and_gives_the_same_message(client, gen,
                                                                          hash_checks, who,
                                                                          password):
    """Same path, same time, same words: whether an account exists or is active stays hidden."""
    user = gen.user(Role.COORDINATOR, active=who != "inactive")
    email = "nobody@test.clinic" if who == "unknown" else user.email

    response = sign_in(client, email, password)

    assert hash_checks == [password]
    assert field_error(response.get_data(as_text=True), "password") == GENERIC
    assert not is_signed_in(client)


def test_sign_in_starts_a_fresh_session(client, gen):
    user = gen.user(Role.COORDINATOR)
    client.get("/sign-in")
    with client.session_transaction() as session:
        session["planted_before_sign_in"] = "attacker-chosen"
    cookie_before = client.get_cookie(COOKIE).value

    assert sign_in(client, user).status_code == 302

    with client.session_transaction() as session:
        assert "planted_before_sign_in" not in session
        assert "_user_id" in session
    assert client.get_cookie(COOKIE).value != cookie_before


def test_signed_in_person_opening_sign_in_page_goes_home(client, gen):
    user = gen.user(Role.PHYSICIAN)
    sign_in(client, user)

    response = client.get("/sign-in")

    assert response.status_code == 302
    assert response.location == HOMES[Role.PHYSICIAN]


# ---------------------------------------------------------------- the sign-in write


@pytest.fixture
def meanwhile(monkeypatch):
    """`meanwhile(sql)`: run `sql` in another connection right after the password check, that is
    after the sign-in loaded the account and before it commits (another request, an admin)."""
    def schedule(sql, **params):
        real_check = auth_services.verify_password

        def check_then_change(*args):
            result = real_check(*args)
            with db.engine.begin() as other_connection:
                other_connection.execute(sql, params)
            return result

        monkeypatch.setattr(auth_services, "verify_password", check_then_change)
    return schedule


def test_account_saved_elsewhere_during_sign_in_does_not_stop_it(client, gen, meanwhile):
    """Another tab's sign-in or an admin's edit bumps the account's version; signing in only
    stamps bookkeeping and must not turn that into an edit conflict (a 500)."""
    user = gen.user(Role.COORDINATOR)
    meanwhile(update(User.__table__).where(User.__table__.c.id == user.id)
              .values(version_id=User.__table__.c.version_id + 1, name="Renamed Elsewhere"))

    response = sign_in(client, user)

    assert response.status_code == 302
    assert is_signed_in(client)
    db.session.expire_all()
    assert db.session.get(User, user.id).last_sign_in_at is not None
    assert db.session.get(User, user.id).name == "Renamed Elsewhere"


def test_account_deactivated_during_sign_in_is_refused_without_a_session(client, gen, meanwhile):
    user = gen.user(Role.COORDINATOR)
    meanwhile(update(User.__table__).where(User.__table__.c.id == user.id)
              .values(active=False, version_id=User.__table__.c.version_id + 1))

    response = sign_in(client, user)

    assert response.status_code == 200
    assert field_error(response.get_data(as_text=True), "password") == GENERIC
    assert not is_signed_in(client)


def test_sign_in_that_fails_to_be_written_leaves_the_browser_signed_out(app, client, gen,
                                                                       monkeypatch):
    """The session is given only after the sign-in is committed, never before a failure."""
    user = gen.user(Role.COORDINATOR)
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)  # the real error page
    real_record = auth_services.audit.record

    def database_gone(action, *args, **kwargs):
        if action == AuditAction.SIGN_IN:
            raise OperationalError("INSERT INTO audit_events", {}, Exception("connection lost"))
        return real_record(action, *args, **kwargs)

    monkeypatch.setattr(auth_services.audit, "record", database_gone)

    response = sign_in(client, user)

    assert response.status_code == 503  # the database went away: "try again in a moment"
    assert not is_signed_in(client)
    db.session.expire_all()
    assert db.session.get(User, user.id).last_sign_in_at is None


# ---------------------------------------------------------------- signing out


def test_sign_out_refuses_get(client, gen, login_as):
    login_as(gen.user(Role.COORDINATOR))

    response = client.get("/sign-out")

    assert response.status_code == 405
    assert is_signed_in(client)


def test_sign_out_without_csrf_token_is_refused_and_keeps_the_session(client, gen, login_as):
    login_as(gen.user(Role.COORDINATOR))

    response = client.post("/sign-out")

    assert response.status_code == 400
    assert "security token" in response.get_data(as_text=True)
    assert is_signed_in(client)


def test_sign_out_returns_to_sign_in_page_with_a_message(client, gen, login_as):
    login_as(gen.user(Role.COORDINATOR))

    response = submit(client, "/sign-out", {}, form_page="/cases/", follow_redirects=True)

    assert response.request.path == "/sign-in"
    assert "You are signed out." in response.get_data(as_text=True)
    assert not is_signed_in(client)


def test_copied_session_cookie_stops_working_after_sign_out(client, make_client, gen, login_as):
    login_as(gen.user(Role.COORDINATOR))
    assert is_signed_in(copy_cookie(client, make_client()))  # the copy works while signed in
    copied_before_sign_out = copy_cookie(client, make_client())

    submit(client, "/sign-out", {}, form_page="/cases/")

    response = copied_before_sign_out.get("/cases/")
    assert response.status_code == 302
    assert response.location.startswith("/sign-in")


def test_password_change_signs_out_other_copies_but_keeps_this_browser(client, make_client, gen,
                                                                       login_as):
    user = gen.user(Role.PHYSICIAN)
    login_as(user)
    other_device = copy_cookie(client, make_client())
    assert is_signed_in(other_device)

    response = submit(client, "/account/password", {
        "current_password": PASSWORD, "new_password": "Sacral-ala-lateral-77",
        "confirm": "Sacral-ala-lateral-77",
    }, follow_redirects=True)

    assert "Other devices have been signed out." in response.get_data(as_text=True)
    assert is_signed_in(client)
    assert not is_signed_in(other_device)
    assert sign_in(make_client(), user, PASSWORD).status_code == 200
    assert sign_in(make_client(), user, "Sacral-ala-lateral-77").status_code == 302


def test_password_change_needs_the_current_password(client, make_client, gen, login_as):
    user = gen.user(Role.COORDINATOR)
    login_as(user)

    response = submit(client, "/account/password", {
        "current_password": "Not-my-password-00", "new_password": "Sacral-ala-lateral-77",
        "confirm": "Sacral-ala-lateral-77",
    })

    assert field_error(response.get_data(as_text=True), "current_password") == \
        "The current password is not correct."
    assert sign_in(make_client(), user, PASSWORD).status_code == 302


# ---------------------------------------------------------------- next


def sign_in_with_next(client, user, next_path):
    url = "/sign-in?" + urlencode({"next": next_path})
    return submit(client, url, {"email": user.email, "password": PASSWORD})


def test_next_sends_the_person_back_to_the_page_they_asked_for(client, gen):
    user = gen.user(Role.COORDINATOR)
    case = gen.case()
    asked = client.get(f"/cases/{case.id}")
    assert asked.location.startswith("/sign-in?next=")

    response = submit(client, asked.location, {"email": user.email, "password": PASSWORD})

    assert response.location == f"/cases/{case.id}"


@pytest.mark.parametrize("target", [
    "//evil.example",
    "//evil.example/cases/1",
    "https://evil.example/x",
    "http:evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/\t/evil.example",
    "javascript:alert(1)",
    " //evil.example",
    "evil.example",
])
def test_next_never_redirects_to_another_site(client, gen, target):
    user = gen.user(Role.COORDINATOR)

    response = sign_in_with_next(client, user, target)

    assert response.status_code == 302
    assert response.location == HOMES[Role.COORDINATOR]


def test_next_to_a_same_site_path_is_followed(client, gen):
    user = gen.user(Role.COORDINATOR)

    response = sign_in_with_next(client, user, "/cases/1")

    assert response.location == "/cases/1"


def test_sign_in_form_does_not_carry_an_unsafe_next(client):
    page = client.get("/sign-in?" + urlencode({"next": "https://evil.example/x"}))

    assert "evil.example" not in page.get_data(as_text=True)


# ---------------------------------------------------------------- throttling


def fail(client, email, times):
    for _ in range(times):
        assert sign_in(client, email, "Wrong-password-000").status_code == 200


def refusal(client, email, password=PASSWORD):
    response = sign_in(client, email, password)
    assert response.status_code == 200, "sign-in should have been refused"
    return field_error(response.get_data(as_text=True), "password")


def test_repeated_failures_lock_the_account_even_for_the_right_password(app, client, gen):
    user = gen.user(Role.COORDINATOR)
    limit = app.config["LOGIN_MAX_FAILURES"]
    fail(client, user.email, limit - 1)
    # The last failure allowed still gets the usual message; the lock shows from the next try.
    assert refusal(client, user.email, "Wrong-password-000") == GENERIC

    message = refusal(client, user.email)

    assert message.startswith(LOCKED)
    assert f"Wait {app.config['LOGIN_LOCK_MINUTES']} minutes" in message
    assert not is_signed_in(client)


def test_lock_for_an_unknown_email_reads_like_the_lock_for_a_real_account(app, make_client, gen):
    user = gen.user(Role.COORDINATOR)
    limit = app.config["LOGIN_MAX_FAILURES"]
    real, unknown = make_client(), make_client()
    fail(real, user.email, limit)
    fail(unknown, "nobody@test.clinic", limit)

    assert refusal(real, user.email) == refusal(unknown, "nobody@test.clinic")
    assert refusal(unknown, "nobody@test.clinic").startswith(LOCKED)


def test_fewer_failures_than_the_limit_do_not_lock(app, client, gen):
    user = gen.user(Role.COORDINATOR)
    fail(client, user.email, app.config["LOGIN_MAX_FAILURES"] - 1)

    assert sign_in(client, user).status_code == 302


def test_lock_ends_after_the_lock_period(app, client, gen, monkeypatch):
    user = gen.user(Role.COORDINATOR)
    fail(client, user.email, app.config["LOGIN_MAX_FAILURES"])
    locked_at = utcnow()
    lock = timedelta(minutes=app.config["LOGIN_LOCK_MINUTES"])

    monkeypatch.setattr(auth_services, "utcnow", lambda: locked_at + lock - timedelta(minutes=1))
    assert refusal(client, user.email) == (
        "Too many failed sign-ins for this account. Wait 1 minute and try again, "
        "or ask an admin to reset your password.")

    monkeypatch.setattr(auth_services, "utcnow", lambda: locked_at + lock + timedelta(seconds=5))
    assert sign_in(client, user).status_code == 302


def test_lock_lifted_in_the_database_lets_the_person_in(app, client, gen):
    user = gen.user(Role.COORDINATOR)
    fail(client, user.email, app.config["LOGIN_MAX_FAILURES"])
    assert refusal(client, user.email).startswith(LOCKED)

    db.session.execute(update(SignInThrottle).values(locked_until=utcnow() - timedelta(seconds=1)))
    db.session.commit()

    assert sign_in(client, user).status_code == 302


def test_successful_sign_in_clears_the_failure_count(app, make_client, gen):
    user = gen.user(Role.COORDINATOR)
    limit = app.config["LOGIN_MAX_FAILURES"]
    fail(make_client(), user.email, limit - 1)

    assert sign_in(make_client(), user).status_code == 302
    db.session.expire_all()
    assert db.session.get(SignInThrottle, user.email) is None

    fail(make_client(), user.email, limit - 1)
    assert sign_in(make_client(), user).status_code == 302


def test_failures_are_counted_in_the_database_shared_by_every_worker(app, gen):
    """Two app instances (as two worker processes would be) add up to one lock."""
    user = gen.user(Role.COORDINATOR)
    limit = app.config["LOGIN_MAX_FAILURES"]
    other_worker = create_app(TestingConfig,
                              SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"])
    other_worker.test_client_class = IsolatedClient
    try:
        fail(app.test_client(), user.email, limit - 1)
        fail(other_worker.test_client(), user.email, 1)

        assert refusal(app.test_client(), user.email).startswith(LOCKED)
        assert refusal(other_worker.test_client(), user.email).startswith(LOCKED)
        db.session.expire_all()
        assert db.session.get(SignInThrottle, user.email).failures == limit
    finally:
        with other_worker.app_context():
            db.session.remove()
            db.engine.dispose()


def test_admin_password_reset_lifts_the_lock_as_the_message_says(app, make_client, gen, login_as):
    user = gen.user(Role.COORDINATOR, name="Casey Locked")
    locked_out = make_client()
    fail(locked_out, user.email, app.config["LOGIN_MAX_FAILURES"])
    assert refusal(locked_out, user.email).endswith("or ask an admin to reset your password.")
    admin = login_as(gen.user(Role.ADMIN), on=make_client())

    submit(admin, f"/admin/users/{user.id}/password", {"new_password": "Sacral-ala-lateral-77"},
           form_page=f"/admin/users/{user.id}")

    assert sign_in(locked_out, user, "Sacral-ala-lateral-77").status_code == 302


def test_attempts_while_locked_are_refused_and_audited_without_counting(app, client, gen):
    user = gen.user(Role.COORDINATOR)
    limit = app.config["LOGIN_MAX_FAILURES"]
    fail(client, user.email, limit)

    for _ in range(3):
        assert refusal(client, user.email).startswith(LOCKED)

    db.session.expire_all()
    assert db.session.get(SignInThrottle, user.email).failures == limit
    summaries = [e.summary for e in db.session.execute(db.select(AuditEvent).filter_by(
        action=AuditAction.SIGN_IN_FAILED).order_by(AuditEvent.id)).scalars()]
    assert summaries == ["wrong email or password"] * limit + ["refused while locked"] * 3


# ---------------------------------------------------------------- database errors


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_every_configuration_keeps_sql_parameters_out_of_database_errors(tmp_path, name):
    configured = create_app(CONFIGS[name], SECRET_KEY=secrets.token_hex(32), DEBUG=False,
                            SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'db.sqlite'}")
    with configured.app_context():
        try:
            assert db.engine.hide_parameters is True
            assert db.engine.pool._pre_ping is True  # the options already there are kept
        finally:
            db.engine.dispose()


def test_a_database_error_names_no_value_it_was_given(gen):
    """Errors reach the log (the 500 page's incident); a password hash or a patient's details
    must not travel with them."""
    taken = gen.user(Role.COORDINATOR)

    with pytest.raises(IntegrityError) as raised, db.engine.begin() as connection:
        connection.execute(insert(User.__table__).values(
            email=taken.email, name="Harriet Vane", role=Role.COORDINATOR,
            password_hash="scrypt:32768:8:1$secret-salt$secret-hash", session_token="token-123"))

    message = str(raised.value)
    assert "[SQL parameters hidden due to hide_parameters=True]" in message
    assert "secret-hash" not in message and "Harriet Vane" not in message
    assert "token-123" not in message


# ---------------------------------------------------------------- password policy


@pytest.mark.parametrize("new_password, message", [
    ("Short-pw-1", "Use at least 12 characters (this one has 10)."),
    ("password1234", "This password is too common or too easy to guess; choose another."),
    ("Password2024!", "This password is too common or too easy to guess; choose another."),
    ("aaaaaaaaaaaaaaaa", "This password is too common or too easy to guess; choose another."),
    ("my-harriet.vane-pass", "Do not use your email address or a part of it (“harriet.vane”) in your password."),
    ("harriet-2026-spring", "Do not use your email address or a part of it (“harriet”) in your password."),
    ("Whos-Vane-Now-77", "Do not use your email address or a part of it (“vane”) in your password."),
])
def test_password_policy_refuses_weak_new_passwords_with_a_reason(client, make_client, gen,
                                                                  login_as, new_password, message):
    user = gen.user(Role.COORDINATOR, email="harriet.vane@test.clinic")
    login_as(user)

    response = submit(client, "/account/password", {
        "current_password": PASSWORD, "new_password": new_password, "confirm": new_password,
    })

    assert response.status_code == 200
    assert field_error(response.get_data(as_text=True), "new_password") == message
    assert sign_in(make_client(), user, PASSWORD).status_code == 302
    assert sign_in(make_client(), user, new_password).status_code == 200


def test_new_password_must_be_typed_twice_the_same(client, gen, login_as):
    login_as(gen.user(Role.COORDINATOR))

    response = submit(client, "/account/password", {
        "current_password": PASSWORD, "new_password": "Sacral-ala-lateral-77",
        "confirm": "Sacral-ala-lateral-78",
    })

    assert field_error(response.get_data(as_text=True), "confirm") == \
        "The two new passwords do not match."

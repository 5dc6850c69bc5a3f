"""The command line: `flask users create`, `flask demo seed` and what `flask reminders send` says."""
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.helpers import sign_in
from tracker.demo import DEMO_PATIENT_ACCOUNT, DEMO_SCHEDULED_PATIENT_ACCOUNT, DEMO_USERS
from tracker.extensions import db
from tracker.models import Case, Patient, User
from tracker.roles import Role
from tracker.workflow import State

GOOD_PASSWORD = "Sacral-ala-lateral-77"
HOMES = {
    Role.ADMIN: "/admin/users",
    Role.COORDINATOR: "/cases/",
    Role.PHYSICIAN: "/cases/physician",
    Role.PATIENT: "/my/",
}


@pytest.fixture
def cli(app, app_ctx):
    runner = app.test_cli_runner()

    def run(*args, input=None):
        result = runner.invoke(args=list(args), input=input)
        # The command ran in the test's app context: end its transaction as the process would.
        db.session.rollback()
        return result

    return run


def create_user(cli, *extra, role="coordinator", email="casey@clinic.org", name="Casey Jones",
                password=GOOD_PASSWORD, input=None):
    args = ["users", "create", "--role", role, "--email", email, "--name", name, *extra]
    if password is not None:
        args += ["--password", password]
    return cli(*args, input=input)


def count(model):
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


# ---------------------------------------------------------------- users create


@pytest.mark.parametrize("role", [Role.ADMIN, Role.COORDINATOR, Role.PHYSICIAN])
def test_users_create_makes_an_account_that_signs_in(cli, client, role):
    result = create_user(cli, role=role.value)

    assert result.exit_code == 0, result.output
    assert "Created" in result.output and "casey@clinic.org" in result.output
    response = sign_in(client, "casey@clinic.org", GOOD_PASSWORD)
    assert response.location == HOMES[role]


def test_users_create_links_a_patient_account_to_its_record(cli, client, gen):
    patient = gen.patient(mrn="MRN-7001", family_name="Lovelace", given_name="Ada")

    result = create_user(cli, "--mrn", "MRN-7001", role="patient", email="ada@clinic.org", name="Ada Lovelace")

    assert result.exit_code == 0, result.output
    user = db.session.execute(select(User).filter_by(email="ada@clinic.org")).scalar_one()
    assert user.patient_id == patient.id
    assert sign_in(client, "ada@clinic.org", GOOD_PASSWORD).location == "/my/"


def test_users_create_refuses_a_patient_account_named_otherwise_than_its_record(cli, gen):
    gen.patient(mrn="MRN-7001", family_name="Lovelace", given_name="Ada", date_of_birth=date(1955, 12, 10))

    result = create_user(cli, "--mrn", "MRN-7001", role="patient", email="pat@clinic.org", name="Pat Three")

    assert result.exit_code != 0 and count(User) == 0
    assert "MRN-7001 is the record of Lovelace, Ada, born 1955-12-10, not of “Pat Three”." in result.output
    assert "give --name as on the record" in result.output


def test_users_create_asks_for_the_password_when_not_given(cli, client):
    result = create_user(cli, password=None, input=f"{GOOD_PASSWORD}\n{GOOD_PASSWORD}\n")

    assert result.exit_code == 0, result.output
    assert "Password:" in result.output and "Repeat for confirmation:" in result.output
    assert GOOD_PASSWORD not in result.output  # not echoed
    assert sign_in(client, "casey@clinic.org", GOOD_PASSWORD).status_code == 302


def test_users_create_refuses_a_prompted_password_typed_differently_twice(cli):
    result = create_user(cli, password=None, input=f"{GOOD_PASSWORD}\nSomething-else-00\n")

    assert result.exit_code != 0
    assert "do not match" in result.output
    assert count(User) == 0


def test_users_create_refuses_a_weak_prompted_password(cli):
    result = create_user(cli, password=None, input="pw\npw\n")

    assert result.exit_code == 2
    assert "Use at least 12 characters (this one has 2)." in result.output
    assert count(User) == 0


@pytest.mark.parametrize("extra, expected", [
    ({"role": "superuser"}, "Invalid value for '--role'"),
    ({"email": "not-an-email"}, "Not a valid email address"),
    ({"email": ""}, "Not a valid email address"),
    ({"name": "   "}, "Give the person's name."),
    ({"password": "Short-pw-1"}, "Use at least 12 characters (this one has 10)."),
    ({"password": "password1234"}, "This password is too common or too easy to guess"),
    ({"password": "Password2024!"}, "This password is too common or too easy to guess"),
    ({"password": "casey-at-the-bat"}, "Do not use your email address or a part of it"),
])
def test_users_create_refuses_bad_input_with_a_clear_message(cli, extra, expected):
    result = create_user(cli, **extra)

    assert result.exit_code == 2
    assert expected in result.output
    assert "Traceback" not in result.output
    assert count(User) == 0


def test_users_create_refuses_a_patient_account_without_an_mrn(cli, gen):
    gen.patient(mrn="MRN-7001")

    result = create_user(cli, role="patient")

    assert result.exit_code == 2
    assert "--mrn" in result.output
    assert "A patient account needs the patient's medical record number." in result.output
    assert count(User) == 0


def test_users_create_refuses_an_unknown_mrn(cli, gen):
    gen.patient(mrn="MRN-7001")

    result = create_user(cli, "--mrn", "MRN-9999", role="patient")

    assert result.exit_code == 2
    assert "--mrn" in result.output
    assert "No patient has this medical record number." in result.output
    assert count(User) == 0


def test_users_create_refuses_an_email_already_in_use(cli, gen):
    gen.user(Role.PHYSICIAN, email="casey@clinic.org", name="First Casey")

    result = create_user(cli, email="Casey@Clinic.org")

    assert result.exit_code == 2
    assert "Another account already uses this email address." in result.output
    assert count(User) == 1


# ---------------------------------------------------------------- demo seed


def seed(cli):
    result = cli("demo", "seed")
    assert result.exit_code == 0, result.output or repr(result.exception)
    return result


def test_demo_seed_covers_every_role_and_state_and_a_second_run_adds_nothing(cli):
    first = seed(cli)

    roles = set(db.session.execute(select(User.role)).scalars())
    states = list(db.session.execute(select(Case.state)).scalars())
    assert roles == set(Role)
    assert 18 <= len(states) <= 22
    assert set(states) == set(State)
    patient_accounts = (DEMO_PATIENT_ACCOUNT, DEMO_SCHEDULED_PATIENT_ACCOUNT)
    assert f"({len(DEMO_USERS) + len(patient_accounts)} users and {len(states)} cases added)" in first.output
    counts = (count(User), count(Patient), count(Case))

    again = seed(cli)

    assert "(0 users and 0 cases added)" in again.output
    assert (count(User), count(Patient), count(Case)) == counts


def test_demo_accounts_sign_in_with_the_readme_passwords(cli, make_client):
    seed(cli)
    accounts = [(e, p, role) for e, _, role, p in DEMO_USERS]
    for email, password, mrn in (DEMO_PATIENT_ACCOUNT, DEMO_SCHEDULED_PATIENT_ACCOUNT):
        accounts.append((email, password, Role.PATIENT))

    for email, password, role in accounts:
        browser = make_client()
        response = sign_in(browser, email, password)
        assert response.status_code == 302, f"{email} could not sign in"
        assert response.location == HOMES[role]
        if role == Role.PATIENT:
            mrn = {DEMO_PATIENT_ACCOUNT[0]: DEMO_PATIENT_ACCOUNT[2],
                   DEMO_SCHEDULED_PATIENT_ACCOUNT[0]: DEMO_SCHEDULED_PATIENT_ACCOUNT[2]}[email]
            own_case = db.session.execute(
                select(Case).join(Case.patient).filter(Patient.mrn == mrn)).scalar_one()
            assert f"/my/cases/{own_case.id}" in browser.get("/my/").get_data(as_text=True)


def test_readme_lists_the_demo_passwords():
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    listed = [(e, p) for e, _, _, p in DEMO_USERS] + [
        (e, p) for e, p, _ in (DEMO_PATIENT_ACCOUNT, DEMO_SCHEDULED_PATIENT_ACCOUNT)]

    for email, password in listed:
        assert f"`{email}`" in readme and f"`{password}`" in readme


# ---------------------------------------------------------------- reminders send

def test_reminders_send_in_the_quiet_hours_says_that_messages_wait_and_until_when(cli, quiet_hours, clinic_clock):
    """Run at 06:30 clinic time (as the README's demo asks), it printed "0 reminder(s) sent" and "0
    appointment message(s) sent" with no word of the quiet hours holding a booking's confirmation."""
    clinic_clock(6, 30)
    result = cli("reminders", "send")
    assert result.exit_code == 0, result.output
    assert ("Quiet hours (REMINDER_QUIET_HOURS 21-8) until 08:00 clinic time (America/New_York): "
            "messages due now wait until then, unless they would be of no use by then.") in result.output


def test_reminders_send_outside_the_quiet_hours_says_nothing_of_them(cli, quiet_hours, clinic_clock):
    clinic_clock(10)
    result = cli("reminders", "send")
    assert result.exit_code == 0, result.output
    assert "Quiet hours" not in result.output

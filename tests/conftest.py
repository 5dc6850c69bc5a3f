"""Shared fixtures: one app per run, a clean database for every test, the `gen` builders, people
signed in, a real SMTP server. Helpers are in tests/helpers.py, test data in tests/builders.py.

The database is SQLite in a temporary folder unless TEST_DATABASE_URL names another (CI runs the
suite a second time with a PostgreSQL URL; the database is created if it does not exist).
"""
import email
import email.policy
import os
import shutil
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url

from config import Config, TestingConfig
from tracker import create_app, ratelimit
from tracker.extensions import db
from tracker.roles import Role

from tests.builders import (make_appointment, make_case, make_diary, make_patient, make_procedure, make_room,
                            make_therapy, make_user, make_verdict)
from tests.helpers import PASSWORD, IsolatedClient, free_port, sign_in


def _database_url(tmp_root):
    url = os.environ.get("TEST_DATABASE_URL")
    return url or f"sqlite:///{tmp_root / 'test.sqlite'}"


def ensure_postgres_database(url):
    """Create the PostgreSQL database named in `url` if it is missing."""
    url = make_url(url)
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"),
                              {"n": url.database}).scalar()
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{url.database}"'))
    admin.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    url = _database_url(tmp_path_factory.mktemp("db"))
    if url.startswith("postgresql"):
        ensure_postgres_database(url)
    return url


def compile_catalogs():
    """`make install` compiles the translation catalogs; a bare `pytest` run does it too, so the
    Spanish pages are tested against the .po files as they are now (.mo files are not committed)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    root = Path(__file__).resolve().parents[1] / "translations"
    for po in root.glob("*/LC_MESSAGES/messages.po"):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            with po.open("rb") as source:
                catalog = read_po(source)
            with mo.open("wb") as target:
                write_mo(target, catalog)


@pytest.fixture(scope="session")
def app(database_url):
    compile_catalogs()
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=database_url)
    app.test_client_class = IsolatedClient
    with app.app_context():
        db.drop_all()
        _drop_leftover_functions()
        db.create_all()
        if db.engine.dialect.name == "sqlite":
            db.engine.dispose()
            # Tests start from a copy of this freshly built file: faster than rebuilding.
            path = make_url(database_url).database
            shutil.copyfile(path, path + ".template")
    return app


def _drop_leftover_functions():
    if db.engine.dialect.name == "postgresql":
        with db.engine.begin() as conn:
            conn.execute(text("DROP FUNCTION IF EXISTS audit_events_refuse_change() CASCADE"))


def reset_database(app):
    """Empty every table: SQLite gets a fresh copy of the file (audit rows refuse DELETE),
    PostgreSQL loses the rows the last test wrote."""
    with app.app_context():
        db.session.remove()
        if db.engine.dialect.name == "sqlite":
            db.engine.dispose()
            path = make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database
            shutil.copyfile(path + ".template", path)
        else:
            _empty_postgres_tables()


def _empty_postgres_tables():
    """Delete the rows of the tables a test wrote to, and rewind the sequences it moved.

    A TRUNCATE of all the tables costs a file operation per table (a large share of the suite's
    time on PostgreSQL); most tests write to a handful. The audit table refuses DELETE through a
    trigger, and the foreign keys are triggers too: both are held off for this transaction only
    (`session_replication_role = replica`, allowed to the superuser the suite runs as)."""
    names = [t.name for t in db.metadata.sorted_tables]
    with db.engine.begin() as conn:
        has_rows = conn.execute(text("SELECT " + ", ".join(f'EXISTS (SELECT 1 FROM "{n}")' for n in names))).one()
        conn.execute(text("SET LOCAL session_replication_role = replica"))
        for name, dirty in zip(names, has_rows):
            if dirty:
                conn.execute(text(f'DELETE FROM "{name}"'))
        conn.execute(text("SELECT setval(format('%I.%I', schemaname, sequencename)::regclass, 1, false) "
                          "FROM pg_sequences WHERE schemaname = current_schema() AND last_value IS NOT NULL"))


@pytest.fixture(autouse=True)
def clean_db(request):
    if "app" not in request.fixturenames:
        yield  # pure unit tests never touch the database
        return
    app = request.getfixturevalue("app")
    reset_database(app)
    ratelimit.reset(app)
    yield


@pytest.fixture
def app_ctx(app):
    with app.app_context():
        yield
        db.session.remove()


@pytest.fixture
def client(app, app_ctx):
    return app.test_client()


@pytest.fixture
def make_client(app, app_ctx):
    """A fresh browser-like client (its own cookie jar) for tests that need two people."""
    return app.test_client


@pytest.fixture
def gen(app_ctx):
    """Builders: gen.user(role), gen.patient(), gen.case(state=...), gen.therapy(case),
    gen.room(), gen.appointment(case, ...), gen.procedure(side=..., steps=[...] or "all", sign=...),
    gen.diary(case, injected_at=..., entries={code: score})."""
    class Gen:
        user = staticmethod(make_user)
        patient = staticmethod(make_patient)
        case = staticmethod(make_case)
        therapy = staticmethod(make_therapy)
        room = staticmethod(make_room)
        appointment = staticmethod(make_appointment)
        verdict = staticmethod(make_verdict)
        procedure = staticmethod(make_procedure)
        diary = staticmethod(make_diary)
    return Gen


# ---------------------------------------------------------------- people

@pytest.fixture
def login_as(client):
    def _login(user, password=PASSWORD, on=None):
        response = sign_in(on or client, user, password)
        assert response.status_code == 302, "sign-in failed"
        return on or client
    return _login


@pytest.fixture
def coordinator(gen, login_as):
    """A coordinator signed in on `client`."""
    user = gen.user(Role.COORDINATOR, name="Casey Coordinator")
    login_as(user)
    return user


@pytest.fixture
def admin(gen, login_as):
    """An admin signed in on `client`."""
    user = gen.user(Role.ADMIN, name="Ada Admin")
    login_as(user)
    return user


@pytest.fixture
def admin_account(gen):
    """An admin's account, not signed in: for tests that sign in themselves (`login_as`)."""
    return gen.user(Role.ADMIN, name="Ada Admin")


@pytest.fixture
def admin_client(make_client, admin_account, login_as):
    """A client of its own signed in as `admin_account` (`client` stays free for someone else)."""
    return login_as(admin_account, on=make_client())


@pytest.fixture
def coordinator_account(gen):
    """A coordinator's account, not signed in: for tests that switch between people (`login_as`)."""
    return gen.user(Role.COORDINATOR, name="Casey Coordinator")


@pytest.fixture
def physician(gen):
    """A physician's account (not signed in: `login_as(physician)`, or `doctor` for a client)."""
    return gen.user(Role.PHYSICIAN, name="Dr Priya Raman")


@pytest.fixture
def doctor(client, physician, login_as):
    """`client` signed in as `physician`."""
    login_as(physician)
    return client


# ---------------------------------------------------------------- a clock the suite sets

@pytest.fixture
def clinic_clock(monkeypatch):
    """`clinic_clock(hour, minute=0)`: from now on the app reads today at that clinic time as now.
    For a test whose facts hang on the clinic day (a check-in counts only on its own day): a real
    clock run just after the clinic's midnight would put "an hour ago" on yesterday. Every loaded
    tracker module that imported `utcnow` reads the same frozen moment."""
    import sys
    from datetime import datetime, time, timezone

    from tracker import timeutil
    real = timeutil.utcnow

    def set_hour(hour, minute=0):
        moment = datetime.combine(timeutil.clinic_today(), time(hour, minute),
                                  timeutil.clinic_zone()).astimezone(timezone.utc)
        for name, module in list(sys.modules.items()):
            if (name == "tracker" or name.startswith("tracker.")) and getattr(module, "utcnow", None) is real:
                monkeypatch.setattr(module, "utcnow", lambda: moment)
        return moment
    return set_hour


# ---------------------------------------------------------------- mail caught where it is sent

@pytest.fixture
def outbox_for(monkeypatch):
    """`outbox_for(module)`: the mail `module` sends through its `send_mail`, caught instead of
    sent: a list of (to, subject, body, attachments)."""
    def catch(module):
        sent = []
        monkeypatch.setattr(module, "send_mail", lambda to, subject, body, attachments=():
                            sent.append((to, subject, body, attachments)))
        return sent
    return catch


@pytest.fixture
def reminder_outbox(outbox_for):
    """The appointment messages (reminders, updates, preparation) sent by email."""
    from tracker.scheduling import reminders

    return outbox_for(reminders)


@pytest.fixture
def account_outbox(outbox_for):
    """The patient account invitations and password reset links."""
    from tracker.patient_accounts import services

    return outbox_for(services)


@pytest.fixture
def diary_outbox(outbox_for, app, monkeypatch):
    """The personal diary links emailed to patients (the outbox stands in for a mail server: without
    one, a link is not sent at all)."""
    from tracker.diary import services

    monkeypatch.setitem(app.config, "MAIL_SERVER", app.config.get("MAIL_SERVER") or "smtp.outbox.test")
    return outbox_for(services)


# ---------------------------------------------------------------- a real SMTP server

class Inbox:
    """aiosmtpd handler keeping every message it accepts."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((envelope.rcpt_tos, message))
        return "250 Message accepted"

    def bodies(self):
        return [message.get_content() for _, message in self.messages]


@pytest.fixture
def smtp_server():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, inbox
    controller.stop()


@pytest.fixture
def inbox(app, smtp_server, monkeypatch):
    """The app sends through the local SMTP server for this test."""
    controller, inbox = smtp_server
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", controller.port)
    return inbox


@pytest.fixture
def quiet_hours(app, monkeypatch):
    """A clinic's quiet hours, the default (the suite runs without them: it runs at any hour)."""
    monkeypatch.setitem(app.config, "REMINDER_QUIET_HOURS", Config.REMINDER_QUIET_HOURS)
    assert Config.REMINDER_QUIET_HOURS == "21-8"


# ---------------------------------------------------------------- query counting

@pytest.fixture
def count_queries(app, app_ctx):
    """`with count_queries() as counter:` ... `counter.n` SQL statements were run."""
    from contextlib import contextmanager

    @contextmanager
    def _count():
        class Counter:
            n = 0
            statements = []

        def before(conn, cursor, statement, *args):
            if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE")):
                Counter.n += 1
                Counter.statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", before)
        try:
            yield Counter
        finally:
            event.remove(db.engine, "before_cursor_execute", before)

    return _count


# ---------------------------------------------------------------- migrations

@pytest.fixture
def empty_database(database_url, tmp_path):
    """A brand-new, empty database of the same kind as the test run's."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'migrations.sqlite'}"
        return
    url = make_url(database_url)
    name = f"{url.database}_migrations"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def migration_app(empty_database):
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=empty_database)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()

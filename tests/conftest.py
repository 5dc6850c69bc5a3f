"""Shared fixtures: one app per run, a clean database for every test, and builders for test data.

The database is SQLite in a temporary folder unless TEST_DATABASE_URL names another (CI runs the
suite a second time with a PostgreSQL URL; the database is created if it does not exist).
"""
import contextvars
import os
import re
import shutil
from pathlib import Path
from datetime import date, datetime, timedelta, timezone

import pytest
from flask.testing import FlaskClient
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from config import TestingConfig
from tracker import create_app, ratelimit
from tracker.extensions import db
from tracker.models import (Appointment, Case, CaseHistory, ConservativeCare, EligibilityVerdict, Patient,
                            Room, User)
from tracker.passwords import hash_password
from tracker.roles import Role
from tracker.vocab import AppointmentStatus, Indication, Response, Side, TherapyKind
from tracker.workflow import State

PASSWORD = "Correct-horse-battery-9"


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


class IsolatedClient(FlaskClient):
    """Each request runs outside the test's own app context, as in production: its own database
    session and its own `g`, so nothing (such as the signed-in user) leaks between requests.
    After a request, refresh objects the test holds (`db.session.expire_all()`)."""

    def open(self, *args, **kwargs):
        # Buffered: a streamed body (a CSV download) is read inside the request's own context.
        kwargs.setdefault("buffered", True)
        return contextvars.Context().run(super().open, *args, **kwargs)


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
    """Empty every table. Audit rows refuse DELETE, so SQLite gets a fresh copy of the file and
    PostgreSQL a TRUNCATE (which row triggers do not see)."""
    with app.app_context():
        db.session.remove()
        if db.engine.dialect.name == "sqlite":
            db.engine.dispose()
            path = make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database
            shutil.copyfile(path + ".template", path)
        else:
            tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
            with db.engine.begin() as conn:
                conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


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


# ---------------------------------------------------------------- builders

_counter = {"n": 0}


def _next():
    _counter["n"] += 1
    return _counter["n"]


def make_patient(**fields):
    n = _next()
    values = {"mrn": f"MRN{n:06d}", "family_name": f"Family{n}", "given_name": f"Given{n}",
              "date_of_birth": date(1960, 1, 1 + n % 28)}
    values.update(fields)
    patient = Patient(**values)
    db.session.add(patient)
    db.session.commit()
    return patient


def make_user(role=Role.COORDINATOR, email=None, password=PASSWORD, patient=None, **fields):
    role = Role(role)
    n = _next()
    if role == Role.PATIENT and patient is None:
        patient = make_patient()
    user = User(email=email or f"{role.value}{n}@test.clinic", name=fields.pop("name", f"{role.label} {n}"),
                role=role, password_hash=hash_password(password), patient=patient, **fields)
    db.session.add(user)
    db.session.commit()
    return user


VERDICT_STATES = frozenset({State.ELIGIBLE, State.SCHEDULED, State.IN_PROCEDURE, State.FOLLOW_UP,
                            State.CLOSED})


def make_case(patient=None, state=State.REFERRED, side=Side.LEFT,
              indication=Indication.DIAGNOSTIC, created_by=None, verdict=True, **fields):
    """A case placed directly in `state` with a matching history row (test set-up only).

    A case that has passed eligibility gets a current verdict saying eligible (snapshot of the
    facts as they stand), as the app would have stored; ``verdict=False`` leaves it out."""
    patient = patient or make_patient()
    created_by = created_by or make_user(Role.COORDINATOR)
    case = Case(patient=patient, state=State(state), side=side, indication=indication,
                referring_clinician="Dr Referrer", referral_date=date(2026, 1, 5),
                created_by_id=created_by.id, **fields)
    db.session.add(case)
    db.session.flush()
    db.session.add(CaseHistory(case=case, actor_id=created_by.id, actor_role=created_by.role,
                               action="refer", to_state=State(state), reason="test set-up"))
    if verdict and case.state in VERDICT_STATES:
        make_verdict(case, eligible=True, by=created_by)
    db.session.commit()
    return case


def make_verdict(case, eligible=True, by=None):
    """A verdict snapshot of the case's facts today, saying `eligible` (test set-up only)."""
    from tracker.eligibility.standing import current_assessment

    result, digest = current_assessment(case)
    by = by or make_user(Role.COORDINATOR)
    row = EligibilityVerdict(case_id=case.id, evaluated_at=datetime.now(timezone.utc),
                             evaluated_by_id=by.id, profile_code=result.profile_code,
                             profile_version=result.profile_version, eligible=eligible,
                             snapshot=result.as_dict(), facts_fingerprint=digest)
    db.session.add(row)
    db.session.commit()
    return row


def make_therapy(case, kind=TherapyKind.PHYSICAL_THERAPY, start_date=date(2026, 1, 1),
                 end_date=date(2026, 2, 12), response=Response.NONE, **fields):
    row = ConservativeCare(case=case, kind=kind, start_date=start_date, end_date=end_date,
                           response=response, **fields)
    db.session.add(row)
    db.session.commit()
    return row


def make_room(name=None, **fields):
    room = Room(name=name or f"Suite {_next()}", **fields)
    db.session.add(room)
    db.session.commit()
    return room


def make_appointment(case, physician=None, room=None, starts_at=None, minutes=30,
                     status=AppointmentStatus.BOOKED, **fields):
    """An appointment written directly (test set-up; bookings through the app use the service)."""
    physician = physician or make_user(Role.PHYSICIAN)
    room = room or make_room()
    starts_at = starts_at or datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=1)
    appointment = Appointment(case=case, physician_id=physician.id, room_id=room.id,
                              starts_at=starts_at, ends_at=starts_at + timedelta(minutes=minutes),
                              status=status, created_by_id=physician.id, **fields)
    db.session.add(appointment)
    db.session.commit()
    return appointment


# A complete checklist, step by step, as the rules read it (per side for the needle steps).
PROCEDURE_ANSWERS = {
    "sign_in": {"identifiers_confirmed": True, "consent_confirmed": True, "procedure_confirmed": True,
                "site_marked": True, "allergies_reviewed": True, "anticoagulation_reviewed": True},
    "time_out": {"patient_confirmed": True, "procedure_confirmed": True, "side_and_site_confirmed": True,
                 "position_confirmed": True, "images_available": True},
    "positioning": {"prone": True},
    "skin_prep": {"prep_agent": "chlorhexidine_alcohol", "sterile_drape": True, "local_skin_anaesthetic": True},
    "fluoroscopy": {"modality": "fluoroscopy", "views": "2", "needle_gauge": "22", "fluoroscopy_time_s": "35",
                    "air_kerma_mgy": "4.2", "dap_mgy_cm2": "310"},
    "contrast": {"agent": "iohexol", "volume_ml": "0.5", "arthrogram_pattern": "intra_articular_cephalad",
                 "vascular_uptake": False},
    "injectate": {"rows": [{"drug": "triamcinolone", "concentration_mg_per_ml": "40", "dose_mg": "40",
                            "volume_ml": "1", "lot_number": "TA-2231"},
                           {"drug": "bupivacaine", "concentration_mg_per_ml": "2.5", "dose_mg": "2.5",
                            "volume_ml": "1", "lot_number": "BU-0917"}]},
    "sign_out": {"complications": ["none"], "pain_nrs": "2", "discharge_instructions_given": True},
}


def make_procedure(side=Side.LEFT, physician=None, steps=(), sign=False, **case_fields):
    """A scheduled, ready case whose physician started the procedure (through the service, as the
    Start button does), with `steps` recorded from PROCEDURE_ANSWERS ("all" for every step) and
    the record signed if `sign`. Returns the record."""
    from tracker.procedures import services
    from tracker.procedures.rules.schema import PER_SIDE_STEPS, STEPS
    from tracker.vocab import joints_of

    physician = physician or make_user(Role.PHYSICIAN)
    case = make_case(state=State.SCHEDULED, side=side, physician_id=physician.id, **case_fields)
    make_appointment(case, physician=physician, consent_obtained=True, day_of_check_done=True,
                     starts_at=datetime.now(timezone.utc).replace(microsecond=0) - timedelta(minutes=5))
    record = services.start(case, physician)
    for step in (STEPS if steps == "all" else steps):
        answers = dict(PROCEDURE_ANSWERS[step])
        if step == "sign_in":
            answers["side_confirmed"] = Side(side).value
        for joint in (joints_of(side) if step in PER_SIDE_STEPS else [None]):
            services.save_step(record, step, joint and joint.value, answers, physician, "")
    if sign:
        services.sign(record, physician, record.version_id)
    return record


def make_diary(case, injected_at=None, entries=None, booked_at=None):
    """A case's diary as booking and signing make it: the baseline open from `booked_at` (default
    two days before the injection) and, with `injected_at`, every post-injection point of its
    schedule. `entries` is {point code: score, or {side: score}}, entered through the personal
    link at the point's due time (test set-up; entries through the app use the service)."""
    from tracker.diary import services as diary
    from tracker.models import DiaryEntry, DiaryPoint
    from tracker.vocab import EntrySource

    now = datetime.now(timezone.utc).replace(microsecond=0)
    booked_at = booked_at or (injected_at or now) - timedelta(days=2)
    diary.ensure_baseline(case, booked_at)
    if injected_at is not None:
        diary.start_follow_up(case, injected_at, booked_at)
    db.session.flush()
    for code, score in (entries or {}).items():
        point = db.session.execute(db.select(DiaryPoint).filter_by(case_id=case.id, point_code=code)).scalar_one()
        scores = score if isinstance(score, dict) else {side: score for side in diary.sides_of(case)}
        for side, value in scores.items():
            db.session.add(DiaryEntry(point_id=point.id, case_id=case.id, side=side, score=value,
                                      entered_at=point.due_at or point.opens_at, source=EntrySource.LINK,
                                      late=False))
        # As record_entry does: complete once every side the case rates has its score.
        if set(scores) >= set(diary.sides_of(case)):
            point.completed_at = point.due_at or point.opens_at
    db.session.commit()
    return case


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


def commit_elsewhere(*objects):
    """Save `objects` through a second connection, as another person's request would: for tests
    of two people saving the same unique value at the same moment."""
    with Session(db.engine) as other:
        other.add_all(objects)
        other.commit()


# ---------------------------------------------------------------- forms and sign-in

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_from(html):
    match = CSRF_RE.search(html)
    assert match, "page has no CSRF token"
    return match.group(1)


def submit(client, url, data, form_page=None, follow_redirects=False):
    """POST like a browser does: fetch the form page first and send its CSRF token."""
    page = client.get(form_page or url)
    payload = {"csrf_token": csrf_from(page.get_data(as_text=True)), **data}
    return client.post(url, data=payload, follow_redirects=follow_redirects)


def sign_in(client, user_or_email, password=PASSWORD):
    email = getattr(user_or_email, "email", user_or_email)
    return submit(client, "/sign-in", {"email": email, "password": password})


@pytest.fixture
def login_as(client):
    def _login(user, password=PASSWORD, on=None):
        response = sign_in(on or client, user, password)
        assert response.status_code == 302, "sign-in failed"
        return on or client
    return _login


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

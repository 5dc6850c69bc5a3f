"""0009_phone_e164 rewrites stored phone numbers in E.164 where they parse, and leaves the others
exactly as they were. Runs on this test run's database (SQLite, PostgreSQL in CI)."""
from datetime import date, datetime

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import MetaData, insert, select

from tracker.extensions import db


pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

T = datetime(2026, 11, 2, 9, 0)
TYPED = {1: "(201) 555-0123", 2: "+34 612 345 678", 3: "ask at the desk", 4: None, 5: "+12015550199"}


def phones():
    tables = MetaData()
    tables.reflect(db.engine)
    patients = tables.tables["patients"]
    with db.engine.connect() as conn:
        return dict(conn.execute(select(patients.c.id, patients.c.phone)).all())


def test_the_upgrade_writes_parseable_numbers_in_e164_and_keeps_the_others(migration_app):
    upgrade(revision="0008_case_rows")
    tables = MetaData()
    tables.reflect(db.engine)
    with db.engine.begin() as conn:
        conn.execute(insert(tables.tables["patients"]), [
            {"id": n, "mrn": f"M{n}", "family_name": "Doe", "given_name": "Pat", "date_of_birth": date(1960, 1, 1),
             "sex": "female", "phone": phone, "preferred_contact": "sms", "language": "English", "created_at": T}
            for n, phone in TYPED.items()])

    upgrade(revision="0009_phone_e164")

    assert phones() == {1: "+12015550123", 2: "+34612345678", 3: "ask at the desk", 4: None, 5: "+12015550199"}
    downgrade(revision="0008_case_rows")
    assert phones()[1] == "+12015550123"

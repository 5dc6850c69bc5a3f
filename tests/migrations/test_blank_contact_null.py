"""0038_blank_contact_null stores an empty email address or phone number as NULL, as the model
now does, and touches nothing else. Runs on this test run's database (SQLite, PostgreSQL in CI)."""
from datetime import date, datetime

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import MetaData, insert, select

from tracker.extensions import db

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

T = datetime(2026, 11, 2, 9, 0)
STORED = {1: ("", ""), 2: ("  ", None), 3: ("ada@example.org", "+12015550123"), 4: (None, None)}


def contacts():
    tables = MetaData()
    tables.reflect(db.engine)
    patients = tables.tables["patients"]
    with db.engine.connect() as conn:
        return {row.id: (row.email, row.phone) for row in conn.execute(
            select(patients.c.id, patients.c.email, patients.c.phone))}


def test_the_upgrade_stores_empty_contact_details_as_null_and_keeps_the_others(migration_app):
    upgrade(revision="0037_start_acknowledgements")
    tables = MetaData()
    tables.reflect(db.engine)
    with db.engine.begin() as conn:
        conn.execute(insert(tables.tables["patients"]), [
            {"id": n, "mrn": f"M{n}", "mrn_key": f"M{n}", "family_name": "Doe", "family_name_key": "doe",
             "given_name": "Pat", "given_name_key": "pat", "date_of_birth": date(1960, 1, 1), "sex": "female",
             "email": email, "phone": phone, "phone_key": "", "preferred_contact": "sms", "language": "English",
             "created_at": T}
            for n, (email, phone) in STORED.items()])

    upgrade(revision="0038_blank_contact_null")

    assert contacts() == {1: (None, None), 2: (None, None), 3: ("ada@example.org", "+12015550123"),
                          4: (None, None)}
    downgrade(revision="0037_start_acknowledgements")
    assert contacts()[3] == ("ada@example.org", "+12015550123")

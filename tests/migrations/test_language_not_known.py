"""0050_language_not_known lets a patient's language be not known (NULL) rather than assumed: an
empty one becomes NULL and every recorded language is kept as written; the downgrade writes a
not-known language as "" (nothing invented) and keeps the others. Runs on this test run's database
(SQLite, PostgreSQL in CI)."""
from datetime import date

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import MetaData, insert, inspect, select, update

from tracker.extensions import db

from tests.migrations.rows import T

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

STORED = {1: "English", 2: "español", 3: "Tagalog", 4: "", 5: "  "}


def _patients():
    tables = MetaData()
    tables.reflect(db.engine)
    return tables.tables["patients"]


def languages():
    patients = _patients()
    with db.engine.connect() as conn:
        return dict(conn.execute(select(patients.c.id, patients.c.language)).all())


def test_an_empty_language_becomes_not_known_and_every_recorded_one_is_kept_both_ways(migration_app):
    upgrade(revision="0049_side_results")
    with db.engine.begin() as conn:
        conn.execute(insert(_patients()), [
            {"id": n, "mrn": f"M{n}", "mrn_key": f"M{n}", "family_name": "Doe", "family_name_key": "doe",
             "given_name": "Pat", "given_name_key": "pat", "date_of_birth": date(1960, 1, 1), "sex": "female",
             "phone_key": "", "preferred_contact": "email", "language": language, "created_at": T}
            for n, language in STORED.items()])

    upgrade(revision="0050_language_not_known")

    assert languages() == {1: "English", 2: "español", 3: "Tagalog", 4: None, 5: None}
    patients = _patients()
    with db.engine.begin() as conn:  # a FHIR Patient sent without a language, after the upgrade
        conn.execute(update(patients).where(patients.c.id == 1).values(language=None))

    downgrade(revision="0049_side_results")

    assert languages() == {1: "", 2: "español", 3: "Tagalog", 4: "", 5: ""}
    columns = {column["name"]: column for column in inspect(db.engine).get_columns("patients")}
    assert not columns["language"]["nullable"]

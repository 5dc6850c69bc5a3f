"""0041_outside_injections adds the table of injections given elsewhere, empty, leaving the records
there untouched; a row of it keeps what was recorded (the relief optional, within its ranges); the
downgrade drops the table and keeps the rest.

Runs against the database of this test run: SQLite by default, PostgreSQL in CI's second pass.
"""
from datetime import date

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import MetaData, func, insert, inspect, select
from sqlalchemy.exc import IntegrityError

from tracker.extensions import db

from tests.migrations.rows import T, patient_with_cases

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def test_the_table_comes_empty_keeps_an_entry_with_its_checks_and_goes_with_the_downgrade(migration_app):
    upgrade(revision="0040_step_first_recorded")
    tables = MetaData()
    tables.reflect(db.engine)
    with db.engine.begin() as conn:
        patient_with_cases(conn, tables, ("left", "right"))

    upgrade(revision="0041_outside_injections")

    tables = MetaData()
    tables.reflect(db.engine)
    outside, cases = tables.tables["outside_injections"], tables.tables["cases"]
    with db.engine.begin() as conn:
        assert conn.execute(select(func.count()).select_from(outside)).scalar() == 0
        conn.execute(insert(outside), [
            {"id": 1, "patient_id": 1, "performed_on": date(2026, 10, 1), "side": "bilateral",
             "indication": "therapeutic", "place": "Riverside Pain Clinic", "relief_percent": 70, "relief_days": 60,
             "source": "letter from Dr X", "created_at": T, "created_by_id": 1, "version_id": 1},
            {"id": 2, "patient_id": 1, "performed_on": date(2026, 8, 1), "side": "left", "indication": "confirmatory",
             "place": "Hillside", "relief_percent": None, "relief_days": None, "source": "patient report",
             "created_at": T, "created_by_id": None, "version_id": 1}])
    with db.engine.connect() as conn:
        kept = conn.execute(select(outside.c.id, outside.c.side, outside.c.indication, outside.c.relief_percent,
                                   outside.c.relief_days).order_by(outside.c.id)).all()
        assert [tuple(row) for row in kept] == [(1, "bilateral", "therapeutic", 70, 60),
                                                (2, "left", "confirmatory", None, None)]
        assert conn.execute(select(func.count()).select_from(cases)).scalar() == 2
    for wrong in ({"relief_percent": 101}, {"relief_days": -1}, {"side": "both"}):
        with pytest.raises(IntegrityError), db.engine.begin() as conn:
            conn.execute(insert(outside), [{"id": 3, "patient_id": 1, "performed_on": date(2026, 9, 1), "side": "left",
                                            "indication": "diagnostic", "place": "X", "source": "patient report",
                                            "created_at": T, "version_id": 1, **wrong}])

    downgrade(revision="0040_step_first_recorded")
    names = inspect(db.engine).get_table_names()
    assert "outside_injections" not in names and "patients" in names
    with db.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(tables.tables["cases"])).scalar() == 2

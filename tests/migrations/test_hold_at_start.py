"""0045_hold_at_start adds to each procedure record the day of the last dose the physician entered at
the start, or her decision to proceed without one, for a hold that did not fit: records started before
have neither (the start never asked) and keep the rest; the downgrade drops both and keeps the rest.

Runs against the database of this test run: SQLite by default, PostgreSQL in CI's second pass.
"""
from datetime import timedelta

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import MetaData, insert, inspect, select

from tracker.extensions import db

from tests.migrations.rows import T, patient_with_cases

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def test_records_started_before_have_no_last_dose_nor_acknowledgement_and_keep_the_rest(migration_app):
    upgrade(revision="0044_acknowledged_in_progress")
    tables = MetaData()
    tables.reflect(db.engine)
    records = tables.tables["procedure_records"]
    with db.engine.begin() as conn:
        patient_with_cases(conn, tables, ("left",) * 2)
        conn.execute(insert(records), [
            {"id": 1, "case_id": 1, "side": "left", "status": "in_progress", "started_at": T, "started_by_id": 1,
             "last_change_at": T, "version_id": 1, "pregnancy_acknowledged": None, "infection_acknowledged": False,
             "acknowledged_case_ids": None},
            {"id": 2, "case_id": 2, "side": "left", "status": "in_progress", "started_at": T + timedelta(minutes=1),
             "started_by_id": 1, "last_change_at": T, "version_id": 1, "pregnancy_acknowledged": "possible",
             "infection_acknowledged": True, "acknowledged_case_ids": [1]}])

    upgrade(revision="0045_hold_at_start")

    tables = MetaData()
    tables.reflect(db.engine)
    records = tables.tables["procedure_records"]
    with db.engine.connect() as conn:
        kept = conn.execute(select(records.c.id, records.c.anticoagulant_last_dose_on, records.c.hold_acknowledged,
                                   records.c.pregnancy_acknowledged, records.c.infection_acknowledged,
                                   records.c.acknowledged_case_ids).order_by(records.c.id)).all()
    assert [tuple(row) for row in kept] == [(1, None, False, None, False, None),
                                            (2, None, False, "possible", True, [1])]

    downgrade(revision="0044_acknowledged_in_progress")
    columns = {c["name"] for c in inspect(db.engine).get_columns("procedure_records")}
    assert not {"anticoagulant_last_dose_on", "hold_acknowledged"} & columns and "infection_acknowledged" in columns

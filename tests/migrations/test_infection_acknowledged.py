"""0039_infection_acknowledged adds to each procedure record whether its physician acknowledged an
active infection or fever on the risk screen to start it: records started before read false (the
start never asked), what 0037 kept stays; the downgrade drops the column and keeps the rest.

Runs against the database of this test run: SQLite by default, PostgreSQL in CI's second pass.
"""
from datetime import timedelta

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import MetaData, insert, inspect, select

from tracker.extensions import db

from tests.migrations.rows import T, patient_with_cases

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def test_records_started_before_read_no_infection_acknowledged_and_keep_the_rest(migration_app):
    upgrade(revision="0038_blank_contact_null")
    tables = MetaData()
    tables.reflect(db.engine)
    records = tables.tables["procedure_records"]
    with db.engine.begin() as conn:
        patient_with_cases(conn, tables, ("left",) * 2)
        conn.execute(insert(records), [
            {"id": 1, "case_id": 1, "side": "left", "status": "in_progress", "started_at": T, "started_by_id": 1,
             "last_change_at": T, "version_id": 1, "pregnancy_acknowledged": None, "acknowledged_case_ids": None},
            {"id": 2, "case_id": 2, "side": "left", "status": "in_progress", "started_at": T + timedelta(minutes=1),
             "started_by_id": 1, "last_change_at": T, "version_id": 1, "pregnancy_acknowledged": "possible",
             "acknowledged_case_ids": [1]}])

    upgrade(revision="0039_infection_acknowledged")

    tables = MetaData()
    tables.reflect(db.engine)
    records = tables.tables["procedure_records"]
    with db.engine.connect() as conn:
        kept = conn.execute(select(records.c.id, records.c.infection_acknowledged, records.c.pregnancy_acknowledged,
                                   records.c.acknowledged_case_ids).order_by(records.c.id)).all()
    assert [tuple(row) for row in kept] == [(1, False, None, None), (2, False, "possible", [1])]

    downgrade(revision="0038_blank_contact_null")
    columns = {c["name"] for c in inspect(db.engine).get_columns("procedure_records")}
    assert "infection_acknowledged" not in columns and "pregnancy_acknowledged" in columns

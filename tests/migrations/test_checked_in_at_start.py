"""0067_checked_in_at_start adds to each procedure record whether its start checked the patient in
(the physician ticked that the patient was here, never checked in at the desk). Records started
before keep it from their start's audit row, which said so; the others read false. The downgrade
drops the column; the audit row still says it.

Runs against the database of this test run: SQLite by default, PostgreSQL in CI's second pass.
"""
from datetime import timedelta

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import MetaData, insert, inspect, select

from tracker.extensions import db

from tests.migrations.rows import T, patient_with_cases

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def test_records_started_before_read_the_check_in_from_their_starts_audit_row(migration_app):
    upgrade(revision="0066_given_name_parts")
    tables = MetaData()
    tables.reflect(db.engine)
    records, audit = tables.tables["procedure_records"], tables.tables["audit_events"]
    with db.engine.begin() as conn:
        patient_with_cases(conn, tables, ("left",) * 3)
        conn.execute(insert(records), [
            {"id": n, "case_id": n, "side": "left", "status": "in_progress", "started_at": T + timedelta(minutes=n),
             "started_by_id": 1, "last_change_at": T, "version_id": 1} for n in (1, 2, 3)])
        conn.execute(insert(audit), [
            {"at": T, "actor": "dr@clinic", "action": "create", "object_type": "procedure_record", "object_id": "1",
             "summary": "case 1: procedure started; the patient was not checked in: checked in with the start "
                        "(acknowledged)"},
            {"at": T, "actor": "dr@clinic", "action": "create", "object_type": "procedure_record", "object_id": "2",
             "summary": "case 2: procedure started"},
            # Another object's row saying the same words never marks record 3.
            {"at": T, "actor": "dr@clinic", "action": "create", "object_type": "appointment", "object_id": "3",
             "summary": "the patient was not checked in: checked in with the start (acknowledged)"}])

    upgrade(revision="0067_checked_in_at_start")

    tables = MetaData()
    tables.reflect(db.engine)
    records = tables.tables["procedure_records"]
    with db.engine.connect() as conn:
        kept = conn.execute(select(records.c.id, records.c.checked_in_at_start).order_by(records.c.id)).all()
    assert [tuple(row) for row in kept] == [(1, True), (2, False), (3, False)]

    downgrade(revision="0066_given_name_parts")
    columns = {c["name"] for c in inspect(db.engine).get_columns("procedure_records")}
    assert "checked_in_at_start" not in columns

"""0022_durations_to_the_minute stores each signed procedure's duration in whole minutes, never
rounded up (13 min 08 s was stored as 14 and now reads 13), and the downgrade puts the rounded-up
figure back. Records not signed keep no duration.

Runs against the database of this test run: SQLite by default, PostgreSQL in CI's second pass.
"""
from datetime import timedelta

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import MetaData, insert, select

from tracker.extensions import db

from tests.migrations.rows import T, patient_with_cases

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def durations():
    tables = MetaData()
    tables.reflect(db.engine)
    records = tables.tables["procedure_records"]
    with db.engine.connect() as conn:
        return dict(conn.execute(select(records.c.id, records.c.duration_minutes)).all())


def test_stored_durations_are_whole_minutes_after_the_upgrade_and_rounded_up_again_after_the_downgrade(
        migration_app):
    upgrade(revision="0021_patient_records")
    tables = MetaData()
    tables.reflect(db.engine)
    records = tables.tables["procedure_records"]
    signed = {"status": "signed", "signed_by_id": 1}
    with db.engine.begin() as conn:
        patient_with_cases(conn, tables, ("left", "right", "left", "right"))
        conn.execute(insert(records), [
            {"id": case_id, "case_id": case_id, "side": side, "started_at": T, "started_by_id": 1,
             "last_change_at": T, "version_id": 1, **fields}
            for case_id, side, fields in (
                (1, "left", {**signed, "ended_at": T + timedelta(minutes=13, seconds=8),
                             "signed_at": T + timedelta(minutes=13, seconds=8), "duration_minutes": 14}),
                (2, "right", {**signed, "ended_at": T + timedelta(minutes=30, seconds=1),
                              "signed_at": T + timedelta(minutes=30, seconds=1), "duration_minutes": 31}),
                (3, "left", {**signed, "ended_at": T + timedelta(minutes=4, seconds=59),
                             "signed_at": T + timedelta(minutes=4, seconds=59), "duration_minutes": 5}),
                (4, "right", {"status": "in_progress", "ended_at": None, "signed_at": None, "signed_by_id": None,
                              "duration_minutes": None}))])

    upgrade(revision="0022_durations_to_the_minute")
    assert durations() == {1: 13, 2: 30, 3: 4, 4: None}

    downgrade(revision="0021_patient_records")
    assert durations() == {1: 14, 2: 31, 3: 5, 4: None}

"""0042_anticoagulant_last_dose adds to each appointment the day of the blood thinner's last dose,
confirmed at readiness when the hold did not fit: appointments from before have none (the table asks
to confirm it), their readiness stays as it was; the downgrade drops the column and keeps the rest.

Runs against the database of this test run: SQLite by default, PostgreSQL in CI's second pass.
"""
from datetime import timedelta

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import MetaData, insert, inspect, select

from tracker.extensions import db

from tests.migrations.rows import T, patient_with_cases

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def test_appointments_from_before_have_no_last_dose_and_keep_their_readiness(migration_app):
    upgrade(revision="0041_outside_injections")
    tables = MetaData()
    tables.reflect(db.engine)
    with db.engine.begin() as conn:
        patient_with_cases(conn, tables, ("left", "right"))
        conn.execute(insert(tables.tables["rooms"]), [{"id": 1, "name": "Fluoro Suite 1", "modality": "fluoroscopy", "location": "", "active": True, "version_id": 1}])
        conn.execute(insert(tables.tables["appointments"]), [
            {"id": case_id, "case_id": case_id, "physician_id": 1, "room_id": 1, "starts_at": T + timedelta(days=case_id),
             "ends_at": T + timedelta(days=case_id, minutes=30), "status": "booked", "acknowledged_warnings": "",
             "consent_obtained": True, "anticoagulant_plan_confirmed": confirmed, "driver_arranged": False,
             "contrast_premedication_sent": False, "day_of_check_done": False, "created_at": T, "created_by_id": 1,
             "version_id": 1}
            for case_id, confirmed in ((1, True), (2, False))])

    upgrade(revision="0042_anticoagulant_last_dose")

    tables = MetaData()
    tables.reflect(db.engine)
    appointments = tables.tables["appointments"]
    with db.engine.connect() as conn:
        kept = conn.execute(select(appointments.c.id, appointments.c.anticoagulant_plan_confirmed,
                                   appointments.c.anticoagulant_last_dose_on).order_by(appointments.c.id)).all()
    assert [tuple(row) for row in kept] == [(1, True, None), (2, False, None)]

    downgrade(revision="0041_outside_injections")
    columns = {c["name"] for c in inspect(db.engine).get_columns("appointments")}
    assert "anticoagulant_last_dose_on" not in columns and "anticoagulant_plan_confirmed" in columns

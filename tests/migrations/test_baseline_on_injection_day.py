"""0058_baseline_on_injection_day opens a booked case's baseline not given yet at the clinic's
midnight starting its appointment's day (it opened at the booking); a baseline already given, one
closed by the injection, and one of a case no longer booked stay as they were.

Runs against the database of this test run: SQLite by default, PostgreSQL in CI's second pass.
"""
from datetime import datetime, timedelta

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import MetaData, insert, select, update

from tracker.extensions import db

from tests.migrations.rows import T, patient_with_cases

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

BOOKED_AT = T - timedelta(days=8)
STARTS_AT = datetime(2026, 11, 10, 14, 0)  # naive UTC: 09:00 in New York (the tests' clinic zone)
MORNING = datetime(2026, 11, 10, 5, 0)  # 00:00 in New York that day, in UTC


def test_a_booked_baseline_not_given_opens_on_the_appointments_day(migration_app):
    upgrade(revision="0057_closures")
    tables = MetaData()
    tables.reflect(db.engine)
    cases, points, entries = (tables.tables[name] for name in ("cases", "diary_points", "diary_entries"))
    with db.engine.begin() as conn:
        patient_with_cases(conn, tables, ("left",) * 4)
        # 1 booked, nothing given; 2 booked, baseline given; 3 injected (window closed); 4 cancelled.
        for case_id, state in ((1, "scheduled"), (2, "scheduled"), (3, "follow_up"), (4, "eligible")):
            conn.execute(update(cases).where(cases.c.id == case_id).values(state=state))
        conn.execute(insert(tables.tables["rooms"]), [{"id": 1, "name": "Fluoro Suite 1", "modality": "fluoroscopy",
                                                       "location": "", "active": True, "version_id": 1}])
        conn.execute(insert(tables.tables["appointments"]), [
            {"id": case_id, "case_id": case_id, "physician_id": 1, "room_id": 1, "starts_at": STARTS_AT,
             "ends_at": STARTS_AT + timedelta(minutes=30), "status": status, "acknowledged_warnings": "",
             "consent_obtained": True, "anticoagulant_plan_confirmed": False, "driver_arranged": False,
             "contrast_premedication_sent": False, "day_of_check_done": False, "created_at": BOOKED_AT,
             "created_by_id": 1, "version_id": 1, "cancelled_reason": "Ill" if status == "cancelled" else None}
            for case_id, status in ((1, "booked"), (2, "booked"), (3, "done"), (4, "cancelled"))])
        conn.execute(insert(points), [
            {"id": case_id, "case_id": case_id, "point_code": "t0", "opens_at": BOOKED_AT,
             "closes_at": STARTS_AT if case_id == 3 else None, "due_at": STARTS_AT if case_id == 3 else None,
             "completed_at": BOOKED_AT + timedelta(hours=1) if case_id == 2 else None}
            for case_id in (1, 2, 3, 4)])
        conn.execute(insert(entries), [{"id": 1, "point_id": 2, "case_id": 2, "side": "left", "score": 6,
                                        "entered_at": BOOKED_AT + timedelta(hours=1),
                                        "felt_at": BOOKED_AT + timedelta(hours=1), "source": "link",
                                        "late": False, "version_id": 1}])

    upgrade(revision="0058_baseline_on_injection_day")

    tables = MetaData()
    tables.reflect(db.engine)
    points = tables.tables["diary_points"]
    with db.engine.connect() as conn:
        opens = dict(conn.execute(select(points.c.case_id, points.c.opens_at)).all())
    assert opens == {1: MORNING, 2: BOOKED_AT, 3: BOOKED_AT, 4: BOOKED_AT}

    downgrade(revision="0057_closures")

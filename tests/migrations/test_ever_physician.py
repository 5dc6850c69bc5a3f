"""0047_ever_physician keeps on each account whether it has ever been a physician's, so the worklist's,
the reports' and the API's physician filter can offer one given another role without reading the
cases: the upgrade marks every physician's account, and every account a case or an appointment names
as its physician (given another role before this was kept); no other. The downgrade drops the column.

Runs against the database of this test run: SQLite by default, PostgreSQL in CI's second pass.
"""
from datetime import timedelta

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import MetaData, insert, inspect, select, text, update

from tracker.extensions import db

from tests.migrations.rows import T, patient_with_cases

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _account(id_, role, active=True):
    return {"id": id_, "email": f"u{id_}@clinic.example", "name": f"User {id_}", "role": role,
            "password_hash": "x", "active": active, "session_token": f"t{id_}", "created_at": T,
            "password_changed_at": T, "version_id": 1}


def test_physicians_and_the_accounts_cases_or_appointments_name_as_physician_are_marked(migration_app):
    upgrade(revision="0046_referral_as_received")
    tables = MetaData()
    tables.reflect(db.engine)
    users, cases = tables.tables["users"], tables.tables["cases"]
    with db.engine.begin() as conn:
        patient_with_cases(conn, tables, ("left", "right"))  # user 1: a coordinator, never a physician
        conn.execute(insert(users), [
            _account(2, "physician"),
            _account(3, "physician", active=False),
            _account(4, "coordinator"),   # a physician once: still owns case 1
            _account(5, "admin"),         # a physician once: still has an appointment
            _account(6, "coordinator")])  # never a physician
        conn.execute(update(cases).where(cases.c.id == 1).values(physician_id=4))
        conn.execute(insert(tables.tables["rooms"]), [{"id": 1, "name": "Fluoro Suite 1", "modality": "fluoroscopy",
                                                       "location": "", "active": True, "version_id": 1}])
        conn.execute(insert(tables.tables["appointments"]), [
            {"id": 1, "case_id": 2, "physician_id": 5, "room_id": 1, "starts_at": T + timedelta(days=1),
             "ends_at": T + timedelta(days=1, minutes=30), "status": "booked", "acknowledged_warnings": "",
             "consent_obtained": True, "anticoagulant_plan_confirmed": False, "driver_arranged": False,
             "contrast_premedication_sent": False, "day_of_check_done": False, "created_at": T,
             "created_by_id": 1, "version_id": 1}])

    upgrade(revision="0047_ever_physician")

    tables = MetaData()
    tables.reflect(db.engine)
    users = tables.tables["users"]
    with db.engine.connect() as conn:
        marked = dict(conn.execute(select(users.c.id, users.c.ever_physician)).all())
    assert {id_: bool(flag) for id_, flag in marked.items()} == {1: False, 2: True, 3: True, 4: True, 5: True,
                                                                  6: False}
    # A physician's account can no longer be written without the mark.
    with pytest.raises(Exception, match="(?i)check"):
        with db.engine.begin() as conn:
            conn.execute(insert(users), [{**_account(7, "physician"), "ever_physician": False}])

    downgrade(revision="0046_referral_as_received")
    assert "ever_physician" not in {c["name"] for c in inspect(db.engine).get_columns("users")}
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM users")).scalar() == 6

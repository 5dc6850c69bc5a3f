"""0057_closures adds the closures table (days the clinic is closed, or a physician on leave): a
closure's last day is never before its first, its reason is never empty, and the downgrade drops the
table with the closures in it.

Runs against the database of this test run: SQLite by default, PostgreSQL in CI's second pass.
"""
from datetime import date

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import MetaData, inspect, insert, select
from sqlalchemy.exc import IntegrityError

from tracker.extensions import db

from tests.migrations.rows import T

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

BEFORE, REVISION = "0056_local_anaesthetic_maximums", "0057_closures"


def _tables():
    tables = MetaData()
    tables.reflect(db.engine)
    return tables.tables


def _closure(id_, first, last, reason="Christmas Day", physician_id=None):
    return {"id": id_, "first_day": first, "last_day": last, "reason": reason, "physician_id": physician_id,
            "created_at": T, "created_by_id": 1}


def test_closures_are_kept_checked_and_dropped_by_the_downgrade(migration_app):
    upgrade(revision=BEFORE)
    assert "closures" not in inspect(db.engine).get_table_names()
    with db.engine.begin() as conn:
        conn.execute(insert(_tables()["users"]), [
            {"id": id_, "email": f"u{id_}@clinic.example", "name": name, "role": role, "password_hash": "x",
             "active": True, "session_token": f"t{id_}", "created_at": T, "password_changed_at": T,
             "version_id": 1, "ever_physician": role == "physician"}
            for id_, name, role in ((1, "Ada Admin", "admin"), (2, "Dr Priya Raman", "physician"))])

    upgrade(revision=REVISION)
    closures = _tables()["closures"]
    with db.engine.begin() as conn:
        conn.execute(insert(closures), [_closure(1, date(2026, 12, 25), date(2026, 12, 25)),
                                        _closure(2, date(2026, 12, 28), date(2027, 1, 1), "Leave", 2)])
    for refused in (_closure(3, date(2026, 12, 25), date(2026, 12, 24)), _closure(4, date(2026, 12, 25),
                                                                                 date(2026, 12, 25), "")):
        with pytest.raises(IntegrityError):
            with db.engine.begin() as conn:
                conn.execute(insert(closures), [refused])
    with db.engine.connect() as conn:
        assert conn.execute(select(closures.c.id, closures.c.physician_id).order_by(closures.c.id)).all() == \
            [(1, None), (2, 2)]

    downgrade(revision=BEFORE)
    assert "closures" not in inspect(db.engine).get_table_names()
    upgrade(revision=REVISION)
    assert "closures" in inspect(db.engine).get_table_names()

"""0044_acknowledged_in_progress: a procedure record names, among what its physician acknowledged
to start it, only her other procedures that were in progress at that start. The demo seed, which
starts its procedures at the times they happened, named the case in procedure today on every
earlier start of the same physician ("Another procedure in progress (case 14)" on a note of 20
November, for a procedure started on 5 December); 0037 copied such statements from the audit
trail. The upgrade drops each named case none of whose procedures that physician had started by
then and not yet signed or abandoned (a list left empty is no value at all); the downgrade leaves
the lists as they are.

Runs against the database of this test run: SQLite by default, PostgreSQL in CI's second pass.
"""
from datetime import timedelta

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import MetaData, insert, select

from tracker.extensions import db

from tests.migrations.rows import T, patient_with_cases

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def m(minutes):
    return T + timedelta(minutes=minutes)


def acknowledged():
    tables = MetaData()
    tables.reflect(db.engine)
    records = tables.tables["procedure_records"]
    with db.engine.connect() as conn:
        return dict(conn.execute(select(records.c.id, records.c.acknowledged_case_ids)).all())


def record(id_, case_id, by, started, acknowledged=None, signed=None, abandoned=None):
    status = "signed" if signed else "abandoned" if abandoned else "in_progress"
    return {"id": id_, "case_id": case_id, "side": "left", "status": status, "started_at": started,
            "started_by_id": by, "last_change_at": started, "version_id": 1, "acknowledged_case_ids": acknowledged,
            "signed_at": signed, "signed_by_id": by if signed else None, "ended_at": signed,
            "duration_minutes": int((signed - started).total_seconds() // 60) if signed else None,
            "abandoned_at": abandoned, "abandoned_by_id": by if abandoned else None,
            "abandon_reason": "Vasovagal" if abandoned else None}


def test_only_procedures_in_progress_at_the_start_stay_acknowledged(migration_app):
    upgrade(revision="0043_duration_to_sign_out")
    tables = MetaData()
    tables.reflect(db.engine)
    users, records = tables.tables["users"], tables.tables["procedure_records"]
    with db.engine.begin() as conn:
        patient_with_cases(conn, tables, ("left",) * 9)
        conn.execute(insert(users), [{"id": 2, "email": "p2@clinic.example", "name": "Dr 2", "role": "physician",
                                      "password_hash": "x", "active": True, "session_token": "t2", "created_at": T,
                                      "password_changed_at": T, "version_id": 1}])
        conn.execute(insert(records), [
            record(1, 1, 1, m(0), signed=m(24)),
            record(2, 2, 1, m(10), [1], signed=m(40)),     # case 1 was in progress at 10: kept
            record(3, 3, 1, m(60), [1], signed=m(85)),     # case 1 was signed at 24: dropped
            record(4, 4, 1, m(70), [5], signed=m(95)),     # case 5 started later, at 100: dropped
            record(5, 5, 1, m(100)),                        # in progress today
            record(6, 6, 1, m(120), [1, 5]),                # only case 5 was in progress
            record(7, 7, 2, m(110), [5]),                   # case 5 is another physician's: dropped
            record(8, 8, 1, m(130), abandoned=m(135)),
            record(9, 9, 1, m(140), [8], signed=m(165)),    # case 8 was abandoned at 135: dropped
            # A case started again after an abandoned attempt: its second attempt was in progress.
            record(10, 8, 1, m(150), signed=m(175)),
            record(11, 1, 1, m(160), [8]),                  # case 8's second attempt (150): kept
        ])

    upgrade(revision="0044_acknowledged_in_progress")
    expected = {1: None, 2: [1], 3: None, 4: None, 5: None, 6: [5], 7: None, 8: None, 9: None, 10: None,
                11: [8]}
    assert acknowledged() == expected
    tables = MetaData()
    tables.reflect(db.engine)
    records = tables.tables["procedure_records"]
    with db.engine.connect() as conn:
        # An emptied list is no value at all, not a JSON null (the rows inserted above with None
        # are JSON nulls: the reflected column does not know better).
        assert conn.execute(select(records.c.id).where(records.c.acknowledged_case_ids.is_(None))
                            .order_by(records.c.id)).scalars().all() == [3, 4, 7, 9]

    downgrade(revision="0043_duration_to_sign_out")
    assert acknowledged() == expected

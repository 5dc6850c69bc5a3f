"""0040_step_first_recorded keeps with each procedure step when it was first recorded and by whom,
read from the audit trail (until then a correction moved the step's only stamp): the step's first
"saved" row when the trail shows it saved again since; else its last save, as before. The downgrade
drops the columns.

Runs against the database of this test run: SQLite by default, PostgreSQL in CI's second pass.
"""
from datetime import timedelta

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import MetaData, insert, inspect, select

from tracker.extensions import db

from tests.migrations.rows import T, patient_with_cases

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def m(minutes, ms=0):
    return T + timedelta(minutes=minutes, milliseconds=ms)


# (step id, record, step, side, attempt, last save, by)
STEPS = [
    (1, 1, "fluoroscopy", "left", 1, m(3), 3),   # saved by 2 at 1, corrected by 3 at 3
    (2, 1, "contrast", "left", 1, m(2), 2),      # saved once (its audit row a moment after the row)
    (3, 1, "contrast", "left", 2, m(5), 2),      # the repeat check, corrected
    (4, 2, "fluoroscopy", "right", 1, m(6), 2),  # bilateral: the audit rows name the side
    (5, 2, "fluoroscopy", "left", 1, m(7), 3),   # no audit row: its last save stands
    (6, 1, "sign_in", "left", 1, m(8), 2),       # the trail lacks its first save: its last save stands
]
SAVED = [  # (record, at, by, action, summary)
    (1, m(1, 20), 2, "create", "case 1: fluoroscopy saved"),
    (1, m(2, 20), 2, "create", "case 1: contrast saved"),
    (1, m(3, 20), 3, "update", "case 1: fluoroscopy saved with warnings"),
    (1, m(4, 20), 2, "create", "case 1: contrast, check 2 saved"),
    (1, m(5, 20), 2, "update", "case 1: contrast, check 2 saved, a strength or dose outside the formulary confirmed"),
    (2, m(5, 20), 3, "create", "case 2: fluoroscopy (right) saved"),
    (2, m(6, 20), 2, "update", "case 2: fluoroscopy (right) saved"),
    (1, m(8, 20), 2, "update", "case 1: sign_in saved"),
    (1, m(9), 2, "update", "case 1: signed, 9 min"),
]


def test_each_step_keeps_its_first_save_from_the_audit_trail(migration_app):
    upgrade(revision="0039_infection_acknowledged")
    tables = MetaData()
    tables.reflect(db.engine)
    users, records, steps, events = (tables.tables[name] for name in
                                     ("users", "procedure_records", "procedure_steps", "audit_events"))
    with db.engine.begin() as conn:
        patient_with_cases(conn, tables, ("left", "bilateral"))
        conn.execute(insert(users), [{"id": n, "email": f"p{n}@clinic.example", "name": f"Dr {n}",
                                      "role": "physician", "password_hash": "x", "active": True,
                                      "session_token": f"t{n}", "created_at": T, "password_changed_at": T,
                                      "version_id": 1} for n in (2, 3)])
        conn.execute(insert(records), [
            {"id": n, "case_id": n, "side": side, "status": "in_progress", "started_at": T, "started_by_id": 2,
             "last_change_at": T, "version_id": 1} for n, side in ((1, "left"), (2, "bilateral"))])
        conn.execute(insert(steps), [
            {"id": id_, "record_id": record, "step": step, "side": side, "attempt": attempt, "answers": {},
             "warnings": "", "recorded_at": at, "recorded_by_id": by, "version_id": 2}
            for id_, record, step, side, attempt, at, by in STEPS])
        conn.execute(insert(events), [
            {"at": at, "user_id": by, "actor": f"p{by}@clinic.example", "role": "physician", "action": action,
             "object_type": "procedure_record", "object_id": str(record), "summary": summary}
            for record, at, by, action, summary in SAVED])

    upgrade(revision="0040_step_first_recorded")

    tables = MetaData()
    tables.reflect(db.engine)
    steps = tables.tables["procedure_steps"]
    with db.engine.connect() as conn:
        kept = conn.execute(select(steps.c.id, steps.c.first_recorded_at, steps.c.first_recorded_by_id,
                                   steps.c.recorded_at, steps.c.recorded_by_id).order_by(steps.c.id)).all()
    assert [tuple(row) for row in kept] == [
        (1, m(1, 20), 2, m(3), 3),
        (2, m(2), 2, m(2), 2),
        (3, m(4, 20), 2, m(5), 2),
        (4, m(5, 20), 3, m(6), 2),
        (5, m(7), 3, m(7), 3),
        (6, m(8), 2, m(8), 2),
    ]

    downgrade(revision="0039_infection_acknowledged")
    columns = {c["name"] for c in inspect(db.engine).get_columns("procedure_steps")}
    assert not columns & {"first_recorded_at", "first_recorded_by_id"}

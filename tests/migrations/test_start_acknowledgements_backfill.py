"""0037_start_acknowledgements keeps with each procedure record what its physician acknowledged to
start it, read from the audit row of the start (until then the only place it was kept): the risk
screen's "possibly pregnant" or "pregnant", and the cases of her other procedures in progress. A
start that acknowledged nothing keeps nothing; the downgrade drops the columns, the audit trail
still says it.

Runs against the database of this test run: SQLite by default, PostgreSQL in CI's second pass.
"""
from datetime import timedelta

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import MetaData, insert, inspect, select

from tracker.extensions import db

from tests.migrations.rows import T, patient_with_cases

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

STARTED = {
    1: "case 1: procedure started",
    2: "case 2: procedure started; possibly pregnant on the risk screen (acknowledged)",
    3: "case 3: procedure started while case 1 was in procedure (acknowledged)",
    4: "case 4: procedure started while case 1, case 3 were in procedure (acknowledged); "
       "pregnant on the risk screen (acknowledged)",
}


def test_each_record_keeps_what_the_audit_trail_says_its_physician_acknowledged_to_start_it(migration_app):
    upgrade(revision="0036_relief_onset_week")
    tables = MetaData()
    tables.reflect(db.engine)
    records, events = tables.tables["procedure_records"], tables.tables["audit_events"]
    with db.engine.begin() as conn:
        patient_with_cases(conn, tables, ("left",) * 4)
        conn.execute(insert(records), [
            {"id": case_id, "case_id": case_id, "side": "left", "status": "in_progress",
             "started_at": T + timedelta(minutes=case_id), "started_by_id": 1,
             "last_change_at": T + timedelta(minutes=case_id), "version_id": 1} for case_id in STARTED])
        conn.execute(insert(events), [
            {"at": T + timedelta(minutes=case_id), "user_id": 1, "actor": "c@clinic.example", "role": "physician",
             "action": "create", "object_type": "procedure_record", "object_id": str(case_id), "summary": summary}
            for case_id, summary in STARTED.items()]
            # A later row about the same record names other cases: only the start's row is read.
            + [{"at": T + timedelta(hours=1), "user_id": 1, "actor": "c@clinic.example", "role": "physician",
                "action": "update", "object_type": "procedure_record", "object_id": "1",
                "summary": "case 1: sign_in saved while case 2 was in procedure (acknowledged)"}])

    upgrade(revision="0037_start_acknowledgements")

    tables = MetaData()
    tables.reflect(db.engine)
    records = tables.tables["procedure_records"]
    with db.engine.connect() as conn:
        kept = conn.execute(select(records.c.id, records.c.pregnancy_acknowledged, records.c.acknowledged_case_ids)
                            .order_by(records.c.id)).all()
        assert [tuple(row) for row in kept] == [
            (1, None, None), (2, "possible", None), (3, None, [1]), (4, "yes", [1, 3])]
        # Nothing acknowledged is no value at all, not a JSON null.
        empty = conn.execute(select(records.c.id).where(records.c.acknowledged_case_ids.is_(None))
                             .order_by(records.c.id)).scalars().all()
    assert empty == [1, 2]

    downgrade(revision="0036_relief_onset_week")
    columns = {c["name"] for c in inspect(db.engine).get_columns("procedure_records")}
    assert not columns & {"pregnancy_acknowledged", "acknowledged_case_ids"}

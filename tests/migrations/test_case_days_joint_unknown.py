"""0070_case_days_joint_unknown clears a bilateral outcome's one duration (the shorter joint's)
where a joint's duration is not known: it had kept the other joint's. Outcomes with both joints known,
both not known, or one joint, stay as they were; the downgrade writes back the known joint's.

Runs against the database of this test run: SQLite by default, PostgreSQL in CI's second pass.
"""
import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import MetaData, insert

from tracker.extensions import db

from tests.migrations.rows import T, patient_with_cases, values_by_id

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _outcome(case_id, days, side_days):
    return {"id": case_id, "case_id": case_id, "diagnostic_result": None, "side_results": None,
            "therapeutic_days": days, "side_days": side_days, "diary_therapeutic_days": None,
            "therapeutic_days_reason": "", "per_side": {}, "next_step": "discharge", "notes": "",
            "decided_by_id": 1, "decided_at": T, "version_id": 1}


def test_the_upgrade_leaves_the_cases_duration_not_known_when_a_joints_is_not(migration_app):
    upgrade(revision="0069_relief_none_seen_day_0")
    tables = MetaData()
    tables.reflect(db.engine)
    with db.engine.begin() as conn:
        patient_with_cases(conn, tables, ("bilateral", "bilateral", "bilateral", "left"))
        conn.execute(insert(tables.tables["outcomes"]), [
            _outcome(1, 120, {"left": 120, "right": None}),  # the right not known: kept the left's
            _outcome(2, 7, {"left": 90, "right": 7}),
            _outcome(3, None, {"left": None, "right": None}),
            _outcome(4, 42, None)])
    before = {1: 120, 2: 7, 3: None, 4: 42}

    upgrade(revision="0070_case_days_joint_unknown")
    assert values_by_id(db.engine, "outcomes", "therapeutic_days") == {**before, 1: None}

    downgrade(revision="0069_relief_none_seen_day_0")
    assert values_by_id(db.engine, "outcomes", "therapeutic_days") == before

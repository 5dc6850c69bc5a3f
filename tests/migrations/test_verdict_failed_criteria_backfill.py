"""0029_verdict_failed_criteria gives every verdict the codes of its criteria not met, read from its
snapshot in the snapshot's order (none: an empty list), and the downgrade removes them again.

Runs against the database of this test run: SQLite by default, PostgreSQL in CI's second pass.
"""
import json

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import MetaData, insert, inspect, select

from tracker.extensions import db

from tests.migrations.rows import T, patient_with_cases

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _snapshot(**statuses):
    return {"criteria": [{"code": code, "status": status, "label": code} for code, status in statuses.items()]}


def test_the_upgrade_keeps_each_verdicts_criteria_not_met(migration_app):
    upgrade(revision="0028_risk_screen_answers")
    tables = MetaData()
    tables.reflect(db.engine)
    verdicts = tables.tables["eligibility_verdicts"]
    with db.engine.begin() as conn:
        patient_with_cases(conn, tables, ("left",))
        conn.execute(insert(verdicts), [
            {"id": verdict_id, "case_id": 1, "evaluated_at": T, "evaluated_by_id": 1, "profile_code": "MP_558",
             "profile_version": 1, "eligible": eligible, "snapshot": snapshot, "facts_fingerprint": "x"}
            for verdict_id, eligible, snapshot in (
                (1, False, _snapshot(provocation_tests="not_met", pain_duration="met",
                                     conservative_care_duration="not_met")),
                (2, False, _snapshot(provocation_tests="met", pain_duration="unknown")),
                (3, True, _snapshot(provocation_tests="met")))])

    upgrade(revision="0029_verdict_failed_criteria")

    tables = MetaData()
    tables.reflect(db.engine)
    verdicts = tables.tables["eligibility_verdicts"]
    with db.engine.connect() as conn:
        kept = {verdict_id: json.loads(codes) for verdict_id, codes in
                conn.execute(select(verdicts.c.id, verdicts.c.failed_criteria)).all()}
    assert kept == {1: ["provocation_tests", "conservative_care_duration"], 2: [], 3: []}

    downgrade(revision="0028_risk_screen_answers")
    assert "failed_criteria" not in {column["name"] for column in inspect(db.engine).get_columns("eligibility_verdicts")}

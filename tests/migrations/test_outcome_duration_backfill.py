"""0019_outcome_corrections keeps the diary's reading of the duration beside each recorded outcome,
read from the figures the outcome kept when it was recorded (the shorter side's; none when a side
had nothing to judge by), and the downgrade removes what it added.

Runs against the database of this test run: SQLite by default, PostgreSQL in CI's second pass.
"""
import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import MetaData, insert, inspect, select

from tracker.extensions import db

from tests.migrations.rows import T, patient_with_cases

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def test_the_upgrade_keeps_the_diarys_duration_beside_the_recorded_one(migration_app):
    upgrade(revision="0018_diary_felt_at")
    tables = MetaData()
    tables.reflect(db.engine)
    outcomes = tables.tables["outcomes"]
    with db.engine.begin() as conn:
        patient_with_cases(conn, tables, ("left", "bilateral", "right"))
        conn.execute(insert(outcomes), [
            {"id": case_id, "case_id": case_id, "diagnostic_result": "positive", "therapeutic_days": days,
             "per_side": per_side, "next_step": "discharge", "notes": "", "decided_by_id": 1, "decided_at": T}
            for case_id, days, per_side in (
                # Recorded 120 against a diary reading 42; the shorter side of a bilateral case; no reading.
                (1, 120, {"left": {"therapeutic_days": 42}}),
                (2, 90, {"left": {"therapeutic_days": 90}, "right": {"therapeutic_days": 14}}),
                (3, None, {"right": {"therapeutic_days": None}}))])

    upgrade(revision="0019_outcome_corrections")

    tables = MetaData()
    tables.reflect(db.engine)
    outcomes = tables.tables["outcomes"]
    with db.engine.connect() as conn:
        rows = conn.execute(select(outcomes.c.id, outcomes.c.therapeutic_days, outcomes.c.diary_therapeutic_days,
                                   outcomes.c.therapeutic_days_reason, outcomes.c.version_id)).all()
    assert sorted(tuple(row) for row in rows) == [(1, 120, 42, "", 1), (2, 90, 14, "", 1), (3, None, None, "", 1)]
    assert "outcome_revisions" in inspect(db.engine).get_table_names()

    downgrade(revision="0018_diary_felt_at")
    columns = {column["name"] for column in inspect(db.engine).get_columns("outcomes")}
    assert not columns & {"diary_therapeutic_days", "therapeutic_days_reason", "version_id"}
    assert "outcome_revisions" not in inspect(db.engine).get_table_names()

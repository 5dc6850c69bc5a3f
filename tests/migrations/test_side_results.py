"""0049_side_results records a bilateral block's diagnostic result per joint. The upgrade adds the
columns empty (an outcome recorded before keeps its one result, read for both joints); the
downgrade keeps per-joint results the old schema cannot hold (joints that differ, diagnostic_result
NULL) in the outcome's and the revision's notes, then drops the columns.

Runs against the database of this test run: SQLite by default, PostgreSQL in CI's second pass.
"""
import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import MetaData, inspect, insert, select

from tracker.extensions import db

from tests.migrations.rows import T, patient_with_cases

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _outcome(case_id, result, side_results, notes=""):
    return {"id": case_id, "case_id": case_id, "diagnostic_result": result, "side_results": side_results,
            "therapeutic_days": None, "therapeutic_days_reason": "", "per_side": {}, "next_step": "discharge",
            "notes": notes, "decided_by_id": 1, "decided_at": T, "version_id": 1}


def test_an_old_outcome_reads_as_before_and_the_downgrade_keeps_results_per_joint_in_the_notes(migration_app):
    upgrade(revision="0048_former_mrns")
    upgrade(revision="0049_side_results")
    tables = MetaData()
    tables.reflect(db.engine)
    outcomes, revisions = tables.tables["outcomes"], tables.tables["outcome_revisions"]
    with db.engine.begin() as conn:
        patient_with_cases(conn, tables, ("bilateral", "bilateral", "left"))
        conn.execute(insert(outcomes), [
            _outcome(1, None, {"left": "negative", "right": "positive"}, notes="Reviewed."),
            _outcome(2, "positive", {"left": "positive", "right": "positive"}),
            _outcome(3, "negative", None)])
        conn.execute(insert(revisions), [{"id": 1, "outcome_id": 1, "diagnostic_result": None,
                                          "side_results": {"left": "indeterminate", "right": "positive"},
                                          "therapeutic_days": None, "therapeutic_days_reason": "", "notes": "",
                                          "replaced_at": T, "replaced_by_id": 1, "reason": "misread"}])

    downgrade(revision="0048_former_mrns")

    assert "side_results" not in {c["name"] for c in inspect(db.engine).get_columns("outcomes")}
    assert "side_results" not in {c["name"] for c in inspect(db.engine).get_columns("outcome_revisions")}
    tables = MetaData()
    tables.reflect(db.engine)
    outcomes, revisions = tables.tables["outcomes"], tables.tables["outcome_revisions"]
    with db.engine.connect() as conn:
        kept = dict(conn.execute(select(outcomes.c.id, outcomes.c.notes)).all())
        revision_notes = conn.execute(select(revisions.c.notes)).scalar_one()
    assert kept == {1: "Reviewed.\nDiagnostic result per joint: left negative, right positive.", 2: "", 3: ""}
    assert revision_notes == "Diagnostic result per joint: left indeterminate, right positive."

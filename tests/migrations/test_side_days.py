"""0053_side_days records a bilateral case's therapeutic duration per joint. The upgrade writes each
earlier bilateral outcome's one duration per joint as it was read before (the diary's reading
accepted: each side's own; a departure with a reason: the recorded value for both; unknown: unknown
for both), a revision's too; a one-sided outcome keeps none. The downgrade keeps durations that
differ between the joints in the notes, then drops the columns.

Runs against the database of this test run: SQLite by default, PostgreSQL in CI's second pass.
"""
import json

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import MetaData, inspect, insert, select

from tracker.extensions import db

from tests.migrations.rows import T, patient_with_cases

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

# The diary read the left joint 90 days and the right 7 (the case's reading, the shorter side's, 7).
PER_SIDE = {"left": {"therapeutic_days": 90, "days_so_far": False},
            "right": {"therapeutic_days": 7, "days_so_far": False}}


def _outcome(case_id, days, diary_days, per_side, notes="", reason=""):
    return {"id": case_id, "case_id": case_id, "diagnostic_result": None, "side_results": None,
            "therapeutic_days": days, "diary_therapeutic_days": diary_days, "therapeutic_days_reason": reason,
            "per_side": per_side, "next_step": "discharge", "notes": notes, "decided_by_id": 1, "decided_at": T,
            "version_id": 1}


def _read(value):
    return json.loads(value) if isinstance(value, str) else value


def test_old_durations_are_kept_per_joint_as_read_and_the_downgrade_keeps_them_in_the_notes(migration_app):
    upgrade(revision="0052_revoke_unusable_tokens")
    tables = MetaData()
    tables.reflect(db.engine)
    outcomes, revisions = tables.tables["outcomes"], tables.tables["outcome_revisions"]
    with db.engine.begin() as conn:
        patient_with_cases(conn, tables, ("bilateral", "bilateral", "bilateral", "left"))
        conn.execute(insert(outcomes), [
            _outcome(1, 7, 7, PER_SIDE, notes="Reviewed."),  # the diary's reading accepted
            _outcome(2, 90, 7, PER_SIDE, reason="left joint relieved to 3 months"),  # one departure for both
            _outcome(3, None, 7, PER_SIDE),  # not known
            _outcome(4, 42, 42, {"left": {"therapeutic_days": 42}})])
        conn.execute(insert(revisions), [{"id": 1, "outcome_id": 1, "diagnostic_result": None, "side_results": None,
                                          "therapeutic_days": 30, "therapeutic_days_reason": "phone call",
                                          "notes": "", "replaced_at": T, "replaced_by_id": 1, "reason": "misread"}])

    upgrade(revision="0053_side_days")

    tables = MetaData()
    tables.reflect(db.engine)
    outcomes, revisions = tables.tables["outcomes"], tables.tables["outcome_revisions"]
    with db.engine.connect() as conn:
        rows = {i: (_read(side_days), days) for i, side_days, days in conn.execute(
            select(outcomes.c.id, outcomes.c.side_days, outcomes.c.therapeutic_days))}
        revision_days = _read(conn.execute(select(revisions.c.side_days)).scalar_one())
    assert rows == {1: ({"left": 90, "right": 7}, 7), 2: ({"left": 90, "right": 90}, 90),
                    3: ({"left": None, "right": None}, None), 4: (None, 42)}
    assert revision_days == {"left": 30, "right": 30}

    downgrade(revision="0052_revoke_unusable_tokens")

    assert "side_days" not in {c["name"] for c in inspect(db.engine).get_columns("outcomes")}
    assert "side_days" not in {c["name"] for c in inspect(db.engine).get_columns("outcome_revisions")}
    tables = MetaData()
    tables.reflect(db.engine)
    outcomes, revisions = tables.tables["outcomes"], tables.tables["outcome_revisions"]
    with db.engine.connect() as conn:
        kept = dict(conn.execute(select(outcomes.c.id, outcomes.c.notes)).all())
        days = dict(conn.execute(select(outcomes.c.id, outcomes.c.therapeutic_days)).all())
        revision_notes = conn.execute(select(revisions.c.notes)).scalar_one()
    assert kept == {1: "Reviewed.\nTherapeutic relief per joint: left 90 days, right 7 days.", 2: "", 3: "", 4: ""}
    assert days == {1: 7, 2: 90, 3: None, 4: 42}
    assert revision_notes == ""

"""0006_diary_pending marks the diary points already complete when it runs: every side the case
rates has an entry, at the time the last of them was first entered (before any correction).

Runs against the database of this test run: SQLite by default, PostgreSQL in CI's second pass.
"""
import pytest
from flask_migrate import upgrade
from sqlalchemy import MetaData, insert, select

from tracker.extensions import db

from tests.migrations.rows import T, at, patient_with_cases

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def test_the_upgrade_marks_points_with_an_entry_for_every_side_complete(migration_app):
    upgrade(revision="0005_diary")
    tables = MetaData()
    tables.reflect(db.engine)
    points, entries, revisions = (tables.tables[name] for name in (
        "diary_points", "diary_entries", "diary_entry_revisions"))
    with db.engine.begin() as conn:
        patient_with_cases(conn, tables, ("left", "bilateral"))
        # Case 1 (left): h1 entered, h2 entered and corrected later, h3 not entered.
        # Case 2 (bilateral): h1 both sides, h2 one side only.
        conn.execute(insert(points), [
            {"id": point_id, "case_id": case_id, "point_code": code, "opens_at": T}
            for point_id, case_id, code in ((1, 1, "h1"), (2, 1, "h2"), (3, 1, "h3"), (4, 2, "h1"), (5, 2, "h2"))])
        conn.execute(insert(entries), [
            {"id": entry_id, "point_id": point_id, "case_id": case_id, "side": side, "score": 4,
             "entered_at": entered_at, "source": "link", "late": False, "version_id": 1}
            for entry_id, point_id, case_id, side, entered_at in (
                (1, 1, 1, "left", at(10)), (2, 2, 1, "left", at(15)),
                (3, 4, 2, "left", at(10)), (4, 4, 2, "right", at(12)), (5, 5, 2, "left", at(10)))])
        # Entry 2 was first entered at 11:00 and corrected at 15:00.
        conn.execute(insert(revisions), [{"id": 1, "entry_id": 2, "score": 8, "entered_at": at(11),
                                          "source": "link", "replaced_at": at(15), "reason": "typo"}])

    upgrade(revision="0006_diary_pending")

    tables = MetaData()
    tables.reflect(db.engine)
    points = tables.tables["diary_points"]
    with db.engine.connect() as conn:
        completed = dict(conn.execute(select(points.c.id, points.c.completed_at)).all())
    assert completed == {1: at(10), 2: at(11), 3: None, 4: at(12), 5: None}

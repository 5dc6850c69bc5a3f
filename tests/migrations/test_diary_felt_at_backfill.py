"""0018_diary_felt_at gives every entry the moment its score describes: when it was first given
(the first revision's time for an entry corrected since), and the downgrade removes it again.

Runs against the database of this test run: SQLite by default, PostgreSQL in CI's second pass.
"""
import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import MetaData, insert, inspect, select

from tracker.extensions import db

from tests.migrations.rows import T, at, patient_with_cases

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def test_the_upgrade_stores_when_each_score_was_first_given(migration_app):
    upgrade(revision="0017_held_forms")
    tables = MetaData()
    tables.reflect(db.engine)
    points, entries, revisions = (tables.tables[name] for name in (
        "diary_points", "diary_entries", "diary_entry_revisions"))
    with db.engine.begin() as conn:
        patient_with_cases(conn, tables, ("left",))
        conn.execute(insert(points), [{"id": point_id, "case_id": 1, "point_code": code, "opens_at": T}
                                      for point_id, code in ((1, "h1"), (2, "h2"))])
        conn.execute(insert(entries), [
            {"id": entry_id, "point_id": point_id, "case_id": 1, "side": "left", "score": 4,
             "entered_at": entered_at, "source": "link", "late": False, "version_id": 1}
            for entry_id, point_id, entered_at in ((1, 1, at(10)), (2, 2, at(15)))])
        # Entry 2 was first given at 11:00 and corrected at 15:00: the score describes 11:00.
        conn.execute(insert(revisions), [{"id": 1, "entry_id": 2, "score": 8, "entered_at": at(11),
                                          "source": "link", "replaced_at": at(15), "reason": "typo"}])

    upgrade(revision="0018_diary_felt_at")

    tables = MetaData()
    tables.reflect(db.engine)
    entries = tables.tables["diary_entries"]
    with db.engine.connect() as conn:
        assert dict(conn.execute(select(entries.c.id, entries.c.felt_at)).all()) == {1: at(10), 2: at(11)}

    downgrade(revision="0017_held_forms")
    assert "felt_at" not in {column["name"] for column in inspect(db.engine).get_columns("diary_entries")}

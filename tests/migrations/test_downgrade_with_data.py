"""Every migration goes down one step at a time on a database holding the demo clinic's data
(users, cases through every stage, procedures, diaries, the audit trail), and up again: nothing
fails half way, no temporary table is left, the rows of every table a step keeps are all still
there, and no row is left pointing at a missing one.

Runs against the database of this test run: SQLite by default, PostgreSQL in CI's second pass.
"""
import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from tracker.demo import seed
from tracker.extensions import db

from tests.migrations.scripts import revisions

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def row_counts():
    with db.engine.connect() as conn:
        return {table: conn.execute(text(f'SELECT count(*) FROM "{table}"')).scalar()
                for table in inspect(db.engine).get_table_names() if table != "alembic_version"}


def test_every_migration_downgrades_a_seeded_database_and_upgrades_again(migration_app):
    upgrade()
    seed()
    db.session.remove()
    seeded = row_counts()
    assert seeded["diary_entries"] and seeded["procedure_records"] and seeded["audit_events"]

    for revision in revisions().walk_revisions():  # newest first
        before = row_counts()
        downgrade(revision=revision.down_revision or "base")
        after = row_counts()
        assert not [t for t in after if t.startswith("_alembic_tmp")], revision.revision
        kept = set(before) & set(after)
        assert {t: after[t] for t in kept} == {t: before[t] for t in kept}, revision.revision
        if db.engine.dialect.name == "sqlite":
            with db.engine.connect() as conn:
                assert conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall() == [], revision.revision
    assert row_counts() == {}

    upgrade()
    seed()
    assert row_counts()["cases"] == seeded["cases"]

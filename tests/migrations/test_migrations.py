"""Migrations build the same schema as the models, and every revision goes up and down cleanly.

Runs against the database of this test run: SQLite by default, PostgreSQL in CI's second pass.
"""
import os

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from tracker.extensions import db

from tests.migrations.scripts import revisions

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _tables():
    return set(inspect(db.engine).get_table_names()) - {"alembic_version"}


def test_there_is_exactly_one_head(migration_app):
    assert len(revisions().get_heads()) == 1


def test_upgrade_builds_every_table_and_downgrade_removes_them(migration_app):
    upgrade()
    assert _tables() == set(db.metadata.tables)
    downgrade(revision="base")
    assert _tables() == set()


def test_schema_after_upgrade_matches_the_models(migration_app):
    upgrade()
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_each_revision_upgrades_and_downgrades_one_step_at_a_time(migration_app):
    oldest_first = list(reversed(list(revisions().walk_revisions())))
    for revision in oldest_first:
        upgrade(revision=revision.revision)
        downgrade(revision=revision.down_revision or "base")
        upgrade(revision=revision.revision)
    assert _tables() == set(db.metadata.tables)


def test_migrated_audit_table_refuses_updates_and_deletes(migration_app):
    upgrade()
    with db.engine.begin() as conn:
        conn.execute(text("INSERT INTO audit_events (at, actor, action, summary) "
                          "VALUES (CURRENT_TIMESTAMP, 'x', 'sign_in', '')"))
    for statement in ("UPDATE audit_events SET summary = 'edited'", "DELETE FROM audit_events"):
        with pytest.raises(Exception, match="append-only"):
            with db.engine.begin() as conn:
                conn.execute(text(statement))
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT summary FROM audit_events")).scalar_one() == ""


@pytest.mark.skipif(os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"),
                    reason="PostgreSQL always enforces foreign keys; only SQLite needs its PRAGMA")
def test_sqlite_enforces_foreign_keys(migration_app):
    assert db.engine.dialect.name == "sqlite"
    upgrade()
    with pytest.raises(Exception, match="FOREIGN KEY"):
        with db.engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO case_history (case_id, at, actor_id, actor_role, action, to_state, reason) "
                "VALUES (999, CURRENT_TIMESTAMP, 999, 'admin', 'x', 'referred', '')"))

"""`flask backup create` then `flask backup restore` into an empty database gives back every row of
every table (the demo clinic: every stage, diaries, the audit trail and its seals); restore refuses a
database that is not empty; the restored audit trail still verifies and stays append-only."""
import pytest
from sqlalchemy import inspect, text

from config import TestingConfig
from tracker import audit_chain, create_app
from tracker.demo import seed
from tracker.extensions import db

# A new, empty database of the test run's kind.


def every_row(engine):
    """{table: its rows in primary-key order} for every table."""
    inspector = inspect(engine)
    rows = {}
    with engine.connect() as conn:
        for table in sorted(inspector.get_table_names()):
            keys = inspector.get_pk_constraint(table)["constrained_columns"]
            order = ", ".join(f'"{k}"' for k in keys) or "1"
            rows[table] = conn.execute(text(f'SELECT * FROM "{table}" ORDER BY {order}')).all()
    return rows


def test_a_backup_restores_every_row_of_every_table(app, empty_database, tmp_path):
    # No app context around the commands: each runs in its own app's, as from a shell.
    with app.app_context():
        seed()
        audit_chain.seal(now=audit_chain.utcnow() + audit_chain.SEAL_AFTER)
        original = every_row(db.engine)
        db.session.remove()
    assert original["cases"] and original["diary_entries"] and original["audit_seals"]
    backup = tmp_path / "tracker.backup"

    result = app.test_cli_runner().invoke(args=["backup", "create", str(backup)])
    assert result.exit_code == 0, result.output
    assert backup.stat().st_size > 0

    restored_app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=empty_database)
    result = restored_app.test_cli_runner().invoke(args=["backup", "restore", str(backup)])
    assert result.exit_code == 0, result.output
    with restored_app.app_context():
        assert every_row(db.engine) == original
        assert audit_chain.verify().ok
        # The append-only triggers came back with the rows.
        with pytest.raises(Exception, match="append-only"):
            with db.engine.begin() as conn:
                conn.execute(text("UPDATE audit_events SET summary = 'x'"))
        db.engine.dispose()


def test_restore_refuses_a_database_that_is_not_empty_and_create_never_overwrites(app, tmp_path):
    backup = tmp_path / "tracker.backup"
    runner = app.test_cli_runner()
    assert runner.invoke(args=["backup", "create", str(backup)]).exit_code == 0
    again = runner.invoke(args=["backup", "create", str(backup)])
    assert again.exit_code != 0 and "exists already" in again.output
    refused = runner.invoke(args=["backup", "restore", str(backup)])
    assert refused.exit_code != 0 and "The database is not empty" in refused.output

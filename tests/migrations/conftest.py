"""Fixtures of the migration tests: a brand-new database of the run's kind, and an app on it."""
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from config import TestingConfig
from tracker import create_app
from tracker.extensions import db


@pytest.fixture
def empty_database(database_url, tmp_path):
    """A brand-new, empty database of the same kind as the test run's."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'migrations.sqlite'}"
        return
    url = make_url(database_url)
    name = f"{url.database}_migrations"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def migration_app(empty_database):
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=empty_database)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()

"""`flask backup create FILE` and `flask backup restore FILE`: a copy of the whole database that
restores, for SQLite and PostgreSQL.

SQLite: the online backup API (a consistent copy while the tracker keeps serving), into FILE, which
is itself an SQLite database. PostgreSQL: `pg_dump` in its custom format (compressed; `pg_restore`
can list and pick from it). Restore goes into an EMPTY database only (a fresh file or a newly
created PostgreSQL database) and refuses anything else, so it never mixes a backup with live rows.
"""
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy import inspect

from tracker.extensions import db


class BackupRefused(Exception):
    """Nothing was written; the message says why."""


def create(path):
    path = Path(path)
    if path.exists():
        raise BackupRefused(f"{path} exists already: give a new file name (backups are never overwritten).")
    url = db.engine.url
    if url.get_backend_name() == "sqlite":
        _sqlite_copy(url.database, path)
        return
    _run(["pg_dump", "--format=custom", "--no-owner", f"--file={path}", _libpq(url)])


def restore(path):
    path = Path(path)
    if not path.is_file():
        raise BackupRefused(f"There is no backup file at {path}.")
    tables = set(inspect(db.engine).get_table_names())
    if tables:
        raise BackupRefused("The database is not empty (it has tables): restore into a new, empty "
                            "database, then point DATABASE_URL at it.")
    url = db.engine.url
    db.engine.dispose()
    if url.get_backend_name() == "sqlite":
        _sqlite_copy(path, url.database)
        return
    _run(["pg_restore", "--no-owner", "--exit-on-error", "--single-transaction", f"--dbname={_libpq(url)}",
          str(path)])


def _sqlite_copy(source_path, target_path):
    source, target = sqlite3.connect(source_path), sqlite3.connect(target_path)
    try:
        source.backup(target)
    finally:
        source.close()
        target.close()


def _libpq(url):
    """The SQLAlchemy URL as libpq reads it (no "+psycopg" driver part)."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def _run(command):
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        # The tool's own message (never the URL, which may hold a password).
        raise BackupRefused(f"{command[0]} failed: {done.stderr.strip()[:500]}")

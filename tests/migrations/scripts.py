"""The revisions in migrations/versions, as Alembic reads them (for the tests that walk them)."""
from alembic.script import ScriptDirectory

from tracker.extensions import migrate


def revisions():
    """The ScriptDirectory of this app's migrations (its heads, its revisions newest first)."""
    return ScriptDirectory.from_config(migrate.get_config())

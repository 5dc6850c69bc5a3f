"""0052_revoke_unusable_tokens revokes the API tokens of accounts deactivated (or given a role no
token acts for) before saving such an account revoked them, each with an audit row worded as the
admin's save words it and naming the upgrade as who did it; tokens already revoked, and those of
active coordinators and physicians, are left as they were. The downgrade leaves them revoked.

Runs against the database of this test run: SQLite by default, PostgreSQL in CI's second pass.
"""
from datetime import timedelta

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import MetaData, insert, select

from tracker.extensions import db

from tests.migrations.rows import T

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

BEFORE, REVISION = "0051_clinic_settings_version", "0052_revoke_unusable_tokens"
EARLIER = T - timedelta(days=3)


def _tables():
    tables = MetaData()
    tables.reflect(db.engine)
    return tables.tables


def _account(id_, role, active):
    return {"id": id_, "email": f"u{id_}@clinic.example", "name": f"User {id_}", "role": role,
            "password_hash": "x", "active": active, "session_token": f"t{id_}", "created_at": T,
            "password_changed_at": T, "version_id": 1, "ever_physician": role == "physician"}


def _token(id_, user_id, revoked_at=None):
    return {"id": id_, "user_id": user_id, "label": "EHR feed", "scope": "read" if id_ % 2 else "intake",
            "token_hash": f"{id_:064d}", "prefix": f"sit_tok{id_}ab", "created_at": T,
            "expires_at": T + timedelta(days=90), "revoked_at": revoked_at,
            "revoked_by_id": 1 if revoked_at else None}


def _revoked(tables):
    tokens = tables["api_tokens"]
    with db.engine.connect() as conn:
        return dict(conn.execute(select(tokens.c.id, tokens.c.revoked_at)).all())


def _trail(tables):
    events = tables["audit_events"]
    with db.engine.connect() as conn:
        return conn.execute(select(events.c.object_type, events.c.object_id, events.c.action, events.c.user_id,
                                   events.c.actor, events.c.summary).order_by(events.c.id)).all()


def test_an_inactive_or_no_longer_clinical_owner_s_tokens_are_revoked_and_audited(migration_app):
    upgrade(revision=BEFORE)
    tables = _tables()
    with db.engine.begin() as conn:
        conn.execute(insert(tables["users"]), [
            _account(1, "admin", True),
            _account(2, "coordinator", False),   # deactivated before the save revoked tokens
            _account(3, "physician", True),
            _account(4, "admin", True),          # a coordinator once, made admin
            _account(5, "physician", False)])    # deactivated, its token already revoked
        conn.execute(insert(tables["api_tokens"]), [
            _token(1, 2), _token(2, 2), _token(3, 3), _token(4, 4), _token(5, 5, revoked_at=EARLIER)])

    upgrade(revision=REVISION)

    revoked = _revoked(tables)
    assert revoked[1] is not None and revoked[2] is not None and revoked[4] is not None
    assert (revoked[3], revoked[5]) == (None, EARLIER)
    assert _trail(tables) == [
        ("api_token", "1", "update", None, f"database upgrade ({REVISION})",
         "API token sit_tok1ab… (read) for u2@clinic.example revoked: account deactivated"),
        ("api_token", "2", "update", None, f"database upgrade ({REVISION})",
         "API token sit_tok2ab… (intake) for u2@clinic.example revoked: account deactivated"),
        ("api_token", "4", "update", None, f"database upgrade ({REVISION})",
         "API token sit_tok4ab… (intake) for u4@clinic.example revoked: account made admin")]

    downgrade(revision=BEFORE)

    assert _revoked(tables) == revoked
    assert len(_trail(tables)) == 3


def test_the_app_reads_a_token_the_upgrade_revoked_as_revoked(migration_app):
    """The ORM's view of it: the list says "revoked", and reactivating the account does not reopen it."""
    from tracker.models import ApiToken, User

    upgrade(revision=BEFORE)
    tables = _tables()
    with db.engine.begin() as conn:
        conn.execute(insert(tables["users"]), [_account(1, "coordinator", False)])
        conn.execute(insert(tables["api_tokens"]), [_token(1, 1)])

    upgrade()

    user = db.session.get(User, 1)
    user.active = True
    db.session.commit()
    row = db.session.get(ApiToken, 1)
    assert row.status_at(T + timedelta(days=1)) == "revoked" and not row.usable_at(T + timedelta(days=1))

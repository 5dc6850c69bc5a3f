"""The append-only audit trail, and the hash chain that makes a change to it evident.

Three layers keep it append-only: the app has no code path that updates or deletes a row, the
ORM refuses to flush such a change, and database triggers refuse it underneath. Whoever can
bypass all three (a database superuser) is caught by the chain: `flask audit seal` gives every
committed row, in id order, a seal whose hash covers the row and the seal before it
(tracker/audit_chain.py), and `flask audit verify` names the first row that no longer matches.
Seals are append-only in the same three ways.
"""
from sqlalchemy import DDL, event
from sqlalchemy.orm import Session

from tracker.extensions import db
from tracker.models.types import UTCDateTime, choice_enum
from tracker.roles import Role
from tracker.timeutil import utcnow
from tracker.vocab import N_, Choice


class AuditAction(Choice):
    SIGN_IN = "sign_in", N_("Sign-in")
    SIGN_IN_FAILED = "sign_in_failed", N_("Failed sign-in")
    SIGN_OUT = "sign_out", N_("Sign-out")
    VIEW = "view", N_("Viewed record")
    CREATE = "create", N_("Created")
    UPDATE = "update", N_("Updated")
    TRANSITION = "transition", N_("State change")
    EXPORT = "export", N_("Export")
    ACCESS_DENIED = "access_denied", N_("Access denied")


class AuditEvent(db.Model):
    __tablename__ = "audit_events"
    __table_args__ = (
        db.Index("ix_audit_events_object", "object_type", "object_id"),
        db.Index("ix_audit_events_user_at", "user_id", "at"),
    )

    id = db.Column(db.Integer, primary_key=True)
    at = db.Column(UTCDateTime, nullable=False, default=utcnow, index=True)
    user_id = db.Column(db.Integer, db.ForeignKey("users.id"))
    # Who, as typed or as known at the time: survives a later rename and names failed sign-ins.
    actor = db.Column(db.String(254), nullable=False, default="")
    role = db.Column(choice_enum(Role, "role"))
    action = db.Column(choice_enum(AuditAction, "audit_action"), nullable=False, index=True)
    object_type = db.Column(db.String(40))
    object_id = db.Column(db.String(40))
    ip = db.Column(db.String(45))
    summary = db.Column(db.Text, nullable=False, default="")
    # For an edit: [{"field": name, "old": value, "new": value}, ...] (tracker/audit.py field_changes);
    # a password, token or hash is listed as {"field": name, "secret": true}, never with values.
    changes = db.Column(db.JSON)

    user = db.relationship("User")


class AuditSeal(db.Model):
    """The chain: the row at `position` (1, 2, 3... with no gaps) seals audit row `event_id`;
    `chain_hash` = sha256(previous seal's chain_hash + the row's content)."""

    __tablename__ = "audit_seals"

    position = db.Column(db.Integer, primary_key=True, autoincrement=False)
    event_id = db.Column(db.Integer, db.ForeignKey("audit_events.id"), nullable=False, unique=True)
    chain_hash = db.Column(db.String(64), nullable=False)
    sealed_at = db.Column(UTCDateTime, nullable=False, default=utcnow)


class AuditCheck(db.Model):
    """The result of one `flask audit verify`: the admin's audit page shows the latest."""

    __tablename__ = "audit_checks"

    id = db.Column(db.Integer, primary_key=True)
    checked_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    ok = db.Column(db.Boolean, nullable=False)
    sealed_rows = db.Column(db.Integer, nullable=False)
    # The last sealed row that verified, and when it was written.
    sealed_through_id = db.Column(db.Integer)
    sealed_through_at = db.Column(UTCDateTime)
    problem = db.Column(db.Text)


class AuditTrailIsAppendOnly(Exception):
    pass


@event.listens_for(Session, "before_flush")
def _refuse_audit_changes(session, flush_context, instances):
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, (AuditEvent, AuditSeal)) and (obj in session.deleted or session.is_modified(obj)):
            raise AuditTrailIsAppendOnly("Audit rows cannot be changed or deleted.")


# The same refusal in the database, for anything that bypasses the ORM. Created with the table
# (tests, create_all) and by the migration that creates the table.
AUDIT_TRIGGERS = {
    "sqlite": [
        "CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events "
        "BEGIN SELECT RAISE(ABORT, 'audit rows are append-only'); END",
        "CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events "
        "BEGIN SELECT RAISE(ABORT, 'audit rows are append-only'); END",
    ],
    "postgresql": [
        "CREATE OR REPLACE FUNCTION audit_events_refuse_change() RETURNS trigger AS $$ "
        "BEGIN RAISE EXCEPTION 'audit rows are append-only'; END; $$ LANGUAGE plpgsql",
        "CREATE TRIGGER audit_events_no_update BEFORE UPDATE OR DELETE ON audit_events "
        "FOR EACH ROW EXECUTE FUNCTION audit_events_refuse_change()",
    ],
}

# The seals' own refusal (PostgreSQL reuses the function the audit rows' trigger created).
SEAL_TRIGGERS = {
    "sqlite": [
        "CREATE TRIGGER audit_seals_no_update BEFORE UPDATE ON audit_seals "
        "BEGIN SELECT RAISE(ABORT, 'audit seals are append-only'); END",
        "CREATE TRIGGER audit_seals_no_delete BEFORE DELETE ON audit_seals "
        "BEGIN SELECT RAISE(ABORT, 'audit seals are append-only'); END",
    ],
    "postgresql": [
        "CREATE TRIGGER audit_seals_no_update BEFORE UPDATE OR DELETE ON audit_seals "
        "FOR EACH ROW EXECUTE FUNCTION audit_events_refuse_change()",
    ],
}

for _table, _triggers in ((AuditEvent.__table__, AUDIT_TRIGGERS), (AuditSeal.__table__, SEAL_TRIGGERS)):
    for _dialect, _statements in _triggers.items():
        for _sql in _statements:
            event.listen(_table, "after_create", DDL(_sql).execute_if(dialect=_dialect))

"""Tokens other systems use to call the API (`/fhir`, `/api/v1`).

Each token acts as one staff account, with that account's role at the moment of use, and within a
scope: read, or read and referral intake. Only a SHA-256 digest of the token is stored (a token is
256 random bits, so a fast digest is enough: there is nothing to guess); the token itself is shown
once, when it is made. A token stops working when revoked, when it expires, or when its account is
deactivated or given a role tokens do not act for (admin, patient); the admin's form revokes the
account's tokens then, so reactivating the account does not bring them back.
"""
from sqlalchemy import CheckConstraint

from tracker.extensions import db
from tracker.roles import CLINICAL_STAFF
from tracker.models.types import UTCDateTime, choice_enum
from tracker.timeutil import utcnow
from tracker.vocab import N_, Choice


class ApiScope(Choice):
    READ = "read", N_("Read")
    INTAKE = "intake", N_("Read and referral intake")


class ApiToken(db.Model):
    __tablename__ = "api_tokens"
    __table_args__ = (
        CheckConstraint("expires_at > created_at", name="expires_after_created"),
        CheckConstraint("revoked_by_id IS NULL OR revoked_at IS NOT NULL", name="revoked_has_time"),
    )

    id = db.Column(db.Integer, primary_key=True)
    user_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False, index=True)
    # What the token is for ("EHR referral feed"): shown in the list and the audit trail.
    label = db.Column(db.String(120), nullable=False)
    scope = db.Column(choice_enum(ApiScope, "api_scope"), nullable=False)
    token_hash = db.Column(db.String(64), nullable=False, unique=True)
    # The token's first characters, so people can tell tokens apart without the secret.
    prefix = db.Column(db.String(16), nullable=False)
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    # None: made on the command line.
    created_by_id = db.Column(db.Integer, db.ForeignKey("users.id"))
    expires_at = db.Column(UTCDateTime, nullable=False)
    revoked_at = db.Column(UTCDateTime)
    revoked_by_id = db.Column(db.Integer, db.ForeignKey("users.id"))
    last_used_at = db.Column(UTCDateTime)

    user = db.relationship("User", foreign_keys=[user_id])
    created_by = db.relationship("User", foreign_keys=[created_by_id])
    revoked_by = db.relationship("User", foreign_keys=[revoked_by_id])

    def usable_at(self, moment):
        return self.revoked_at is None and moment < self.expires_at and self.user.active

    def status_at(self, moment):
        """What the token list says of it: "active", "revoked", "expired", "account deactivated",
        or "account not allowed" (its account's role is one no token acts for)."""
        if self.revoked_at is not None:
            return "revoked"
        if moment >= self.expires_at:
            return "expired"
        if not self.user.active:
            return "account deactivated"
        return "active" if self.user.role in CLINICAL_STAFF else "account not allowed"

"""Eligibility verdicts (dated snapshots, criterion by criterion) and the clinic's default profile."""
import json

from sqlalchemy.orm import validates

from tracker.extensions import db
from tracker.models.types import UTCDateTime
from tracker.timeutil import utcnow


def failed_criteria_of(snapshot):
    """The codes of a snapshot's criteria not met, as the JSON list `failed_criteria` keeps."""
    return json.dumps([c["code"] for c in (snapshot or {}).get("criteria", ()) if c.get("status") == "not_met"])


class EligibilityVerdict(db.Model):
    """What the engine said on one day under one profile. Never edited: a re-evaluation adds a row.

    `facts_fingerprint` is a digest of the facts the engine read: while the case's facts give the
    same digest nothing changed; when they do not, the criteria are read again on the verdict's
    day to find which one a change touched (tracker.eligibility.standing.staleness).
    """

    __tablename__ = "eligibility_verdicts"
    __table_args__ = (
        db.CheckConstraint(
            "(override_reason IS NULL AND override_by_id IS NULL AND override_at IS NULL) OR "
            "(override_reason IS NOT NULL AND override_by_id IS NOT NULL AND override_at IS NOT NULL)",
            name="override_complete",
        ),
        # Reports: first verdicts and overrides within a period.
        db.Index("ix_eligibility_verdicts_evaluated_at", "evaluated_at"),
        # Reports: "is this the case's first verdict?" (no lower id of the same case), read from
        # the index alone.
        db.Index("ix_eligibility_verdicts_case_id_id", "case_id", "id"),
        db.Index("ix_eligibility_verdicts_override_at", "override_at",
                 postgresql_where=db.text("override_at IS NOT NULL"), sqlite_where=db.text("override_at IS NOT NULL")),
    )

    id = db.Column(db.Integer, primary_key=True)
    case_id = db.Column(db.Integer, db.ForeignKey("cases.id"), nullable=False, index=True)
    evaluated_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    evaluated_by_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False)
    profile_code = db.Column(db.String(40), nullable=False)
    profile_version = db.Column(db.Integer, nullable=False)
    eligible = db.Column(db.Boolean, nullable=False)
    snapshot = db.Column(db.JSON, nullable=False)
    # The codes of the snapshot's criteria not met, in its order, as a JSON list ("[]" for none):
    # kept with the verdict when its snapshot is written, so the reports count failed criteria
    # without opening every snapshot (2 to 3 KB of JSON each).
    failed_criteria = db.Column(db.Text, nullable=False, default="[]", server_default="[]")
    facts_fingerprint = db.Column(db.String(64), nullable=False)
    # A physician's override of a not-eligible verdict, shown wherever the verdict is.
    override_reason = db.Column(db.Text)
    override_by_id = db.Column(db.Integer, db.ForeignKey("users.id"))
    override_at = db.Column(UTCDateTime)

    case = db.relationship("Case", foreign_keys=[case_id])

    @validates("snapshot")
    def _keep_failed_criteria(self, key, snapshot):
        self.failed_criteria = failed_criteria_of(snapshot)
        return snapshot

    @property
    def incomplete(self):
        """Not eligible only because criteria are still unknown (none failed): the case stays under
        review. Read from the snapshot, so verdicts stored before this reading say it too."""
        statuses = {c["status"] for c in self.snapshot.get("criteria", ())}
        return not self.eligible and "not_met" not in statuses and "unknown" in statuses

    @property
    def unknown_criteria(self):
        return [c["label"] for c in self.snapshot.get("criteria", ()) if c["status"] == "unknown"]

    evaluated_by = db.relationship("User", foreign_keys=[evaluated_by_id])
    override_by = db.relationship("User", foreign_keys=[override_by_id])


class ClinicSettings(db.Model):
    """Clinic-wide choices an admin makes. One row (id 1)."""

    __tablename__ = "clinic_settings"
    __table_args__ = (
        db.CheckConstraint("billing_setting IN ('office', 'facility')", name="billing_setting_known"),
    )

    id = db.Column(db.Integer, primary_key=True)
    default_profile_code = db.Column(db.String(40), nullable=False)
    # Shown to patients wherever they are told to call the clinic (tracker/clinic.py).
    contact_phone = db.Column(db.String(40), nullable=False, default="", server_default="")
    contact_address = db.Column(db.String(300), nullable=False, default="", server_default="")
    # Where the injection is billed (tracker/procedures/billing.py): "office", a physician office
    # (CPT 27096 only), or "facility", an ASC or hospital outpatient department (HCPCS G0260 too).
    billing_setting = db.Column(db.String(20), nullable=False, default="office", server_default="office")
    updated_at = db.Column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)
    updated_by_id = db.Column(db.Integer, db.ForeignKey("users.id"))
    # Every save bumps it: the admin's forms (Clinic contact, Billing & payer profiles) carry the
    # version they were opened on, and a save from an older one is refused (tracker/clinic.py).
    version_id = db.Column(db.Integer, nullable=False, default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version_id}

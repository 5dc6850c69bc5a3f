"""Injections the patient had elsewhere (another clinic), recorded on the patient's record: they
count towards the caps, the interval and a repeat's relief as the tracker's own injections do
(tracker/eligibility/facts.py)."""
from sqlalchemy import CheckConstraint

from tracker.extensions import db
from tracker.models.types import UTCDateTime, choice_enum
from tracker.timeutil import utcnow
from tracker.vocab import Indication, Side


class OutsideInjection(db.Model):
    """One SI joint injection given outside the clinic, as reported. The relief is optional (not
    known: the repeat-relief criterion reads it as unknown); `source` says where the facts come
    from ("patient report", "letter from Dr X")."""

    __tablename__ = "outside_injections"
    __table_args__ = (
        CheckConstraint("relief_percent IS NULL OR (relief_percent BETWEEN 0 AND 100)",
                        name="outside_relief_percent_range"),
        CheckConstraint("relief_days IS NULL OR relief_days >= 0", name="outside_relief_days_range"),
    )

    id = db.Column(db.Integer, primary_key=True)
    patient_id = db.Column(db.Integer, db.ForeignKey("patients.id"), nullable=False, index=True)
    performed_on = db.Column(db.Date, nullable=False)
    side = db.Column(choice_enum(Side, "side"), nullable=False)
    indication = db.Column(choice_enum(Indication, "indication"), nullable=False)
    place = db.Column(db.String(200), nullable=False)
    relief_percent = db.Column(db.Integer)
    relief_days = db.Column(db.Integer)
    source = db.Column(db.String(200), nullable=False)
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    created_by_id = db.Column(db.Integer, db.ForeignKey("users.id"))
    version_id = db.Column(db.Integer, nullable=False, default=1)

    patient = db.relationship("Patient", back_populates="outside_injections")
    created_by = db.relationship("User")
    __mapper_args__ = {"version_id_col": version_id}

    @property
    def described(self):
        """How the eligibility evidence names it: "outside injection of 2026-10-01 at X (patient report)"."""
        return f"outside injection of {self.performed_on.isoformat()} at {self.place} ({self.source})"

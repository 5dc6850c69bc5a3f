"""Identifiers other systems gave a case's referral (a ServiceRequest's identifier sent to FHIR
intake). Unique per system and value: posting the same referral again finds its case instead of
opening a second one, also when two posts race (the database refuses the second row). `received`
keeps the referral's clinical facts as that first post said them (JSON, tracker.fhir.intake
`received_content`): a re-send is compared with them, not with the case a coordinator may since
have corrected."""
from sqlalchemy import UniqueConstraint

from tracker.extensions import db
from tracker.models.types import UTCDateTime
from tracker.timeutil import utcnow


class CaseIdentifier(db.Model):
    __tablename__ = "case_identifiers"
    __table_args__ = (UniqueConstraint("system", "value", name="uq_case_identifiers_system_value"),)

    id = db.Column(db.Integer, primary_key=True)
    case_id = db.Column(db.Integer, db.ForeignKey("cases.id"), nullable=False, index=True)
    system = db.Column(db.String(255), nullable=False)
    value = db.Column(db.String(255), nullable=False)
    received_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    # {"mrn", "family_name", "given_name", "date_of_birth", "side", "indication", "diagnosis_codes",
    #  "symptom_onset"}: dates as YYYY-MM-DD, choices by value, the codes sorted.
    received = db.Column(db.JSON, nullable=False)

    # A backref, so the case model needs no import of this one.
    case = db.relationship("Case", backref=db.backref("external_identifiers", order_by="CaseIdentifier.id"))

from sqlalchemy.orm import validates

from tracker.extensions import db
from tracker.models.types import UTCDateTime, choice_enum
from tracker.timeutil import utcnow
from tracker.vocab import ContactChannel, Sex


class Patient(db.Model):
    __tablename__ = "patients"
    __table_args__ = (
        db.Index("ix_patients_name_dob", "family_name", "given_name", "date_of_birth"),
        # Prefix search on the lowercased family name (LIKE 'abc%') can use this index on
        # PostgreSQL whatever the database collation.
        db.Index("ix_patients_family_name_key", "family_name_key",
                 postgresql_ops={"family_name_key": "text_pattern_ops"}),
        # The worklist sorted by name reads this index in order instead of sorting every case.
        db.Index("ix_patients_name_order", "family_name_key", "given_name", "id"),
    )

    id = db.Column(db.Integer, primary_key=True)
    mrn = db.Column(db.String(32), nullable=False, unique=True)
    family_name = db.Column(db.String(80), nullable=False)
    family_name_key = db.Column(db.String(80), nullable=False, default="")
    given_name = db.Column(db.String(80), nullable=False)
    date_of_birth = db.Column(db.Date, nullable=False)
    sex = db.Column(choice_enum(Sex, "sex"), nullable=False, default=Sex.UNKNOWN)
    phone = db.Column(db.String(32))
    email = db.Column(db.String(254))
    preferred_contact = db.Column(
        choice_enum(ContactChannel, "contact_channel"), nullable=False, default=ContactChannel.EMAIL
    )
    language = db.Column(db.String(40), nullable=False, default="English")
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)

    account = db.relationship("User", back_populates="patient", uselist=False)
    cases = db.relationship("Case", back_populates="patient", order_by="Case.id")

    @validates("family_name")
    def _keep_search_key(self, key, value):
        self.family_name_key = (value or "").strip().lower()
        return value

    @property
    def display_name(self):
        return f"{self.family_name}, {self.given_name}"

    def __repr__(self):
        return f"<Patient {self.mrn}>"


class SmsOptOut(db.Model):
    """A phone number that answered STOP (or the like) to one of our texts: no text goes to it
    until it answers START. Kept by number, not by patient: it is the phone's owner who asked."""

    __tablename__ = "sms_opt_outs"

    id = db.Column(db.Integer, primary_key=True)
    phone = db.Column(db.String(32), nullable=False, unique=True)
    keyword = db.Column(db.String(16), nullable=False)
    opted_out_at = db.Column(UTCDateTime, nullable=False, default=utcnow)

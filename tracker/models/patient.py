from sqlalchemy import DDL, event
from sqlalchemy.orm import declared_attr, mapped_column, validates

from tracker.extensions import db
from tracker.models.types import UTCDateTime, choice_enum
from tracker.patients.identity import clean_name, full_name, later_part_keys, name_key, normalise_mrn, phone_key
from tracker.patients.identity import mrn_key as key_of_mrn
from tracker.roles import Role
from tracker.timeutil import utcnow
from tracker.vocab import ContactChannel, ContactEnded, Sex


def _trigram(name, column):
    """An index for LIKE '%fragment%' on `column`: a trigram GIN index on PostgreSQL (SQLite has
    none and makes it a plain index, which still serves equality)."""
    return db.Index(name, column, postgresql_using="gin", postgresql_ops={column: "gin_trgm_ops"})


class Patient(db.Model):
    """A patient record. Names keep the person's spelling; the *_key columns hold the folded forms
    that search and duplicate detection compare (tracker/patients/identity.py), kept in step by
    the validators below. A merged record stays as a tombstone pointing at the record kept."""

    __tablename__ = "patients"
    __table_args__ = (
        # No longer reachable: who recorded it and when; a death has its date, leaving a note.
        db.CheckConstraint("contact_ended IS NULL OR (contact_ended_at IS NOT NULL AND contact_ended_by IS NOT NULL)",
                           name="contact_ended_recorded"),
        db.CheckConstraint("contact_ended IS NULL OR contact_ended <> 'died' OR contact_ended_on IS NOT NULL",
                           name="contact_ended_died_on"),
        db.CheckConstraint("contact_ended IS NULL OR contact_ended <> 'left_care' OR contact_ended_note <> ''",
                           name="contact_ended_left_note"),
        # Prefix search on the folded family and given names (LIKE 'abc%') can use these indexes
        # on PostgreSQL whatever the database collation; each holds what search puts in name
        # order (both keys and the id), so a search reads the table only for the patients shown.
        db.Index("ix_patients_family_name_search", "family_name_key", "given_name_key", "id",
                 postgresql_ops={"family_name_key": "text_pattern_ops"}),
        db.Index("ix_patients_given_name_search", "given_name_key", "family_name_key", "id",
                 postgresql_ops={"given_name_key": "text_pattern_ops"}),
        # The worklist sorted by name reads this index in order instead of sorting every case.
        db.Index("ix_patients_name_order", "family_name_key", "given_name", "id"),
        # Search by date of birth, and the duplicate check (everyone born that day).
        db.Index("ix_patients_date_of_birth", "date_of_birth", "family_name_key"),
        _trigram("ix_patients_mrn_key", "mrn_key"),
        # A whole MRN (search, registration's check, the duplicate rule, FHIR intake): a B-tree
        # finds it in one step where the trigram index would intersect its trigrams' lists.
        db.Index("ix_patients_mrn_key_exact", "mrn_key"),
        _trigram("ix_patients_phone_key", "phone_key"),
        # The duplicate check's same phone number and given name: a B-tree finds the pair in one
        # step (the trigram index answers equality only by intersecting its trigrams' lists).
        db.Index("ix_patients_phone_given", "phone_key", "given_name_key"),
        # One record in use per MRN; a record merged away keeps its number, which the record kept
        # may take (the duplicate held the hospital's real number; patients/services.check_mrn_free).
        db.Index("uq_patients_live_mrn", "mrn", unique=True, sqlite_where=db.text("merged_into_id IS NULL"),
                 postgresql_where=db.text("merged_into_id IS NULL")),
    )

    id = db.Column(db.Integer, primary_key=True)
    mrn = db.Column(db.String(32), nullable=False)
    # The MRN keeps the clinic's spelling ("QA-1002"); the key drops its punctuation and spaces
    # ("QA1002") and is what is compared, so "QA1002", "qa 1002" and "QA-1002" are one number, and
    # records from before normalisation (invisible characters) are found all the same.
    mrn_key = db.Column(db.String(32), nullable=False, default="")
    family_name = db.Column(db.String(80), nullable=False)
    family_name_key = db.Column(db.String(80), nullable=False, default="")
    given_name = db.Column(db.String(80), nullable=False)
    given_name_key = db.Column(db.String(80), nullable=False, default="")
    date_of_birth = db.Column(db.Date, nullable=False)
    sex = db.Column(choice_enum(Sex, "sex"), nullable=False, default=Sex.UNKNOWN)
    phone = db.Column(db.String(32))
    phone_key = db.Column(db.String(32), nullable=False, default="")
    email = db.Column(db.String(254))
    preferred_contact = db.Column(
        choice_enum(ContactChannel, "contact_channel"), nullable=False, default=ContactChannel.EMAIL
    )
    # The language the patient reads, as chosen on the forms ("English", "Spanish", or any other as
    # typed); None when it is not known (a FHIR Patient sent without one): never assumed.
    language = db.Column(db.String(40))
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    # Set when this record was merged into another: the tombstone keeps its own details (for the
    # history) and every link to it leads to the record kept.
    merged_into_id = db.Column(db.Integer, db.ForeignKey("patients.id"), index=True)
    merged_at = db.Column(UTCDateTime)
    # No longer reachable (patients/services.end_contact): died (on contact_ended_on) or moved away
    # or left the clinic's care (with a note); who recorded it and when. Nothing is sent to the
    # patient while it is set (tracker.contact); undoing it clears it (the history keeps both).
    contact_ended = db.Column(choice_enum(ContactEnded, "contact_ended"))
    contact_ended_on = db.Column(db.Date)
    contact_ended_note = db.Column(db.Text)
    contact_ended_at = db.Column(UTCDateTime)
    # The name of who recorded it, as the pages say it (the audit trail and the history keep the account).
    contact_ended_by = db.Column(db.String(120))
    # The patient account this record deactivated (a death), so that undoing it reactivates it.
    contact_ended_closed_account = db.Column(db.Boolean, nullable=False, default=False, server_default=db.false())
    # Optimistic locking: an edit or merge from a stale page is refused instead of overwriting.
    version_id = db.Column(db.Integer, nullable=False, default=1, server_default="1")

    # What a family name, or a given name, of several parts is also found by (see FamilyNamePart,
    # GivenNamePart), kept by the validator.
    family_name_parts = db.relationship("FamilyNamePart", cascade="all, delete-orphan")
    given_name_parts = db.relationship("GivenNamePart", cascade="all, delete-orphan")
    # The numbers this record had before a correction (see FormerMrn), kept by the MRN's validator.
    former_mrns = db.relationship("FormerMrn", cascade="all, delete-orphan", order_by="FormerMrn.replaced_at")
    account = db.relationship("User", back_populates="patient", uselist=False)
    cases = db.relationship("Case", back_populates="patient", order_by="Case.id")
    outside_injections = db.relationship("OutsideInjection", back_populates="patient",
                                         order_by="OutsideInjection.performed_on")
    merged_into = db.relationship("Patient", remote_side=[id])
    # The records merged into this one (a merge points earlier tombstones at the record kept, so
    # each tombstone is here on the one live record), for the FHIR Patient's `link`.
    merged_records = db.relationship("Patient", viewonly=True, order_by="Patient.id")
    # The STOP this patient's number answered, if it did (`tracker.sms.opted_out` as a join: the
    # opt-out is kept by number, see SmsOptOut), for a page that loads it with the patient.
    sms_opt_out = db.relationship(
        "SmsOptOut", primaryjoin="and_(foreign(SmsOptOut.phone) == Patient.phone, Patient.phone != '')",
        viewonly=True, uselist=False)

    __mapper_args__ = {"version_id_col": version_id}

    @validates("family_name", "given_name")
    def _clean_name(self, key, value):
        value = clean_name(value)
        setattr(self, f"{key}_key", name_key(value))
        for name, model in (("family_name", FamilyNamePart), ("given_name", GivenNamePart)):
            parts = f"{name}_parts"
            self._keep_name_parts(parts, model, later_part_keys(value) if key == name
                                  else [part.key for part in getattr(self, parts)])
        return value

    def _keep_name_parts(self, parts, model, wanted):
        # A row whose key stays is kept (a row deleted and made again with the same key in one
        # flush would collide with itself); every row takes the name keys as they are now.
        by_key = {part.key: part for part in getattr(self, parts)}
        setattr(self, parts, [by_key.get(key) or model(key=key) for key in wanted])
        for part in getattr(self, parts):
            part.family_name_key, part.given_name_key = self.family_name_key, self.given_name_key

    @validates("mrn")
    def _normalise_mrn(self, key, value):
        value = normalise_mrn(value)
        new_key = key_of_mrn(value)
        if self.mrn and self.mrn_key and self.mrn_key != new_key:
            # A record's number corrected: the old one, on letters and labels printed before, still
            # finds it; a number it is given back is its own again, not a former one.
            kept = [former for former in self.former_mrns if former.mrn_key not in (new_key, self.mrn_key)]
            self.former_mrns = kept + [FormerMrn(mrn=self.mrn, mrn_key=self.mrn_key)]
        self.mrn_key = new_key
        return value

    @validates("phone")
    def _keep_phone_key(self, key, value):
        value = value or None  # a box left empty is no number, the same as one never asked
        self.phone_key = phone_key(value)
        return value

    @validates("language")
    def _no_blank_language(self, key, value):
        # Nothing given is not known (NULL), as for the email below.
        return (value or "").strip() or None

    @validates("email")
    def _no_blank_email(self, key, value):
        # A box left empty is no address: stored as NULL, never "", so a later correction compares
        # like with like (it recorded "email: — → —" when the phone alone changed).
        return (value or "").strip() or None

    @property
    def display_name(self):
        return full_name(self.family_name, self.given_name)

    @property
    def died(self):
        return self.contact_ended == ContactEnded.DIED

    @property
    def is_merged(self):
        return self.merged_into_id is not None

    def __repr__(self):
        return f"<Patient {self.mrn}>"


class _NamePart:
    """A row of a name's later parts (FamilyNamePart, GivenNamePart): the key from one part after
    the first to the end (tracker.patients.identity.later_part_keys), read by prefix through the
    table's own index (text_pattern_ops on PostgreSQL, so LIKE 'abc%' uses it whatever the
    collation), with the patient's two name keys after it."""

    patient_id = mapped_column(db.Integer, db.ForeignKey("patients.id"), primary_key=True)
    key = mapped_column(db.String(80), primary_key=True)
    family_name_key = mapped_column(db.String(80), nullable=False)
    given_name_key = mapped_column(db.String(80), nullable=False)

    @declared_attr.directive
    def __table_args__(cls):
        return (db.Index(f"ix_{cls.__tablename__}_key", "key", "family_name_key", "given_name_key", "patient_id",
                         postgresql_ops={"key": "text_pattern_ops"}),)


class FamilyNamePart(_NamePart, db.Model):
    """A family name of several parts is found by the start of any of them, as well as by its
    start (Patient.family_name_key): one row for each part after the first, holding the key from
    that part to the end (tracker.patients.identity.later_part_keys). "Ní Dhúill-O'Connor" has
    two, "dhuilloconnor" and "oconnor"; a name of one part has none. Kept by Patient's validators.

    Each row also holds the patient's two name keys, so that search reads the first matches in
    name order from this table's index alone: joined to the patients for that order, PostgreSQL
    walked the whole register in name order looking for them when it guessed many (194 ms for
    "Smith" at 100,000 patients, see README "Speed")."""

    __tablename__ = "family_name_parts"


class GivenNamePart(_NamePart, db.Model):
    """A given name of several words is found by any of them, as a family name is (FamilyNamePart):
    "Thị Hằng" by "Thị" (Patient.given_name_key, "thihang") and by "Hằng" (its row, "hang"), alone
    or with the family name ("Nguyen Hang"). Kept by Patient's validators."""

    __tablename__ = "given_name_parts"


class FormerMrn(db.Model):
    """A medical record number a record had before it was corrected (Correct details, with a
    reason): search, the worklist's box and the referrals' find still find the record by it, as a
    merged record's number finds the record kept, and the search page says "formerly QA-7002".
    Kept by Patient's MRN validator, so every way of changing a number keeps the old one."""

    __tablename__ = "former_mrns"
    __table_args__ = (
        # A whole former number, as search compares the current one (ix_patients_mrn_key_exact).
        db.Index("ix_former_mrns_mrn_key", "mrn_key", "patient_id"),
    )

    patient_id = db.Column(db.Integer, db.ForeignKey("patients.id"), primary_key=True)
    mrn_key = db.Column(db.String(32), primary_key=True)
    # As the record had it, in the clinic's spelling ("QA-7002").
    mrn = db.Column(db.String(32), nullable=False)
    replaced_at = db.Column(UTCDateTime, nullable=False, default=utcnow)


class SmsOptOut(db.Model):
    """A phone number that answered STOP (or the like) to one of our texts: no text goes to it
    until it answers START. Kept by number, not by patient: it is the phone's owner who asked."""

    __tablename__ = "sms_opt_outs"

    id = db.Column(db.Integer, primary_key=True)
    phone = db.Column(db.String(32), nullable=False, unique=True)
    keyword = db.Column(db.String(16), nullable=False)
    opted_out_at = db.Column(UTCDateTime, nullable=False, default=utcnow)


class PatientHistory(db.Model):
    """What changed in a patient's record, field by field: who, when, the old and the new value.

    Registration, each edited field and both sides of a merge each add a row, in the same
    transaction as the change (and its audit row)."""

    __tablename__ = "patient_history"

    id = db.Column(db.Integer, primary_key=True)
    patient_id = db.Column(db.Integer, db.ForeignKey("patients.id"), nullable=False, index=True)
    at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    actor_id = db.Column(db.Integer, db.ForeignKey("users.id"))
    actor_role = db.Column(choice_enum(Role, "role"))
    # "edit" (one field), "merged_in" (another record merged into this one), "merged_away".
    action = db.Column(db.String(20), nullable=False)
    field = db.Column(db.String(40))
    old_value = db.Column(db.Text)
    new_value = db.Column(db.Text)
    reason = db.Column(db.Text, nullable=False, default="")
    other_patient_id = db.Column(db.Integer, db.ForeignKey("patients.id"))

    patient = db.relationship("Patient", foreign_keys=[patient_id])
    other_patient = db.relationship("Patient", foreign_keys=[other_patient_id])
    actor = db.relationship("User")


# The trigram indexes need the extension, before the table is created (tests build the schema
# with create_all; the migration creates it too).
event.listen(Patient.__table__, "before_create",
             DDL("CREATE EXTENSION IF NOT EXISTS pg_trgm").execute_if(dialect="postgresql"))

"""The procedure checklist at the table: one record per attempt, its steps, injectate rows, addenda,
and the formulary the injectate is chosen from (DESIGN.md section 3, Procedure checklist).

A record is read-only once signed. Three things keep it so: the services refuse every change to a
signed record, a CHECK constraint ties the signed state to its signer, time and duration, and the
ORM refuses to flush a change to the steps, injectate rows or addenda of a signed record (see
`_refuse_changes_after_signing`). Addenda are the only way to add to a signed record.
"""
from sqlalchemy import CheckConstraint, UniqueConstraint, event
from sqlalchemy.orm import Session

from tracker.extensions import db
from tracker.models.types import UTCDateTime, choice_enum
from tracker.procedures.formulary import DrugKind
from tracker.procedures.rules.schema import Step
from tracker.timeutil import utcnow
from tracker.vocab import N_, Choice, Pregnancy, Side


class ProcedureStatus(Choice):
    IN_PROGRESS = "in_progress", N_("In progress")
    SIGNED = "signed", N_("Signed")
    ABANDONED = "abandoned", N_("Abandoned")


class FormularyDrug(db.Model):
    """One drug the clinic stocks, as an admin edits it. The checklist rules read these rows
    (they have the attributes of `tracker.procedures.formulary.FormularyEntry`)."""

    __tablename__ = "formulary_drugs"
    __table_args__ = (
        CheckConstraint("usual_max_dose_mg IS NULL OR usual_max_dose_mg > 0", name="max_dose_positive"),
    )

    id = db.Column(db.Integer, primary_key=True)
    code = db.Column(db.String(40), nullable=False, unique=True)
    name = db.Column(db.String(120), nullable=False)
    kind = db.Column(choice_enum(DrugKind, "drug_kind"), nullable=False)
    # Decimal strings ("2.5"): JSON keeps them exact, and the rules read numeric strings.
    strengths = db.Column(db.JSON, nullable=False, default=list)
    strength_unit = db.Column(db.String(20), nullable=False)
    usual_max_dose_mg = db.Column(db.Numeric(8, 3))
    source = db.Column(db.Text, nullable=False, default="")
    # A drug no longer stocked is kept (old records name it) but no longer offered.
    active = db.Column(db.Boolean, nullable=False, default=True)
    version_id = db.Column(db.Integer, nullable=False, default=1)
    __mapper_args__ = {"version_id_col": version_id}


class ProcedureRecord(db.Model):
    """One attempt at the procedure for a case: started by a physician, then signed (the case
    moves to follow-up) or abandoned (the case goes back to scheduled, the record is kept)."""

    __tablename__ = "procedure_records"
    __table_args__ = (
        CheckConstraint(
            "(status = 'signed' AND signed_at IS NOT NULL AND signed_by_id IS NOT NULL "
            "AND ended_at IS NOT NULL AND duration_minutes IS NOT NULL) OR "
            "(status <> 'signed' AND signed_at IS NULL AND signed_by_id IS NULL "
            "AND duration_minutes IS NULL)",
            name="signed_has_signer"),
        CheckConstraint(
            "(status = 'abandoned' AND abandoned_at IS NOT NULL AND abandoned_by_id IS NOT NULL "
            "AND abandon_reason IS NOT NULL AND abandon_reason <> '') OR "
            "(status <> 'abandoned' AND abandoned_at IS NULL AND abandon_reason IS NULL)",
            name="abandoned_has_reason"),
        CheckConstraint("duration_minutes IS NULL OR duration_minutes >= 0", name="duration_not_negative"),
        # Reports: procedures started within a period.
        db.Index("ix_procedure_records_started_at", "started_at"),
    )

    id = db.Column(db.Integer, primary_key=True)
    case_id = db.Column(db.Integer, db.ForeignKey("cases.id"), nullable=False, index=True)
    appointment_id = db.Column(db.Integer, db.ForeignKey("appointments.id"))
    # Copied from the case when the procedure starts: the side this record was done for.
    side = db.Column(choice_enum(Side, "side"), nullable=False)
    status = db.Column(choice_enum(ProcedureStatus, "procedure_status"), nullable=False,
                       default=ProcedureStatus.IN_PROGRESS)
    started_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    started_by_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False)
    # Every step save touches the record, so a save and a signature never interleave unseen.
    last_change_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    # Stamped at signing: the end is the sign-out step's first save (sign_out_at), the duration
    # whole minutes from the start to it; signed_at is when the physician signed.
    ended_at = db.Column(UTCDateTime)
    duration_minutes = db.Column(db.Integer)
    signed_at = db.Column(UTCDateTime)
    signed_by_id = db.Column(db.Integer, db.ForeignKey("users.id"))
    abandoned_at = db.Column(UTCDateTime)
    abandoned_by_id = db.Column(db.Integer, db.ForeignKey("users.id"))
    abandon_reason = db.Column(db.Text)
    # What the physician acknowledged to start it (services.start): the risk screen's pregnancy
    # answer ("possible", "yes") and the cases of her other procedures then in progress; None when
    # there was none. She acknowledges them with the start, so its physician and time say who and when.
    pregnancy_acknowledged = db.Column(choice_enum(Pregnancy, "pregnancy_acknowledged"))
    # The risk screen's active infection or fever, acknowledged likewise (false when there was none).
    infection_acknowledged = db.Column(db.Boolean, nullable=False, default=False, server_default=db.false())
    acknowledged_case_ids = db.Column(db.JSON(none_as_null=True))
    # A blood thinner's hold that did not fit the booked day, with no day of the last dose confirmed
    # at readiness: the day the physician entered at the start, or (hold_acknowledged) her decision
    # to proceed without one. Neither when she was not asked.
    anticoagulant_last_dose_on = db.Column(db.Date)
    hold_acknowledged = db.Column(db.Boolean, nullable=False, default=False, server_default=db.false())
    # The patient was never checked in at the desk: the physician ticked that they were here, and
    # the start checked the appointment in (services.start).
    checked_in_at_start = db.Column(db.Boolean, nullable=False, default=False, server_default=db.false())
    version_id = db.Column(db.Integer, nullable=False, default=1)

    # A backref, so the case model needs no import of this one; the workflow's signing guard reads it.
    case = db.relationship("Case", backref=db.backref("procedure_records", order_by="ProcedureRecord.id"))
    appointment = db.relationship("Appointment")
    started_by = db.relationship("User", foreign_keys=[started_by_id])
    signed_by = db.relationship("User", foreign_keys=[signed_by_id])
    abandoned_by = db.relationship("User", foreign_keys=[abandoned_by_id])
    steps = db.relationship("ProcedureStep", back_populates="record",
                            order_by="ProcedureStep.id", cascade="all, delete-orphan")
    addenda = db.relationship("ProcedureAddendum", back_populates="record",
                              order_by="ProcedureAddendum.id", cascade="all, delete-orphan")
    __mapper_args__ = {"version_id_col": version_id}

    @property
    def signed(self):
        return self.status == ProcedureStatus.SIGNED

    @property
    def in_progress(self):
        return self.status == ProcedureStatus.IN_PROGRESS

    @property
    def sign_out_at(self):
        """When the sign-out step was first recorded (None before it): the end of the procedure.
        Its duration runs from the start to here, not to the signature, which may come much later;
        a correction of the sign-out does not move it."""
        return min((row.first_recorded_at for row in self.steps if row.step == Step.SIGN_OUT), default=None)

    @property
    def injected_at(self):
        """When the injection was given (None before it): the injectate step's first save, for a
        bilateral case the later joint's, so each post-injection diary point falls at least its
        offset after each joint's injection. The pain diary's points are timed from here, not from
        the start; a correction of the injectate does not move it."""
        return max((row.first_recorded_at for row in self.steps if row.step == Step.INJECTATE), default=None)


class ProcedureStep(db.Model):
    """One step as saved, stamped with the time and person of its first save and of its last: a
    later save of the same row is a correction (the note prints "17:32:39 (corrected 17:33:06 by …)").

    Per-side steps (imaging, contrast, injectate) have one row per joint; the others carry the
    case's side. Contrast checks are numbered: a vascular uptake or a poor pattern asks for a
    repositioned needle and a repeat check, which is a new row; every check is kept, the latest
    counts. The form's answers are kept as JSON (numbers as decimal strings); the injectate's drugs
    have their own typed rows.
    """

    __tablename__ = "procedure_steps"
    __table_args__ = (
        UniqueConstraint("record_id", "step", "side", "attempt", name="uq_procedure_steps_step_side_attempt"),
        CheckConstraint("attempt >= 1", name="attempt_positive"),
    )

    id = db.Column(db.Integer, primary_key=True)
    # No index of its own: the unique constraint's first column serves lookups by record.
    record_id = db.Column(db.Integer, db.ForeignKey("procedure_records.id"), nullable=False)
    step = db.Column(choice_enum(Step, "procedure_step"), nullable=False)
    side = db.Column(choice_enum(Side, "side"), nullable=False)
    attempt = db.Column(db.Integer, nullable=False, default=1)
    answers = db.Column(db.JSON, nullable=False, default=dict)
    # The skin prep's or contrast check's agent (schema.AGENT_FIELDS) as the formulary named it when
    # the step was saved: a signed note keeps naming the agent it was signed with when an admin renames
    # it (NULL: no agent recorded, or saved before names were kept and not in the formulary).
    agent_name = db.Column(db.String(120))
    # Warnings shown when it was saved (never blocking), one a line: kept with the record.
    warnings = db.Column(db.Text, nullable=False, default="")
    # The last save (the values as they stand) ...
    recorded_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    recorded_by_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False)
    # ... and the first (when the step was recorded: the order of the steps at the table).
    first_recorded_at = db.Column(UTCDateTime, nullable=False)
    first_recorded_by_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False)
    version_id = db.Column(db.Integer, nullable=False, default=1)

    record = db.relationship("ProcedureRecord", back_populates="steps")
    recorded_by = db.relationship("User", foreign_keys=[recorded_by_id])
    first_recorded_by = db.relationship("User", foreign_keys=[first_recorded_by_id])
    injectate = db.relationship("InjectateRow", back_populates="step", order_by="InjectateRow.position",
                                cascade="all, delete-orphan")
    __mapper_args__ = {"version_id_col": version_id}

    @property
    def corrected(self):
        """Saved again since it was first recorded: recorded_at/by say when and by whom."""
        return self.recorded_at != self.first_recorded_at


class InjectateRow(db.Model):
    """One drug injected into one joint."""

    __tablename__ = "injectate_rows"
    __table_args__ = (
        CheckConstraint("concentration_mg_per_ml > 0 AND dose_mg > 0 AND volume_ml > 0",
                        name="amounts_positive"),
    )

    id = db.Column(db.Integer, primary_key=True)
    step_id = db.Column(db.Integer, db.ForeignKey("procedure_steps.id"), nullable=False, index=True)
    position = db.Column(db.Integer, nullable=False)
    drug_code = db.Column(db.String(40), nullable=False)
    # The formulary's name when the row was saved: a signed note keeps naming the drug it was signed
    # with when an admin renames it (NULL: saved before names were kept and not in the formulary).
    drug_name = db.Column(db.String(120))
    concentration_mg_per_ml = db.Column(db.Numeric(8, 3), nullable=False)
    dose_mg = db.Column(db.Numeric(8, 3), nullable=False)
    volume_ml = db.Column(db.Numeric(6, 2), nullable=False)
    lot_number = db.Column(db.String(40), nullable=False)

    step = db.relationship("ProcedureStep", back_populates="injectate")


class ProcedureAddendum(db.Model):
    """A dated correction or addition to a signed record. Never edited or removed."""

    __tablename__ = "procedure_addenda"
    __table_args__ = (
        CheckConstraint("reason <> '' AND text <> ''", name="reason_and_text"),
    )

    id = db.Column(db.Integer, primary_key=True)
    record_id = db.Column(db.Integer, db.ForeignKey("procedure_records.id"), nullable=False, index=True)
    at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    author_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False)
    reason = db.Column(db.String(200), nullable=False)
    text = db.Column(db.Text, nullable=False)

    record = db.relationship("ProcedureRecord", back_populates="addenda")
    author = db.relationship("User")


class SignedRecordIsReadOnly(Exception):
    pass


def _record_of(obj):
    if isinstance(obj, ProcedureStep):
        return obj.record
    if isinstance(obj, InjectateRow):
        return obj.step.record if obj.step else None
    return None


@event.listens_for(Session, "before_flush")
def _refuse_changes_after_signing(session, flush_context, instances):
    """The last line behind the services: nothing under a signed record changes, and an addendum
    is only ever added."""
    for obj in list(session.new) + list(session.dirty) + list(session.deleted):
        if isinstance(obj, ProcedureAddendum) and obj not in session.new and (
                obj in session.deleted or session.is_modified(obj)):
            raise SignedRecordIsReadOnly("Addenda cannot be changed or removed.")
        record = _record_of(obj)
        if record is None:
            continue
        changed = obj in session.new or obj in session.deleted or session.is_modified(obj)
        if changed and _was_signed(session, record):
            raise SignedRecordIsReadOnly("A signed procedure record cannot change; add an addendum.")


def _was_signed(session, record):
    """Signed before this flush (the flush that signs it may still write its last step)."""
    from sqlalchemy import inspect

    history = inspect(record).attrs.status.history
    before = history.deleted[0] if history.deleted else record.status
    return before == ProcedureStatus.SIGNED

from sqlalchemy import text

from tracker.extensions import db
from tracker.models.types import UTCDateTime, choice_enum
from tracker.roles import Role
from tracker.timeutil import utcnow
from tracker.vocab import N_, Indication, Side
from tracker.workflow import State


class Case(db.Model):
    """One episode of care for one patient and one joint decision: one referral to one outcome."""

    __tablename__ = "cases"
    __table_args__ = (
        # The cases of one state in waiting order (the worklist filtered by state): one index
        # range read in order, the id breaking ties as the list's order does.
        db.Index("ix_cases_state_changed", "state", "state_changed_at", "id"),
        # The worklist's default order (longest waiting first) reads this index in order.
        db.Index("ix_cases_state_changed_at", "state_changed_at", "id"),
        # The same order for the open cases alone (the worklist's default, the physician's list):
        # a page reads the first rows of it, never walking past the years of closed and cancelled
        # cases that fill the index above. PostgreSQL sees that any list of open states implies
        # it (SQLite does not, and reads the index above); the states are FINAL_STATES.
        db.Index("ix_cases_open_waiting", "state_changed_at", "id",
                 postgresql_where=text("state NOT IN ('closed', 'cancelled')"),
                 sqlite_where=text("state NOT IN ('closed', 'cancelled')")),
        # Reports count referrals by their date within a period.
        db.Index("ix_cases_referral_date", "referral_date"),
    )

    id = db.Column(db.Integer, primary_key=True)
    patient_id = db.Column(db.Integer, db.ForeignKey("patients.id"), nullable=False, index=True)
    # A repeat or confirmatory injection is a new case linked to the earlier one.
    previous_case_id = db.Column(db.Integer, db.ForeignKey("cases.id"), index=True)
    state = db.Column(choice_enum(State, "case_state"), nullable=False, default=State.REFERRED)
    state_changed_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    side = db.Column(choice_enum(Side, "side"), nullable=False, index=True)
    indication = db.Column(choice_enum(Indication, "indication"), nullable=False)
    referring_clinician = db.Column(db.String(120), nullable=False)
    referral_date = db.Column(db.Date, nullable=False)
    reason = db.Column(db.Text, nullable=False, default="")
    # ICD-10-CM codes from the clinic's list (tracker.coding), in the order chosen.
    diagnosis_codes = db.Column(db.JSON, nullable=False, default=list, server_default="[]")
    symptom_onset = db.Column(db.Date)
    # The seed's pain pattern (DESIGN.md section 3).
    pain_worse_standing = db.Column(db.Boolean, nullable=False, default=False, server_default=db.false())
    pain_worse_walking_uphill = db.Column(db.Boolean, nullable=False, default=False, server_default=db.false())
    pain_worse_sit_to_stand = db.Column(db.Boolean, nullable=False, default=False, server_default=db.false())
    pain_radiates_buttock_thigh = db.Column(db.Boolean, nullable=False, default=False, server_default=db.false())
    lumbar_fusion_history = db.Column(db.Boolean, nullable=False, default=False, server_default=db.false())
    # None: the clinic's default payer profile applies.
    payer_profile_code = db.Column(db.String(40), index=True)
    # Ongoing active rehabilitation (some payers require it); None = not recorded.
    ongoing_active_rehab = db.Column(db.Boolean)
    physician_id = db.Column(db.Integer, db.ForeignKey("users.id"), index=True)
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    created_by_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False)
    # Optimistic locking: a save from a stale form is refused instead of overwriting.
    version_id = db.Column(db.Integer, nullable=False, default=1)

    patient = db.relationship("Patient", back_populates="cases")
    physician = db.relationship("User", foreign_keys=[physician_id])
    created_by = db.relationship("User", foreign_keys=[created_by_id])
    previous_case = db.relationship("Case", remote_side=[id])
    history = db.relationship(
        "CaseHistory", back_populates="case", order_by="CaseHistory.id",
        cascade="all, delete-orphan",
    )
    conservative_care = db.relationship(
        "ConservativeCare", back_populates="case",
        order_by="(ConservativeCare.start_date, ConservativeCare.id)", cascade="all, delete-orphan",
    )
    examination = db.relationship("Examination", back_populates="case", uselist=False,
                                  cascade="all, delete-orphan")
    risk_screen = db.relationship("RiskScreen", back_populates="case", uselist=False,
                                  cascade="all, delete-orphan")
    appointments = db.relationship("Appointment", back_populates="case", order_by="Appointment.id")
    row = db.relationship("CaseRow", back_populates="case", uselist=False, cascade="all, delete-orphan",
                          passive_deletes=True)
    verdicts = db.relationship("EligibilityVerdict", foreign_keys="EligibilityVerdict.case_id",
                               order_by="EligibilityVerdict.id", viewonly=True)

    @property
    def active_appointment(self):
        """The booked (or checked-in, or started) appointment, if any: at most one at a time."""
        return next((a for a in self.appointments if a.active), None)

    @property
    def current_verdict(self):
        """The newest eligibility verdict, or None before the first evaluation."""
        return self.verdicts[-1] if self.verdicts else None

    __mapper_args__ = {"version_id_col": version_id}

    def __repr__(self):
        return f"<Case {self.id} {self.state.value}>"


class CaseHistory(db.Model):
    """The case's timeline: one row per state change, written with the change itself, and the
    notes that change nothing (`NOTES`: from and to the state the case was in)."""

    __tablename__ = "case_history"

    id = db.Column(db.Integer, primary_key=True)
    case_id = db.Column(db.Integer, db.ForeignKey("cases.id"), nullable=False, index=True)
    at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    # No actor: the tracker itself moved the case (a scheduled command such as marking no-shows).
    actor_id = db.Column(db.Integer, db.ForeignKey("users.id"))
    actor_role = db.Column(choice_enum(Role, "role"))
    action = db.Column(db.String(40), nullable=False)
    from_state = db.Column(choice_enum(State, "from_state"))
    to_state = db.Column(choice_enum(State, "to_state"), nullable=False)
    reason = db.Column(db.Text, nullable=False, default="")

    case = db.relationship("Case", back_populates="history")
    actor = db.relationship("User")

    # Timeline entries that do not move the case, by action, with what the timeline calls them.
    NOTES = {"referral_resent_differently": N_("Referral re-sent with other content, not applied"),
             "referral_withdrawn": N_("Referral withdrawn by its sender, not applied"),
             # Booked or moved to another physician (tracker/scheduling/services.py).
             "physician_changed": N_("Case reassigned")}

    @property
    def note(self):
        """What the timeline calls this entry when it moved nothing; None for a state change."""
        return self.NOTES.get(self.action)


class CaseStateCount(db.Model):
    """How many cases are in each state now, kept in the same flush as every change of a case's
    state (tracker/cases/counts.py), so that no page counts the cases table."""

    __tablename__ = "case_state_counts"

    state = db.Column(db.String(20), primary_key=True)
    cases = db.Column(db.Integer, nullable=False, default=0, server_default="0")


class CaseRow(db.Model):
    """What the case's line on the worklist says, kept with the case (tracker/cases/rows.py) so
    that reading a page works out nothing per row: what it waits for, whether its verdict still
    stands, and the clinic day (and clinic default payer profile) that answer was worked out for.
    A separate table, so that keeping it never bumps the case's own version (no false
    "changed by someone else" on a form open elsewhere)."""

    __tablename__ = "case_rows"

    case_id = db.Column(db.Integer, db.ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True)
    waiting_for = db.Column(db.JSON, nullable=False, default=list)
    verdict_stale = db.Column(db.Boolean, nullable=False, default=False)
    overridden = db.Column(db.Boolean, nullable=False, default=False)
    computed_on = db.Column(db.Date, nullable=False, index=True)
    default_profile = db.Column(db.String(40), nullable=False)
    # The moment, within that day, after which time alone may change the answer: a session of the
    # patient's booked today passing its no-show grace stops counting as a session to come (the
    # caps then read otherwise). None: nothing changes before the day does.
    current_until = db.Column(UTCDateTime, nullable=True)

    case = db.relationship("Case", back_populates="row")

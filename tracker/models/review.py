"""What the coordinator documents while a case is under review: conservative care tried, the
physical examination and the risk screen (DESIGN.md section 3)."""
from sqlalchemy import CheckConstraint

from tracker.clinical import PROVOCATION_TESTS
from tracker.extensions import db
from tracker.models.types import UTCDateTime, choice_enum
from tracker.timeutil import utcnow
from tracker.vocab import (Allergy, AllergyAnswer, AnticoagulantAnswer, Pregnancy, ProvocationResult, Response, Side,
                          TherapyKind)

EXAM_SIDES = (Side.LEFT, Side.RIGHT)
ODI_SECTIONS = 10


class ConservativeCare(db.Model):
    """One therapy tried before the injection; no end date means it is ongoing."""

    __tablename__ = "conservative_care"
    __table_args__ = (
        CheckConstraint("end_date IS NULL OR end_date >= start_date", name="end_after_start"),
    )

    id = db.Column(db.Integer, primary_key=True)
    case_id = db.Column(db.Integer, db.ForeignKey("cases.id"), nullable=False, index=True)
    kind = db.Column(choice_enum(TherapyKind, "therapy_kind"), nullable=False)
    start_date = db.Column(db.Date, nullable=False)
    end_date = db.Column(db.Date)
    response = db.Column(choice_enum(Response, "therapy_response"), nullable=False)
    details = db.Column(db.String(200), nullable=False, default="")
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    version_id = db.Column(db.Integer, nullable=False, default=1)

    case = db.relationship("Case", back_populates="conservative_care")
    __mapper_args__ = {"version_id_col": version_id}

    # The names the clinical calculations read (tracker.clinical works on any therapy-like object).
    @property
    def start(self):
        return self.start_date

    @property
    def end(self):
        return self.end_date


def _test_columns():
    """One column per provocation test and side: faber_left, faber_right, ..."""
    return {
        f"{test}_{side.value}": db.Column(
            choice_enum(ProvocationResult, f"{test}_{side.value}"), nullable=False,
            default=ProvocationResult.NOT_DONE,
        )
        for test, _ in PROVOCATION_TESTS
        for side in EXAM_SIDES
    }


def _odi_columns():
    return {f"odi_{n}": db.Column(db.Integer) for n in range(1, ODI_SECTIONS + 1)}


def _odi_checks():
    return tuple(
        CheckConstraint(f"odi_{n} IS NULL OR (odi_{n} BETWEEN 0 AND 5)", name=f"odi_{n}_range")
        for n in range(1, ODI_SECTIONS + 1)
    )


class Examination(db.Model):
    __tablename__ = "examinations"
    __table_args__ = (
        CheckConstraint("baseline_nrs IS NULL OR (baseline_nrs BETWEEN 0 AND 10)",
                        name="baseline_nrs_range"),
        *_odi_checks(),
    )

    id = db.Column(db.Integer, primary_key=True)
    case_id = db.Column(db.Integer, db.ForeignKey("cases.id"), nullable=False, unique=True)
    examined_on = db.Column(db.Date)
    pain_below_l5 = db.Column(db.Boolean)
    radicular_signs = db.Column(db.Boolean)
    baseline_nrs = db.Column(db.Integer)
    locals().update(_test_columns())
    locals().update(_odi_columns())
    updated_at = db.Column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)
    version_id = db.Column(db.Integer, nullable=False, default=1)

    case = db.relationship("Case", back_populates="examination")
    __mapper_args__ = {"version_id_col": version_id}

    def results(self, side):
        """{test: 'positive'|'negative'|'not_done'} for one side."""
        return {test: getattr(self, f"{test}_{Side(side).value}").value
                for test, _ in PROVOCATION_TESTS}

    @property
    def odi_sections(self):
        return [getattr(self, f"odi_{n}") for n in range(1, ODI_SECTIONS + 1)]


_ANY_ALLERGY = "(" + " OR ".join(allergy.field for allergy in Allergy) + ")"


class RiskScreen(db.Model):
    """The risk screen. "No anticoagulants" and "no known allergies" are answers of their own,
    distinct from a question not asked: a drug is named exactly when the answer is "taking", and
    an allergy is ticked exactly when the answer is "documented" (CHECK constraints)."""

    __tablename__ = "risk_screens"
    __table_args__ = (
        CheckConstraint("hba1c IS NULL OR (hba1c > 0 AND hba1c < 25)", name="hba1c_range"),
        CheckConstraint("anticoagulant_hold_days IS NULL OR (anticoagulant_hold_days BETWEEN 0 AND 30)",
                        name="anticoagulant_hold_days_range"),
        CheckConstraint("fasting_hours IS NULL OR (fasting_hours BETWEEN 1 AND 24)", name="fasting_hours_range"),
        CheckConstraint("(anticoagulant_answer = 'taking' AND anticoagulants <> '') OR "
                        "(anticoagulant_answer <> 'taking' AND anticoagulants = '')", name="drug_named_when_taking"),
        CheckConstraint(f"(allergy_answer = 'documented' AND {_ANY_ALLERGY}) OR "
                        f"(allergy_answer <> 'documented' AND NOT {_ANY_ALLERGY})", name="allergy_ticked_when_documented"),
    )

    def __init__(self, **values):
        # A screen made with a drug named or an allergy ticked and no answer given says so.
        if "anticoagulant_answer" not in values:
            values["anticoagulant_answer"] = (AnticoagulantAnswer.TAKING if (values.get("anticoagulants") or "").strip()
                                              else AnticoagulantAnswer.NOT_ASKED)
        if "allergy_answer" not in values:
            values["allergy_answer"] = (AllergyAnswer.DOCUMENTED if any(values.get(a.field) for a in Allergy)
                                        else AllergyAnswer.NOT_ASKED)
        super().__init__(**values)

    id = db.Column(db.Integer, primary_key=True)
    case_id = db.Column(db.Integer, db.ForeignKey("cases.id"), nullable=False, unique=True)
    anticoagulant_answer = db.Column(choice_enum(AnticoagulantAnswer, "anticoagulant_answer"), nullable=False,
                                     default=AnticoagulantAnswer.NOT_ASKED)
    allergy_answer = db.Column(choice_enum(AllergyAnswer, "allergy_answer"), nullable=False,
                               default=AllergyAnswer.NOT_ASKED)
    anticoagulants = db.Column(db.String(200), nullable=False, default="")
    anticoagulant_hold_plan = db.Column(db.Text, nullable=False, default="")
    # Full days with no dose before the procedure day (0: keep taking it; None: not recorded). The
    # patient's last dose is on the appointment's date minus (days + 1): see scheduling/instructions.
    anticoagulant_hold_days = db.Column(db.Integer)
    # Whether the prescriber agreed to the hold (None: not asked yet). Without it the patient is told
    # not to stop until the clinic confirms.
    anticoagulant_prescriber_agreed = db.Column(db.Boolean)
    allergy_contrast = db.Column(db.Boolean, nullable=False, default=False)
    allergy_iodine = db.Column(db.Boolean, nullable=False, default=False)
    allergy_latex = db.Column(db.Boolean, nullable=False, default=False)
    allergy_local_anaesthetic = db.Column(db.Boolean, nullable=False, default=False)
    allergy_steroid = db.Column(db.Boolean, nullable=False, default=False)
    contrast_premedication_plan = db.Column(db.Text, nullable=False, default="")
    # Premedication will be taken (starting the evening before); False with an allergy: e.g. no contrast.
    contrast_premedication_planned = db.Column(db.Boolean, nullable=False, default=False)
    pregnancy = db.Column(choice_enum(Pregnancy, "pregnancy"), nullable=False,
                          default=Pregnancy.NOT_APPLICABLE)
    infection_or_fever = db.Column(db.Boolean, nullable=False, default=False)
    diabetes = db.Column(db.Boolean, nullable=False, default=False)
    hba1c = db.Column(db.Numeric(4, 1))
    insulin = db.Column(db.Boolean, nullable=False, default=False)
    sedation_planned = db.Column(db.Boolean, nullable=False, default=False)
    # Hours before the appointment the patient was told to eat and drink nothing (None: not told to fast).
    fasting_hours = db.Column(db.Integer)
    red_flags_screened = db.Column(db.Boolean, nullable=False, default=False)
    red_flags_present = db.Column(db.Boolean, nullable=False, default=False)
    red_flags_notes = db.Column(db.Text, nullable=False, default="")
    # When each preparation step's answers last changed (tracker/scheduling/instructions.py
    # STEP_FIELDS; None: not since before any appointment got its time): a step changed after the
    # booking is given to the patient then, and judged against that moment, not the booking's.
    hold_set_at = db.Column(UTCDateTime)
    premedication_set_at = db.Column(UTCDateTime)
    fasting_set_at = db.Column(UTCDateTime)
    updated_at = db.Column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)
    version_id = db.Column(db.Integer, nullable=False, default=1)

    case = db.relationship("Case", back_populates="risk_screen")
    __mapper_args__ = {"version_id_col": version_id}

    # DESIGN.md: HbA1c above 7% or insulin -> glucose monitoring advice for about a week.
    HBA1C_MONITORING_ABOVE = 7

    @property
    def glucose_monitoring_advised(self):
        return self.insulin or (self.hba1c is not None and self.hba1c > self.HBA1C_MONITORING_ABOVE)

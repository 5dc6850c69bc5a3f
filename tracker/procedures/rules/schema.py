"""The checklist's shape: its steps in order, each step's fields, the vocabularies its answers
use, the limits the checks hold them to, and what the rules know about the case."""
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from tracker.procedures.formulary import formulary_by_code
from tracker.vocab import N_, Allergy, Choice, Side, joints_of


class Step(Choice):
    SIGN_IN = "sign_in", N_("Sign-in / verification")
    TIME_OUT = "time_out", N_("Time-out")
    POSITIONING = "positioning", N_("Positioning")
    SKIN_PREP = "skin_prep", N_("Skin prep")
    FLUOROSCOPY = "fluoroscopy", N_("Imaging guidance")
    CONTRAST = "contrast", N_("Contrast confirmation")
    INJECTATE = "injectate", N_("Injectate")
    SIGN_OUT = "sign_out", N_("Sign-out")


# The checklist in the order the physician works through it.
STEPS = tuple(Step)
# The needle steps: each is recorded per joint (keyed by side), and none before the time-out.
PER_SIDE_STEPS = frozenset({Step.FLUOROSCOPY, Step.CONTRAST, Step.INJECTATE})
# The steps that name a formulary agent, and the field that holds its code: the step keeps the
# agent's name as it was saved (ProcedureStep.agent_name).
AGENT_FIELDS = {Step.SKIN_PREP: "prep_agent", Step.CONTRAST: "agent"}


class Guidance(Choice):
    FLUOROSCOPY = "fluoroscopy", N_("Fluoroscopy")
    CT = "ct", N_("CT")
    ULTRASOUND = "ultrasound", N_("Ultrasound")


class ArthrogramPattern(Choice):
    INTRA_ARTICULAR_CEPHALAD = "intra_articular_cephalad", N_("Intra-articular with cephalad spread")
    POOR_SPREAD = "poor_spread", N_("Poor spread")
    EXTRAVASATION = "extravasation", N_("Extravasation")


class SkinAnaesthetic(Choice):
    """The skin wheal before the spinal needle: an answer either way (many physicians skip it)."""
    USED = "used", N_("Used")
    NOT_USED = "not_used", N_("Not used")


class Complication(Choice):
    NONE = "none", N_("None")
    VASOVAGAL = "vasovagal", N_("Vasovagal reaction")
    BLEEDING = "bleeding", N_("Bleeding")
    TRANSIENT_LEG_NUMBNESS_WEAKNESS = "transient_leg_numbness_weakness", N_("Transient leg numbness or weakness")
    INTRAVASCULAR_INJECTION = "intravascular_injection", N_("Intravascular injection")
    ALLERGIC_REACTION = "allergic_reaction", N_("Allergic reaction")
    OTHER = "other", N_("Other")


# The joint holds only about 0.6-2.5 mL; more than that spills out of it (DESIGN.md section 3).
MAX_INJECTATE_ML_PER_SIDE = Decimal("2.5")
# More than twice the most it holds is no larger joint but a typing error (2.0 mL typed as 20, a
# dose typed into the volume): saved only with the physician's confirmation and reason, like a
# strength outside the formulary. A deliberate larger volume (a capsular or periarticular spread)
# is recorded with its reason. It also bounds a local anaesthetic's dose: 5 mL of 2% lidocaine is
# 100 mg, of 0.5% bupivacaine 25 mg.
MAX_CONFIRMED_INJECTATE_ML_PER_SIDE = Decimal("5")
MIN_VIEWS = 2
# Over an hour of screening time for one SI joint is a typing error, not a procedure.
MAX_FLUOROSCOPY_SECONDS = Decimal("3600")
# What a fluoroscopy-guided SI joint injection usually takes: a screening time well under a minute
# (published medians about 20-40 s), a reference air kerma of a few mGy and a dose-area product of a few
# hundred mGy·cm². Above these bounds (about ten times as much) the value is most likely a slip (minutes
# typed as seconds, µGy typed as mGy): saved only with the physician's confirmation and reason.
USUAL_IMAGING_MAXIMUM = {
    "fluoroscopy_time_s": Decimal("300"),
    "air_kerma_mgy": Decimal("50"),
    "dap_mgy_cm2": Decimal("5000"),
}
# An arthrogram needs 0.25-1 mL; more than 10 mL cannot be a confirmation of needle position.
MAX_CONTRAST_ML = Decimal("10")
# Spinal needles come from 16 G to 30 G; anything outside is a typing error.
NEEDLE_GAUGE_RANGE = (16, 30)
NRS_MIN, NRS_MAX = 0, 10


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    # A tick box that must be ticked, as opposed to a question answered yes or no.
    confirmation: bool = False


# A drug of a class the risk screen documents an allergy to (povidone-iodine or a local anaesthetic on
# the skin, a local anaesthetic or a steroid in the injectate) is saved only with both: the tick and the reason, like
# iodinated contrast against a contrast allergy with no premedication. Asked only of such a patient,
# kept with the step only while such a drug is recorded, and shown in the note.
DRUG_ALLERGY_CONFIRMATION = (
    Field("allergy_confirmed", N_("I have reviewed the allergy (e.g. a different amide/ester class, or a documented "
                                  "non-allergic reaction) and proceed: my decision"), True),
    Field("allergy_reason", N_("Reason to proceed despite the documented allergy")),
)
DRUG_ALLERGY_FIELDS = frozenset(f.name for f in DRUG_ALLERGY_CONFIRMATION)

# A fluoroscopy time or dose above what an SI joint injection usually takes (USUAL_IMAGING_MAXIMUM) is
# saved only with both: the tick and the reason, like an injectate's strength outside the usual range.
# Kept with the step only while such a value is recorded, and shown in the note.
IMAGING_CONFIRMATION = (
    Field("dose_confirmed", N_("I have checked the fluoroscopy time and dose and confirm them as typed"), True),
    Field("dose_reason", N_("Reason for a fluoroscopy time or dose outside the usual range")),
)
IMAGING_CONFIRMATION_FIELDS = frozenset(f.name for f in IMAGING_CONFIRMATION)

STEP_FIELDS = {
    Step.SIGN_IN: (
        Field("identifiers_confirmed", "Two patient identifiers confirmed", True),
        Field("consent_confirmed", "Consent confirmed", True),
        Field("procedure_confirmed", "Procedure confirmed", True),
        Field("side_confirmed", "Side confirmed"),
        Field("site_marked", "Site marked", True),
        Field("allergies_reviewed", "Allergies reviewed", True),
        Field("anticoagulation_reviewed", "Anticoagulation reviewed", True),
        # Asked only when the risk screen says possibly pregnant or pregnant (PREGNANCY_FIELDS).
        Field("pregnancy_reviewed", "Pregnancy reviewed: a negative pregnancy test today, or the physician's "
                                    "decision to proceed", True),
        # Asked only when the risk screen says active infection or fever (INFECTION_FIELDS).
        Field("infection_reviewed", "Infection or fever reviewed: resolved, or the physician's decision to "
                                    "proceed", True),
    ),
    Step.TIME_OUT: (
        Field("patient_confirmed", "Patient confirmed", True),
        Field("procedure_confirmed", "Procedure confirmed", True),
        Field("side_and_site_confirmed", "Side and site confirmed", True),
        Field("position_confirmed", "Position confirmed", True),
        Field("images_available", "Images available", True),
    ),
    Step.POSITIONING: (
        Field("prone", "Prone with a pillow under the abdomen", True),
    ),
    Step.SKIN_PREP: (
        Field("prep_agent", "Skin prep agent"),
        Field("sterile_drape", "Sterile drape", True),
        # Used or not used (SkinAnaesthetic); records saved before kept a tick (values.saved_answers).
        Field("local_skin_anaesthetic", "Local skin anaesthetic"),
        # Asked only of a patient with a documented iodine or local anaesthetic allergy (DRUG_ALLERGY_FIELDS).
        *DRUG_ALLERGY_CONFIRMATION,
    ),
    Step.FLUOROSCOPY: (
        Field("modality", "Guidance"),
        Field("ultrasound_reason", "Reason for ultrasound guidance"),
        # A count (at least MIN_VIEWS), not the views' names: the label says so.
        Field("views", "Number of views"),
        Field("needle_gauge", "Needle gauge"),
        Field("fluoroscopy_time_s", "Fluoroscopy time (s)"),
        Field("air_kerma_mgy", "Reference air kerma (mGy)"),
        Field("dap_mgy_cm2", "Dose-area product (mGy·cm²)"),
        Field("ctdi_vol_mgy", "CTDIvol (mGy)"),
        Field("dlp_mgy_cm", "Dose-length product (mGy·cm)"),
        # Asked only when a time or dose is outside the usual range (USUAL_IMAGING_MAXIMUM).
        *IMAGING_CONFIRMATION,
    ),
    Step.CONTRAST: (
        Field("omitted", "Contrast omitted"),
        Field("omission_reason", "Reason contrast was omitted"),
        Field("agent", "Contrast agent"),
        Field("volume_ml", "Contrast volume (mL)"),
        Field("arthrogram_pattern", "Arthrogram pattern"),
        Field("vascular_uptake", "Vascular uptake"),
        # Asked only of a patient with a documented contrast allergy and no premedication planned.
        Field("contrast_allergy_confirmed", "I give iodinated contrast despite the documented contrast allergy "
                                            "(no premedication planned)", True),
        Field("contrast_allergy_reason", "Reason to give iodinated contrast despite the allergy"),
    ),
    Step.INJECTATE: (
        Field("rows", "At least one drug"),
    ),
    Step.SIGN_OUT: (
        Field("complications", "Complications"),
        Field("complication_other", "Other complication (describe)"),
        Field("pain_nrs", "Immediate post-procedure pain (0–10)"),
        Field("discharge_instructions_given", "Discharge instructions given", True),
        # Asked only when the patient held a blood thinner for the injection (RESTART_FIELDS).
        Field("anticoagulant_restart", "Blood thinner: when the patient was told to restart it"),
        # Asked only of a bilateral record (NOT_INJECTED_FIELDS): the procedure stopped after one joint
        # was injected. Blank: both were. The case then goes on for the joint injected (services.sign).
        Field("not_injected_side", "Side not injected"),
        Field("not_injected_reason", "Why that side was not injected"),
    ),
}

INJECTATE_ROW_FIELDS = (
    Field("drug", N_("Drug")),
    # Typed in mg/mL ("5") or as a percentage ("0.5 %"); stored in mg/mL.
    Field("concentration_mg_per_ml", N_("Concentration (mg/mL or %)")),
    Field("dose_mg", N_("Dose (mg)")),
    Field("volume_ml", N_("Volume (mL)")),
    Field("lot_number", N_("Lot number")),
)

# A strength, dose or volume outside the usual range (formulary.strength_problems, joint_dose_problem,
# combined_dose_problem, MAX_CONFIRMED_INJECTATE_ML_PER_SIDE) is saved only with both: the tick and
# the reason. They belong to the injectate step (one side), are kept with it and shown in the note.
STRENGTH_CONFIRMATION = (
    Field("strength_confirmed", N_("I have checked the strength, dose and volume and confirm them as typed"), True),
    Field("strength_reason", N_("Reason for a strength, dose or volume outside the usual range")),
)

# Which dose record each guidance needs. A fluoroscope reports screening time, reference air
# kerma and dose-area product; a CT scanner reports CTDIvol and dose-length product instead;
# ultrasound gives no ionising radiation, so it records no dose but needs its stated reason.
GUIDANCE_FIELDS = {
    Guidance.FLUOROSCOPY: ("views", "fluoroscopy_time_s", "air_kerma_mgy", "dap_mgy_cm2"),
    Guidance.CT: ("ctdi_vol_mgy", "dlp_mgy_cm"),
    Guidance.ULTRASOUND: ("ultrasound_reason",),
}

# The sign-in's fields asked only of a patient the risk screen says is or may be pregnant, and
# those asked only of one it says has an active infection or fever.
PREGNANCY_FIELDS = frozenset({"pregnancy_reviewed"})
# The sign-out's restart of a blood thinner held for the injection: asked only of a patient who held
# one (a missed restart carries the risk of a clot or a stroke).
RESTART_FIELDS = frozenset({"anticoagulant_restart"})
INFECTION_FIELDS = frozenset({"infection_reviewed"})
# The sign-out's side not injected, with its reason: asked only of a bilateral record, where one joint
# may be injected and the other not (the patient could not go on, the needle could not be placed).
NOT_INJECTED_FIELDS = frozenset({"not_injected_side", "not_injected_reason"})
# The contrast check's confirmation, with its reason, of iodinated contrast given against a documented
# contrast allergy whose plan has no premedication ("no contrast will be used"): asked only of such a
# patient, kept only while such an agent is recorded.
CONTRAST_ALLERGY_FIELDS = frozenset({"contrast_allergy_confirmed", "contrast_allergy_reason"})

# The steps that ask DRUG_ALLERGY_CONFIRMATION, and the allergies (Allergy values) that make them ask it.
DRUG_ALLERGY_STEPS = {
    Step.SKIN_PREP: frozenset({Allergy.IODINE, Allergy.LOCAL_ANAESTHETIC}),
    Step.INJECTATE: frozenset({Allergy.LOCAL_ANAESTHETIC, Allergy.STEROID}),
}

CONTRAST_DETAILS = ("agent", "volume_ml", "arthrogram_pattern", "vascular_uptake")
NON_NEGATIVE_DOSES = ("fluoroscopy_time_s", "air_kerma_mgy", "dap_mgy_cm2", "ctdi_vol_mgy", "dlp_mgy_cm")


@dataclass(frozen=True)
class ChecklistContext:
    """What the rules need to know about the case besides the checklist itself.

    ``contrast_allergy`` is the documented iodinated contrast allergy from the risk screen.
    ``formulary`` defaults to the built-in one; the app passes the admin-edited table.
    """

    side: str
    contrast_allergy: bool = False
    formulary: Mapping = field(default_factory=formulary_by_code)
    # The risk screen's documented allergies, as ALLERGY_* codes below.
    allergies: frozenset = frozenset()
    # The risk screen's questions still answered "not asked" (or no risk screen): "allergies",
    # "anticoagulants". Sign-in asks for them; "none" and "NKDA" are answers and never listed here.
    not_asked: frozenset = frozenset()
    # The risk screen's pregnancy answer when it asks for the physician's decision ("possible",
    # "yes"), else "": the sign-in then records her acknowledgement.
    pregnancy: str = ""
    # The risk screen says active infection or fever: the sign-in then records her review.
    infection: bool = False
    # The blood thinner held for the injection, as the risk screen names it ("" when none was held):
    # the sign-out then records when the patient was told to restart it.
    held_anticoagulant: str = ""
    # The risk screen plans premedication for the contrast allergy (taken from the evening before).
    contrast_premedication_planned: bool = False
    # Why that plan cannot be counted on ("": it can): it did not fit the booked day and no new plan
    # was confirmed at readiness (tracker.scheduling.readiness.premedication_not_taken).
    premedication_not_taken: str = ""
    # The joints whose injectate is saved (the sign-out's side not injected must be another).
    injected_joints: frozenset = frozenset()

    def __post_init__(self):
        Side(self.side)

    def fields_not_asked(self, step_code) -> frozenset:
        """The step's fields this patient is not asked (their form leaves them out, a save drops them)."""
        step = Step(step_code)
        if step == Step.SIGN_IN:
            return sign_in_not_asked(self.pregnancy, self.infection)
        if step == Step.SIGN_OUT:
            return (frozenset() if self.held_anticoagulant else RESTART_FIELDS) | (
                frozenset() if self.bilateral else NOT_INJECTED_FIELDS)
        if step == Step.CONTRAST and not self.contrast_allergy_unprepared:
            return CONTRAST_ALLERGY_FIELDS
        if step in DRUG_ALLERGY_STEPS and not self.allergies & DRUG_ALLERGY_STEPS[step]:
            return DRUG_ALLERGY_FIELDS
        return frozenset()

    @property
    def contrast_allergy_unprepared(self) -> bool:
        """A documented contrast allergy with no premedication planned, or with one not taken as planned."""
        return self.contrast_allergy and (not self.contrast_premedication_planned or bool(self.premedication_not_taken))

    @property
    def premedication_words(self) -> str:
        """What the contrast confirmation says of the premedication."""
        return self.premedication_not_taken or "the risk screen plans no premedication"

    @property
    def joints(self) -> tuple[Side, ...]:
        return joints_of(self.side)

    @property
    def bilateral(self) -> bool:
        return self.side == Side.BILATERAL


def sign_in_not_asked(pregnancy: str = "", infection: bool = False) -> frozenset:
    """The sign-in's reviews this patient is not asked: the pregnancy's without a pregnancy flag
    (`pregnancy` as ChecklistContext.pregnancy), the infection's without an infection or fever."""
    return (frozenset() if pregnancy else PREGNANCY_FIELDS) | (frozenset() if infection else INFECTION_FIELDS)

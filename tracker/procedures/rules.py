"""The procedure checklist's order and safety rules, as plain functions over plain values.

No database, no request. The shapes the functions read:

- A step's values: a dict of field name -> value as a form gives it (None or "" when blank).
  Confirmations (``Field.confirmation``) are tick boxes and count only when True; answers such
  as vascular uptake are recorded when True or False. Numbers may be Decimals, ints or numeric
  strings.
- Per-side steps (fluoroscopy, contrast, injectate) are always keyed by side,
  ``{"left": values, "right": values}``; a unilateral case has one key, its own side.
- Injectate values: ``{"rows": [row, ...]}``, each row a dict with ``INJECTATE_ROW_FIELDS``.
  Field errors on a row are keyed ``rows-<index>-<field>``, as a WTForms FieldList names them.
- A formulary: a mapping from drug code to an entry with the attributes of
  ``tracker.procedures.formulary.FormularyEntry`` (a model row will do).
"""

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation

from tracker.procedures.formulary import (
    INJECTATE_KINDS,
    DrugKind,
    dose_matches,
    formulary_by_code,
    millilitres,
    plain,
)
from tracker.vocab import Choice, Side, joints_of


class Step(Choice):
    SIGN_IN = "sign_in", "Sign-in / verification"
    TIME_OUT = "time_out", "Time-out"
    POSITIONING = "positioning", "Positioning"
    SKIN_PREP = "skin_prep", "Skin prep"
    FLUOROSCOPY = "fluoroscopy", "Imaging guidance"
    CONTRAST = "contrast", "Contrast confirmation"
    INJECTATE = "injectate", "Injectate"
    SIGN_OUT = "sign_out", "Sign-out"


# The checklist in the order the physician works through it.
STEPS = tuple(Step)
NEEDLE_STEPS = frozenset({Step.FLUOROSCOPY, Step.CONTRAST, Step.INJECTATE})
PER_SIDE_STEPS = frozenset({Step.FLUOROSCOPY, Step.CONTRAST, Step.INJECTATE})


class Guidance(Choice):
    FLUOROSCOPY = "fluoroscopy", "Fluoroscopy"
    CT = "ct", "CT"
    ULTRASOUND = "ultrasound", "Ultrasound"


class ArthrogramPattern(Choice):
    INTRA_ARTICULAR_CEPHALAD = "intra_articular_cephalad", "Intra-articular with cephalad spread"
    POOR_SPREAD = "poor_spread", "Poor spread"
    EXTRAVASATION = "extravasation", "Extravasation"


class Complication(Choice):
    NONE = "none", "None"
    VASOVAGAL = "vasovagal", "Vasovagal reaction"
    BLEEDING = "bleeding", "Bleeding"
    TRANSIENT_LEG_NUMBNESS_WEAKNESS = "transient_leg_numbness_weakness", "Transient leg numbness or weakness"
    INTRAVASCULAR_INJECTION = "intravascular_injection", "Intravascular injection"
    ALLERGIC_REACTION = "allergic_reaction", "Allergic reaction"
    OTHER = "other", "Other"


# The joint holds only about 0.6-2.5 mL; more than that spills out of it (DESIGN.md section 3).
MAX_INJECTATE_ML_PER_SIDE = Decimal("2.5")
# The procedure itself takes 20-30 minutes; a longer one is flagged for review, never blocked.
LONG_PROCEDURE_MINUTES = 30
MIN_VIEWS = 2
# Over an hour of screening time for one SI joint is a typing error, not a procedure.
MAX_FLUOROSCOPY_SECONDS = Decimal("3600")
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


STEP_FIELDS = {
    Step.SIGN_IN: (
        Field("identifiers_confirmed", "Two patient identifiers confirmed", True),
        Field("consent_confirmed", "Consent confirmed", True),
        Field("procedure_confirmed", "Procedure confirmed", True),
        Field("side_confirmed", "Side confirmed"),
        Field("site_marked", "Site marked", True),
        Field("allergies_reviewed", "Allergies reviewed", True),
        Field("anticoagulation_reviewed", "Anticoagulation reviewed", True),
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
        Field("local_skin_anaesthetic", "Local skin anaesthetic", True),
    ),
    Step.FLUOROSCOPY: (
        Field("modality", "Guidance"),
        Field("ultrasound_reason", "Reason for ultrasound guidance"),
        Field("views", "Views"),
        Field("needle_gauge", "Needle gauge"),
        Field("fluoroscopy_time_s", "Fluoroscopy time (s)"),
        Field("air_kerma_mgy", "Reference air kerma (mGy)"),
        Field("dap_mgy_cm2", "Dose-area product (mGy·cm²)"),
        Field("ctdi_vol_mgy", "CTDIvol (mGy)"),
        Field("dlp_mgy_cm", "Dose-length product (mGy·cm)"),
    ),
    Step.CONTRAST: (
        Field("omitted", "Contrast omitted"),
        Field("omission_reason", "Reason contrast was omitted"),
        Field("agent", "Contrast agent"),
        Field("volume_ml", "Contrast volume (mL)"),
        Field("arthrogram_pattern", "Arthrogram pattern"),
        Field("vascular_uptake", "Vascular uptake"),
    ),
    Step.INJECTATE: (
        Field("rows", "At least one drug"),
    ),
    Step.SIGN_OUT: (
        Field("complications", "Complications"),
        Field("complication_other", "Other complication (describe)"),
        Field("pain_nrs", "Immediate post-procedure pain (0–10)"),
        Field("discharge_instructions_given", "Discharge instructions given", True),
    ),
}

INJECTATE_ROW_FIELDS = (
    Field("drug", "Drug"),
    Field("concentration_mg_per_ml", "Concentration (mg/mL)"),
    Field("dose_mg", "Dose (mg)"),
    Field("volume_ml", "Volume (mL)"),
    Field("lot_number", "Lot number"),
)

# Which dose record each guidance needs. A fluoroscope reports screening time, reference air
# kerma and dose-area product; a CT scanner reports CTDIvol and dose-length product instead;
# ultrasound gives no ionising radiation, so it records no dose but needs its stated reason.
GUIDANCE_FIELDS = {
    Guidance.FLUOROSCOPY: ("views", "fluoroscopy_time_s", "air_kerma_mgy", "dap_mgy_cm2"),
    Guidance.CT: ("ctdi_vol_mgy", "dlp_mgy_cm"),
    Guidance.ULTRASOUND: ("ultrasound_reason",),
}

_CONTRAST_DETAILS = ("agent", "volume_ml", "arthrogram_pattern", "vascular_uptake")
_NON_NEGATIVE_DOSES = ("fluoroscopy_time_s", "air_kerma_mgy", "dap_mgy_cm2", "ctdi_vol_mgy", "dlp_mgy_cm")


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

    def __post_init__(self):
        Side(self.side)

    @property
    def joints(self) -> tuple[Side, ...]:
        return joints_of(self.side)

    @property
    def bilateral(self) -> bool:
        return self.side == Side.BILATERAL


# --- required fields ---------------------------------------------------------------------------


def required_fields(step_code: str, values: Mapping) -> tuple[str, ...]:
    """The names a step needs before signing, given what has been chosen so far.

    Guidance decides the dose fields, omitting contrast replaces the contrast details with
    a reason, and "other" among the complications needs a description.
    """
    step = Step(step_code)
    if step == Step.FLUOROSCOPY:
        names = ["modality", "needle_gauge"]
        modality = _choice(Guidance, values.get("modality"))
        if modality is not None:
            names += GUIDANCE_FIELDS[modality]
        return tuple(names)
    if step == Step.CONTRAST:
        return ("omission_reason",) if values.get("omitted") is True else _CONTRAST_DETAILS
    if step == Step.SIGN_OUT:
        names = ("complications", "pain_nrs", "discharge_instructions_given")
        if Complication.OTHER in _complications(values.get("complications")):
            names += ("complication_other",)
        return names
    return tuple(f.name for f in STEP_FIELDS[step])


def missing_fields(step_code: str, values: Mapping) -> list[str]:
    """The labels of the required fields still blank, in the order the form shows them."""
    step = Step(step_code)
    if step == Step.INJECTATE:
        return _missing_injectate(values)
    required = set(required_fields(step, values))
    return [f.label for f in STEP_FIELDS[step]
            if f.name in required and not _recorded(f, values.get(f.name))]


def _missing_injectate(values: Mapping) -> list[str]:
    rows = _filled_rows(values.get("rows"))
    if not rows:
        return [STEP_FIELDS[Step.INJECTATE][0].label]
    return [f"Drug {number}: {f.label}"
            for number, (_, row) in enumerate(rows, start=1)
            for f in INJECTATE_ROW_FIELDS if not _recorded(f, row.get(f.name))]


def missing_for_signing(steps_values: Mapping, context: ChecklistContext) -> list[str]:
    """Every required field still blank across the checklist; signing waits for an empty list.

    ``steps_values`` maps step code to the step's values (per side for per-side steps); a step
    never saved counts as blank. Bilateral entries name the side: "Contrast confirmation (left): ...".
    """
    missing = []
    for step in STEPS:
        if step in PER_SIDE_STEPS:
            by_side = steps_values.get(step) or {}
            for joint in context.joints:
                where = f" ({joint.value})" if context.bilateral else ""
                missing += [f"{step.label}{where}: {label}"
                            for label in missing_fields(step, by_side.get(joint) or {})]
        else:
            missing += [f"{step.label}: {label}" for label in missing_fields(step, steps_values.get(step) or {})]
    return missing


# --- validating one step -------------------------------------------------------------------------


def validate_step(step_code: str, values: Mapping, context: ChecklistContext,
                  side: str | None = None) -> tuple[dict[str, str], list[str]]:
    """Errors (field name -> message) refuse the save; warnings are shown and the save goes ahead.

    Blank fields are not errors: a step may be saved part-filled and completed before signing.
    ``side`` names the joint of a per-side step in the warnings; it defaults to the case's side.
    """
    step = Step(step_code)
    if step in PER_SIDE_STEPS and side is None and context.bilateral:
        raise ValueError(f"a bilateral case records {step.value} per side: say which side")
    errors: dict[str, str] = {}
    warnings: list[str] = []
    _VALIDATORS[step](values, context, Side(side or context.side), errors, warnings)
    if not errors:
        warnings += allergy_warnings(step, values, context)
    return errors, warnings


# --- allergies ---------------------------------------------------------------------------------

ALLERGY_CONTRAST, ALLERGY_IODINE = "contrast", "iodine"
ALLERGY_LOCAL_ANAESTHETIC, ALLERGY_STEROID = "local_anaesthetic", "steroid"
_ALLERGY_WORDS = {ALLERGY_CONTRAST: "iodinated contrast", ALLERGY_IODINE: "iodine / povidone-iodine",
                  ALLERGY_LOCAL_ANAESTHETIC: "local anaesthetic", ALLERGY_STEROID: "steroid"}


def _iodinated(entry) -> bool:
    # Gadolinium agents (gado-) are the alternative for an iodinated-contrast allergy; every
    # other contrast agent in use for arthrography (iohexol, iopamidol, iodixanol...) carries iodine.
    return entry.kind == DrugKind.CONTRAST and not entry.code.startswith("gado")


def _allergies_hit(entry, context) -> list[str]:
    hits = []
    if _iodinated(entry) and ALLERGY_CONTRAST in context.allergies:
        hits.append(ALLERGY_CONTRAST)
    if (_iodinated(entry) or "iodine" in entry.code) and ALLERGY_IODINE in context.allergies:
        hits.append(ALLERGY_IODINE)
    if entry.kind == DrugKind.LOCAL_ANAESTHETIC and ALLERGY_LOCAL_ANAESTHETIC in context.allergies:
        hits.append(ALLERGY_LOCAL_ANAESTHETIC)
    if entry.kind == DrugKind.STEROID and ALLERGY_STEROID in context.allergies:
        hits.append(ALLERGY_STEROID)
    return hits


def allergy_warnings(step_code: str, values: Mapping, context: ChecklistContext) -> list[str]:
    """A drug chosen against an allergy the risk screen documents: a warning kept with the step
    (premedication or a test dose may make it the physician's considered choice), never a block."""
    step = Step(step_code)
    chosen, warnings = [], []
    if step == Step.SKIN_PREP:
        chosen = [values.get("prep_agent")]
        if values.get("local_skin_anaesthetic") is True and ALLERGY_LOCAL_ANAESTHETIC in context.allergies:
            warnings.append(f"Documented {_ALLERGY_WORDS[ALLERGY_LOCAL_ANAESTHETIC]} allergy: local skin "
                            f"anaesthetic was given.")
    elif step == Step.CONTRAST and values.get("omitted") is not True:
        chosen = [values.get("agent")]
    elif step == Step.INJECTATE:
        chosen = [row.get("drug") for _, row in _filled_rows(values.get("rows"))]
    for code in chosen:
        entry = context.formulary.get(code) if not _blank(code) else None
        for allergy in (_allergies_hit(entry, context) if entry else ()):
            warnings.append(f"Documented {_ALLERGY_WORDS[allergy]} allergy: {entry.name} was chosen. "
                            f"Confirm premedication or choose another agent.")
    return warnings


def _validate_sign_in(values, context, joint, errors, warnings):
    confirmed = values.get("side_confirmed")
    if _blank(confirmed):
        return
    if _choice(Side, confirmed) is None:
        errors["side_confirmed"] = "Choose left, right or bilateral."
    elif confirmed != context.side:
        errors["side_confirmed"] = (f"The side confirmed ({Side(confirmed).value}) does not match "
                                    f"the case ({Side(context.side).value}).")


def _validate_nothing(values, context, joint, errors, warnings):
    """Time-out and positioning are tick boxes only: nothing to check until signing."""


def _validate_skin_prep(values, context, joint, errors, warnings):
    _check_formulary_choice(values, "prep_agent", {DrugKind.SKIN_PREP}, context.formulary, errors,
                            "Choose a skin prep agent from the formulary.")


def _validate_guidance(values, context, joint, errors, warnings):
    modality = values.get("modality")
    if not _blank(modality) and _choice(Guidance, modality) is None:
        errors["modality"] = "Choose fluoroscopy, CT or ultrasound."
    if modality == Guidance.ULTRASOUND and _blank(values.get("ultrasound_reason")):
        errors["ultrasound_reason"] = "Ultrasound guidance needs a stated reason."

    views = _whole_number(values, "views", errors)
    if views is not None and views < MIN_VIEWS:
        errors["views"] = f"At least {MIN_VIEWS} views are needed to confirm the needle position."
    gauge = _whole_number(values, "needle_gauge", errors)
    low, high = NEEDLE_GAUGE_RANGE
    if gauge is not None and not low <= gauge <= high:
        errors["needle_gauge"] = f"A needle gauge is between {low} G and {high} G."

    labels = {f.name: f.label for f in STEP_FIELDS[Step.FLUOROSCOPY]}
    amounts = {name: _number(values, name, errors) for name in _NON_NEGATIVE_DOSES}
    for name, amount in amounts.items():
        if amount is not None and amount < 0:
            errors[name] = f"{_unit_free(labels[name])} cannot be negative."
    seconds = amounts["fluoroscopy_time_s"]
    if seconds is not None and seconds > MAX_FLUOROSCOPY_SECONDS:
        errors["fluoroscopy_time_s"] = (f"A fluoroscopy time of {plain(seconds)} s is over an hour; "
                                        f"check the value (it is in seconds).")


def _validate_contrast(values, context, joint, errors, warnings):
    if values.get("omitted") is True:
        if _blank(values.get("omission_reason")):
            errors["omission_reason"] = "Say why contrast was omitted."
        # A "no" for vascular uptake is what an untouched yes/no field may send; it is not a finding.
        if any(not _blank(values.get(name)) for name in ("agent", "volume_ml", "arthrogram_pattern")) \
                or values.get("vascular_uptake") is True:
            errors["omitted"] = "Contrast is marked omitted but contrast details are filled in; clear one or the other."
        if not context.contrast_allergy:
            warnings.append(f"No contrast allergy is documented, so the injectate{_where(joint, context)} "
                            f"cannot be recorded without a contrast confirmation.")
        return

    _check_formulary_choice(values, "agent", {DrugKind.CONTRAST}, context.formulary, errors,
                            "Choose a contrast agent from the formulary.")
    volume = _number(values, "volume_ml", errors)
    if volume is not None and volume <= 0:
        errors["volume_ml"] = "The contrast volume must be more than 0 mL."
    elif volume is not None and volume > MAX_CONTRAST_ML:
        errors["volume_ml"] = (f"{millilitres(volume)} mL of contrast is more than {plain(MAX_CONTRAST_ML)} mL; "
                               f"an arthrogram usually needs 0.25–1 mL. Check the value.")

    pattern = values.get("arthrogram_pattern")
    if not _blank(pattern) and _choice(ArthrogramPattern, pattern) is None:
        errors["arthrogram_pattern"] = "Choose intra-articular, poor spread or extravasation."
    elif pattern in (ArthrogramPattern.POOR_SPREAD, ArthrogramPattern.EXTRAVASATION):
        warnings.append(f"{ArthrogramPattern(pattern).label}{_where(joint, context)} is not an intra-articular "
                        f"pattern: reposition the needle and repeat the contrast check before injecting.")
    uptake = values.get("vascular_uptake")
    if not _blank(uptake) and not isinstance(uptake, bool):
        errors["vascular_uptake"] = "Say whether vascular uptake was seen."
    elif uptake is True:
        warnings.append(_vascular_uptake(_where(joint, context)))


def _validate_injectate(values, context, joint, errors, warnings):
    rows = _filled_rows(values.get("rows"))
    for index, row in rows:
        key = f"rows-{index}-"
        _check_formulary_choice(row, "drug", INJECTATE_KINDS, context.formulary, errors,
                                "Choose a local anaesthetic or a steroid from the formulary.", prefix=key)
        amounts = {}
        for name in ("concentration_mg_per_ml", "dose_mg", "volume_ml"):
            amount = _number(row, name, errors, prefix=key)
            if amount is not None and amount <= 0:
                errors[key + name] = "Must be more than 0."
            amounts[name] = amount
        if all(amount is not None and amount > 0 for amount in amounts.values()):
            check = dose_matches(amounts["concentration_mg_per_ml"], amounts["dose_mg"], amounts["volume_ml"])
            if not check:
                errors[key + "volume_ml"] = check.message
    if not errors:
        warnings += injectate_warnings({joint: [row for _, row in rows]}, context.formulary)


def _validate_sign_out(values, context, joint, errors, warnings):
    chosen = values.get("complications")
    if not _blank(chosen):
        codes = _as_list(chosen)
        if any(_choice(Complication, code) is None for code in codes):
            errors["complications"] = "Choose complications from the list."
        elif Complication.NONE in codes and len(set(codes)) > 1:
            errors["complications"] = "\"None\" cannot be combined with a complication."
        elif Complication.OTHER in codes and _blank(values.get("complication_other")):
            errors["complication_other"] = "Describe the other complication."
    pain = _whole_number(values, "pain_nrs", errors)
    if pain is not None and not NRS_MIN <= pain <= NRS_MAX:
        errors["pain_nrs"] = f"Pain is scored from {NRS_MIN} to {NRS_MAX}."


_VALIDATORS = {
    Step.SIGN_IN: _validate_sign_in,
    Step.TIME_OUT: _validate_nothing,
    Step.POSITIONING: _validate_nothing,
    Step.SKIN_PREP: _validate_skin_prep,
    Step.FLUOROSCOPY: _validate_guidance,
    Step.CONTRAST: _validate_contrast,
    Step.INJECTATE: _validate_injectate,
    Step.SIGN_OUT: _validate_sign_out,
}


# --- order -------------------------------------------------------------------------------------


def may_record(step_code: str, done: Mapping, contrast_results_by_side: Mapping,
               context: ChecklistContext, side: str | None = None) -> list[str]:
    """Why the step cannot be recorded now; an empty list means it may be.

    ``done`` maps step code to True/False, or for a per-side step to ``{side: bool}``.
    ``contrast_results_by_side`` maps side to that side's contrast step values in the order
    recorded, the latest last (a repeat after repositioning supersedes the earlier check).
    ``side`` says which joint a per-side step is for; a unilateral case may leave it out.

    Only the safety order is enforced: sign-in before time-out, time-out before any needle
    step, contrast confirmation before injectate, injectate before sign-out. Positioning and
    skin prep are free, and the imaging step may be completed after the contrast and injectate
    because its screening time and dose are only known at the end.
    """
    step = Step(step_code)
    if step in PER_SIDE_STEPS:
        refusal = _side_refusal(side, context)
        if refusal:
            return [refusal]
        side = Side(side or context.side)

    refusals = []
    if step == Step.TIME_OUT and not _done(done, Step.SIGN_IN):
        refusals.append("Record the sign-in before the time-out.")
    if step in NEEDLE_STEPS and not _done(done, Step.TIME_OUT):
        refusals.append("Record the time-out before any needle step (imaging, contrast, injectate).")
    if step == Step.INJECTATE:
        results = contrast_results_by_side.get(side) or ()
        refusals += _contrast_refusals(results, _where(side, context), context)
    if step == Step.SIGN_OUT:
        refusals += [f"Record the injectate{_where(joint, context)} before the sign-out."
                     for joint in context.joints if not _done(done, Step.INJECTATE, joint)]
    return refusals


def _contrast_refusals(results, where: str, context: ChecklistContext) -> list[str]:
    if not results:
        return [f"The injectate{where} needs a contrast confirmation first: an intra-articular pattern "
                f"without vascular uptake, or the reason contrast was omitted for a documented contrast allergy."]
    latest = results[-1]
    if latest.get("omitted") is True:
        refusals = []
        if _blank(latest.get("omission_reason")):
            refusals.append(f"Record why contrast was omitted{where} before the injectate.")
        if not context.contrast_allergy:
            refusals.append(f"Contrast may be omitted only for a documented contrast allergy, and none is "
                            f"recorded for this patient: confirm the needle position with contrast{where} "
                            f"before the injectate.")
        return refusals

    refusals = []
    uptake = latest.get("vascular_uptake")
    if uptake is True:
        refusals.append(_vascular_uptake(where))
    elif uptake is not False:
        refusals.append(f"Record whether vascular uptake was seen{where} before the injectate.")
    pattern = _choice(ArthrogramPattern, latest.get("arthrogram_pattern"))
    if pattern is None:
        refusals.append(f"Record the arthrogram pattern{where} before the injectate.")
    elif pattern != ArthrogramPattern.INTRA_ARTICULAR_CEPHALAD:
        refusals.append(f"The last contrast check{where} showed {pattern.label.lower()}, not an intra-articular "
                        f"pattern: reposition the needle and repeat the contrast check before injecting.")
    return refusals


def _vascular_uptake(where: str) -> str:
    return f"Vascular uptake{where}: reposition the needle and repeat the contrast check before injecting."


def _side_refusal(side: str | None, context: ChecklistContext) -> str | None:
    if context.bilateral and _choice(Side, side) not in context.joints:
        return "Say which side, left or right, this step is for."
    if not context.bilateral and side is not None and side != context.side:
        return f"This is a {Side(context.side).value} case: nothing can be recorded for the {side} side."
    return None


def _done(done: Mapping, step: Step, side: str | None = None) -> bool:
    """A per-side step's state may be one flag for the case or a flag per side."""
    state = done.get(step)
    if isinstance(state, Mapping):
        return bool(state.get(side))
    return bool(state)


def _where(side: str, context: ChecklistContext) -> str:
    return f" on the {Side(side).value} side" if context.bilateral else ""


# --- injectate, duration, billing ----------------------------------------------------------------


def injectate_warnings(rows_by_side: Mapping, formulary: Mapping) -> list[str]:
    """Warnings for each side's injectate: too much volume, a steroid above its usual maximum,
    a concentration the formulary does not list. Rows that are not yet valid are skipped."""
    warnings = []
    for side, rows in rows_by_side.items():
        where = f"{_side_label(side)} side"
        rows = [row for _, row in _filled_rows(rows)]
        total = sum((_quiet_decimal(row.get("volume_ml")) or Decimal(0) for row in rows), Decimal(0))
        if total > MAX_INJECTATE_ML_PER_SIDE:
            warnings.append(f"{where}: {millilitres(total)} mL in total is more than the joint usually holds "
                            f"(about 0.6–{plain(MAX_INJECTATE_ML_PER_SIDE)} mL).")
        steroid_doses: dict[str, Decimal] = {}
        for row in rows:
            code = row.get("drug")
            entry = formulary.get(code)
            if entry is None:
                continue
            strengths = [_quiet_decimal(strength) for strength in entry.strengths]
            concentration = _quiet_decimal(row.get("concentration_mg_per_ml"))
            if concentration is not None and strengths and concentration not in strengths:
                listed = ", ".join(plain(strength) for strength in strengths)
                warnings.append(f"{where}: {entry.name} at {plain(concentration)} mg/mL is not a listed "
                                f"strength ({listed} mg/mL).")
            dose = _quiet_decimal(row.get("dose_mg"))
            if entry.kind == DrugKind.STEROID and dose is not None:
                # Two rows of the same steroid go into the same joint: the maximum is for the sum.
                steroid_doses[code] = steroid_doses.get(code, Decimal(0)) + dose
        for code, dose in steroid_doses.items():
            entry = formulary[code]
            maximum = _quiet_decimal(entry.usual_max_dose_mg)
            if maximum is not None and dose > maximum:
                warnings.append(f"{where}: {entry.name} {plain(dose)} mg is above the usual maximum of "
                                f"{plain(maximum)} mg per SI joint.")
    return warnings


def duration_minutes(start: datetime, end: datetime) -> int:
    """Minutes from start to sign-out, counting a minute begun as a minute.

    Rounding up keeps the stored figure and its flag in step with the live timer: once the
    timer passes 30:00 the record reads 31 minutes and is flagged.
    """
    if end < start:
        raise ValueError(f"the procedure ends ({end.isoformat()}) before it starts ({start.isoformat()})")
    return math.ceil((end - start).total_seconds() / 60)


def flag_long(minutes: int) -> bool:
    return minutes > LONG_PROCEDURE_MINUTES


@dataclass(frozen=True)
class BillingCode:
    system: str
    code: str
    description: str
    modifier: str | None = None

    def __str__(self):
        return f"{self.code}-{self.modifier}" if self.modifier else self.code


_PROFESSIONAL = ("CPT", "27096", "Injection procedure for sacroiliac joint, anesthetic/steroid, "
                 "with image guidance (fluoroscopy or CT) including arthrography when performed")
_FACILITY = ("HCPCS", "G0260", "Injection procedure for sacroiliac joint; provision of anesthetic, "
             "steroid and/or other therapeutic agent, with or without arthrography")
BILATERAL_MODIFIER = "50"


def billing_codes(side: str, facility: bool, guidance: str = Guidance.FLUOROSCOPY) -> tuple[BillingCode, ...]:
    """The code for the claim: CPT 27096 on the physician's claim, HCPCS G0260 on a facility's
    (hospital outpatient or ASC) claim; one line with modifier 50 for a bilateral session.

    Imaging guidance and arthrography are part of 27096, so no imaging code is added. 27096
    requires fluoroscopic or CT guidance: for an ultrasound-guided injection no code is suggested
    and the coder decides.
    """
    if Guidance(guidance) == Guidance.ULTRASOUND:
        return ()
    system, code, description = _FACILITY if facility else _PROFESSIONAL
    modifier = BILATERAL_MODIFIER if Side(side) == Side.BILATERAL else None
    return (BillingCode(system, code, description, modifier),)


# --- reading form values -------------------------------------------------------------------------


def _blank(value) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, (list, tuple, set, frozenset)):
        return not value
    return False


def _recorded(f: Field, value) -> bool:
    return value is True if f.confirmation else not _blank(value)


def _choice(vocabulary, value):
    try:
        return vocabulary(value)
    except ValueError:
        return None


def _as_list(value) -> list:
    return [value] if isinstance(value, str) else list(value)


def _complications(value) -> list:
    return [] if _blank(value) else _as_list(value)


def _filled_rows(rows) -> list[tuple[int, Mapping]]:
    """Rows with anything typed in, with their index in the form (a FieldList's spare empty
    rows are not drugs)."""
    return [(index, row) for index, row in enumerate(rows or ())
            if any(not _blank(row.get(f.name)) for f in INJECTATE_ROW_FIELDS)]


def _quiet_decimal(value) -> Decimal | None:
    if _blank(value) or isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _number(values: Mapping, name: str, errors: dict, prefix: str = "") -> Decimal | None:
    """The field as a Decimal; None when blank, or (with an error) when it is not a number."""
    value = values.get(name)
    if _blank(value):
        return None
    number = _quiet_decimal(value)
    if number is None:
        errors[prefix + name] = "Enter a number."
    return number


def _whole_number(values: Mapping, name: str, errors: dict) -> int | None:
    number = _number(values, name, errors)
    if number is None:
        return None
    if number != number.to_integral_value():
        errors[name] = "Enter a whole number."
        return None
    return int(number)


def _check_formulary_choice(values, name, kinds, formulary, errors, message, prefix=""):
    code = values.get(name)
    if _blank(code):
        return
    entry = formulary.get(code)
    if entry is None or entry.kind not in kinds:
        errors[prefix + name] = message


def _unit_free(label: str) -> str:
    return label.split(" (")[0]


def _side_label(side: str) -> str:
    return Side(side).label

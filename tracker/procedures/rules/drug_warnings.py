"""Warnings about the drugs chosen: against a documented allergy, or an injectate beyond what
a joint holds or a steroid's usual maximum. Warnings never block a save."""
from collections.abc import Mapping
from decimal import ROUND_CEILING, Decimal
from fractions import Fraction

from tracker.procedures.formulary import DrugKind, lower_first, millilitres, percent_words, plain
from tracker.procedures.rules.schema import MAX_INJECTATE_ML_PER_SIDE, ChecklistContext, SkinAnaesthetic, Step
from tracker.procedures.rules.values import blank, filled_rows, quiet_decimal
from tracker.vocab import Allergy, Side

# The allergies a drug can be chosen against (ChecklistContext.allergies holds Allergy values).
ALLERGY_CONTRAST, ALLERGY_IODINE = Allergy.CONTRAST, Allergy.IODINE
ALLERGY_LOCAL_ANAESTHETIC, ALLERGY_STEROID = Allergy.LOCAL_ANAESTHETIC, Allergy.STEROID


def _iodinated(entry) -> bool:
    # Gadolinium agents (gado-) are the alternative for an iodinated-contrast allergy; every
    # other contrast agent in use for arthrography (iohexol, iopamidol, iodixanol...) carries iodine.
    return entry.kind == DrugKind.CONTRAST and not entry.code.startswith("gado")


def contrast_against_allergy(values: Mapping, context: ChecklistContext) -> bool:
    """An iodinated contrast agent chosen for a patient with a documented contrast allergy whose plan
    has no premedication ("no contrast will be used"): saved only with the physician's confirmation
    and reason. With premedication planned it is a warning."""
    if values.get("omitted") is True or not context.contrast_allergy_unprepared or blank(values.get("agent")):
        return False
    entry = context.formulary.get(values.get("agent"))
    return entry is not None and _iodinated(entry)


def drugs_against_allergy(step_code: str, values: Mapping, context: ChecklistContext) -> list[tuple[str, str]]:
    """The drugs chosen of a class the risk screen documents an allergy to (povidone-iodine or a local
    anaesthetic on the skin, a local anaesthetic or a steroid in the injectate), as (field, "Documented
    … allergy: <drug> chosen.") pairs: saved only with the physician's confirmation and reason (checks)."""
    step, hits = Step(step_code), []
    if step == Step.SKIN_PREP:
        entry = context.formulary.get(values.get("prep_agent")) if not blank(values.get("prep_agent")) else None
        if entry is not None and ALLERGY_IODINE in _allergies_hit(entry, context):
            hits.append(("prep_agent", f"Documented {ALLERGY_IODINE.label} allergy: {entry.name} chosen."))
        if values.get("local_skin_anaesthetic") == SkinAnaesthetic.USED \
                and ALLERGY_LOCAL_ANAESTHETIC in context.allergies:
            hits.append(("local_skin_anaesthetic", f"Documented {ALLERGY_LOCAL_ANAESTHETIC.label} allergy: "
                                                   f"local skin anaesthetic chosen."))
    elif step == Step.INJECTATE:
        for index, row in filled_rows(values.get("rows")):
            entry = context.formulary.get(row.get("drug")) if not blank(row.get("drug")) else None
            for allergy in (_allergies_hit(entry, context) if entry else ()):
                if allergy in (ALLERGY_LOCAL_ANAESTHETIC, ALLERGY_STEROID):
                    hits.append((f"rows-{index}-drug",
                                 f"Documented {Allergy(allergy).label} allergy: {entry.name} chosen."))
    return hits


def _allergies_hit(entry, context) -> list[str]:
    hits = []
    if _iodinated(entry) and ALLERGY_CONTRAST in context.allergies:
        hits.append(ALLERGY_CONTRAST)
    # An "iodine", shellfish or povidone-iodine allergy is no cross-reaction with iodinated contrast
    # (ACR Manual on Contrast Media): it concerns the povidone-iodine skin prep only.
    if "iodine" in entry.code and ALLERGY_IODINE in context.allergies:
        hits.append(ALLERGY_IODINE)
    if entry.kind == DrugKind.LOCAL_ANAESTHETIC and ALLERGY_LOCAL_ANAESTHETIC in context.allergies:
        hits.append(ALLERGY_LOCAL_ANAESTHETIC)
    if entry.kind == DrugKind.STEROID and ALLERGY_STEROID in context.allergies:
        hits.append(ALLERGY_STEROID)
    return hits


def allergy_warnings(step_code: str, values: Mapping, context: ChecklistContext) -> list[str]:
    """A drug chosen against an allergy the risk screen documents: a warning kept with the step
    (iodinated contrast with premedication planned). Povidone-iodine, a local anaesthetic or a
    steroid against its allergy is no warning but a confirmation with a reason
    (`drugs_against_allergy`), as is iodinated contrast with no premedication planned."""
    step = Step(step_code)
    chosen, warnings = [], []
    if step == Step.CONTRAST and values.get("omitted") is not True and not contrast_against_allergy(values, context):
        # (Against an allergy with no premedication planned, the check's confirmation says it instead.)
        chosen = [values.get("agent")]
    for code in chosen:
        entry = context.formulary.get(code) if not blank(code) else None
        # (Contrast: an iodine allergy is no cross-reaction, so only a contrast allergy is hit.)
        for allergy in (_allergies_hit(entry, context) if entry else ()):
            warnings.append(f"Documented {Allergy(allergy).label} allergy: {entry.name} was chosen. "
                            f"Confirm premedication or choose another agent.")
    return warnings


def iodine_free_prep(context: ChecklistContext) -> str:
    """The skin prep agent to offer instead of povidone-iodine (the formulary's first without iodine,
    chlorhexidine in the built-in one), by name; "" when the formulary offers none."""
    return next((entry.name for entry in context.formulary.values()
                 if entry.kind == DrugKind.SKIN_PREP and "iodine" not in entry.code), "")

def injectate_warnings(rows_by_side: Mapping, formulary: Mapping) -> list[str]:
    """Warnings for each side's injectate: too much volume, a steroid above its usual maximum.
    Rows that are not yet valid are skipped. (A strength the formulary does not list, a local
    anaesthetic above its maximum, local anaesthetics above it together and more than 5 mL in the
    joint are not warnings but hard stops: see `formulary.strength_problems`,
    `formulary.joint_dose_problem`, `formulary.combined_dose_problem` and `checks._validate_injectate`.)"""
    warnings = []
    for side, rows in rows_by_side.items():
        where = f"{side_label(side)} side"
        rows = [row for _, row in filled_rows(rows)]
        total = sum((quiet_decimal(row.get("volume_ml")) or Decimal(0) for row in rows), Decimal(0))
        if total > MAX_INJECTATE_ML_PER_SIDE:
            warnings.append(f"{where}: {millilitres(total)} mL in total is more than the joint usually holds "
                            f"(about 0.6–{plain(MAX_INJECTATE_ML_PER_SIDE)} mL).")
        steroid_doses: dict[str, Decimal] = {}
        for row in rows:
            code = row.get("drug")
            entry = formulary.get(code)
            if entry is None:
                continue
            dose = quiet_decimal(row.get("dose_mg"))
            if entry.kind == DrugKind.STEROID and dose is not None:
                # Two rows of the same steroid go into the same joint: the maximum is for the sum.
                steroid_doses[code] = steroid_doses.get(code, Decimal(0)) + dose
        over = False
        for code, dose in steroid_doses.items():
            entry = formulary[code]
            maximum = quiet_decimal(entry.usual_max_dose_mg)
            if maximum is not None and dose > maximum:
                over = True
                warnings.append(f"{where}: {entry.name} {plain(dose)} mg is above the usual maximum of "
                                f"{plain(maximum)} mg per SI joint.")
        if not over:
            warnings += _steroids_together(where, steroid_doses, formulary)
    return warnings


def _steroids_together(where, steroid_doses, formulary):
    """Two steroids in one joint, each within its own usual maximum, above it together: each dose is a
    share of its own maximum (the joint's steroid load adds up, as local anaesthetics' toxicity does),
    and the shares together above 100 % are a warning."""
    counted = [(formulary[code], dose, quiet_decimal(formulary[code].usual_max_dose_mg))
               for code, dose in steroid_doses.items()]
    counted = [(entry, dose, maximum) for entry, dose, maximum in counted if maximum and dose > 0]
    if len(counted) < 2:
        return []
    shares = [Fraction(dose) / Fraction(maximum) for _, dose, maximum in counted]
    together = sum(shares, Fraction(0))
    if together <= 1:
        return []
    said = [f"{entry.name if position == 0 else lower_first(entry.name)} {plain(dose)} mg "
            f"({percent_words(share)} %{' of its usual maximum' if position == 0 else ''})"
            for position, ((entry, dose, _), share) in enumerate(zip(counted, shares))]
    return [f"{where}: {', '.join(said[:-1])} and {said[-1]} together reach "
            f"{percent_words(together, ROUND_CEILING)} % of the usual steroid maximum per SI joint."]

def side_label(side: str) -> str:
    return Side(side).label

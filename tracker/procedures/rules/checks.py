"""Checking one step's values on save: errors refuse the save, warnings go with it."""
from collections.abc import Mapping
from decimal import Decimal

from tracker.procedures.formulary import (INJECTATE_KINDS, DrugKind, combined_dose_problem, dose_matches,
                                         joint_dose_problem, millilitres, plain, read_concentration,
                                         strength_problems)
from tracker.procedures.rules.drug_warnings import (allergy_warnings, contrast_against_allergy, drugs_against_allergy,
                                                   injectate_warnings, iodine_free_prep)
from tracker.procedures.rules.order import side_phrase, vascular_uptake_message
from tracker.procedures.rules.schema import (MAX_CONFIRMED_INJECTATE_ML_PER_SIDE, MAX_CONTRAST_ML,
                                             MAX_FLUOROSCOPY_SECONDS, MAX_INJECTATE_ML_PER_SIDE, MIN_VIEWS,
                                             NEEDLE_GAUGE_RANGE, NON_NEGATIVE_DOSES, NRS_MAX, NRS_MIN,
                                             PER_SIDE_STEPS, STEP_FIELDS, USUAL_IMAGING_MAXIMUM, ArthrogramPattern,
                                             ChecklistContext, Complication, Guidance, SkinAnaesthetic, Step)
from tracker.procedures.rules.duration import elapsed_words
from tracker.procedures.rules.values import (as_choice, as_list, blank, filled_rows, quiet_decimal, read_number,
                                             read_whole_number)
from tracker.vocab import Side


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


def _validate_sign_in(values, context, joint, errors, warnings):
    for question, reviewed in (("allergies", "allergies_reviewed"), ("anticoagulants", "anticoagulation_reviewed")):
        if question in context.not_asked and values.get(reviewed) is True:
            warnings.append(f"The risk screen does not answer the question on {question} (not asked): "
                            f"ask the patient before the time-out; the answer is not on the record.")
    confirmed = values.get("side_confirmed")
    if blank(confirmed):
        return
    if as_choice(Side, confirmed) is None:
        errors["side_confirmed"] = "Choose left, right or bilateral."
    elif confirmed != context.side:
        # A wrong-side near miss, not a slip: changing the answer to the booked side would go ahead on
        # the side the patient or the consent denies.
        errors["side_confirmed"] = (f"The side confirmed ({Side(confirmed).value}) does not match "
                                    f"the case ({Side(context.side).value}). Stop: do not change your answer to "
                                    f"match the booking. Check the patient, the consent and the images; if the "
                                    f"booking's side is wrong, abandon the procedure (below) and have the case "
                                    f"corrected.")


def _validate_nothing(values, context, joint, errors, warnings):
    """Time-out and positioning are tick boxes only: nothing to check until signing."""


def _validate_skin_prep(values, context, joint, errors, warnings):
    _check_formulary_choice(values, "prep_agent", {DrugKind.SKIN_PREP}, context.formulary, errors,
                            "Choose a skin prep agent from the formulary.")
    anaesthetic = values.get("local_skin_anaesthetic")
    if not blank(anaesthetic) and as_choice(SkinAnaesthetic, anaesthetic) is None:
        errors["local_skin_anaesthetic"] = "Say whether local skin anaesthetic was used."
    _check_drug_allergies(Step.SKIN_PREP, values, context, joint, errors, warnings)


VIEWS_COUNT = f"Enter the number of views taken, e.g. {MIN_VIEWS}."


def _validate_guidance(values, context, joint, errors, warnings):
    modality = values.get("modality")
    if not blank(modality) and as_choice(Guidance, modality) is None:
        errors["modality"] = "Choose fluoroscopy, CT or ultrasound."
    if modality == Guidance.ULTRASOUND and blank(values.get("ultrasound_reason")):
        errors["ultrasound_reason"] = "Ultrasound guidance needs a stated reason."

    views = read_whole_number(values, "views", errors)
    if "views" in errors:
        # "AP, contralateral oblique": the views named, not counted.
        errors["views"] = VIEWS_COUNT
    elif views is not None and views < MIN_VIEWS:
        errors["views"] = f"At least {MIN_VIEWS} views are needed to confirm the needle position."
    gauge = read_whole_number(values, "needle_gauge", errors)
    low, high = NEEDLE_GAUGE_RANGE
    if gauge is not None and not low <= gauge <= high:
        errors["needle_gauge"] = f"A needle gauge is between {low} G and {high} G."

    labels = {f.name: f.label for f in STEP_FIELDS[Step.FLUOROSCOPY]}
    amounts = {name: read_number(values, name, errors) for name in NON_NEGATIVE_DOSES}
    for name, amount in amounts.items():
        if amount is not None and amount < 0:
            errors[name] = f"{_unit_free(labels[name])} cannot be negative."
    seconds = amounts["fluoroscopy_time_s"]
    if seconds is not None and seconds > MAX_FLUOROSCOPY_SECONDS:
        errors["fluoroscopy_time_s"] = (f"A fluoroscopy time of {plain(seconds)} s is over an hour; "
                                        f"check the value (it is in seconds).")
    _check_usual_imaging(values, context, joint, errors, warnings)


def imaging_outside_usual(values: Mapping) -> dict[str, str]:
    """The imaging step's time and doses above what an SI joint injection usually takes
    (USUAL_IMAGING_MAXIMUM), as {field: what it is, in words}; a time over an hour is refused
    outright instead."""
    found = {}
    for name, usual in USUAL_IMAGING_MAXIMUM.items():
        amount = quiet_decimal(values.get(name))
        if amount is None or amount <= usual or (name == "fluoroscopy_time_s" and amount > MAX_FLUOROSCOPY_SECONDS):
            continue
        found[name] = (f"{plain(amount)} s is {elapsed_words(amount)} of fluoroscopy; an SI joint injection usually "
                       f"takes under a minute" if name == "fluoroscopy_time_s" else _USUAL_DOSE[name](plain(amount)))
    return found


_USUAL_DOSE = {
    "air_kerma_mgy": lambda typed: (f"{typed} mGy of reference air kerma is more than "
                                    f"{plain(USUAL_IMAGING_MAXIMUM['air_kerma_mgy'])} mGy; an SI joint injection "
                                    f"usually gives a few mGy"),
    "dap_mgy_cm2": lambda typed: (f"{typed} mGy·cm² of dose-area product is more than "
                                  f"{plain(USUAL_IMAGING_MAXIMUM['dap_mgy_cm2'])} mGy·cm² (5 Gy·cm²); an SI joint "
                                  f"injection usually gives a few hundred mGy·cm²"),
}


def _check_usual_imaging(values, context, joint, errors, warnings):
    """A time or dose outside the usual range: refused beside its field, on the same save as the
    step's other errors, unless the physician ticks that she checked it and gives the reason."""
    unusual = {name: problem for name, problem in imaging_outside_usual(values).items() if name not in errors}
    if not unusual:
        return
    if imaging_confirmed(values):
        if not errors:
            reason = values["dose_reason"].strip()
            warnings += [f"{IMAGING_CONFIRMED}{side_phrase(joint, context)}: {problem}. Reason: {reason}"
                         for problem in unusual.values()]
        return
    for name, problem in unusual.items():
        errors[name] = f"{problem}: check the unit, or confirm below with the reason."
    errors["dose_reason"] = ("Not saved: a fluoroscopy time or dose outside the usual range needs your confirmation "
                             "and the reason, or correct it above.")


# How a confirmed fluoroscopy time or dose outside the usual range is kept among the step's warnings.
IMAGING_CONFIRMED = "Confirmed outside the usual range"


def imaging_confirmed(values) -> bool:
    """The physician ticked that she checked the time and dose, and gave the reason (both are needed)."""
    return values.get("dose_confirmed") is True and not blank(values.get("dose_reason"))


def _validate_contrast(values, context, joint, errors, warnings):
    if values.get("omitted") is True:
        if blank(values.get("omission_reason")):
            errors["omission_reason"] = "Say why contrast was omitted."
        # A "no" for vascular uptake is what an untouched yes/no field may send; it is not a finding.
        if any(not blank(values.get(name)) for name in ("agent", "volume_ml", "arthrogram_pattern")) \
                or values.get("vascular_uptake") is True:
            errors["omitted"] = "Contrast is marked omitted but contrast details are filled in; clear one or the other."
        if not context.contrast_allergy:
            warnings.append(f"No contrast allergy is documented, so the injectate{side_phrase(joint, context)} "
                            f"cannot be recorded without a contrast confirmation.")
        return

    _check_formulary_choice(values, "agent", {DrugKind.CONTRAST}, context.formulary, errors,
                            "Choose a contrast agent from the formulary.")
    if "agent" not in errors and contrast_against_allergy(values, context):
        name = context.formulary[values["agent"]].name
        if contrast_allergy_confirmed(values):
            # "Documented … allergy": the reports count it among the drugs given against an allergy.
            warnings.append(f"{CONTRAST_CONFIRMED}{side_phrase(joint, context)}: Documented iodinated contrast "
                            f"allergy with {'the premedication not taken as planned' if context.premedication_not_taken else 'no premedication planned'}; "
                            f"{name} given. Reason: {values['contrast_allergy_reason'].strip()}")
        else:
            errors["agent"] = (f"Documented iodinated contrast allergy, and {context.premedication_words}: "
                               f"{name} is iodinated. Choose a gadolinium agent or omit contrast, or confirm it "
                               f"below with the reason.")
            errors["contrast_allergy_reason"] = ("Not saved: iodinated contrast against a documented contrast "
                                                 "allergy with " + ("the premedication not taken as planned"
                                                                    if context.premedication_not_taken
                                                                    else "no premedication")
                                                 + " needs your confirmation and the reason.")
    volume = read_number(values, "volume_ml", errors)
    if volume is not None and volume <= 0:
        errors["volume_ml"] = "The contrast volume must be more than 0 mL."
    elif volume is not None and volume > MAX_CONTRAST_ML:
        errors["volume_ml"] = (f"{millilitres(volume)} mL of contrast is more than {plain(MAX_CONTRAST_ML)} mL; "
                               f"an arthrogram usually needs 0.25–1 mL. Check the value.")

    pattern = values.get("arthrogram_pattern")
    if not blank(pattern) and as_choice(ArthrogramPattern, pattern) is None:
        errors["arthrogram_pattern"] = "Choose intra-articular, poor spread or extravasation."
    elif pattern in (ArthrogramPattern.POOR_SPREAD, ArthrogramPattern.EXTRAVASATION):
        warnings.append(f"{ArthrogramPattern(pattern).label}{side_phrase(joint, context)} is not an intra-articular "
                        f"pattern: reposition the needle and repeat the contrast check before injecting.")
    uptake = values.get("vascular_uptake")
    if not blank(uptake) and not isinstance(uptake, bool):
        errors["vascular_uptake"] = "Say whether vascular uptake was seen."
    elif uptake is True:
        warnings.append(vascular_uptake_message(side_phrase(joint, context)))


NO_DRUG = ("Record the drug given (drug, concentration, dose and volume): the injectate is saved only with its "
           "drug, since saving it starts the pain diary.")
# What a drug row that has something typed says of each part left empty: saved, it would be a drug
# given without its amount (the record keeps every part of every drug).
ROW_PARTS_MISSING = {
    "drug": "Choose the drug, or clear this row.",
    "concentration_mg_per_ml": "Give the concentration (mg/mL, or % as on the vial).",
    "dose_mg": "Give the dose in mg (concentration × volume).",
    "volume_ml": "Give the volume in mL.",
}


def _validate_injectate(values, context, joint, errors, warnings):
    rows = filled_rows(values.get("rows"))
    if not rows:
        # Saved, the step says the drug was given: it starts the pain diary's clock and counts
        # towards the caps. Nothing typed is no injection.
        errors["rows-0-drug"] = NO_DRUG
    unconfirmed = {}
    # Per joint: the volume of every row, and each drug's dose over its rows (the last row of each says it),
    # the drugs in the order of their last rows.
    volume, volume_key, doses = Decimal(0), None, {}
    for index, row in rows:
        key = f"rows-{index}-"
        _check_formulary_choice(row, "drug", INJECTATE_KINDS, context.formulary, errors,
                                "Choose a local anaesthetic or a steroid from the formulary.", prefix=key)
        amounts = {"concentration_mg_per_ml": read_concentration_field(row, errors, key)}
        for name in ("dose_mg", "volume_ml"):
            amounts[name] = read_number(row, name, errors, prefix=key)
        # A drug given is recorded whole: the note, the dose limits and the diary read every part.
        for name, missing in ROW_PARTS_MISSING.items():
            if blank(row.get(name)) and key + name not in errors:
                errors[key + name] = missing
        for name, amount in amounts.items():
            if amount is not None and amount <= 0:
                errors[key + name] = "Must be more than 0."
        if all(amount is not None and amount > 0 for amount in amounts.values()):
            check = dose_matches(amounts["concentration_mg_per_ml"], amounts["dose_mg"], amounts["volume_ml"])
            if not check:
                # Any of the three may be the slipped one: said of the row, not pinned to one field.
                errors[f"rows-{index}"] = check.message
        if amounts["volume_ml"] is not None and amounts["volume_ml"] > 0:
            volume, volume_key = volume + amounts["volume_ml"], key + "volume_ml"
        if key + "drug" not in errors:
            for name, problem in strength_problems(context.formulary.get(row.get("drug")),
                                                   amounts["concentration_mg_per_ml"]):
                unconfirmed.setdefault(key + name, []).append(problem)
            if amounts["dose_mg"] is not None and amounts["dose_mg"] > 0:
                total, _ = doses.pop(row.get("drug"), (Decimal(0), None))
                doses[row.get("drug")] = (total + amounts["dose_mg"], key + "dose_mg")
    for code, (total, field) in doses.items():
        problem = joint_dose_problem(context.formulary.get(code), total)
        if problem:
            unconfirmed.setdefault(field, []).append(problem)
    # Local anaesthetics add up: two drugs each within its own maximum may be above it together.
    combined = combined_dose_problem((context.formulary.get(code), total, field)
                                     for code, (total, field) in doses.items())
    if combined:
        field, problem = combined
        unconfirmed.setdefault(field, []).append(problem)
    if volume > MAX_CONFIRMED_INJECTATE_ML_PER_SIDE:
        unconfirmed.setdefault(volume_key, []).append(
            f"{millilitres(volume)} mL in total is far more than an SI joint holds (about "
            f"0.6–{plain(MAX_INJECTATE_ML_PER_SIDE)} mL; more than {plain(MAX_CONFIRMED_INJECTATE_ML_PER_SIDE)} mL "
            f"is asked about).")
    # Said on the same save as the rows' other errors, each beside its field: the physician at the
    # table corrects everything in one go rather than meeting the hard stop only once the rest is right.
    if unconfirmed and not strength_confirmed(values):
        for field, problems in unconfirmed.items():
            errors[field] = " ".join(filter(None, (errors.get(field), *problems, CONFIRM_STRENGTH)))
        errors["strength_reason"] = ("Not saved: a strength, dose or volume outside the usual range needs your "
                                     "confirmation and the reason, or correct it above.")
    elif unconfirmed and not errors:
        warnings += [f"{CONFIRMED}{side_phrase(joint, context)}: {problem} Reason: {values['strength_reason'].strip()}"
                     for problems in unconfirmed.values() for problem in problems]
    _check_drug_allergies(Step.INJECTATE, values, context, joint, errors, warnings)
    if not errors:
        warnings += injectate_warnings({joint: [row for _, row in rows]}, context.formulary)


def _check_drug_allergies(step, values, context, joint, errors, warnings):
    """Povidone-iodine, a local anaesthetic or a steroid against its documented allergy: refused beside the field
    (with the stop of iodinated contrast against a contrast allergy, on the same save as the step's
    other errors) unless the physician ticks that she has reviewed the allergy and gives the reason."""
    hits = [(field, words) for field, words in drugs_against_allergy(step, values, context) if field not in errors]
    if not hits:
        return
    if drug_allergy_confirmed(values):
        if not errors:
            reason = values["allergy_reason"].strip()
            # "Documented … allergy": the reports count it among the drugs given against an allergy.
            warnings += [f"{ALLERGY_CONFIRMED}{side_phrase(joint, context)}: {words} Allergy reviewed; the "
                         f"physician's decision to proceed. Reason: {reason}" for _, words in hits]
        return
    for field, words in hits:
        instead = iodine_free_prep(context) if field == "prep_agent" else ""
        errors[field] = (f"{words} Choose {instead + ' instead' if instead else 'another agent'}, or confirm below "
                         f"that you have reviewed the allergy, with the reason.")
    errors["allergy_reason"] = (f"Not saved: {' '.join(words for _, words in hits)} Tick that you have reviewed the "
                                f"allergy and proceed, and give the reason, or choose another agent.")


CONFIRM_STRENGTH = "Correct it, or confirm it below with the reason."
# How iodinated contrast confirmed against a documented allergy (no premedication) is kept among the
# check's warnings.
CONTRAST_CONFIRMED = "Confirmed against a documented contrast allergy"


def contrast_allergy_confirmed(values) -> bool:
    """The physician ticked the confirmation and gave the reason (a tick alone is not a reason)."""
    return values.get("contrast_allergy_confirmed") is True and not blank(values.get("contrast_allergy_reason"))
# How a drug confirmed against a documented local anaesthetic or steroid allergy is kept among the
# step's warnings.
ALLERGY_CONFIRMED = "Confirmed against a documented allergy"


def drug_allergy_confirmed(values) -> bool:
    """The physician ticked that she has reviewed the allergy and gave the reason (both are needed)."""
    return values.get("allergy_confirmed") is True and not blank(values.get("allergy_reason"))


# How a confirmed strength, dose or volume outside the usual range is kept among the step's warnings
# (the words records saved before volumes were asked about hold, which the reports count).
CONFIRMED = "Confirmed outside the formulary"


def strength_confirmed(values) -> bool:
    """The physician ticked the confirmation and gave the reason for a strength, dose or volume
    outside the usual range (both are needed; a tick alone is not a reason)."""
    return values.get("strength_confirmed") is True and not blank(values.get("strength_reason"))


def read_concentration_field(row, errors, key):
    """The concentration in mg/mL, typed in mg/mL or as a percentage; None (with an error when
    something was typed) when it is not one."""
    value = row.get("concentration_mg_per_ml")
    if blank(value):
        return None
    reading = read_concentration(value)
    if reading is None:
        errors[key + "concentration_mg_per_ml"] = "Enter the concentration in mg/mL (e.g. 5) or as a percentage (e.g. 0.5 %)."
        return None
    return reading.mg_per_ml


def _validate_sign_out(values, context, joint, errors, warnings):
    chosen = values.get("complications")
    if not blank(chosen):
        codes = as_list(chosen)
        if any(as_choice(Complication, code) is None for code in codes):
            errors["complications"] = "Choose complications from the list."
        elif Complication.NONE in codes and len(set(codes)) > 1:
            errors["complications"] = "\"None\" cannot be combined with a complication."
        elif Complication.OTHER in codes and blank(values.get("complication_other")):
            errors["complication_other"] = "Describe the other complication."
    pain = read_whole_number(values, "pain_nrs", errors)
    if pain is not None and not NRS_MIN <= pain <= NRS_MAX:
        errors["pain_nrs"] = f"Pain is scored from {NRS_MIN} to {NRS_MAX}."
    _check_not_injected(values, context, errors)


def _check_not_injected(values, context, errors):
    """The side not injected of a bilateral record: one of its joints, not one whose injectate is
    saved, and with the reason."""
    chosen = values.get("not_injected_side")
    if blank(chosen) or not context.bilateral:
        return
    side = as_choice(Side, chosen)
    if side not in context.joints:
        errors["not_injected_side"] = "Choose left or right, or leave it empty when both sides were injected."
    elif side in context.injected_joints:
        errors["not_injected_side"] = (f"The {side.value} side's injectate is recorded: it was injected. "
                                       "Choose the side that was not.")
    elif blank(values.get("not_injected_reason")):
        errors["not_injected_reason"] = f"Say why the {side.value} side was not injected."


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


def _check_formulary_choice(values, name, kinds, formulary, errors, message, prefix=""):
    code = values.get(name)
    if blank(code):
        return
    entry = formulary.get(code)
    if entry is None or entry.kind not in kinds:
        errors[prefix + name] = message


def _unit_free(label: str) -> str:
    return label.split(" (")[0]

"""What a step, and the whole checklist, still needs before the record may be signed."""
from collections.abc import Mapping

from tracker.procedures.rules.schema import (CONTRAST_DETAILS, DRUG_ALLERGY_FIELDS, GUIDANCE_FIELDS, INJECTATE_ROW_FIELDS,
                                             PER_SIDE_STEPS, STEP_FIELDS, STEPS, ChecklistContext, Complication,
                                             Guidance, Step, sign_in_not_asked)
from tracker.procedures.rules.values import as_choice, complications_of, filled_rows, recorded
from tracker.vocab import Side

NOT_INJECTED_SIDE = next(f for f in STEP_FIELDS[Step.SIGN_OUT] if f.name == "not_injected_side")


def required_fields(step_code: str, values: Mapping, pregnancy: str = "",
                    infection: bool = False, held_anticoagulant: str = "") -> tuple[str, ...]:
    """The names a step needs before signing, given what has been chosen so far.

    Guidance decides the dose fields, omitting contrast replaces the contrast details with
    a reason, and "other" among the complications needs a description.
    """
    step = Step(step_code)
    if step == Step.FLUOROSCOPY:
        names = ["modality", "needle_gauge"]
        modality = as_choice(Guidance, values.get("modality"))
        if modality is not None:
            names += GUIDANCE_FIELDS[modality]
        return tuple(names)
    if step == Step.CONTRAST:
        return ("omission_reason",) if values.get("omitted") is True else CONTRAST_DETAILS
    if step == Step.SIGN_OUT:
        names = ("complications", "pain_nrs", "discharge_instructions_given")
        if Complication.OTHER in complications_of(values.get("complications")):
            names += ("complication_other",)
        if held_anticoagulant:
            names += ("anticoagulant_restart",)
        if values.get("not_injected_side"):
            names += ("not_injected_reason",)
        return names
    if step == Step.SIGN_IN:
        not_asked = sign_in_not_asked(pregnancy, infection)
        return tuple(f.name for f in STEP_FIELDS[step] if f.name not in not_asked)
    # A confirmation against an allergy is asked when a drug needs it (checks), never missing.
    return tuple(f.name for f in STEP_FIELDS[step] if f.name not in DRUG_ALLERGY_FIELDS)


def missing_fields(step_code: str, values: Mapping, pregnancy: str = "", infection: bool = False,
                   held_anticoagulant: str = "") -> list[str]:
    """The labels of the required fields still blank, in the order the form shows them.
    `pregnancy`, `infection`: as ChecklistContext's (the sign-in then asks for their review);
    `held_anticoagulant` too (the sign-out then asks when it restarts)."""
    step = Step(step_code)
    if step == Step.INJECTATE:
        return _missing_injectate(values)
    required = set(required_fields(step, values, pregnancy, infection, held_anticoagulant))
    return [f.label for f in STEP_FIELDS[step]
            if f.name in required and not recorded(f, values.get(f.name))]


def _missing_injectate(values: Mapping) -> list[str]:
    rows = filled_rows(values.get("rows"))
    if not rows:
        return [STEP_FIELDS[Step.INJECTATE][0].label]
    return [f"Drug {number}: {f.label}"
            for number, (_, row) in enumerate(rows, start=1)
            for f in INJECTATE_ROW_FIELDS if not recorded(f, row.get(f.name))]


def missing_for_signing(steps_values: Mapping, context: ChecklistContext) -> list[str]:
    """Every required field still blank across the checklist; signing waits for an empty list.

    ``steps_values`` maps step code to the step's values (per side for per-side steps); a step
    never saved counts as blank. Bilateral entries name the side: "Contrast confirmation (left): ...".

    A joint the sign-out names as not injected needs no contrast check or injectate (its imaging
    step, if saved, still needs its dose record: the radiation was given). A joint not yet injected
    while the other is offers both ways out: its injectate, or the sign-out's side not injected.
    """
    sign_out = steps_values.get(Step.SIGN_OUT) or {}
    not_injected = not_injected_joint(sign_out, context)
    injected = {joint for joint in context.joints
                if filled_rows(((steps_values.get(Step.INJECTATE) or {}).get(joint) or {}).get("rows"))}
    missing = []
    for step in STEPS:
        if step in PER_SIDE_STEPS:
            by_side = steps_values.get(step) or {}
            for joint in context.joints:
                where = f" ({joint.value})" if context.bilateral else ""
                values = by_side.get(joint) or {}
                if joint == not_injected and (step != Step.FLUOROSCOPY or not values):
                    continue
                labels = missing_fields(step, values)
                if step == Step.INJECTATE and injected and joint not in injected:
                    labels = [labels[0] + or_not_injected(joint)]
                missing += [f"{step.label}{where}: {label}" for label in labels]
        else:
            missing += [f"{step.label}: {label}"
                        for label in missing_fields(step, steps_values.get(step) or {}, context.pregnancy,
                                                    context.infection, context.held_anticoagulant)]
    if not_injected is not None and not_injected in injected:
        missing.append(f"{Step.SIGN_OUT.label}: {NOT_INJECTED_SIDE.label} says the {not_injected.value} side, "
                       f"but its injectate is recorded (it was injected): set {NOT_INJECTED_SIDE.label} back to None")
    return missing


def or_not_injected(joint: Side) -> str:
    """What a joint not yet injected while the other is may be given instead of its next step."""
    return f", or at the sign-out, {NOT_INJECTED_SIDE.label}: {joint.value}, with the reason"


def not_injected_joint(sign_out: Mapping, context: ChecklistContext) -> Side | None:
    """The joint the sign-out's answers name as not injected (None: every joint was, or one-sided)."""
    side = as_choice(Side, sign_out.get("not_injected_side"))
    return side if context.bilateral and side in context.joints else None

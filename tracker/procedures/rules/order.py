"""The safety order: which step may be recorded now, given what is done."""
from collections.abc import Collection, Mapping, Sequence

from tracker.procedures.rules.schema import PER_SIDE_STEPS, ArthrogramPattern, ChecklistContext, Step
from tracker.procedures.rules.values import as_choice, blank
from tracker.vocab import Side


def may_record(step_code: str, done: Mapping, contrast_results_by_side: Mapping,
               context: ChecklistContext, side: str | None = None, missing: Mapping | None = None) -> list[str]:
    """Why the step cannot be recorded now; an empty list means it may be.

    ``done`` maps step code to True/False, or for a per-side step to ``{side: bool}``.
    ``contrast_results_by_side`` maps side to that side's contrast step values in the order
    recorded, the latest last (a repeat after repositioning supersedes the earlier check).
    ``side`` says which joint a per-side step is for; a unilateral case may leave it out.
    ``missing`` maps a step saved but not complete (the sign-in, the time-out) to what it still
    lacks, so the refusal says that rather than asking to record it as if it never was.

    ``missing`` may also map (the imaging step, a side) to what that side's imaging step, saved
    without the guidance it used, still lacks.

    Only the safety order is enforced: sign-in before time-out, time-out before any needle
    step, the imaging guidance of a side (saved, naming the guidance used) before its contrast
    confirmation, which is read on its images, contrast confirmation before injectate, injectate
    before sign-out (for a bilateral record, one joint's: the other may not be injected). Positioning and skin prep are free, and the imaging step may be completed after
    the contrast and injectate because its screening time and dose are only known at the end.
    """
    step = Step(step_code)
    if step in PER_SIDE_STEPS:
        refusal = _side_refusal(side, context)
        if refusal:
            return [refusal]
        side = Side(side or context.side)

    refusals = []
    if step == Step.TIME_OUT and not _done(done, Step.SIGN_IN):
        refusals.append(_first(Step.SIGN_IN, "the time-out", missing))
    if step in PER_SIDE_STEPS and not _done(done, Step.TIME_OUT):
        refusals.append(_first(Step.TIME_OUT, "any needle step (imaging, contrast, injectate)", missing))
    if step == Step.CONTRAST and not _done(done, Step.FLUOROSCOPY, side):
        refusals.append(_imaging_first(side_phrase(side, context), (missing or {}).get((Step.FLUOROSCOPY, side))))
    if step == Step.INJECTATE:
        results = contrast_results_by_side.get(side) or ()
        refusals += _contrast_refusals(results, side_phrase(side, context), context)
    if step == Step.SIGN_OUT and not (context.bilateral and any(_done(done, Step.INJECTATE, joint)
                                                                for joint in context.joints)):
        # A bilateral procedure may stop after one joint: its sign-out then names the side not
        # injected (completeness asks for that side's injectate or that answer before signing).
        refusals += [f"Record the injectate{side_phrase(joint, context)} before the sign-out."
                     for joint in context.joints if not _done(done, Step.INJECTATE, joint)]
    return refusals


def _first(before: Step, then: str, missing: Mapping | None) -> str:
    """Why `before` must come first: to be recorded, or (saved incomplete) what it still lacks."""
    name = before.value.replace("_", "-")
    if (missing or {}).get(before):
        return f"Complete the {name} before {then}: still missing {', '.join(missing[before])}."
    return f"Record the {name} before {then}."


def _imaging_first(where: str, missing) -> str:
    """Why a contrast check waits: the imaging step of its side is not recorded, or (saved without
    the guidance used) what it still lacks."""
    if missing:
        return (f"Complete the imaging guidance{where} before the contrast confirmation (the contrast is read on "
                f"its images): still missing {', '.join(missing)}.")
    return f"Record the imaging guidance{where} before the contrast confirmation: the contrast is read on its images."


def _contrast_refusals(results, where: str, context: ChecklistContext) -> list[str]:
    if not results:
        return [f"The injectate{where} needs a contrast confirmation first: an intra-articular pattern "
                f"without vascular uptake, or the reason contrast was omitted for a documented contrast allergy."]
    latest = results[-1]
    if latest.get("omitted") is True:
        return omission_refusals(latest, where, context)

    refusals = []
    uptake = latest.get("vascular_uptake")
    if uptake is True:
        refusals.append(vascular_uptake_message(where))
    elif uptake is not False:
        refusals.append(f"Record whether vascular uptake was seen{where} before the injectate.")
    pattern = as_choice(ArthrogramPattern, latest.get("arthrogram_pattern"))
    if pattern is None:
        refusals.append(f"Record the arthrogram pattern{where} before the injectate.")
    elif pattern != ArthrogramPattern.INTRA_ARTICULAR_CEPHALAD:
        refusals.append(f"The last contrast check{where} showed {pattern.label.lower()}, not an intra-articular "
                        f"pattern: reposition the needle and repeat the contrast check before injecting.")
    return refusals


def omission_refusals(check: Mapping, where: str, context: ChecklistContext) -> list[str]:
    """Why a contrast check that omitted contrast confirms nothing for the injectate (empty when it
    does): contrast is omitted only for a documented contrast allergy, with the reason recorded."""
    refusals = []
    if blank(check.get("omission_reason")):
        refusals.append(f"Record why contrast was omitted{where} before the injectate.")
    if not context.contrast_allergy:
        refusals.append(f"Contrast may be omitted only for a documented contrast allergy, and none is "
                        f"recorded for this patient: confirm the needle position with contrast{where} "
                        f"before the injectate.")
    return refusals


def vascular_uptake_message(where: str) -> str:
    return f"Vascular uptake{where}: reposition the needle and repeat the contrast check before injecting."


def _side_refusal(side: str | None, context: ChecklistContext) -> str | None:
    if context.bilateral and as_choice(Side, side) not in context.joints:
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


def side_phrase(side: str, context: ChecklistContext) -> str:
    return f" on the {Side(side).value} side" if context.bilateral else ""


def next_open(boxes: Sequence, open_boxes: Collection, saved) -> object | None:
    """The box to show after ``saved`` was saved: the first box still open counting from the saved
    one in the checklist's order (itself, when saved part-filled), then from the top; None when
    every box is done.

    ``boxes`` is the checklist's boxes in order (any hashable keys, e.g. (step, side));
    ``open_boxes`` those not yet done.
    """
    position = boxes.index(saved) if saved in boxes else 0
    return next((box for box in (*boxes[position:], *boxes[:position]) if box in open_boxes), None)

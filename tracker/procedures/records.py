"""A case's procedure records read for display. Pure: reads any objects with the records'
attributes: which record counts, what its physician acknowledged to start it, and a saved step's
answers in the clinic's words (the note, the checklist and the FHIR Procedure say them alike)."""
from typing import NamedTuple

from tracker.procedures.formulary import plain, strength_words
from tracker.procedures.rules.completeness import not_injected_joint
from tracker.procedures.rules.schema import (AGENT_FIELDS, STEP_FIELDS, ArthrogramPattern, ChecklistContext,
                                             Complication, Guidance, SkinAnaesthetic, Step)
from tracker.procedures.rules.values import saved_answers
from tracker.scheduling.instructions import in_words
from tracker.scheduling.readiness import hold_shortfall
from tracker.vocab import INFECTION_ANSWER, Pregnancy, Side, joints_of


def current_record(records):
    """The record being worked on or signed among a case's records (oldest first); an abandoned
    attempt is history."""
    live = [r for r in records if r.status != "abandoned"]
    return live[-1] if live else None


class NotInjected(NamedTuple):
    """A bilateral record's joint left uninjected, as its sign-out says, and why."""

    side: Side
    reason: str  # without its full stop
    injected: Side


def not_injected(record):
    """The joint a bilateral record's sign-out names as not injected, with its reason, and the joint
    that was injected; None when both were (or the record is one-sided)."""
    if Side(record.side) != Side.BILATERAL:
        return None  # without reading its steps: the case page shows a one-sided record without them
    answers = [row.answers for row in record.steps if row.step == Step.SIGN_OUT]
    side = not_injected_joint(answers[-1] if answers else {}, ChecklistContext(side=Side(record.side).value))
    if side is None:
        return None
    # Without its full stop: every place that says it ends the sentence itself.
    return NotInjected(side, (answers[-1].get("not_injected_reason") or "").strip().rstrip(".").rstrip(),
                       next(joint for joint in joints_of(record.side) if joint != side))


def injected_side(record):
    """The side the record's injection was given on: its own, or for a bilateral record stopped after
    one joint, that joint (what is billed and what its FHIR Procedure names)."""
    skipped = not_injected(record)
    return skipped.injected if skipped else Side(record.side)


def restart_told(records):
    """When the patient was told at the sign-out to restart the blood thinner held for the injection
    (the current record's answer), or "" when nothing was recorded."""
    record = current_record(records)
    if record is None:
        return ""
    answers = [row.answers for row in record.steps if row.step == Step.SIGN_OUT]
    return (answers[-1].get("anticoagulant_restart") or "").strip() if answers else ""


def _shortfall(record):
    """The hold the physician proceeded past although its last dose left fewer days than planned
    (readiness.hold_shortfall): the day she entered, or the one confirmed at readiness."""
    appointment = getattr(record, "appointment", None)
    case = getattr(record, "case", None)
    last_dose_on = record.anticoagulant_last_dose_on or getattr(appointment, "anticoagulant_last_dose_on", None)
    if appointment is None or case is None or last_dose_on is None:
        return ""
    return hold_shortfall(case.risk_screen, last_dose_on, appointment.clinic_day)


def acknowledged(record):
    """What the physician acknowledged to start the procedure, in words ("possibly pregnant on the
    risk screen", "active infection or fever on the risk screen", "anticoagulant hold did not fit and
    no day of the last dose was confirmed", "another procedure in progress (case 12)"); "" when she
    was asked nothing. She acknowledged it with the start: its physician
    and time say who and when."""
    said = []
    if record.pregnancy_acknowledged:
        said.append(f"{Pregnancy(record.pregnancy_acknowledged).label.lower()} on the risk screen")
    if record.infection_acknowledged:
        said.append(f"{INFECTION_ANSWER} on the risk screen")
    short = _shortfall(record) if record.hold_acknowledged else ""
    if short:
        said.append(f"anticoagulant hold not kept as planned: {short[:1].lower()}{short[1:]} "
                    f"({'entered at the start' if record.anticoagulant_last_dose_on else 'confirmed at readiness'})")
    elif record.anticoagulant_last_dose_on:
        said.append(f"anticoagulant hold did not fit: last dose on {in_words(record.anticoagulant_last_dose_on)}, "
                    f"entered at the start")
    elif record.hold_acknowledged:
        said.append("anticoagulant hold did not fit and no day of the last dose was confirmed")
    if getattr(record, "checked_in_at_start", False):
        said.append("patient not checked in at the desk: checked in with the start")
    cases = record.acknowledged_case_ids or []
    if cases:
        said.append(("another procedure" if len(cases) == 1 else "other procedures") + " in progress ("
                    + ", ".join(f"case {case_id}" for case_id in cases) + ")")
    words = "; ".join(said)
    return words[:1].upper() + words[1:]


_YES_NO = {True: "yes", False: "no"}


def kept_name(saved_name, code, entries):
    """A drug or agent as a saved record names it: the name it was saved with, else (saved before
    names were kept) the formulary's, else its code."""
    if saved_name:
        return saved_name
    return entries[code].name if code in entries else code


def drug_name(row, entries):
    """An injectate row's drug as the record names it (kept_name)."""
    return kept_name(row.drug_name, row.drug_code, entries)


def describe(row, entries):
    """A saved step (a ProcedureStep row) as (label, text) pairs in the form's order, in the clinic's
    words; the skin prep's and contrast check's agent by the name it was saved with."""
    step = Step(row.step)
    if step == Step.INJECTATE:
        return [(drug_name(r, entries),
                 f"{strength_words(r.concentration_mg_per_ml)}, {plain(r.dose_mg)} mg, "
                 f"{plain(r.volume_ml)} mL, lot {r.lot_number}") for r in row.injectate]
    answers = saved_answers(step, row.answers)
    if step == Step.CONTRAST and answers.get("omitted") is True:
        # What happened, plainly: no contrast, and why (never a "Contrast omitted: yes" among findings).
        reason = (answers.get("omission_reason") or "").strip()
        return [("Contrast", f"Omitted: {reason}" if reason else "Omitted (no reason recorded)")]
    pairs = []
    for f in STEP_FIELDS[step]:
        value = answers.get(f.name)
        if value is None or value == "" or value == []:
            continue
        pairs.append((f.label, kept_name(row.agent_name, value, entries) if f.name == AGENT_FIELDS.get(step)
                      else _words(f.name, value)))
    return pairs


def _words(name, value):
    if isinstance(value, bool):
        return _YES_NO[value]
    vocabularies = {"side_confirmed": Side, "modality": Guidance, "arthrogram_pattern": ArthrogramPattern,
                    "local_skin_anaesthetic": SkinAnaesthetic, "not_injected_side": Side}
    if name in vocabularies:
        try:
            return vocabularies[name](value).label
        except ValueError:
            return value
    if name == "complications":
        labels = {c.value: c.label for c in Complication}
        return ", ".join(labels.get(code, code) for code in value)
    return str(value)

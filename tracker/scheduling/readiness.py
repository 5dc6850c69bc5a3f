"""Pre-procedure readiness: which items an appointment needs, from the case's risk screen.

Pure: takes the appointment and the risk screen (any objects with the named attributes).
"""
from dataclasses import dataclass

from tracker.scheduling.instructions import FASTING, HOLD, PREMEDICATION, in_words
from tracker.vocab import (N_, Pregnancy, allergy_words, anticoagulant_words, decision_flags, infection_flag,
                          not_asked, pregnancy_flag, takes_anticoagulant)


@dataclass(frozen=True)
class Item:
    field: str
    label: str
    required: bool
    done: bool
    # What a coordinator calls it in a summary line: "Still needed: consent, driver".
    short: str = ""
    # Why it is or is not needed, from the risk screen's answer: "anticoagulants: none", "allergies: NKDA".
    why: str = ""
    # The risk screen's question it depends on is not answered yet: "not needed" would be a guess.
    unknown: bool = False
    # The preparation it confirms did not fit as planned: read before ticking.
    alert: str = ""


def items(appointment, risk, missed=None):
    """Every readiness item with whether this patient needs it and whether it is done. `missed`:
    the preparation steps that did not fit (`instructions.missed`), said beside their items."""
    alerts = _alerts(risk, missed or {})
    anticoagulated = takes_anticoagulant(risk)
    sedated = bool(risk and risk.sedation_planned)
    contrast_allergy = bool(risk and risk.allergy_contrast)
    # Premedication instructions are sent only when premedication is planned: an allergy managed
    # without contrast ("no contrast will be used") has nothing to send.
    premedicated = contrast_allergy and bool(risk.contrast_premedication_planned)
    diabetic = bool(risk and (risk.diabetes or risk.insulin))
    flags = decision_flags(risk)
    return [
        Item("consent_obtained", N_("Consent obtained"), True, appointment.consent_obtained, N_("consent")),
        Item("anticoagulant_plan_confirmed", N_("Anticoagulant hold plan confirmed"), anticoagulated,
             appointment.anticoagulant_plan_confirmed, N_("anticoagulant plan"),
             f"anticoagulants: {anticoagulant_words(risk)}", "anticoagulants" in not_asked(risk), alerts.get(HOLD, "")),
        Item("driver_arranged", N_("Driver arranged (sedation: no driving for 24 hours)"), sedated,
             appointment.driver_arranged, N_("driver")),
        Item("contrast_premedication_sent", N_("Contrast-allergy premedication instructions sent"),
             premedicated, appointment.contrast_premedication_sent, N_("contrast premedication"),
             f"allergies: {allergy_words(risk)}" + ("; no premedication planned" if contrast_allergy and not premedicated
                                                     else ""),
             "allergies" in not_asked(risk), alerts.get(PREMEDICATION, "")),
        Item("day_of_check_done", _day_of(diabetic, pregnancy_flag(risk), infection_flag(risk)), True,
             appointment.day_of_check_done, N_("day-of check"),
             "; ".join(_DAY_OF_WHY[flag.kind].format(answer=flag.answer) for flag in flags),
             alert=alerts.get(FASTING, "")),
    ]


def _day_of(diabetic, pregnancy, infection):
    """What the day-of check confirms: no fever or infection (or, with one on the risk screen, that
    it resolved or the physician decided to proceed), the glucose of a diabetic, and for possibly
    pregnant a test (or the physician's decision), for pregnant the physician's decision."""
    return "Day-of check: " + ", ".join(part for part in (
        _INFECTION_CHECK[infection], _GLUCOSE_CHECK if diabetic else "", _PREGNANCY_CHECK.get(pregnancy, "")) if part)


_INFECTION_CHECK = {
    False: N_("no fever or infection"),
    True: N_("infection or fever resolved, or the physician's decision to proceed recorded"),
}
_GLUCOSE_CHECK = N_("glucose checked")
_PREGNANCY_CHECK = {
    Pregnancy.POSSIBLE: N_("pregnancy test negative or the physician's decision to proceed recorded"),
    Pregnancy.YES: N_("the physician's decision to proceed in pregnancy recorded"),
}
# Why the day-of check asks more than "no fever or infection", by decision flag.
_DAY_OF_WHY = {"pregnancy": "pregnancy: {answer}", "infection": "infection or fever: yes"}


def _alerts(risk, missed):
    when = "before the appointment was booked or moved or the plan changed"
    alerts = {}
    if HOLD in missed:
        alerts[HOLD] = (f"Did not fit as planned: the {risk.anticoagulant_hold_days}-day hold's last dose would have "
                        f"been {in_words(missed[HOLD])}, {when}. Confirm the prescriber's new plan with the "
                        f"patient before ticking.")
    if PREMEDICATION in missed:
        alerts[PREMEDICATION] = (f"Did not fit as planned: the premedication would have started on "
                                 f"{in_words(missed[PREMEDICATION])}, {when}. Confirm the new premedication "
                                 f"plan with the patient before ticking.")
    if FASTING in missed:
        alerts[FASTING] = (f"Did not fit as planned: fasting would have started on {in_words(missed[FASTING])}, "
                           f"{when}. Ask the patient when they last ate and drank.")
    return alerts


def hold_words(risk, missed, last_dose_on, at_start=None):
    """A hold that did not fit the booked day as the table reads it (the checklist's banner, the note,
    readiness), "" when it fitted: the plan was not followed as planned, so the last dose confirmed
    at readiness is named, or else what the physician answered at the start (`at_start`: the
    procedure record, with the day she entered or her acknowledgement), or she is asked to confirm it."""
    if HOLD not in missed:
        return ""
    if last_dose_on:
        confirmed = f"last dose on {in_words(last_dose_on)}, as confirmed at readiness"
    elif at_start is not None and at_start.anticoagulant_last_dose_on:
        confirmed = (f"last dose on {in_words(at_start.anticoagulant_last_dose_on)}, as entered by the physician "
                     f"at the start")
    elif at_start is not None and at_start.hold_acknowledged:
        confirmed = "started without a confirmed day of the last dose (the physician's decision)"
    else:
        confirmed = "confirm when the last dose was taken"
    return (f"Hold planned {risk.anticoagulant_hold_days} days — did not fit this booking: the last dose would "
            f"have been {in_words(missed[HOLD])}; {confirmed}")


def unconfirmed_hold(risk, missed, last_dose_on):
    """The hold that did not fit the booked day while no day of the last dose was confirmed (readiness
    overridden instead), as the start shows it to the physician; "" otherwise. The start waits for
    her: the day of the last dose, or her decision to proceed without it."""
    if HOLD not in missed or last_dose_on:
        return ""
    return (f"Blood thinner: {anticoagulant_words(risk)}. The {risk.anticoagulant_hold_days}-day hold did not fit "
            f"this booking: the last dose would have been {in_words(missed[HOLD])}, and no day of the last dose "
            f"was confirmed.")


# How many days before the appointment's day a last dose may be before it is taken for a slip of the
# date (2025 typed for 2026, or the wrong month) rather than a hold: the usual holds are 2 to 7 days
# (10 for prasugrel), so a hold kept as first planned and an appointment moved a fortnight later still
# fall well inside it, while a wrong year falls far outside. A patient who stopped the drug for good is
# no hold at all: the risk screen says so instead.
LAST_DOSE_WITHIN_DAYS = 30
# A hold the risk screen plans longer (it takes up to 30 days) widens it to that hold's last dose and
# a week more (stopped a little early, or the appointment moved), so its own last dose is never refused.
LONG_HOLD_SLACK_DAYS = 7


def last_dose_problem(missed, confirmed, last_dose_on, day, hold_days):
    """Why the anticoagulant plan cannot be confirmed as ticked, or None: a hold that did not fit the
    appointment's `day` is confirmed with the day of the last dose (taken, or by the new plan to be
    taken), never after that day nor more than `last_dose_window(hold_days)` days before it. The one
    rule readiness and the start (`hold_days`: the risk screen's planned hold) both apply."""
    if HOLD not in missed or not confirmed:
        return None
    if last_dose_on is None:
        return ("The hold did not fit this booking: enter the day of the last dose (ask the patient) to confirm "
                "the plan.")
    if last_dose_on > day:
        return f"The last dose cannot be after the appointment's day ({in_words(day)})."
    window = last_dose_window(hold_days)
    if (day - last_dose_on).days > window:
        return (f"The last dose was on {in_words(last_dose_on)} — more than {window} days before the appointment "
                f"({in_words(day)}): check the year and the month. If the patient no longer takes it, correct "
                f"the risk screen instead.")
    return None


def last_dose_window(hold_days):
    """The most days before the appointment's day a last dose is believed (see LAST_DOSE_WITHIN_DAYS)."""
    return max(LAST_DOSE_WITHIN_DAYS, (hold_days or 0) + 1 + LONG_HOLD_SLACK_DAYS)


def missing(appointment, risk):
    return [item.label for item in _needed(appointment, risk)]


def still_needed(appointment, risk):
    """The one-line summary of what is missing, e.g. "Still needed: consent, driver" ("" if none)."""
    return _still_needed(_needed(appointment, risk))


def still_needed_items(appointment, risk):
    """What is missing, each item by its short name: ["consent", "driver"] ([] if none)."""
    return [item.short for item in _needed(appointment, risk)]


def is_ready(appointment, risk):
    """Ready when every required item is done, or a physician recorded why it may go ahead."""
    return _ready(appointment, _needed(appointment, risk))


def by_override(appointment, risk):
    """Ready only because a physician recorded why it may go ahead without every item."""
    return _by_override(appointment, _needed(appointment, risk))


@dataclass(frozen=True)
class Summary:
    ready: bool
    by_override: bool
    still_needed: str
    # The preparation steps that did not fit as planned ("Did not fit as planned: anticoagulant
    # hold"), "" when all did: a day's card says it even when every item is ticked.
    did_not_fit: str = ""


# The steps as a day's card names them.
_STEP_WORDS = {HOLD: "anticoagulant hold", PREMEDICATION: "contrast premedication", FASTING: "fasting"}


def summary(appointment, risk, missed=None):
    """`is_ready`, `by_override`, `still_needed` and `did_not_fit` from one reading of the items:
    a day's list shows them for every appointment. `missed`: as for `items`."""
    needed = _needed(appointment, risk)
    steps = [_STEP_WORDS[step] for step in (HOLD, PREMEDICATION, FASTING) if step in (missed or {})]
    return Summary(_ready(appointment, needed), _by_override(appointment, needed), _still_needed(needed),
                   "Did not fit as planned: " + ", ".join(steps) if steps else "")


def _needed(appointment, risk):
    return [item for item in items(appointment, risk) if item.required and not item.done]


def _still_needed(needed):
    return "Still needed: " + ", ".join(item.short for item in needed) if needed else ""


def _ready(appointment, needed):
    return not needed or bool(appointment.readiness_override_reason)


def _by_override(appointment, needed):
    return bool(needed) and bool(appointment.readiness_override_reason)

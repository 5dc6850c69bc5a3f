"""Pre-procedure readiness: which items an appointment needs, from the case's risk screen.

Pure: takes the appointment and the risk screen (any objects with the named attributes).
"""
from dataclasses import dataclass
from datetime import date

from tracker.scheduling.instructions import FASTING, HOLD, PREMEDICATION, in_words
from tracker.vocab import (N_, Pregnancy, allergy_words, anticoagulant_words, decision_flags, infection_flag,
                          not_asked, pregnancy_flag, takes_anticoagulant)
from tracker.workflow import HOLD_NOT_KEPT


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
    # The day of the last dose confirmed leaves fewer days than the planned hold (`hold_shortfall`):
    # the plan was not followed, so the item is not done however it is ticked.
    shortfall: str = ""
    # What the patient's other open case answers to the question this case's risk screen has not
    # asked ("Case 21 (left) records apixaban 5 mg twice daily"): what to ask the patient.
    elsewhere: str = ""
    # The same shortfall as the refused start names it (`hold_not_kept`): the physician's decision.
    not_kept: str = ""


def items(appointment, risk, missed=None, elsewhere=None, notice=None):
    """Every readiness item with whether this patient needs it and whether it is done. `missed`:
    the preparation steps that did not fit (`instructions.missed`), said beside their items;
    `elsewhere`: {"anticoagulants" or "allergies": what another open case of the patient records};
    `notice`: the session's liability notice when it is over the payer's limits
    (procedures.rules.billing.LiabilityNotice; None when within them), whose signature is then an
    item of its own (listed too while ticked, so that it can be unticked).

    A risk-screen question not answered yet (no risk screen at all, or "not asked") makes its item
    required and never done: ticking cannot stand for the answer. A day of the last dose that
    leaves fewer days than the planned hold (`hold_shortfall`) leaves the hold item not done."""
    alerts = _alerts(risk, missed or {})
    elsewhere = elsewhere or {}
    unasked = not_asked(risk)
    anticoagulated = takes_anticoagulant(risk)
    sedated = bool(risk and risk.sedation_planned)
    contrast_allergy = bool(risk and risk.allergy_contrast)
    # Premedication instructions are sent only when premedication is planned: an allergy managed
    # without contrast ("no contrast will be used") has nothing to send.
    premedicated = contrast_allergy and bool(risk.contrast_premedication_planned)
    diabetic = bool(risk and (risk.diabetes or risk.insulin))
    flags = decision_flags(risk)
    last_dose_on = getattr(appointment, "anticoagulant_last_dose_on", None)
    short = hold_shortfall(risk, last_dose_on, _day(appointment)) if last_dose_on and anticoagulated else ""
    no_anticoagulant_answer, no_allergy_answer = "anticoagulants" in unasked, "allergies" in unasked
    return [
        Item("consent_obtained", N_("Consent obtained"), True, appointment.consent_obtained, N_("consent")),
        Item("anticoagulant_plan_confirmed", N_("Anticoagulant hold plan confirmed"),
             anticoagulated or no_anticoagulant_answer,
             appointment.anticoagulant_plan_confirmed and not no_anticoagulant_answer and not short,
             UNASKED_SHORT["anticoagulants"] if no_anticoagulant_answer else NOT_KEPT_SHORT if short
             else N_("anticoagulant plan"),
             f"anticoagulants: {anticoagulant_words(risk)}", no_anticoagulant_answer, alerts.get(HOLD, ""),
             short, elsewhere.get("anticoagulants", "") if no_anticoagulant_answer else "",
             hold_not_kept(risk, last_dose_on, _day(appointment)) if short else ""),
        Item("driver_arranged", N_("Driver arranged (sedation: no driving for 24 hours)"), sedated,
             appointment.driver_arranged, N_("driver")),
        Item("contrast_premedication_sent", N_("Contrast-allergy premedication instructions sent"),
             premedicated or no_allergy_answer, appointment.contrast_premedication_sent and not no_allergy_answer,
             UNASKED_SHORT["allergies"] if no_allergy_answer else N_("contrast premedication"),
             f"allergies: {allergy_words(risk)}" + ("; no premedication planned" if contrast_allergy and not premedicated
                                                     else ""),
             no_allergy_answer, alerts.get(PREMEDICATION, ""),
             elsewhere=elsewhere.get("allergies", "") if no_allergy_answer else ""),
        Item("day_of_check_done", _day_of(diabetic, pregnancy_flag(risk), infection_flag(risk)), True,
             appointment.day_of_check_done, N_("day-of check"),
             "; ".join(_DAY_OF_WHY[flag.kind].format(answer=flag.answer) for flag in flags),
             alert=alerts.get(FASTING, "")),
    ] + _liability_item(appointment, notice)


def _liability_item(appointment, notice):
    signed = bool(getattr(appointment, "liability_notice_signed", False))
    if notice is None and not signed:
        return []
    medicare = notice is None or notice.medicare
    return [Item("liability_notice_signed", LIABILITY_LABELS[medicare], notice is not None, signed,
                 N_("liability notice"), N_("over the payer's limits") if notice is not None else "")]


# The liability notice's item, for Medicare (True) and another payer (False).
LIABILITY_LABELS = {
    True: N_("Liability notice signed before the procedure (Medicare: ABN, form CMS-R-131)"),
    False: N_("Liability notice signed before the procedure (the payer's financial-responsibility notice)")}


# What the appointment's History calls each readiness field when it changes.
CHANGE_WORDS = {"consent_obtained": "consent", "anticoagulant_plan_confirmed": "anticoagulant plan",
                "anticoagulant_last_dose_on": "day of the last dose", "driver_arranged": "driver",
                "contrast_premedication_sent": "contrast premedication", "day_of_check_done": "day-of check",
                "liability_notice_signed": "liability notice signed"}


def changes_in_words(before, after):
    """What a readiness save changed, for the History: "Consent unticked, driver ticked", "Day of
    the last dose 2026-12-03"; "" when nothing changed."""
    said = []
    for name, new in after.items():
        old = before.get(name)
        if old == new or (not old and not new):  # None and False are both "not ticked"
            continue
        words = CHANGE_WORDS[name]
        if isinstance(new, bool) or isinstance(old, bool):
            said.append(f"{words} {'ticked' if new else 'unticked'}")
        else:
            said.append(f"{words} {new.isoformat() if new else 'cleared'}")
    text = ", ".join(said)
    return text[:1].upper() + text[1:]


# What "Still needed" says of a risk-screen question not answered yet.
UNASKED_SHORT = {"anticoagulants": N_("risk screen: blood thinners not asked"),
                 "allergies": N_("risk screen: allergies not asked")}


def _day(appointment):
    """The appointment's day in the clinic's calendar (None without a start): `clinic_day`, which the
    appointment and the day board's row (tracker.scheduling.board) both carry. Pure: the rules never
    read the clinic's zone themselves."""
    return getattr(appointment, "clinic_day", None)


def days_held(last_dose_on, day):
    """How many days of hold a last dose on `last_dose_on` leaves before a procedure on `day`: the full
    days without the drug strictly between the two (the procedure day itself is without it too, as
    `instructions.hold_dates` plans it: an N-day hold's last dose is on the procedure day minus N + 1).
    A last dose the day before leaves 0, on the procedure day 0 too."""
    return max(0, (day - last_dose_on).days - 1)


def hold_shortfall(risk, last_dose_on, day):
    """The planned hold not kept, in words, when the day of the last dose leaves fewer days than the
    risk screen's hold before the procedure's `day` ("Last dose Saturday, December 5, 2026 leaves 0 of
    the planned 2 days' hold before the appointment"); "" when it leaves enough, or no hold is planned
    or no last dose is recorded. A last dose after the day is refused elsewhere (`last_dose_problem`)."""
    days = risk.anticoagulant_hold_days if takes_anticoagulant(risk) else None
    if not days or not isinstance(last_dose_on, date) or day is None or last_dose_on > day:
        return ""
    held = days_held(last_dose_on, day)
    if held >= days:
        return ""
    return (f"Last dose {in_words(last_dose_on)} leaves {held} of the planned {days} "
            f"day{'s' if days != 1 else ''}' hold before the appointment")


def hold_not_kept(risk, last_dose_on, day):
    """A last dose that leaves fewer days than the planned hold, as the refused start and readiness's
    refused tick name it ("The anticoagulant hold was not kept as planned: last dose on Sunday,
    December 6, 2026 leaves 0 of the planned 2 days' hold before the appointment"); "" when kept."""
    if not hold_shortfall(risk, last_dose_on, day):
        return ""
    days = risk.anticoagulant_hold_days
    return (f"{HOLD_NOT_KEPT}: last dose on {in_words(last_dose_on)} leaves {days_held(last_dose_on, day)} of the "
            f"planned {days} day{'s' if days != 1 else ''}' hold before the appointment")


def tick_refused(risk, last_dose_on, day):
    """Why *Anticoagulant hold plan confirmed* is not ticked with this day of the last dose (None when
    it may be): a hold not kept as planned is the physician's decision, never the coordinator's tick.
    Said beside the box; the day itself is saved without the tick."""
    not_kept = hold_not_kept(risk, last_dose_on, day)
    if not not_kept:
        return None
    return (f"The hold was not kept as planned: {not_kept[len(HOLD_NOT_KEPT) + 2:]}. A hold not kept is the "
            f"physician's decision, not a tick: untick this box and save the day of the last dose; a physician "
            f"then overrides readiness and decides at the start. Or move the appointment.")


# What "Still needed" says of a hold not kept: nothing the coordinator ticks.
NOT_KEPT_SHORT = N_("the physician's decision (anticoagulant hold not kept as planned)")


def _day_of(diabetic, pregnancy, infection):
    """What the day-of check confirms: no fever or infection (or, with one on the risk screen, that
    it resolved or the physician decided to proceed), the glucose of a diabetic, and for possibly
    pregnant a test (or the physician's decision), for pregnant the physician's decision."""
    return "Day-of check: " + ", ".join(_day_of_parts(diabetic, pregnancy, infection))


def _day_of_parts(diabetic, pregnancy, infection):
    return [part for part in (_INFECTION_CHECK[infection], _GLUCOSE_CHECK if diabetic else "",
                              _PREGNANCY_CHECK.get(pregnancy, "")) if part]


def day_of_asks(risk):
    """What the day-of check asks for this risk screen (None: none yet), part by part: ["no fever or
    infection", "glucose checked"]."""
    return _day_of_parts(bool(risk and (risk.diabetes or risk.insulin)), pregnancy_flag(risk), infection_flag(risk))


def newly_asked(appointment, before, after):
    """What readiness asks of `appointment` under the risk screen `after` that it did not under
    `before` (None: there was none): each item newly required, by its short name ("anticoagulant
    plan", "driver"), and each part the day-of check newly asks ("glucose checked"), as two lists. A
    tick or a physician's override given before did not cover them. An item required before as "not
    known yet" is not new once answered: an override given without the answer was given for it."""
    def required(risk):
        return {item.field: item.short for item in items(appointment, risk) if item.required}

    was = required(before)
    said_before = day_of_asks(before)
    return ([short for name, short in required(after).items() if name not in was],
            [part for part in day_of_asks(after) if part not in said_before])


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


def hold_words(risk, missed, last_dose_on, at_start=None, day=None):
    """A hold that did not fit the booked day, or whose last dose left fewer days than planned before
    the procedure's `day` (`hold_shortfall`), as the table reads it (the checklist's banner, the note,
    readiness), "" when it was kept as planned: the plan was not followed, so the last dose confirmed
    at readiness is named, or else what the physician answered at the start (`at_start`: the
    procedure record, with the day she entered or her decision), or she is asked to confirm it."""
    entered = at_start.anticoagulant_last_dose_on if at_start is not None else None
    decided = at_start is not None and bool(at_start.hold_acknowledged)
    short = hold_shortfall(risk, last_dose_on or entered, day) if day is not None else ""
    if HOLD not in missed and not short:
        return ""
    if short:
        # Inside the banner's sentence, after its dash or semicolon: "…; last dose Saturday, …".
        short = short[:1].lower() + short[1:]
        confirmed = (f"{short} ({'as confirmed at readiness' if last_dose_on else 'as entered by the physician at the start'}): "
                     + ("the physician's decision to proceed at the start" if decided else
                        "not kept as planned: move the appointment, or the physician decides at the start"))
    elif last_dose_on:
        confirmed = f"last dose on {in_words(last_dose_on)}, as confirmed at readiness"
    elif entered:
        confirmed = f"last dose on {in_words(entered)}, as entered by the physician at the start"
    elif decided:
        confirmed = "started without a confirmed day of the last dose (the physician's decision)"
    else:
        confirmed = "confirm when the last dose was taken"
    fit = (f"did not fit this booking: the last dose would have been {in_words(missed[HOLD])}; "
           if HOLD in missed else "")
    return f"Hold planned {risk.anticoagulant_hold_days} days — {fit}{confirmed}"


def premedication_words(risk, missed, confirmed):
    """A contrast premedication that did not fit the booked day, as the table reads it (the
    checklist's banner; "" when it fitted or none is planned): whether a new plan was confirmed at
    readiness (`confirmed`: its premedication item ticked after the alert) or the patient must be asked."""
    if PREMEDICATION not in missed:
        return ""
    plan = f" ({risk.contrast_premedication_plan.strip()})" if (risk.contrast_premedication_plan or "").strip() else ""
    said = (f"Contrast premedication planned{plan} — did not fit this booking: it would have started "
            f"on {in_words(missed[PREMEDICATION])}; ")
    if confirmed:
        return said + "a new plan was confirmed at readiness."
    return said + ("no new plan was confirmed at readiness. Ask the patient whether they took it: iodinated "
                   "contrast needs your confirmation and the reason.")


def premedication_on_record(missed, confirmed, given):
    """A contrast premedication that did not fit the booked day, as the record keeps it once the
    table is past (the note's Allergies line, the signed checklist's banner; "" when it fitted or
    none is planned): whether a new plan was confirmed at readiness, and `given`, why it did not fit
    ("booked or moved the same day"). The plan itself is said beside it, as the hold's is."""
    if PREMEDICATION not in missed:
        return ""
    why = f"({given}: it would have started on {in_words(missed[PREMEDICATION])})"
    if confirmed:
        return f"did not fit this booking {why}; a new plan was confirmed at readiness"
    return f"not taken as planned {why}; no new plan was confirmed at readiness"


def premedication_not_taken(missed, confirmed):
    """Why the planned premedication cannot be counted on at the table ("" when it can): it did not
    fit the booked day and no new plan was confirmed at readiness. Iodinated contrast is then held
    to the confirmation asked when no premedication is planned."""
    if PREMEDICATION not in missed or confirmed:
        return ""
    return "the planned premedication did not fit this booking and no new plan was confirmed at readiness"


def unconfirmed_hold(risk, missed, last_dose_on, day=None):
    """What the start asks the physician about the hold, "" when nothing: a hold that did not fit the
    booked day while no day of the last dose was confirmed (readiness overridden instead), or a last
    dose confirmed at readiness that leaves fewer days than the planned hold before the appointment's
    `day` (`hold_shortfall`). The start waits for her: the day of the last dose, or her decision."""
    short = hold_shortfall(risk, last_dose_on, day) if last_dose_on and day is not None else ""
    if short:
        return (f"Blood thinner: {anticoagulant_words(risk)}. {short}: the hold was not kept as planned "
                f"(confirmed at readiness).")
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
    rule readiness and the start (`hold_days`: the risk screen's planned hold) both apply. A day entered
    without the tick (a hold not kept, `tick_refused`) is held to the same days."""
    if HOLD not in missed or not (confirmed or last_dose_on):
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


# Each of these takes the session's liability notice (`notice`, as for `items`): every caller
# passes the one tracker.scheduling.liability.notice_for reads, so that the page, the day
# board, the API and the start of the procedure agree on what is ready.

def missing(appointment, risk, notice=None):
    """The items still needed by their labels; a risk-screen question not answered yet as such, a hold
    not kept as planned by its last dose (`hold_not_kept`)."""
    return [item.short[:1].upper() + item.short[1:] if item.unknown else item.not_kept or item.label
            for item in _needed(appointment, risk, notice)]


def still_needed(appointment, risk, notice=None):
    """The one-line summary of what is missing, e.g. "Still needed: consent, driver" ("" if none)."""
    return _still_needed(_needed(appointment, risk, notice))


def still_needed_items(appointment, risk, notice=None):
    """What is missing, each item by its short name: ["consent", "driver"] ([] if none)."""
    return [item.short for item in _needed(appointment, risk, notice)]


def is_ready(appointment, risk, notice=None):
    """Ready when every required item is done, or a physician recorded why it may go ahead."""
    return _ready(appointment, _needed(appointment, risk, notice))


def by_override(appointment, risk, notice=None):
    """Ready only because a physician recorded why it may go ahead without every item."""
    return _by_override(appointment, _needed(appointment, risk, notice))


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


def summary(appointment, risk, missed=None, notice=None):
    """`is_ready`, `by_override`, `still_needed` and `did_not_fit` from one reading of the items:
    a day's list shows them for every appointment. `missed`, `notice`: as for `items`."""
    needed = _needed(appointment, risk, notice)
    steps = [_STEP_WORDS[step] for step in (HOLD, PREMEDICATION, FASTING) if step in (missed or {})]
    return Summary(_ready(appointment, needed), _by_override(appointment, needed), _still_needed(needed),
                   "Did not fit as planned: " + ", ".join(steps) if steps else "")


def _needed(appointment, risk, notice=None):
    return [item for item in items(appointment, risk, notice=notice) if item.required and not item.done]


def _still_needed(needed):
    return "Still needed: " + ", ".join(item.short for item in needed) if needed else ""


def _ready(appointment, needed):
    return not needed or bool(appointment.readiness_override_reason)


def _by_override(appointment, needed):
    return bool(needed) and bool(appointment.readiness_override_reason)

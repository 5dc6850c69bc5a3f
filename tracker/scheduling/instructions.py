"""What the patient should do before the appointment, from their risk screen. Pure.

Each step is a message for the catalog and its values, (N_("... %(minutes)s ..."), {"minutes": ...}):
whoever shows it translates it into the reader's language (`tracker.i18n.say`, which also writes the
dates and times among the values in that language). The plans staff type (premedication, an old
free-text hold plan) are values, shown as typed.

The dates are the appointment's (`starts_at`, an aware datetime), so a moved appointment's messages
carry the new ones:

- anticoagulant held N full days (`anticoagulant_hold_days`): no dose on the N days before the
  procedure day nor on it, so the last dose is on the procedure day minus N + 1 (3 days before a
  Friday: last dose on Monday, none Tuesday to Friday). Told only once the prescriber agreed; until
  then the patient is told not to stop before the clinic confirms. 0 days: keep taking it.
- contrast premedication planned: start it the evening before the procedure day (from EVENING).
- fasting N hours: nothing to eat or drink from N hours before the appointment's time.

A step fits when its moment is still ahead when the patient is given it: when the appointment got
its time (`told_at`: the booking or the latest move), or, when the step itself was changed on the
risk screen after that (`STEP_SET_AT`: a longer hold, the prescriber's agreement, a premedication
added), when it was changed. The hold fits when its last dose is on that day or later, the
premedication and the fasting when they start at that moment or later. A step that did not fit is
never given as a date to keep: the patient is told it is too late and to call the clinic.
"""
from datetime import datetime, time, timedelta, timezone

from tracker.scheduling.rules import first_clinic_day
from tracker.vocab import N_, NOT_STARTED, ContactChannel, takes_anticoagulant

HOLD, PREMEDICATION, FASTING = "hold", "premedication", "fasting"
# The risk screen's answers that make each step (what the patient does, and when), and the column
# that keeps when they last changed: a change after the booking gives the patient the step anew.
STEP_FIELDS = {
    HOLD: ("anticoagulant_answer", "anticoagulants", "anticoagulant_hold_days", "anticoagulant_prescriber_agreed"),
    PREMEDICATION: ("allergy_contrast", "contrast_premedication_planned", "contrast_premedication_plan"),
    FASTING: ("fasting_hours",),
}
STEP_SET_AT = {HOLD: "hold_set_at", PREMEDICATION: "premedication_set_at", FASTING: "fasting_set_at"}
# "The evening before" starts here (clinic time): a premedication over the night before the
# procedure (13, 7 and 1 hours before a morning appointment) starts after it.
EVENING = time(18)


def hold_dates(risk, starts_at):
    """(last dose, first day without) in the clinic's dates, or None when nothing is held (no
    anticoagulant, days not recorded or 0). `starts_at` is the appointment's start in clinic time."""
    days = risk.anticoagulant_hold_days if takes_anticoagulant(risk) else None
    if not days or starts_at is None:
        return None
    day = starts_at.date()
    return day - timedelta(days=days + 1), day - timedelta(days=days)


def premedication_from(risk, starts_at):
    """When the planned contrast premedication starts (the evening before, in `starts_at`'s zone), or None."""
    if not (risk and risk.allergy_contrast and risk.contrast_premedication_planned) or starts_at is None:
        return None
    return datetime.combine(starts_at.date() - timedelta(days=1), EVENING, tzinfo=starts_at.tzinfo)


def missed(risk, starts_at, told_at):
    """The steps that did not fit: {HOLD: the last dose's day, PREMEDICATION or FASTING: the moment
    it starts} for each whose moment had passed when the patient was given it: at `told_at` (when
    the appointment got its time), or when the step was changed later (both aware, clinic time)."""
    if risk is None or starts_at is None or told_at is None:
        return {}
    gone = {}
    hold = hold_dates(risk, starts_at)
    if hold and hold[0] < given_at(risk, HOLD, told_at).astimezone(starts_at.tzinfo).date():
        gone[HOLD] = hold[0]
    starts = {PREMEDICATION: premedication_from(risk, starts_at), FASTING: fasting_from(risk, starts_at)}
    for step, moment in starts.items():
        if moment is not None and moment < given_at(risk, step, told_at):
            gone[step] = moment
    return gone


def given_at(risk, step, told_at):
    """When the patient was given `step`: when the appointment got its time, or the step's later
    change on the risk screen."""
    changed = getattr(risk, STEP_SET_AT[step], None)
    return max(told_at, changed) if changed is not None else told_at


def changed_steps(before, after):
    """The steps whose answers differ between two readings of the risk screen ({field: value})."""
    return [step for step, fields in STEP_FIELDS.items()
            if any(before.get(name) != after.get(name) for name in fields if name in after)]


def first_day_that_fits(risk, told_at):
    """The earliest procedure day on which neither the hold nor the premedication is missed, told
    at `told_at` (clinic time); neither depends on the appointment's time of day."""
    day = told_at.date()
    def fits(day):
        noon = datetime.combine(day, time(12), tzinfo=told_at.tzinfo)
        return not missed(risk, noon, told_at).keys() & {HOLD, PREMEDICATION}

    while not fits(day):
        day += timedelta(days=1)
    return day


def too_late(risk, starts_at, now, gone=None, weekdays=frozenset(), closed=()):
    """What a booking at `starts_at` made `now` would leave undone, in staff's words (warnings);
    `gone`: the steps already judged missed (else judged as told `now`). The day to book on or after
    is the first the clinic works (`weekdays` and the clinic's closures `closed`,
    rules.first_clinic_day) from the day the plan fits."""
    gone = missed(risk, starts_at, now) if gone is None else gone
    first = in_words(first_clinic_day(first_day_that_fits(risk, now), weekdays, closed))
    words = []
    if HOLD in gone:
        words.append(f"A {risk.anticoagulant_hold_days}-day hold of {risk.anticoagulants.strip()} is no longer "
                     f"possible before this date: the last dose would have been {in_words(gone[HOLD])} (already "
                     f"past). Book on or after {first}, or record the prescriber's new plan.")
    if PREMEDICATION in gone:
        words.append(f"The contrast premedication can no longer start the evening before this date: it would "
                     f"have started on {in_words(gone[PREMEDICATION])} (already past). Book on or after "
                     f"{first}, or record the new premedication plan.")
    if FASTING in gone:
        words.append(f"Fasting for {risk.fasting_hours} hours is no longer possible before this time: it would "
                     f"have started on {in_words(gone[FASTING])} (already past). Book at "
                     f"{in_words(_later(now, hours=risk.fasting_hours))} or later, or record a new fasting plan.")
    return words


def plan_against_booking(appointment, risk, now, weekdays=frozenset(), closed=()):
    """What the preparation plan, as the patient was given each step (the booking, or the step's
    later change: a longer hold, a premedication added the day before), leaves undone before an
    appointment still to come, in staff's words; [] when it fits or the appointment has started or
    ended. A step that fitted when the patient was given it stays fitting once its dates pass."""
    if appointment is None or appointment.status not in NOT_STARTED:
        return []
    starts = appointment.starts_at.astimezone(now.tzinfo)
    gone = missed(risk, starts, appointment.time_set_at.astimezone(now.tzinfo))
    return [f"The appointment booked for {in_words(starts)} does not leave room for this plan. {words}"
            for words in too_late(risk, starts, now, gone, weekdays, closed)]


def steps_to_act_on(risk):
    """The steps a patient must act on before coming (HOLD, PREMEDICATION, FASTING), whatever their
    dates: a blood thinner not simply kept as usual, a planned contrast premedication, fasting.
    A text carries none of them; the email and the patient's page do."""
    if risk is None:
        return []
    steps = []
    if takes_anticoagulant(risk) and risk.anticoagulant_hold_days != 0:
        steps.append(HOLD)
    if risk.allergy_contrast and risk.contrast_premedication_planned:
        steps.append(PREMEDICATION)
    if risk.fasting_hours:
        steps.append(FASTING)
    return steps


def first_day_to_act(risk, starts_at, told_at):
    """The first day the patient acts on a dated step as they are told it: the hold's last dose
    (an agreed hold), the premedication's evening, the day fasting starts; None without one.
    A step that did not fit is not counted: the patient is told to call the clinic instead."""
    if risk is None or starts_at is None:
        return None
    gone = missed(risk, starts_at, told_at)
    days = []
    hold = hold_dates(risk, starts_at) if risk.anticoagulant_prescriber_agreed else None
    if hold and HOLD not in gone:
        days.append(hold[0])
    evening = premedication_from(risk, starts_at)
    if evening and (risk.contrast_premedication_plan or "").strip() and PREMEDICATION not in gone:
        days.append(evening.date())
    fasting = fasting_from(risk, starts_at)
    if fasting and FASTING not in gone:
        days.append(fasting.date())
    return min(days, default=None)


def last_step_change(risk):
    """When a step was last changed on the risk screen (a hold, a premedication, fasting), or None."""
    moments = [getattr(risk, column, None) for column in STEP_SET_AT.values()] if risk is not None else []
    return max((moment for moment in moments if moment is not None), default=None)


def preparation_unread(risk, prefers, email, has_account):
    """What staff are told when the patient cannot read a step they must act on: no email goes to
    them (no address, or phone calls preferred: `prefers` is their ContactChannel) and no account
    shows it (a text never carries it). None when they can, or there is no such step. A patient
    reached by text is told the clinic will call about the preparation as a whole (arrive early,
    a driver), so staff are told whenever they can read it nowhere."""
    emailed = bool((email or "").strip()) and prefers != ContactChannel.PHONE
    if emailed or has_account or (not steps_to_act_on(risk) and prefers != ContactChannel.SMS):
        return None
    if prefers == ContactChannel.PHONE:
        return ("The patient gets no written preparation (phone calls preferred, no account): tell them "
                "by phone.")
    return "The patient cannot read the preparation: no email or account. Tell them by phone."


def in_words(value):
    """A day, or a moment, as staff read it: "Sunday, November 29, 2026 (at 18:00)"."""
    day = f"{value:%A, %B} {value.day}, {value.year}"
    return f"{day} at {value:%H:%M}" if isinstance(value, datetime) else day


def _anticoagulant(risk, starts_at, gone, phone):
    drug = risk.anticoagulants.strip()
    days = risk.anticoagulant_hold_days
    if days is None or starts_at is None:
        # Recorded before the days were (or no appointment yet): the plan as typed.
        plan = (risk.anticoagulant_hold_plan or "").strip()
        return ((N_("Blood thinners: %(plan)s"), {"plan": plan}) if plan
                else (N_("Blood thinners: the clinic will tell you whether to pause them."), {}))
    if days == 0:
        return N_("Blood thinner (%(drug)s): keep taking it as usual."), {"drug": drug}
    if not risk.anticoagulant_prescriber_agreed:
        return (N_("Blood thinner (%(drug)s): do not stop it yet. The clinic will call you with the day to "
                   "stop once your prescriber has agreed."), {"drug": drug})
    if HOLD in gone:
        return _call(N_("Blood thinner (%(drug)s): it is too late to stop it as planned. Please call the clinic "
                        "on %(phone)s before your appointment."),
                     N_("Blood thinner (%(drug)s): it is too late to stop it as planned. Please call the clinic "
                        "before your appointment."), phone, drug=drug)
    last_dose, first_without = hold_dates(risk, starts_at)
    return (N_("Blood thinner (%(drug)s): take your last dose on %(last_dose)s, and none from %(first_day)s "
               "until after your appointment. The clinic will tell you when to start it again."),
            {"drug": drug, "last_dose": last_dose, "first_day": first_without})


def agreed_hold(risk, starts_at, told_at):
    """The blood-thinner hold the patient was given for this appointment once their prescriber
    agreed: its (last dose, first day without) when it fitted, () when it did not (they were told to
    call the clinic instead), None without an agreed hold."""
    if not (risk is not None and takes_anticoagulant(risk) and risk.anticoagulant_hold_days
            and risk.anticoagulant_prescriber_agreed):
        return None
    return (hold_dates(risk, starts_at) if HOLD not in missed(risk, starts_at, told_at) else None) or ()


def _plan_as_typed(risk):
    """A hold plan recorded as free text before the days were asked (`_anticoagulant` told the
    patient the plan as typed): the patient may have stopped the drug by it."""
    return (risk is not None and takes_anticoagulant(risk) and risk.anticoagulant_hold_days is None
            and bool((risk.anticoagulant_hold_plan or "").strip()))


def after_cancelling(risk, starts_at, told_at, next_day=None):
    """What a patient given this appointment's preparation must hear when it is cancelled before
    its time, about the steps they may have begun: an agreed blood-thinner hold, or a hold plan
    recorded as text (the preparation said "the clinic will tell you when to start it again": a
    cancellation that says nothing leaves them off it) and a planned contrast premedication. Steps
    as `preparation` gives them; [] when they were given neither.

    `next_day`: the day of the patient's next appointment still booked (any of their cases), if
    any. Then "keep taking it" or "do not take the premedication" would contradict that
    appointment's own preparation (restarting a blood thinner its hold needs stopped): the one
    step says to follow that appointment's preparation instead."""
    if risk is None:
        return []
    steps = []
    dates = agreed_hold(risk, starts_at, told_at)
    if dates is None and _plan_as_typed(risk):
        dates = ()
    if dates is not None:
        drug = risk.anticoagulants.strip()
        if dates:
            steps.append((N_("Blood thinner (%(drug)s): for this appointment you were told to take your last dose "
                             "on %(last_dose)s. If you have stopped it, ask the doctor who prescribes it, or the "
                             "clinic, now when to start it again. If you have not stopped it yet, keep taking it "
                             "as usual."), {"drug": drug, "last_dose": dates[0]}))
        else:
            steps.append((N_("Blood thinner (%(drug)s): if you stopped it for this appointment, ask the doctor who "
                             "prescribes it, or the clinic, now when to start it again. If you have not stopped "
                             "it, keep taking it as usual."), {"drug": drug}))
    if risk.allergy_contrast and risk.contrast_premedication_planned:
        steps.append((N_("Contrast allergy: do not take the premedication planned for this appointment. The "
                         "clinic will tell you again before a new appointment."), {}))
    if steps and next_day is not None:
        return [(N_("You have another appointment booked, on %(day)s: for your blood thinner and any "
                    "premedication, follow the preparation the clinic gave you for that appointment. If you "
                    "are not sure what it says, call the clinic."), {"day": next_day})]
    return steps


def hold_undone_words(risk, starts_at, told_at):
    """The same for staff, on the cancelled appointment and as it is cancelled ("" without an
    agreed hold): someone must tell the patient when to restart the blood thinner."""
    dates = agreed_hold(risk, starts_at, told_at)
    if dates is None and _plan_as_typed(risk):
        return (f"The patient was given the blood-thinner plan \"{risk.anticoagulant_hold_plan.strip()}\" for this "
                f"appointment: make sure they know when to start {risk.anticoagulants.strip()} again (ask the "
                f"prescriber), or to keep taking it if they have not stopped. The cancellation message asks them to.")
    if dates is None:
        return ""
    told = (f"to take the last dose of {risk.anticoagulants.strip()} on {in_words(dates[0])}" if dates
            else f"to stop {risk.anticoagulants.strip()} (the hold did not fit: they were told to call)")
    return (f"The patient was told {told} for this appointment: make sure they know when to start it "
            f"again (ask the prescriber), or to keep taking it if they have not stopped. The cancellation "
            f"message asks them to.")


def _contrast(risk, starts_at, gone, phone):
    plan = (risk.contrast_premedication_plan or "").strip()
    if PREMEDICATION in gone:
        return _call(N_("Contrast allergy: it is too late to start your premedication the evening before as "
                        "planned. Please call the clinic on %(phone)s before your appointment."),
                     N_("Contrast allergy: it is too late to start your premedication the evening before as "
                        "planned. Please call the clinic before your appointment."), phone)
    if risk.contrast_premedication_planned and plan and starts_at is not None:
        return (N_("Contrast allergy: start your premedication the evening before, on %(evening)s, as "
                   "planned: %(plan)s"), {"evening": starts_at.date() - timedelta(days=1), "plan": plan})
    return ((N_("Contrast allergy: %(plan)s"), {"plan": plan}) if plan
            else (N_("Contrast allergy: the clinic will send your premedication instructions."), {}))


def _call(with_phone, without, phone, **values):
    """A step that ends "call the clinic", on its number when known."""
    return (with_phone, {**values, "phone": phone}) if phone else (without, values)


def fasting_from(risk, starts_at):
    """The moment the patient stops eating and drinking (in `starts_at`'s zone), or None."""
    if not (risk and risk.fasting_hours) or starts_at is None:
        return None
    return _later(starts_at, hours=-risk.fasting_hours)


def _later(moment, hours):
    """`hours` real hours after `moment`, in its zone: wall-clock right across a daylight-saving change."""
    return (moment.astimezone(timezone.utc) + timedelta(hours=hours)).astimezone(moment.tzinfo)


def preparation(risk, starts_at=None, told_at=None, phone="", sedated_recovery="30–45", usual_recovery="20–30"):
    """The steps for this patient before the appointment starting at `starts_at`, given its time at
    `told_at` (clinic time); `phone` is the clinic's, for a step that did not fit."""
    sedated = bool(risk and risk.sedation_planned)
    gone = missed(risk, starts_at, told_at)
    steps = [
        (N_("Arrive 30 minutes before your appointment time and bring a list of your medicines."), {}),
        (N_("Plan to stay %(minutes)s minutes after the injection so we can check on you."),
         {"minutes": sedated_recovery if sedated else usual_recovery}),
        (N_("If you have a fever or an infection on the day, call the clinic before you come."), {}),
    ]
    if risk is None:
        return steps
    if takes_anticoagulant(risk):
        steps.append(_anticoagulant(risk, starts_at, gone, phone))
    if sedated:
        steps.append((N_("You will have sedation: an adult must take you home, and you must not drive "
                         "for 24 hours."), {}))
    fasting = fasting_from(risk, starts_at)
    if FASTING in gone:
        steps.append(_call(N_("Fasting: it is too late to fast for %(hours)s hours before your appointment as "
                              "planned. Please call the clinic on %(phone)s before your appointment."),
                           N_("Fasting: it is too late to fast for %(hours)s hours before your appointment as "
                              "planned. Please call the clinic before your appointment."),
                           phone, hours=risk.fasting_hours))
    elif fasting is not None:
        steps.append((N_("Fasting: nothing to eat or drink from %(moment)s (%(hours)s hours before your "
                         "appointment)."), {"moment": fasting, "hours": risk.fasting_hours}))
    if risk.allergy_contrast:
        steps.append(_contrast(risk, starts_at, gone, phone))
    if risk.glucose_monitoring_advised:
        steps.append((N_("Diabetes: the steroid can raise your blood sugar; check your glucose more often "
                         "for about a week after the injection."), {}))
    return steps

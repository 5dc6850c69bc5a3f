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
- contrast premedication planned: start it the evening before the procedure day.
- fasting N hours: nothing to eat or drink from N hours before the appointment's time.
"""
from datetime import timedelta, timezone

from tracker.vocab import N_, takes_anticoagulant


def hold_dates(risk, starts_at):
    """(last dose, first day without) in the clinic's dates, or None when nothing is held (no
    anticoagulant, days not recorded or 0). `starts_at` is the appointment's start in clinic time."""
    days = risk.anticoagulant_hold_days if takes_anticoagulant(risk) else None
    if not days or starts_at is None:
        return None
    day = starts_at.date()
    return day - timedelta(days=days + 1), day - timedelta(days=days)


def _anticoagulant(risk, starts_at):
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
    last_dose, first_without = hold_dates(risk, starts_at)
    return (N_("Blood thinner (%(drug)s): take your last dose on %(last_dose)s, and none from %(first_day)s "
               "until after your appointment. The clinic will tell you when to start it again."),
            {"drug": drug, "last_dose": last_dose, "first_day": first_without})


def _contrast(risk, starts_at):
    plan = (risk.contrast_premedication_plan or "").strip()
    if risk.contrast_premedication_planned and plan and starts_at is not None:
        return (N_("Contrast allergy: start your premedication the evening before, on %(evening)s, as "
                   "planned: %(plan)s"), {"evening": starts_at.date() - timedelta(days=1), "plan": plan})
    return ((N_("Contrast allergy: %(plan)s"), {"plan": plan}) if plan
            else (N_("Contrast allergy: the clinic will send your premedication instructions."), {}))


def fasting_from(risk, starts_at):
    """The moment the patient stops eating and drinking (in `starts_at`'s zone), or None."""
    if not (risk and risk.fasting_hours) or starts_at is None:
        return None
    moment = starts_at.astimezone(timezone.utc) - timedelta(hours=risk.fasting_hours)
    return moment.astimezone(starts_at.tzinfo)  # wall-clock right across a daylight-saving change


def preparation(risk, starts_at=None, sedated_recovery="30–45", usual_recovery="20–30"):
    """The steps for this patient before the appointment starting at `starts_at` (clinic time)."""
    sedated = bool(risk and risk.sedation_planned)
    steps = [
        (N_("Arrive 30 minutes before your appointment time and bring a list of your medicines."), {}),
        (N_("Plan to stay %(minutes)s minutes after the injection so we can check on you."),
         {"minutes": sedated_recovery if sedated else usual_recovery}),
        (N_("If you have a fever or an infection on the day, call the clinic before you come."), {}),
    ]
    if risk is None:
        return steps
    if takes_anticoagulant(risk):
        steps.append(_anticoagulant(risk, starts_at))
    if sedated:
        steps.append((N_("You will have sedation: an adult must take you home, and you must not drive "
                         "for 24 hours."), {}))
    fasting = fasting_from(risk, starts_at)
    if fasting is not None:
        steps.append((N_("Fasting: nothing to eat or drink from %(moment)s (%(hours)s hours before your "
                         "appointment)."), {"moment": fasting, "hours": risk.fasting_hours}))
    if risk.allergy_contrast:
        steps.append(_contrast(risk, starts_at))
    if risk.glucose_monitoring_advised:
        steps.append((N_("Diabetes: the steroid can raise your blood sugar; check your glucose more often "
                         "for about a week after the injection."), {}))
    return steps

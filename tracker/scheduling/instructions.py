"""What the patient should do before the appointment, from their risk screen. Pure.

Each step is a message for the catalog and its values, (N_("... %(minutes)s ..."), {"minutes": ...}):
whoever shows it translates it into the reader's language (`tracker.i18n.say`). The plans staff
type (hold plan, premedication) are values, shown as typed.
"""
from tracker.vocab import N_


def preparation(risk, sedated_recovery="30–45", usual_recovery="20–30"):
    sedated = bool(risk and risk.sedation_planned)
    steps = [
        (N_("Arrive 30 minutes before your appointment time and bring a list of your medicines."), {}),
        (N_("Plan to stay %(minutes)s minutes after the injection so we can check on you."),
         {"minutes": sedated_recovery if sedated else usual_recovery}),
        (N_("If you have a fever or an infection on the day, call the clinic before you come."), {}),
    ]
    if risk is None:
        return steps
    if (risk.anticoagulants or "").strip():
        plan = (risk.anticoagulant_hold_plan or "").strip()
        steps.append((N_("Blood thinners: %(plan)s"), {"plan": plan}) if plan
                     else (N_("Blood thinners: the clinic will tell you whether to pause them."), {}))
    if sedated:
        steps.append((N_("You will have sedation: an adult must take you home, and you must not drive "
                         "for 24 hours."), {}))
    if risk.allergy_contrast:
        plan = (risk.contrast_premedication_plan or "").strip()
        steps.append((N_("Contrast allergy: %(plan)s"), {"plan": plan}) if plan
                     else (N_("Contrast allergy: the clinic will send your premedication instructions."), {}))
    if risk.glucose_monitoring_advised:
        steps.append((N_("Diabetes: the steroid can raise your blood sugar; check your glucose more often "
                         "for about a week after the injection."), {}))
    return steps

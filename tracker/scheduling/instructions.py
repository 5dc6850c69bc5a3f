"""What the patient should do before the appointment, from their risk screen. Pure."""


def preparation(risk, sedated_recovery="30–45", usual_recovery="20–30"):
    sedated = bool(risk and risk.sedation_planned)
    steps = [
        "Arrive 30 minutes before your appointment time and bring a list of your medicines.",
        f"Plan to stay {sedated_recovery if sedated else usual_recovery} minutes after the injection "
        "so we can check on you.",
        "If you have a fever or an infection on the day, call the clinic before you come.",
    ]
    if risk is None:
        return steps
    if (risk.anticoagulants or "").strip():
        plan = (risk.anticoagulant_hold_plan or "").strip()
        steps.append("Blood thinners: " + (plan if plan else "the clinic will tell you whether to pause them."))
    if sedated:
        steps.append("You will have sedation: an adult must take you home, and you must not drive "
                     "for 24 hours.")
    if risk.allergy_contrast:
        plan = (risk.contrast_premedication_plan or "").strip()
        steps.append("Contrast allergy: " + (plan if plan else "the clinic will send your premedication "
                                                          "instructions."))
    if risk.glucose_monitoring_advised:
        steps.append("Diabetes: the steroid can raise your blood sugar; check your glucose more often "
                     "for about a week after the injection.")
    return steps

"""The figures the case page shows about what has been documented, from the pure calculations."""
from tracker.clinical import (failed_conservative_care_days, has_active_therapy, has_medication_trial,
                              oswestry_band, oswestry_index, positive_provocation_count)
from tracker.models.review import EXAM_SIDES
from tracker.timeutil import clinic_today


def case_summary(case):
    care = case.conservative_care
    exam = case.examination
    odi = oswestry_index(exam.odi_sections) if exam else None
    return {
        "care_rows": len(care),
        "failed_care_days": failed_conservative_care_days(care, clinic_today()),
        "active_therapy": has_active_therapy(care),
        "medication_trial": has_medication_trial(care),
        "positive_tests": {side.label: positive_provocation_count(exam.results(side))
                           for side in EXAM_SIDES} if exam else {},
        "odi": odi,
        "odi_band": oswestry_band(odi) if odi is not None else None,
    }

"""The figures the case page shows about what has been documented, from the pure calculations.

Conservative care is counted as the eligibility engine counts it for the case's profile (failed
courses inside the look-back window), so the page and the verdict never disagree."""
from tracker.clinical import oswestry_band, oswestry_index, positive_provocation_count
from tracker.eligibility.facts import case_facts
from tracker.models.review import EXAM_SIDES
from tracker.policy import conservative_care_figures
from tracker.vocab import joints_of
from tracker.timeutil import clinic_today


def care_figures(case, profile):
    return conservative_care_figures(case_facts(case, clinic_today()), profile)


def case_summary(case, profile):
    exam = case.examination
    odi = oswestry_index(exam.odi_sections) if exam else None
    return {
        "care_rows": len(case.conservative_care),
        "care": care_figures(case, profile),
        # Only the joints this case is about: a right-sided case has no left count to show. Each
        # side's (positive, not done): counted out of the tests done, as the verdict counts them.
        "positive_tests": {side.label: _positive_and_not_done(exam.results(side))
                           for side in EXAM_SIDES if side in joints_of(case.side)} if exam else {},
        "odi": odi,
        "odi_band": oswestry_band(odi) if odi is not None else None,
    }


def _positive_and_not_done(results):
    return positive_provocation_count(results), sum(result == "not_done" for result in results.values())

"""Walkthrough: a contrast premedication planned from the evening before, on an appointment booked
for the same day, was on the booking's warning only. The signed note's Allergies line, and the
checklist's banner, say the plan and whether it could be counted on at the table, as the
Anticoagulants line says the hold: "…: not taken as planned (booked or moved the same day)…". The
contrast step still asks its confirmation (tests/functional/test_procedure_checklist.py). CSRF on."""
from datetime import datetime, timedelta, timezone

from tracker.extensions import db
from tracker.models import RiskScreen
from tracker.scheduling.instructions import in_words
from tracker.timeutil import clinic_today, clinic_zone

from tests.builders import checklist_url
from tests.helpers import loaded, soup, words

PREDNISONE = {"allergy_answer": "documented", "allergy_contrast": True, "contrast_premedication_planned": True,
              "contrast_premedication_plan": "prednisone 50 mg 13, 7 and 1 h before"}


def booked_today(gen, physician, sign=True, **appointment_fields):
    """A signed procedure on an appointment booked now for today: the evening before had passed."""
    record = gen.procedure(physician=physician, steps="all", sign=sign)
    db.session.add(RiskScreen(case_id=record.case_id, red_flags_screened=True, **PREDNISONE))
    record.appointment.created_at = datetime.now(timezone.utc).replace(microsecond=0)
    for name, value in appointment_fields.items():
        setattr(record.appointment, name, value)
    db.session.commit()
    return record


def the_evening_before():
    return in_words(datetime.combine(clinic_today() - timedelta(days=1), datetime.min.time().replace(hour=18),
                                     tzinfo=clinic_zone()))


def note_line(doctor, record, term):
    note = soup(loaded(doctor.get(f"/cases/{record.case_id}/procedure/note")))
    [said] = [words(dt.find_next_sibling("dd")) for dt in note.find_all("dt") if words(dt) == term]
    return said


def test_the_signed_note_says_the_premedication_was_not_taken_as_planned(gen, doctor, physician):
    record = booked_today(gen, physician)

    assert note_line(doctor, record, "Allergies") == (
        "iodinated contrast (premedication planned from the evening before: prednisone 50 mg 13, 7 and 1 h "
        "before): not taken as planned (booked or moved the same day: it would have started on "
        f"{the_evening_before()}); no new plan was confirmed at readiness")


def test_a_new_plan_confirmed_at_readiness_is_said_so(gen, doctor, physician):
    record = booked_today(gen, physician, contrast_premedication_sent=True)

    assert note_line(doctor, record, "Allergies").endswith(
        "before): did not fit this booking (booked or moved the same day: it would have started on "
        f"{the_evening_before()}); a new plan was confirmed at readiness")


def test_a_premedication_that_fitted_is_printed_as_the_plan(gen, doctor, physician):
    record = booked_today(gen, physician, created_at=datetime.now(timezone.utc) - timedelta(days=7))

    assert note_line(doctor, record, "Allergies") == (
        "iodinated contrast (premedication planned from the evening before: prednisone 50 mg 13, 7 and 1 h before)")


def test_the_signed_checklist_banner_keeps_the_plan_and_its_status(gen, doctor, physician):
    record = booked_today(gen, physician)

    banner = soup(loaded(doctor.get(checklist_url(record.case_id)))).select_one(".patient-banner")
    assert "Allergies: iodinated contrast, premedication planned from the evening before ·" in words(banner)
    assert words(banner.select_one(".premedication-flag")) == (
        "Contrast premedication: not taken as planned (booked or moved the same day: it would have started on "
        f"{the_evening_before()}); no new plan was confirmed at readiness")

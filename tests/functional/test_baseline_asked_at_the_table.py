"""The pain score before the injection is the diary's baseline: once the injection is given, a
score typed measures the injection, and the point reads "Missed". While it can still be taken
(checked in, at the start, during the procedure until the injectate), the appointment page and the
checklist say it is missing and lead to the phone entry; with it entered, they say nothing."""
from datetime import time, timedelta

from tracker.extensions import db
from tracker.models import RiskScreen
from tracker.roles import Role
from tracker.scheduling.rules import clinic_to_utc
from tracker.timeutil import clinic_today, clinic_zone
from tracker.workflow import State

from tests.builders import checklist_url
from tests.helpers import sign_in, soup, text

NOTICE = ("No pain score before the injection yet. Ask the patient now (0 to 10) and enter it by phone "
          "before the injection: a score given after it measures the injection, and the baseline stays missed.")


def booked_at_eight(gen, physician, baseline=None):
    case = gen.case(state=State.SCHEDULED, physician_id=physician.id)
    db.session.add(RiskScreen(case_id=case.id, anticoagulant_answer="none", allergy_answer="nkda",
                              red_flags_screened=True))
    db.session.commit()
    gen.verdict(case)
    starts_at = clinic_to_utc(clinic_today(), time(8, 0), clinic_zone())
    appointment = gen.appointment(case, physician=physician, consent_obtained=True, day_of_check_done=True,
                                  starts_at=starts_at)
    # Booked the day before (not an hour before the real clock: after 09:05 that was after the
    # tests' clinic clock, and the baseline was not open yet).
    gen.diary(case, booked_at=starts_at - timedelta(days=1), entries={} if baseline is None else {"t0": baseline})
    return appointment


def notice(page):
    found = soup(page).find(class_="baseline-missing")
    return " ".join(found.get_text().split()) if found else None


def test_the_checklist_and_the_appointment_say_the_baseline_is_missing_and_lead_to_the_phone_entry(
        gen, doctor, physician, make_client, clinic_clock):
    clinic_clock(8, 5)
    appointment = booked_at_eight(gen, physician)
    case_id = appointment.case_id

    checklist = text(doctor.get(checklist_url(case_id)))
    assert notice(checklist) == NOTICE + " Enter the score before the injection"
    assert soup(checklist).find(class_="baseline-missing").find("a")["href"] == f"/cases/{case_id}/diary/phone"

    desk = make_client()
    sign_in(desk, gen.user(Role.COORDINATOR))
    assert notice(text(desk.get(f"/appointments/{appointment.id}"))) == NOTICE + " Enter the score before the injection"


def test_with_the_baseline_entered_nothing_is_said(gen, doctor, physician, make_client, clinic_clock):
    clinic_clock(8, 5)
    appointment = booked_at_eight(gen, physician, baseline=6)

    assert notice(text(doctor.get(checklist_url(appointment.case_id)))) is None
    desk = make_client()
    sign_in(desk, gen.user(Role.COORDINATOR))
    assert notice(text(desk.get(f"/appointments/{appointment.id}"))) is None

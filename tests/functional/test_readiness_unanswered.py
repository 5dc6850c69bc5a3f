"""A risk-screen question not answered yet (blood thinners, allergies) blocks 'Ready' as a missing
item does: the appointment page, the day board and My day say it still needed, each box names what the
patient's other open case records, and only a physician's override (with its reason) lets it go ahead
without the answer. Through the real forms, CSRF on."""
import pytest

from tracker.extensions import db
from tracker.models import RiskScreen
from tracker.vocab import Side
from tracker.workflow import State

from tests.builders import clinic_at, clinic_day
from tests.functional.test_booking import NOT_READY_BADGE, READY_BADGE, fresh, room, save_readiness  # noqa: F401
from tests.helpers import by_id, submit, text, words

HAROLD_LEFT = {"anticoagulant_answer": "taking", "anticoagulants": "apixaban 5 mg twice daily",
               "anticoagulant_hold_days": 2, "anticoagulant_prescriber_agreed": True,
               "allergy_answer": "documented", "allergy_contrast": True, "contrast_premedication_planned": True,
               "red_flags_screened": True}


@pytest.fixture
def harold(gen, physician, room):
    """Harold's left case records apixaban and an iodinated contrast allergy; his new right case has
    no risk screen, was overridden eligible and is booked for tomorrow."""
    patient = gen.patient(given_name="Harold", family_name="Brandt")
    left = gen.case(state=State.ELIGIBLE, side=Side.LEFT, patient=patient)
    db.session.add(RiskScreen(case_id=left.id, **HAROLD_LEFT))
    right = gen.case(state=State.SCHEDULED, side=Side.RIGHT, patient=patient)
    db.session.commit()
    appointment = gen.appointment(right, physician=physician, room=room, starts_at=clinic_at(1, 10))
    return left, appointment


def test_consent_and_day_of_check_ticked_without_a_risk_screen_is_not_ready(client, coordinator, harold):
    left, appointment = harold
    assert save_readiness(client, appointment, "consent_obtained", "day_of_check_done").status_code == 302

    page = text(client.get(f"/appointments/{appointment.id}"))
    assert NOT_READY_BADGE in page and READY_BADGE not in page
    assert ('<p class="readiness-summary">Still needed: risk screen: blood thinners not asked, '
            'risk screen: allergies not asked</p>') in page
    anticoagulant = words(by_id(page, "anticoagulant_plan_confirmed").find_parent("li"))
    assert (f"Case {left.id} (left) records apixaban 5 mg twice daily: ask the patient and answer it on this case's "
            f"risk screen.") in anticoagulant
    allergy = words(by_id(page, "contrast_premedication_sent").find_parent("li"))
    assert f"Case {left.id} (left) records iodinated contrast: ask the patient" in allergy
    board = words(client.get(f"/schedule/day?date={clinic_day(1).isoformat()}"))
    assert ("✗ Not ready Still needed: risk screen: blood thinners not asked, risk screen: allergies not asked"
            in board)
    assert "✓ Ready" not in board


def test_ticking_the_unknown_items_does_not_make_it_ready(client, coordinator, harold):
    _, appointment = harold
    save_readiness(client, appointment, "consent_obtained", "day_of_check_done", "anticoagulant_plan_confirmed",
                   "contrast_premedication_sent")
    page = text(client.get(f"/appointments/{appointment.id}"))
    assert NOT_READY_BADGE in page and "Still needed: risk screen: blood thinners not asked" in page


def test_my_day_does_not_say_ready_without_the_answers(client, physician, login_as, harold):
    _, appointment = harold
    appointment.consent_obtained = appointment.day_of_check_done = True
    db.session.commit()
    login_as(physician)
    day = words(client.get(f"/schedule/mine?date={clinic_day(1).isoformat()}"))
    assert "✗ Not ready" in day and "✓ Ready" not in day
    assert "risk screen: blood thinners not asked" in day


def test_a_physician_may_still_override_readiness_with_a_reason(client, physician, login_as, harold):
    _, appointment = harold
    appointment.consent_obtained = appointment.day_of_check_done = True
    db.session.commit()
    login_as(physician)
    response = submit(client, f"/appointments/{appointment.id}/readiness-override",
                      {"reason": "Patient confirmed by phone: apixaban held 3 days, no new allergy.",
                       "version_id": str(fresh(appointment).version_id)},
                      form_page=f"/appointments/{appointment.id}")
    assert response.status_code == 302
    assert "Ready by physician override" in text(client.get(f"/appointments/{appointment.id}"))


def test_answering_the_risk_screen_lets_the_ticks_count(client, coordinator, harold):
    _, appointment = harold
    db.session.add(RiskScreen(case_id=appointment.case_id, anticoagulant_answer="none", allergy_answer="nkda",
                              red_flags_screened=True))
    db.session.commit()
    save_readiness(client, fresh(appointment), "consent_obtained", "day_of_check_done")
    assert READY_BADGE in text(client.get(f"/appointments/{appointment.id}"))

"""What readiness confirmed stays confirmed only for what it was asked: a risk screen saved afterwards
that asks more (a diabetes newly recorded: the day-of check now asks for the glucose; a blood thinner
newly recorded: a hold plan to confirm) unticks the day-of check and clears a physician's readiness
override given before, and a move clears a hold confirmed with the day of the last dose (the patient
now has the new day's dates). The appointment page says Not ready, the box unticked, and its History
says why. Through the real forms, CSRF on."""
from datetime import timedelta

import pytest

from tracker.extensions import db
from tracker.models import AuditEvent, RiskScreen
from tracker.review import services as review
from tracker.roles import Role
from tracker.scheduling import readiness
from tracker.scheduling import services as scheduling
from tracker.scheduling.liability import notice_for
from tracker.timeutil import clinic_today
from tracker.workflow import State

from tests.builders import clinic_at, clinic_day, now
from tests.functional.test_booking import (NOT_READY_BADGE, READY_BADGE, acknowledging, booking, fresh,  # noqa: F401
                                           physician, room, save_readiness)
from tests.helpers import by_id, is_checked, submit, text, words

APIXABAN = {"anticoagulant_answer": "taking", "anticoagulants": "apixaban 5 mg twice daily",
            "anticoagulant_hold_plan": "restart the day after", "anticoagulant_hold_days": "2",
            "anticoagulant_prescriber_agreed": "yes"}
OVERRIDE = "Consent signed on paper in clinic; scan to follow."


def _ready_case(gen, physician, starts_at, room=None, diabetes=False, **ticks):
    """A scheduled case answering no blood thinner and no known allergy, booked at `starts_at`."""
    case = gen.case(state=State.SCHEDULED, physician_id=physician.id, verdict=False)
    db.session.add(RiskScreen(case_id=case.id, anticoagulant_answer="none", allergy_answer="nkda",
                              red_flags_screened=True, diabetes=diabetes))
    db.session.commit()
    appointment = gen.appointment(case, physician=physician, room=room, starts_at=starts_at, **ticks)
    gen.verdict(case)
    return case, appointment


def _is_ready(appointment):
    a = fresh(appointment)
    return readiness.is_ready(a, a.case.risk_screen, notice_for(a.case, a))


def risk_form(case, **changes):
    """The risk screen's form as saved by `_ready_case` (none, NKDA), with `changes`."""
    screen = db.session.execute(db.select(RiskScreen).filter_by(case_id=case.id)).scalar_one()
    form = {"version_id": str(screen.version_id), "anticoagulant_answer": "none", "allergy_answer": "nkda",
            "anticoagulants": "", "anticoagulant_hold_plan": "", "contrast_premedication_plan": "",
            "pregnancy": "no", "hba1c": "", "red_flags_screened": "y", "red_flags_notes": ""}
    return {**form, **changes}


def save_risk_screen(client, case, **changes):
    response = submit(client, f"/cases/{case.id}/risk-screen", risk_form(case, **changes), follow_redirects=True)
    assert "Risk screen saved." in words(text(response))


def appointment_page(client, appointment):
    return text(client.get(f"/appointments/{appointment.id}"))


def history(page):
    return words(by_id(page, "history-h").find_parent("section"))


# ------------------------------------------------------------------ the day-of check asks more

def test_a_diabetes_recorded_after_the_day_of_check_leaves_the_glucose_unchecked(gen, physician):
    coordinator = gen.user(Role.COORDINATOR)
    case, appointment = _ready_case(gen, physician, now() + timedelta(hours=2), consent_obtained=True,
                                    day_of_check_done=True)
    assert _is_ready(appointment)
    review.save_risk_screen(case, {"diabetes": True, "insulin": True}, case.risk_screen.version_id, coordinator)
    appointment = fresh(appointment)
    [day_of] = [i for i in scheduling.readiness_items(appointment) if i.field == "day_of_check_done"]
    assert "glucose checked" in day_of.label
    assert not _is_ready(appointment)


def test_the_appointment_page_unticks_the_day_of_check_when_diabetes_is_recorded_and_says_why(
        client, coordinator, gen, physician, room):
    case, appointment = _ready_case(gen, physician, clinic_at(1, 10), room=room)
    save_readiness(client, appointment, "consent_obtained", "day_of_check_done")
    assert READY_BADGE in appointment_page(client, appointment)

    save_risk_screen(client, case, diabetes="y", insulin="y", hba1c="7.9")

    page = appointment_page(client, appointment)
    assert NOT_READY_BADGE in page and READY_BADGE not in page
    assert '<p class="readiness-summary">Still needed: day-of check</p>' in page
    assert not is_checked(page, "day_of_check_done") and is_checked(page, "consent_obtained")
    assert "Day-of check: no fever or infection, glucose checked" in words(by_id(page, "day_of_check_done").find_parent("li"))
    assert (f"readiness reset · {coordinator.name} Reason: The day-of check now also asks: glucose checked. It was "
            f"ticked before that and must be done again.") in history(page)
    assert db.session.execute(db.select(AuditEvent.summary).filter_by(
        object_type="appointment", object_id=str(appointment.id)).order_by(AuditEvent.id)).scalars().all()[-1] == (
        "readiness reset (the risk screen changed): day-of check cleared")
    # Ticked again for what it now asks, it is ready.
    save_readiness(client, fresh(appointment), "consent_obtained", "day_of_check_done")
    assert READY_BADGE in appointment_page(client, appointment)


def test_a_change_that_asks_nothing_more_keeps_the_ticks_and_the_override(client, coordinator, gen, physician,
                                                                          room):
    case, appointment = _ready_case(gen, physician, clinic_at(1, 10), room=room, diabetes=True,
                                    consent_obtained=True, day_of_check_done=True,
                                    readiness_override_reason=OVERRIDE, readiness_override_by_id=physician.id)

    save_risk_screen(client, case, diabetes="y", insulin="y", hba1c="6.4")  # the same check, no new item

    page = appointment_page(client, appointment)
    assert is_checked(page, "day_of_check_done") and "Ready by physician override" not in page
    assert READY_BADGE in page and "readiness reset" not in history(page)
    assert fresh(appointment).readiness_override_reason == OVERRIDE


# ------------------------------------------------------------------ an override given before

def test_an_override_for_consent_does_not_cover_a_blood_thinner_recorded_afterwards(gen, physician):
    coordinator = gen.user(Role.COORDINATOR)
    case, appointment = _ready_case(gen, physician, clinic_at(6, 10), day_of_check_done=True)
    scheduling.override_readiness(appointment, OVERRIDE, physician, appointment.version_id)
    assert _is_ready(appointment)
    review.save_risk_screen(case, {"anticoagulant_answer": "taking", "anticoagulants": "apixaban 5 mg twice daily",
                                   "anticoagulant_hold_days": 2, "anticoagulant_prescriber_agreed": True},
                            case.risk_screen.version_id, coordinator)
    assert not _is_ready(appointment)


def test_the_appointment_page_drops_an_override_given_before_a_blood_thinner_was_recorded(
        client, coordinator, gen, physician, room, login_as, make_client):
    case, appointment = _ready_case(gen, physician, clinic_at(6, 10), room=room)
    save_readiness(client, appointment, "day_of_check_done")
    doctor = login_as(physician, on=make_client())
    assert submit(doctor, f"/appointments/{appointment.id}/readiness-override",
                  {"reason": OVERRIDE, "version_id": str(fresh(appointment).version_id)},
                  form_page=f"/appointments/{appointment.id}").status_code == 302
    assert "Ready by physician override" in appointment_page(client, appointment)

    save_risk_screen(client, case, **APIXABAN)

    page = appointment_page(client, appointment)
    assert NOT_READY_BADGE in page and "Ready by physician override" not in page
    assert '<p class="readiness-summary">Still needed: consent, anticoagulant plan</p>' in page
    assert "Physician override" not in words(by_id(page, "readiness-h").find_parent("section"))
    assert (f"readiness reset · {coordinator.name} Reason: Readiness now also asks for anticoagulant plan, which the "
            f"physician's readiness override was given without: confirm it, or a physician overrides readiness "
            f"again.") in history(page)
    # The override itself stays in the History, with its reason.
    assert f"readiness override · {physician.name} Reason: {OVERRIDE}" in history(page)


def test_an_override_is_cleared_by_the_glucose_check_too(client, coordinator, gen, physician, room):
    case, appointment = _ready_case(gen, physician, clinic_at(1, 10), room=room,
                                    readiness_override_reason=OVERRIDE, readiness_override_by_id=physician.id)
    save_risk_screen(client, case, diabetes="y", insulin="y")
    page = appointment_page(client, appointment)
    assert NOT_READY_BADGE in page
    assert ("Readiness now also asks for glucose checked, which the physician's readiness override was given "
            "without") in history(page)


# ------------------------------------------------------------------ a move

@pytest.mark.parametrize("to_day", [2, 7], ids=["hold-still-missed", "hold-fits"])
def test_a_move_clears_a_hold_confirmed_with_the_day_of_the_last_dose(client, coordinator, gen, physician, room,
                                                                     to_day):
    """Booked tomorrow against a 2-day hold (its last dose would have been yesterday): confirmed with
    the patient's last dose the day before yesterday; moved to a day the hold still misses, or to a
    day it fits (the patient is now told that day's dates), the confirmation and the day are asked again."""
    case, appointment = _ready_case(gen, physician, clinic_at(1, 10), room=room)
    save_risk_screen(client, case, **APIXABAN)
    last = clinic_today() - timedelta(days=2)
    response = submit(client, f"/appointments/{appointment.id}/readiness",
                      {"version_id": str(fresh(appointment).version_id), "consent_obtained": "y",
                       "anticoagulant_plan_confirmed": "y", "anticoagulant_last_dose_on": last.isoformat(),
                       "day_of_check_done": "y"}, form_page=f"/appointments/{appointment.id}")
    assert response.status_code == 302
    assert READY_BADGE in appointment_page(client, appointment)

    url = f"/appointments/{appointment.id}/reschedule"
    data = booking(clinic_day(to_day), "10:00", physician, room, reason="The patient asked for another day.",
                   version_id=str(fresh(appointment).version_id))
    moved = submit(client, url, data)
    if moved.status_code == 409:
        moved = submit(client, url, acknowledging(text(moved), data))
    assert moved.status_code == 302

    appointment = fresh(appointment)
    assert (appointment.anticoagulant_plan_confirmed, appointment.anticoagulant_last_dose_on) == (False, None)
    page = appointment_page(client, appointment)
    assert NOT_READY_BADGE in page and not is_checked(page, "anticoagulant_plan_confirmed")
    assert ("Reason: Moved: the day-of check and the anticoagulant plan confirmation were for the old day and must "
            "be done again.") in history(page)
    assert is_checked(page, "consent_obtained")


def test_a_move_keeps_a_hold_confirmed_without_a_day_that_still_fits(client, coordinator, gen, physician, room):
    case, appointment = _ready_case(gen, physician, clinic_at(6, 10), room=room)
    save_risk_screen(client, case, **APIXABAN)
    save_readiness(client, fresh(appointment), "consent_obtained", "anticoagulant_plan_confirmed")
    data = booking(clinic_day(8), "10:00", physician, room, reason="The patient asked for another day.",
                   version_id=str(fresh(appointment).version_id))
    moved = submit(client, f"/appointments/{appointment.id}/reschedule", data)
    if moved.status_code == 409:
        moved = submit(client, f"/appointments/{appointment.id}/reschedule", acknowledging(text(moved), data))
    assert moved.status_code == 302
    assert fresh(appointment).anticoagulant_plan_confirmed is True


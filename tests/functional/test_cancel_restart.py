"""A patient told to stop a blood thinner for an appointment that is then cancelled is told what to
do about it (the preparation promised "the clinic will tell you when to start it again"): the
cancellation's email names the drug and the last dose they were given, the text says to ask the
clinic (no drug in a text), the patient's page says it, and the coordinator who cancels, and the
cancelled appointment's page, say that someone must tell them. Through the real forms, CSRF on."""
from datetime import timedelta

import pytest

from tracker.extensions import db
from tracker.models import Appointment, RiskScreen, WorkingHours
from tracker.roles import Role
from tracker.scheduling import reminders
from tracker.scheduling.instructions import in_words
from tracker.vocab import ContactChannel, Side
from tracker.workflow import State

from tests.builders import clinic_at, clinic_day
from tests.helpers import by_id, loaded, sign_in, soup, submit, words
from tests.sms_provider import provider, settings_for  # noqa: F401

MOBILE = "+12015550123"
# Agreed 2-day hold for an appointment 7 days ahead: last dose 3 days before it, none from 2 days before.
APIXABAN = {"anticoagulant_answer": "taking", "anticoagulants": "Eliquis 5 mg twice daily",
            "anticoagulant_hold_days": 2, "anticoagulant_prescriber_agreed": True,
            "allergy_answer": "nkda", "red_flags_screened": True}


def _booked(gen, risk, days_ahead=7, **patient):
    user = gen.user(Role.PATIENT, patient=gen.patient(email="maria@example.org", **patient))
    case = gen.case(patient=user.patient, state=State.SCHEDULED, side=Side.LEFT)
    db.session.add(RiskScreen(case_id=case.id, **risk))
    physician = gen.user(Role.PHYSICIAN)
    for weekday in range(7):
        db.session.add(WorkingHours(physician_id=physician.id, weekday=weekday, starts=clinic_at(0, 8).time(),
                                    ends=clinic_at(0, 17).time()))
    db.session.commit()
    appointment = gen.appointment(case, physician=physician, room=gen.room(location="Level 2"),
                                  starts_at=clinic_at(days_ahead, 10))
    return user, appointment


def _cancel(make_client, gen, appointment):
    coordinator = make_client()
    sign_in(coordinator, gen.user(Role.COORDINATOR))
    response = submit(coordinator, f"/appointments/{appointment.id}/cancel", {
        "reason": "Admitted to hospital with pneumonia",
        "version_id": str(db.session.get(Appointment, appointment.id).version_id)},
        form_page=f"/appointments/{appointment.id}", follow_redirects=True)
    assert response.status_code == 200
    db.session.expire_all()
    return coordinator, loaded(response)


def test_cancelling_tells_the_coordinator_and_the_appointment_page_that_the_patient_must_hear_about_restarting(
        make_client, gen):
    _, appointment = _booked(gen, APIXABAN)
    coordinator, page = _cancel(make_client, gen, appointment)
    last_dose = in_words(clinic_day(7) - timedelta(days=3))
    said = (f"The patient was told to take the last dose of Eliquis 5 mg twice daily on {last_dose} for this "
            f"appointment: make sure they know when to start it again (ask the prescriber)")
    assert said in words(soup(page))
    shown = loaded(coordinator.get(f"/appointments/{appointment.id}"))
    assert said in words(by_id(shown, "hold-undone"))


def test_the_cancellation_email_names_the_drug_and_the_last_dose_and_asks_them_to_ask_about_restarting(
        make_client, gen, reminder_outbox):
    _, appointment = _booked(gen, APIXABAN)
    _cancel(make_client, gen, appointment)
    reminders.send_due()
    [(_, subject, body, _)] = [m for m in reminder_outbox if "cancelled" in m[1]]
    last_dose = (clinic_day(7) - timedelta(days=3))
    assert "Eliquis 5 mg twice daily" in body and f"{last_dose:%B} {last_dose.day}" in body
    assert "If you have stopped it, ask the doctor who prescribes it, or the clinic, now when to start it again." in body
    assert "If you have not stopped it yet, keep taking it as usual." in body


def test_a_spanish_speaking_patient_reads_it_in_spanish_on_her_page(make_client, gen):
    user, appointment = _booked(gen, {**APIXABAN, "allergy_answer": "documented", "allergy_contrast": True,
                                      "contrast_premedication_planned": True,
                                      "contrast_premedication_plan": "prednisona 50 mg"}, language="Spanish")
    _cancel(make_client, gen, appointment)
    patient = make_client()
    sign_in(patient, user)
    page = words(soup(loaded(patient.get(f"/my/cases/{appointment.case_id}"))))
    assert "Anticoagulante (Eliquis 5 mg twice daily)" in page
    assert "pregunte ahora al médico que se lo receta, o a la clínica, cuándo volver a tomarlo" in page
    assert "no tome la premedicación prevista para esta cita" in page


def test_a_text_says_to_ask_the_clinic_without_naming_the_drug(make_client, gen, provider):  # noqa: F811
    _, appointment = _booked(gen, APIXABAN, preferred_contact=ContactChannel.SMS, phone=MOBILE)
    _cancel(make_client, gen, appointment)
    reminders.send_due()
    [text] = [t for t in provider.texts_to(MOBILE) if "cancelled" in t["body"]]
    assert "If you stopped a medicine for this appointment, ask the clinic when to start it again." in text["body"]
    assert "Eliquis" not in text["body"]


@pytest.mark.parametrize("risk", [
    {"anticoagulant_answer": "none", "allergy_answer": "nkda", "red_flags_screened": True},
    {**APIXABAN, "anticoagulant_prescriber_agreed": None},  # told not to stop until the clinic confirms
    {**APIXABAN, "anticoagulant_hold_days": 0},  # told to keep taking it
])
def test_nothing_is_said_when_the_patient_was_told_no_hold(make_client, gen, reminder_outbox, risk):
    _, appointment = _booked(gen, risk)
    coordinator, page = _cancel(make_client, gen, appointment)
    assert "start it again" not in words(soup(page))
    assert soup(loaded(coordinator.get(f"/appointments/{appointment.id}"))).find(id="hold-undone") is None
    reminders.send_due()
    [(_, _, body, _)] = [m for m in reminder_outbox if "cancelled" in m[1]]
    assert "start it again" not in body


def test_cancelling_the_case_says_the_same_to_the_coordinator(make_client, gen):
    _, appointment = _booked(gen, APIXABAN)
    case = appointment.case
    coordinator = make_client()
    sign_in(coordinator, gen.user(Role.COORDINATOR))
    response = submit(coordinator, f"/cases/{case.id}/transition",
                      {"action": "cancel", "reason": "Patient moved away", "version_id": case.version_id},
                      form_page=f"/cases/{case.id}", follow_redirects=True)
    page = words(soup(loaded(response)))
    assert "Case is now cancelled." in page
    assert "The patient was told to take the last dose of Eliquis 5 mg twice daily on" in page


def test_once_the_case_is_booked_again_the_page_sends_the_patient_to_the_new_appointments_preparation(
        make_client, gen):
    """Review finding: cancelled on day 9, booked again for day 5. "If you have not stopped it yet,
    keep taking it as usual" under the cancelled one would sit beside the new one's "take your
    last dose on ...": the cancelled appointment now points to the new preparation instead."""
    user, appointment = _booked(gen, {**APIXABAN, "allergy_answer": "documented", "allergy_contrast": True,
                                      "contrast_premedication_planned": True,
                                      "contrast_premedication_plan": "prednisone 50 mg"}, days_ahead=9)
    _cancel(make_client, gen, appointment)
    again = gen.appointment(appointment.case, physician=appointment.physician, room=appointment.room,
                            starts_at=clinic_at(5, 10))
    patient = make_client()
    sign_in(patient, user)
    html = loaded(patient.get(f"/my/cases/{appointment.case_id}"))
    page = soup(html)
    cancelled = words(by_id(html, f"cancelled-{appointment.id}-h").parent)
    new_day = clinic_day(5)
    assert "You have another appointment booked, on" in cancelled and f"{new_day:%B} {new_day.day}" in cancelled
    assert "keep taking it as usual" not in cancelled
    assert "do not take the premedication planned" not in cancelled
    # The new appointment's own preparation is there, whole.
    last_dose = clinic_day(5) - timedelta(days=3)
    assert f"take your last dose on" in words(page) and f"{last_dose:%B} {last_dose.day}" in words(page)
    assert again.id != appointment.id


def test_a_cancellation_email_while_another_case_is_booked_points_to_that_appointment(
        make_client, gen, reminder_outbox):
    """Left and right booked as two cases; the left one is cancelled: the right one still needs the
    hold, so the email must not tell the patient to keep taking the blood thinner."""
    user, appointment = _booked(gen, APIXABAN, days_ahead=7)
    right = gen.case(patient=user.patient, state=State.SCHEDULED, side=Side.RIGHT)
    db.session.add(RiskScreen(case_id=right.id, **APIXABAN))
    db.session.commit()
    gen.appointment(right, physician=appointment.physician, room=appointment.room, starts_at=clinic_at(8, 10))
    _cancel(make_client, gen, appointment)
    reminders.send_due()
    [(_, subject, body, _)] = [m for m in reminder_outbox if "cancelled" in m[1]]
    day = clinic_day(8)
    assert "You have another appointment booked, on" in body and f"{day:%B} {day.day}" in body
    assert "keep taking it as usual" not in body


def test_a_hold_plan_recorded_as_text_before_the_days_were_asked_still_gets_the_restart_advice(
        make_client, gen, reminder_outbox):
    """Review finding: a risk screen saved before the hold's days were asked holds only the plan
    ("Stop Eliquis 2 days before"): its patient may have stopped by it, so the cancellation says
    when to restart, and the coordinator is told too."""
    plan = {**APIXABAN, "anticoagulant_hold_days": None, "anticoagulant_prescriber_agreed": None,
            "anticoagulant_hold_plan": "Stop Eliquis 2 days before, restart the next morning"}
    _, appointment = _booked(gen, plan)
    coordinator, page = _cancel(make_client, gen, appointment)
    assert ("given the blood-thinner plan \"Stop Eliquis 2 days before, restart the next morning\" for this "
            "appointment: make sure they know when to start Eliquis 5 mg twice daily again") in words(soup(page))
    reminders.send_due()
    [(_, subject, body, _)] = [m for m in reminder_outbox if "cancelled" in m[1]]
    assert "if you stopped it for this appointment, ask the doctor who prescribes it, or the clinic, now" in body


def test_a_spanish_speaking_patient_booked_again_reads_where_to_look_in_spanish(make_client, gen):
    user, appointment = _booked(gen, APIXABAN, days_ahead=9, language="Spanish")
    _cancel(make_client, gen, appointment)
    gen.appointment(appointment.case, physician=appointment.physician, room=appointment.room,
                    starts_at=clinic_at(5, 10))
    patient = make_client()
    sign_in(patient, user)
    html = loaded(patient.get(f"/my/cases/{appointment.case_id}"))
    cancelled = words(by_id(html, f"cancelled-{appointment.id}-h").parent)
    assert "Tiene otra cita reservada, el" in cancelled and "siga la preparación que la clínica le dio" in cancelled


def test_the_page_finds_the_next_booking_once_whatever_the_number_of_cancelled_appointments(
        make_client, gen, count_queries):
    """Each cancelled appointment still ahead points to the patient's next booking: the page reads
    it once, so two cancelled appointments cost the queries one does, and both point to it."""
    user, first = _booked(gen, APIXABAN, days_ahead=9)
    _cancel(make_client, gen, first)
    second = gen.appointment(first.case, physician=first.physician, room=first.room, starts_at=clinic_at(8, 10))
    patient = make_client()
    sign_in(patient, user)

    def page():
        with count_queries() as counter:
            html = loaded(patient.get(f"/my/cases/{first.case_id}"))
        return html, counter.n

    _, with_one_cancelled = page()
    db.session.get(type(first.case), first.case_id).state = State.SCHEDULED  # booked again, as the form would
    db.session.commit()
    _cancel(make_client, gen, second)
    gen.appointment(first.case, physician=first.physician, room=first.room, starts_at=clinic_at(6, 10))
    html, with_two_cancelled = page()
    assert with_two_cancelled == with_one_cancelled
    new_day = clinic_day(6)
    for old in (first, second):
        cancelled = words(by_id(html, f"cancelled-{old.id}-h").parent)
        assert "You have another appointment booked, on" in cancelled and f"{new_day:%B} {new_day.day}" in cancelled

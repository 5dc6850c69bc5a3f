"""A preparation plan that no longer fits before the appointment: a blood thinner's hold whose last
dose would have been before the booking, a contrast premedication whose evening before has passed.
Booking and moving warn, to be acknowledged, and name the first day the plan fits; the patient is
never told a past date as something to do (their page, the email, the staff's copy): they are told
it is too late and to call the clinic; the appointment's readiness says the plan did not fit.

The clinic's clock is set (by its time zone) to read a known hour now, so "today at 11:40" and "the
evening before has passed" do not depend on when the tests run."""
import re
from datetime import timedelta

import pytest
from babel.dates import format_date

from tracker.extensions import db
from tracker.models import RiskScreen, WorkingHours
from tracker.roles import Role
from tracker.scheduling import reminders
from tracker.timeutil import clinic_today, to_clinic, utcnow
from tracker.vocab import Side
from tracker.workflow import State

from tests.builders import clinic_at, clinic_day
from tests.functional.test_booking import acknowledging, appointments_of, booking, physician, room  # noqa: F401
from tests.helpers import by_id, sign_in, soup, submit, text, words

PHONE = "(201) 555-0100"
CLOPIDOGREL = {"anticoagulants": "clopidogrel 75 mg daily", "anticoagulant_hold_plan": "restart the day after",
               "anticoagulant_hold_days": 5, "anticoagulant_prescriber_agreed": True}
PREMEDICATION = {"allergy_contrast": True, "contrast_premedication_planned": True,
                 "contrast_premedication_plan": "Prednisone 50 mg 13, 7 and 1 h before."}


def set_clinic_clock(app, monkeypatch, hour):
    """Give the clinic a fixed-offset zone in which its clock reads hour:xx now."""
    offset = (hour - utcnow().hour) % 24
    offset = offset - 24 if offset > 14 else offset
    monkeypatch.setitem(app.config, "CLINIC_TIMEZONE", f"Etc/GMT{-offset:+d}")  # POSIX: Etc/GMT-5 is UTC+5


def day(offset):
    """A clinic day as staff and English readers read it: "Sunday, November 29, 2026"."""
    return format_date(clinic_day(offset), "full", locale="en")


@pytest.fixture
def morning(app, monkeypatch):
    set_clinic_clock(app, monkeypatch, 10)


@pytest.fixture
def patient_user(gen):
    return gen.user(Role.PATIENT, patient=gen.patient(family_name="Holder", email="pat@example.org"))


def eligible(gen, patient_user, **risk):
    case = gen.case(state=State.ELIGIBLE, side=Side.RIGHT, patient=patient_user.patient, verdict=False)
    db.session.add(RiskScreen(case_id=case.id, red_flags_screened=True, **risk))
    db.session.commit()
    gen.verdict(case)  # evaluated with the risk screen as it is
    return case


def warnings_shown(page):
    notice = soup(page).find("div", class_="notice-warning")
    return [words(li) for li in notice.find_all("li")] if notice else []


def appointment_of(case):
    appointments = appointments_of(case)
    return appointments[0] if appointments else None


HOLD_TOO_LATE = ("A 5-day hold of clopidogrel 75 mg daily is no longer possible before this date: the last dose "
                 "would have been {last} (already past). Book on or after {first}, or record the prescriber's "
                 "new plan.")
PREMEDICATION_TOO_LATE = ("The contrast premedication can no longer start the evening before this date: it would "
                          "have started on {evening} at 18:00 (already past). Book on or after {first}, or record "
                          "the new premedication plan.")


# ------------------------------------------------------------------ booking and moving

def test_booking_today_warns_that_the_hold_and_the_premedication_no_longer_fit_and_books_once_acknowledged(
        client, coordinator, morning, physician, room, gen, patient_user):
    case = eligible(gen, patient_user, **CLOPIDOGREL, **PREMEDICATION)
    data = booking(clinic_day(0), "11:40", physician, room)
    first = submit(client, f"/cases/{case.id}/book", data)
    page = text(first)
    assert first.status_code == 409 and appointment_of(case) is None
    # Last dose 6 days before today (5 with no dose, and today); it fits from today + 6 (last dose today).
    assert warnings_shown(page) == [HOLD_TOO_LATE.format(last=day(-6), first=day(6)),
                                    PREMEDICATION_TOO_LATE.format(evening=day(-1), first=day(6))]
    assert submit(client, f"/cases/{case.id}/book", acknowledging(page, data)).status_code == 302
    appointment = appointment_of(case)
    assert appointment.acknowledged_warnings.split("\n") == warnings_shown(page)


def test_the_day_to_book_on_or_after_is_one_the_clinic_works(client, coordinator, morning, physician, room, gen,
                                                             patient_user):
    """The plan fits from today + 6; a clinic whose physicians work Monday to Friday is booked from
    the first of those days on or after it (the physician's weekend hours are taken away)."""
    db.session.execute(db.delete(WorkingHours).where(WorkingHours.physician_id == physician.id,
                                                      WorkingHours.weekday >= 5))
    db.session.commit()
    fits = clinic_day(6)
    first = fits + timedelta(days=7 - fits.weekday() if fits.weekday() >= 5 else 0)
    # A weekday before it to book (within working hours: the warning is the plan's alone).
    offset = next(n for n in range(1, 6) if clinic_day(n).weekday() < 5)
    case = eligible(gen, patient_user, **CLOPIDOGREL)

    page = text(submit(client, f"/cases/{case.id}/book", booking(clinic_day(offset), "10:00", physician, room)))

    assert warnings_shown(page) == [HOLD_TOO_LATE.format(last=day(offset - 6),
                                                         first=format_date(first, "full", locale="en"))]


def test_two_days_on_only_the_hold_is_too_late(client, coordinator, morning, physician, room, gen, patient_user):
    case = eligible(gen, patient_user, **CLOPIDOGREL, **PREMEDICATION)
    page = text(submit(client, f"/cases/{case.id}/book", booking(clinic_day(2), "10:00", physician, room)))
    assert warnings_shown(page) == [HOLD_TOO_LATE.format(last=day(-4), first=day(6))]


@pytest.mark.parametrize("offset, warned", [(5, True), (6, False)])
def test_the_hold_fits_from_the_day_whose_last_dose_is_today(client, coordinator, morning, physician, room, gen,
                                                               patient_user, offset, warned):
    case = eligible(gen, patient_user, **CLOPIDOGREL)
    response = submit(client, f"/cases/{case.id}/book", booking(clinic_day(offset), "10:00", physician, room))
    assert (response.status_code == 409) is warned
    if not warned:
        assert appointment_of(case).acknowledged_warnings == ""


@pytest.mark.parametrize("hour, warned", [(10, False), (20, True)])
def test_tomorrows_premedication_fits_until_the_evening_begins(app, monkeypatch, client, coordinator, physician,
                                                                room, gen, patient_user, hour, warned):
    set_clinic_clock(app, monkeypatch, hour)
    case = eligible(gen, patient_user, **PREMEDICATION)
    response = submit(client, f"/cases/{case.id}/book", booking(clinic_day(1), "10:00", physician, room))
    if warned:
        assert warnings_shown(text(response)) == [PREMEDICATION_TOO_LATE.format(evening=day(0), first=day(2))]
    else:
        assert response.status_code == 302 and appointment_of(case).acknowledged_warnings == ""


def test_moving_to_a_date_the_hold_does_not_fit_needs_acknowledging(
        client, coordinator, morning, physician, room, gen, patient_user):
    case = eligible(gen, patient_user, **CLOPIDOGREL)
    case.state = State.SCHEDULED
    appointment = gen.appointment(case, physician=physician, room=room, starts_at=clinic_at(10, 10))
    url = f"/appointments/{appointment.id}/reschedule"
    data = booking(clinic_day(2), "10:00", physician, room, reason="The patient asked for an earlier day.",
                   version_id=str(appointment.version_id))
    first = submit(client, url, data)
    page = text(first)
    assert first.status_code == 409
    assert warnings_shown(page) == [HOLD_TOO_LATE.format(last=day(-4), first=day(6))]
    assert appointment_of(case).starts_at == clinic_at(10, 10)
    assert submit(client, url, acknowledging(page, data)).status_code == 302
    moved = appointment_of(case)
    assert moved.starts_at == clinic_at(2, 10) and moved.acknowledged_warnings == warnings_shown(page)[0]


def test_moving_to_a_date_the_plan_does_not_fit_unticks_its_readiness_and_keeps_the_rest(
        client, coordinator, morning, physician, room, gen, patient_user):
    case = eligible(gen, patient_user, **CLOPIDOGREL, **PREMEDICATION)
    case.state = State.SCHEDULED
    appointment = gen.appointment(case, physician=physician, room=room, starts_at=clinic_at(10, 10),
                                  consent_obtained=True, anticoagulant_plan_confirmed=True,
                                  contrast_premedication_sent=True)
    url = f"/appointments/{appointment.id}/reschedule"
    data = booking(clinic_day(0), "11:40", physician, room, reason="Earlier slot free.",
                   version_id=str(appointment.version_id))
    assert submit(client, url, acknowledging(text(submit(client, url, data)), data)).status_code == 302
    moved = appointment_of(case)
    assert (moved.consent_obtained, moved.anticoagulant_plan_confirmed, moved.contrast_premedication_sent) == (
        True, False, False)
    assert ("Reason: Moved: the anticoagulant plan confirmation and the premedication sent were for the old day "
            "and must be done again.") in words(client.get(f"/appointments/{appointment.id}"))


# ------------------------------------------------------------------ what the patient is told

@pytest.fixture
def booked_too_late(app, monkeypatch, client, coordinator, morning, physician, room, gen, patient_user):
    """The tester's case: booked today at 11:40 with the warnings acknowledged."""
    monkeypatch.setitem(app.config, "CLINIC_PHONE", PHONE)
    case = eligible(gen, patient_user, **CLOPIDOGREL, **PREMEDICATION)
    data = booking(clinic_day(0), "11:40", physician, room)
    page = text(submit(client, f"/cases/{case.id}/book", data))
    assert submit(client, f"/cases/{case.id}/book", acknowledging(page, data)).status_code == 302
    return appointment_of(case)


PAST = [-6, -5, -1]  # the last dose, the first day without, the evening before


def no_past_dates(told, language):
    for offset in PAST:
        assert format_date(clinic_day(offset), "full", locale=language) not in told


@pytest.mark.parametrize("language, hold, premedication", [
    ("en", f"Blood thinner (clopidogrel 75 mg daily): it is too late to stop it as planned. Please call the "
           f"clinic on {PHONE} before your appointment.",
     f"Contrast allergy: it is too late to start your premedication the evening before as planned. Please "
     f"call the clinic on {PHONE} before your appointment."),
    ("es", f"Anticoagulante (clopidogrel 75 mg daily): ya es tarde para suspenderlo según lo previsto. Llame a "
           f"la clínica al {PHONE} antes de su cita.",
     f"Alergia al medio de contraste: ya es tarde para empezar la premedicación la noche anterior según lo "
     f"previsto. Llame a la clínica al {PHONE} antes de su cita."),
])
def test_the_patient_is_told_it_is_too_late_and_to_call_never_a_past_date(
        booked_too_late, make_client, patient_user, reminder_outbox, language, hold, premedication):
    patient_user.patient.language = {"en": "English", "es": "Spanish"}[language]
    db.session.commit()
    browser = make_client()
    assert sign_in(browser, patient_user).status_code == 302
    page = words(soup(text(browser.get(f"/my/cases/{booked_too_late.case_id}"))).find("article"))
    reminders.send_due()
    [(_to, _subject, body, _)] = reminder_outbox
    email = " ".join(body.split())
    for told in (page, email):
        assert hold in told and premedication in told
        assert "Prednisone" not in told
        no_past_dates(told, language)


def test_the_staff_copy_of_the_instructions_says_the_same(client, booked_too_late):
    told = words(by_id(text(client.get(f"/appointments/{booked_too_late.id}")), "patient-preparation"))
    assert ("Blood thinner (clopidogrel 75 mg daily): it is too late to stop it as planned. Please call the clinic "
            f"on {PHONE} before your appointment.") in told
    assert "it is too late to start your premedication the evening before as planned" in told
    no_past_dates(told, "en")


def test_a_hold_that_fitted_when_booked_keeps_its_dates_after_they_pass(
        client, coordinator, morning, physician, room, gen, patient_user):
    case = eligible(gen, patient_user, **CLOPIDOGREL)
    case.state = State.SCHEDULED
    appointment = gen.appointment(case, physician=physician, room=room, starts_at=clinic_at(2, 10),
                                  created_at=clinic_at(-7, 9))   # booked a week ago: the hold fitted then
    told = words(by_id(text(client.get(f"/appointments/{appointment.id}")), "patient-preparation"))
    assert f"take your last dose on {day(-4)}, and none from {day(-3)}" in told


# ------------------------------------------------------------------ readiness

def test_readiness_says_the_plan_did_not_fit_beside_the_items_to_tick(client, booked_too_late):
    page = soup(text(client.get(f"/appointments/{booked_too_late.id}")))
    items = {li.find("input")["name"]: words(li) for li in page.find("ul", class_="checklist").find_all("li")}
    assert (f"Did not fit as planned: the 5-day hold's last dose would have been {day(-6)}, before the "
            "appointment was booked or moved or the plan changed. Confirm the prescriber's new plan with the patient before "
            "ticking.") in items["anticoagulant_plan_confirmed"]
    assert (f"Did not fit as planned: the premedication would have started on {day(-1)} at 18:00, before the "
            "appointment was booked or moved or the plan changed. Confirm the new premedication plan with the patient before "
            "ticking.") in items["contrast_premedication_sent"]
    assert "Did not fit" not in items["consent_obtained"]


def test_the_day_board_and_the_physicians_day_say_which_step_did_not_fit(client, make_client, booked_too_late,
                                                                       physician):
    card_text = "Did not fit as planned: anticoagulant hold, contrast premedication (see the appointment)"
    day = to_clinic(booked_too_late.starts_at).date().isoformat()
    board = words(text(client.get(f"/schedule/day?date={day}")))
    assert card_text in board
    doctor = make_client()
    sign_in(doctor, physician)
    assert card_text in words(text(doctor.get(f"/schedule/mine?date={day}")))


def test_the_free_slots_start_on_the_first_day_the_plan_fits_unless_an_earlier_day_is_asked(
        client, coordinator, morning, physician, room, gen, patient_user):
    case = eligible(gen, patient_user, **CLOPIDOGREL)
    page = soup(text(client.get(f"/cases/{case.id}/book")))
    assert page.find("input", attrs={"name": "from_date"})["value"] == clinic_day(6).isoformat()
    assert f"Free slots from {clinic_day(6).isoformat()}, the first day the preparation plan fits" in words(page)
    days = [re.search(r"date=([\d-]+)", a["href"]).group(1) for a in page.find("ul", class_="slots").find_all("a")]
    assert days and min(days) >= clinic_day(6).isoformat()
    asked = soup(text(client.get(f"/cases/{case.id}/book?from_date={clinic_day(1).isoformat()}")))
    assert asked.find("input", attrs={"name": "from_date"})["value"] == clinic_day(1).isoformat()
    assert "the first day the preparation plan fits" not in words(asked)


def test_readiness_of_a_plan_that_fits_says_nothing_more(client, coordinator, morning, physician, room, gen,
                                                        patient_user):
    case = eligible(gen, patient_user, **CLOPIDOGREL, **PREMEDICATION)
    assert submit(client, f"/cases/{case.id}/book", booking(clinic_day(6), "10:00", physician, room)).status_code == 302
    page = text(client.get(f"/appointments/{appointment_of(case).id}"))
    day = to_clinic(appointment_of(case).starts_at).date().isoformat()
    assert "Did not fit" not in text(client.get(f"/schedule/day?date={day}"))
    assert "Did not fit" not in page and "too late" not in page
    assert re.search(r"take your last dose on\s+" + re.escape(format_date(clinic_today(), "full", locale="en")),
                     words(by_id(page, "patient-preparation")))



@pytest.mark.parametrize("hour", [10, 20])
def test_the_clinic_clock_reads_the_hour_asked(app, app_ctx, monkeypatch, hour):
    set_clinic_clock(app, monkeypatch, hour)
    assert to_clinic(utcnow()).hour == hour


def test_a_longer_hold_saved_after_the_booking_is_said_not_to_fit_when_saved(
        client, coordinator, morning, physician, room, gen, patient_user):
    # Booked for the day after tomorrow with a one-day hold (it fits); then the prescriber asks for
    # five days and the risk screen is saved with them: the booking no longer leaves room.
    case = eligible(gen, patient_user, **{**CLOPIDOGREL, "anticoagulant_hold_days": 1})
    assert submit(client, f"/cases/{case.id}/book", booking(clinic_day(2), "10:00", physician, room)).status_code == 302
    screen = db.session.execute(db.select(RiskScreen).filter_by(case_id=case.id)).scalar_one()
    form = {"version_id": str(screen.version_id), "anticoagulant_answer": "taking", "allergy_answer": "nkda",
            "anticoagulants": CLOPIDOGREL["anticoagulants"], "anticoagulant_hold_plan": "restart the day after",
            "anticoagulant_hold_days": "5", "anticoagulant_prescriber_agreed": "yes", "pregnancy": "no",
            "red_flags_screened": "y", "contrast_premedication_plan": "", "hba1c": "", "red_flags_notes": ""}

    response = submit(client, f"/cases/{case.id}/risk-screen", form, follow_redirects=True)

    page = words(text(response))
    assert "Risk screen saved." in page
    assert (f"The appointment booked for {day(2)} at 10:00 does not leave room for this plan. "
            "A 5-day hold of clopidogrel 75 mg daily is no longer possible before this date") in page
    # Saved again with the one-day hold that fits: nothing to say.
    screen = db.session.execute(db.select(RiskScreen).filter_by(case_id=case.id)).scalar_one()
    again = submit(client, f"/cases/{case.id}/risk-screen",
                   {**form, "version_id": str(screen.version_id), "anticoagulant_hold_days": "1"}, follow_redirects=True)
    assert "does not leave room" not in words(text(again))


# ------------------------------------------------------------------ a plan changed after the booking

def risk_screen_form(screen, **changes):
    """The risk screen's form as saved for CLOPIDOGREL (no allergy), with `changes`."""
    form = {"version_id": str(screen.version_id), "anticoagulant_answer": "taking", "allergy_answer": "nkda",
            "anticoagulants": screen.anticoagulants, "anticoagulant_hold_plan": "restart the day after",
            "anticoagulant_hold_days": str(screen.anticoagulant_hold_days),
            "anticoagulant_prescriber_agreed": "yes", "pregnancy": "no", "red_flags_screened": "y",
            "contrast_premedication_plan": "", "hba1c": "", "red_flags_notes": ""}
    return {**form, **changes}


def screen_of(case):
    return db.session.execute(db.select(RiskScreen).filter_by(case_id=case.id)).scalar_one()


def test_a_longer_hold_saved_after_the_booking_is_never_given_to_the_patient_as_past_dates(
        client, coordinator, morning, physician, room, gen, patient_user, make_client):
    # Booked a week ago for the day after tomorrow with a one-day hold (it fitted then), the plan
    # confirmed with the patient; today the prescriber asks for five days. The last dose would have
    # been four days ago: the patient must be told to call, not "take your last dose on <past date>".
    case = eligible(gen, patient_user, **{**CLOPIDOGREL, "anticoagulant_hold_days": 1})
    case.state = State.SCHEDULED
    appointment = gen.appointment(case, physician=physician, room=room, starts_at=clinic_at(2, 10),
                                  created_at=clinic_at(-7, 9), anticoagulant_plan_confirmed=True)
    db.session.commit()

    saved = submit(client, f"/cases/{case.id}/risk-screen",
                   risk_screen_form(screen_of(case), anticoagulant_hold_days="5"), follow_redirects=True)
    assert "does not leave room for this plan" in words(text(saved))

    staff_copy = words(by_id(text(client.get(f"/appointments/{appointment.id}")), "patient-preparation"))
    browser = make_client()
    assert sign_in(browser, patient_user).status_code == 302
    patient_page = words(soup(text(browser.get(f"/my/cases/{case.id}"))).find("article"))
    for told in (staff_copy, patient_page):
        assert ("Blood thinner (clopidogrel 75 mg daily): it is too late to stop it as planned. Please call the "
                "clinic") in told
        assert "take your last dose" not in told
        no_past_dates(told, "en")
    # The confirmation was of the one-day plan: it is asked again, and the history says why.
    db.session.expire_all()
    appointment = appointment_of(case)
    assert appointment.anticoagulant_plan_confirmed is False
    assert any(change.change == "readiness_reset" and "anticoagulant plan confirmation was for the old plan"
               in change.reason for change in appointment.changes)


def test_a_hold_given_in_time_keeps_its_dates_when_something_else_on_the_screen_changes(
        client, coordinator, morning, physician, room, gen, patient_user):
    # Booked a week ago with the five-day hold (it fitted); the last dose has passed and the patient
    # is holding. Correcting the HbA1c today changes nothing the patient was told, nor the tick.
    case = eligible(gen, patient_user, **CLOPIDOGREL)
    case.state = State.SCHEDULED
    appointment = gen.appointment(case, physician=physician, room=room, starts_at=clinic_at(2, 10),
                                  created_at=clinic_at(-7, 9), anticoagulant_plan_confirmed=True)
    db.session.commit()

    saved = submit(client, f"/cases/{case.id}/risk-screen", risk_screen_form(screen_of(case), diabetes="y", hba1c="6.4"),
                   follow_redirects=True)
    assert "Risk screen saved." in words(text(saved)) and "does not leave room" not in words(text(saved))
    told = words(by_id(text(client.get(f"/appointments/{appointment.id}")), "patient-preparation"))
    assert f"take your last dose on {day(-4)}, and none from {day(-3)}" in told
    db.session.expire_all()
    assert appointment_of(case).anticoagulant_plan_confirmed is True

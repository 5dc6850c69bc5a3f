"""The patient's own view of the appointment: date, time in the clinic's zone, place and side, only
the preparation steps that apply to them, and a calendar file (.ics) that is theirs alone and audited."""
import html
import re
from datetime import time, timedelta, timezone

import pytest
from babel.dates import format_date
from icalendar import Calendar

from tracker.extensions import db
from tracker.models import Appointment, AuditEvent, RiskScreen, WorkingHours
from tracker.models.audit import AuditAction
from tracker.roles import Role
from tracker.vocab import AppointmentStatus, Side
from tracker.workflow import State

from tests.builders import clinic_at, clinic_day
from tests.helpers import loaded, sign_in, soup, submit, words

UTC = timezone.utc


def appointment_block(page):
    block = soup(page).find("article", attrs={"aria-labelledby": "appt-h"})
    assert block, "no appointment shown"
    return words(block)


def steps(page):
    listing = soup(page).find("h3", string="Before you come").find_next("ul")
    return [re.sub(r"\s+", " ", html.unescape(li.decode_contents())).strip() for li in listing.find_all("li")]


@pytest.fixture
def patient_user(gen):
    return gen.user(Role.PATIENT, name="Pat Patient", patient=gen.patient(family_name="Patient"))


@pytest.fixture
def room(gen):
    return gen.room(name="Fluoro 2", location="Level 2, Imaging, desk B")


@pytest.fixture
def case(gen, patient_user):
    return gen.case(patient=patient_user.patient, state=State.SCHEDULED, side=Side.RIGHT)


@pytest.fixture
def appointment(gen, case, physician, room):
    return gen.appointment(case, physician=physician, room=room, starts_at=clinic_at(2, 10, 15), minutes=45)


@pytest.fixture
def browser(make_client, patient_user):
    client = make_client()
    assert sign_in(client, patient_user).status_code == 302
    return client


def add_risk(case, **fields):
    values = {"red_flags_screened": True}
    values.update(fields)
    db.session.add(RiskScreen(case_id=case.id, **values))
    db.session.commit()


# ------------------------------------------------------------------ the case page

def test_the_patient_sees_the_date_time_place_and_side_of_their_appointment(browser, case, appointment):
    page = loaded(browser.get(f"/my/cases/{case.id}"))
    shown = appointment_block(page)
    assert f"{format_date(clinic_day(2), 'full', locale='en')} at 10:15 AM (New York time)" in shown
    assert "Where: Level 2, Imaging, desk B" in shown
    assert "Which side: right" in shown
    assert f'href="/my/appointments/{appointment.id}.ics"' in page


def test_the_place_falls_back_to_the_room_name_without_a_location(browser, gen, case, physician):
    bare = gen.room(name="Suite Without Address", location="")
    gen.appointment(case, physician=physician, room=bare, starts_at=clinic_at(3, 9))
    assert "Where: Suite Without Address" in appointment_block(loaded(browser.get(f"/my/cases/{case.id}")))


def test_the_patients_home_shows_the_appointment_time(browser, case, appointment):
    page = loaded(browser.get("/my/"))
    assert (f"Appointment: {format_date(clinic_day(2), 'full', locale='en')} at 10:15\u202fAM"
            in soup(page).get_text())


def test_the_patients_home_names_the_clinics_zone_with_the_appointment_time(browser, case, appointment):
    # The card said "… at 10:15 AM" while the case page and the diary name the zone.
    page = loaded(browser.get("/my/"))
    assert (f"Appointment: {format_date(clinic_day(2), 'full', locale='en')} at 10:15\u202fAM (New York time)"
            in soup(page).get_text())


def test_a_patient_without_risks_sees_only_the_general_preparation(browser, case, appointment):
    add_risk(case)
    shown = steps(loaded(browser.get(f"/my/cases/{case.id}")))
    assert shown[0].startswith("Arrive 30 minutes before your appointment time")
    assert any("20–30 minutes" in s for s in shown)
    assert not any(s.startswith(("Blood thinners", "You will have sedation", "Contrast allergy", "Diabetes"))
                   for s in shown)
    assert len(shown) == 3


def test_a_patient_with_every_risk_sees_each_preparation_that_applies(browser, case, appointment):
    add_risk(case, sedation_planned=True, anticoagulants="apixaban",
             anticoagulant_hold_plan="Stop apixaban 2 days before; restart the next morning.",
             allergy_contrast=True, contrast_premedication_plan="Prednisone 50 mg 13, 7 and 1 hours before.",
             diabetes=True, insulin=True)
    shown = steps(loaded(browser.get(f"/my/cases/{case.id}")))
    assert "You will have sedation: an adult must take you home, and you must not drive for 24 hours." in shown
    assert any("30–45 minutes" in s for s in shown)
    assert "Blood thinners: Stop apixaban 2 days before; restart the next morning." in shown
    assert "Contrast allergy: Prednisone 50 mg 13, 7 and 1 hours before." in shown
    assert any(s.startswith("Diabetes: the steroid can raise your blood sugar") for s in shown)


def test_a_diabetic_patient_with_a_controlled_hba1c_gets_no_glucose_advice(browser, case, appointment):
    add_risk(case, diabetes=True, hba1c=6.4)
    shown = steps(loaded(browser.get(f"/my/cases/{case.id}")))
    assert not any(s.startswith("Diabetes") for s in shown)


def test_a_cancelled_appointment_is_not_shown_to_the_patient(browser, gen, case, physician, room):
    gen.appointment(case, physician=physician, room=room, starts_at=clinic_at(2, 10),
                    status=AppointmentStatus.CANCELLED, cancelled_reason="clinic closed")
    page = loaded(browser.get(f"/my/cases/{case.id}"))
    assert 'aria-labelledby="appt-h"' not in page and "Before you come" not in page


def test_an_appointment_already_over_is_not_shown_as_the_next(browser, gen, case, physician, room):
    gen.appointment(case, physician=physician, room=room, starts_at=clinic_at(-1, 10))
    page = loaded(browser.get(f"/my/cases/{case.id}"))
    assert 'aria-labelledby="appt-h"' not in page


# ------------------------------------------------------------------ the calendar file

def calendar_event(response):
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    assert "attachment" in response.headers["Content-Disposition"]
    calendar = Calendar.from_ical(response.get_data())
    [event] = calendar.walk("VEVENT")
    return event


def test_the_calendar_file_has_the_start_end_and_place(browser, case, appointment):
    event = calendar_event(browser.get(f"/my/appointments/{appointment.id}.ics"))
    start, end = event.decoded("dtstart"), event.decoded("dtend")
    assert start == clinic_at(2, 10, 15) and end == clinic_at(2, 11)
    assert start.utcoffset() == timedelta(0) and end.utcoffset() == timedelta(0)
    assert str(event.get("location")) == "SI Joint Injection Clinic, Level 2, Imaging, desk B"
    assert str(event.get("uid")) == f"appointment-{appointment.id}@si-joint-tracker"
    assert event.decoded("sequence") == 0


def test_the_calendar_file_says_nothing_clinical_beyond_the_kind_of_appointment(browser, case, appointment, app):
    # Calendars sync to third parties: no side, drug, allergy, sedation or diagnosis may travel with it.
    add_risk(case, sedation_planned=True, anticoagulants="apixaban",
             anticoagulant_hold_plan="Stop apixaban 2 days before.", allergy_contrast=True,
             contrast_premedication_plan="Prednisone 50 mg.", diabetes=True, insulin=True)
    event = calendar_event(browser.get(f"/my/appointments/{appointment.id}.ics"))
    assert str(event.get("summary")) == "SI joint injection appointment · SI Joint Injection Clinic"
    from tracker.i18n import clock

    with app.test_request_context():
        arrive = clock(appointment.starts_at - timedelta(minutes=30))
    assert str(event.get("description")) == (
        "SI joint injection appointment at SI Joint Injection Clinic, Level 2, Imaging, desk B. "
        f"Please arrive at {arrive}, 30 minutes before the appointment time. "
        f"How to prepare: see your page on the clinic's website, {app.config['PUBLIC_URL']}/my/cases/{case.id}")
    everything = browser.get(f"/my/appointments/{appointment.id}.ics").get_data(as_text=True).lower()
    for word in ("right", "left", "apixaban", "prednisone", "sedat", "driv", "allerg", "diabet", "glucose",
                 "diagnostic", "therapeutic", "dr needle", "patient"):
        assert word not in everything, word


def test_moving_the_appointment_keeps_the_uid_and_raises_the_sequence(browser, gen, case, appointment, physician,
                                                                      room, make_client):
    first = calendar_event(browser.get(f"/my/appointments/{appointment.id}.ics"))
    coordinator = _staff(make_client, gen, physician)
    for days_ahead in (3, 4):
        _move(coordinator, appointment, days_ahead, physician, room)
    again = calendar_event(browser.get(f"/my/appointments/{appointment.id}.ics"))
    assert str(again.get("uid")) == str(first.get("uid"))
    assert (first.decoded("sequence"), again.decoded("sequence")) == (0, 2)
    assert again.decoded("dtstart") == clinic_at(4, 9)


def test_the_calendar_file_links_to_the_patients_case_page_on_the_clinics_public_address(
        browser, case, appointment, app, monkeypatch):
    """Walkthrough: the entry said "see your page on the clinic's website" and gave no address, so
    the preparation could not be reached from the calendar. The address is the public one emails
    use, whatever address the app was reached at (here the test client's "localhost")."""
    monkeypatch.setitem(app.config, "PUBLIC_URL", "https://pain.clinic.example/")

    event = calendar_event(browser.get(f"/my/appointments/{appointment.id}.ics"))

    page = f"https://pain.clinic.example/my/cases/{case.id}"
    assert str(event.get("url")) == page
    assert str(event.get("description")).endswith(f"How to prepare: see your page on the clinic's website, {page}")


@pytest.mark.parametrize("status", [AppointmentStatus.NO_SHOW, AppointmentStatus.DONE,
                                    AppointmentStatus.IN_PROCEDURE])
def test_there_is_no_calendar_file_for_an_appointment_that_took_place_or_was_missed(
        browser, gen, case, physician, room, status):
    ended = gen.appointment(case, physician=physician, room=room, starts_at=clinic_at(2, 10), status=status)
    response = browser.get(f"/my/appointments/{ended.id}.ics")
    assert response.status_code == 404 and b"VEVENT" not in response.get_data()


def test_a_checked_in_appointment_still_has_its_calendar_file(browser, gen, case, physician, room):
    arrived = gen.appointment(case, physician=physician, room=room, starts_at=clinic_at(0, 0),
                              status=AppointmentStatus.CHECKED_IN)
    assert calendar_event(browser.get(f"/my/appointments/{arrived.id}.ics")).decoded("dtstart") == clinic_at(0, 0)


def test_downloading_the_calendar_file_is_audited_as_an_export(browser, patient_user, appointment):
    browser.get(f"/my/appointments/{appointment.id}.ics")
    db.session.expire_all()
    events = db.session.execute(db.select(AuditEvent).filter_by(
        action=AuditAction.EXPORT, object_type="appointment", object_id=str(appointment.id))).scalars().all()
    assert len(events) == 1
    assert events[0].user_id == patient_user.id


def test_another_patient_gets_404_for_the_case_page_and_the_calendar_file(
        make_client, gen, case, appointment):
    intruder = make_client()
    sign_in(intruder, gen.user(Role.PATIENT))
    page = intruder.get(f"/my/cases/{case.id}")
    ics = intruder.get(f"/my/appointments/{appointment.id}.ics")
    assert page.status_code == 404 and ics.status_code == 404
    assert "Level 2" not in page.get_data(as_text=True) and b"VEVENT" not in ics.get_data()
    db.session.expire_all()
    assert db.session.execute(db.select(AuditEvent).filter_by(action=AuditAction.EXPORT)).scalars().all() == []


def test_staff_cannot_download_the_patients_calendar_file(make_client, gen, appointment):
    coordinator = make_client()
    sign_in(coordinator, gen.user(Role.COORDINATOR))
    assert coordinator.get(f"/my/appointments/{appointment.id}.ics").status_code == 403


# ------------------------------------------------------------------ a moved or cancelled appointment

def _staff(make_client, gen, physician):
    for weekday in range(7):
        db.session.add(WorkingHours(physician_id=physician.id, weekday=weekday, starts=time(8), ends=time(17)))
    db.session.commit()
    coordinator = make_client()
    sign_in(coordinator, gen.user(Role.COORDINATOR))
    return coordinator


def _move(coordinator, appointment, days_ahead, physician, room):
    moved = submit(coordinator, f"/appointments/{appointment.id}/reschedule", {
        "date": clinic_day(days_ahead).isoformat(), "start": "09:00", "duration": "30",
        "physician_id": str(physician.id), "room_id": str(room.id), "reason": "Patient asked",
        "version_id": str(db.session.get(Appointment, appointment.id).version_id)})
    assert moved.status_code == 302
    db.session.expire_all()


def _cancel(coordinator, appointment):
    cancelled = submit(coordinator, f"/appointments/{appointment.id}/cancel", {
        "reason": "Patient is unwell", "version_id": str(db.session.get(Appointment, appointment.id).version_id)},
        form_page=f"/appointments/{appointment.id}")
    assert cancelled.status_code == 302
    db.session.expire_all()


def calendar_of(response):
    """The downloaded file read by the icalendar library, as a calendar application reads it."""
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    calendar = Calendar.from_ical(response.get_data())
    [event] = calendar.walk("VEVENT")
    for required in ("uid", "dtstamp", "dtstart", "dtend", "sequence", "organizer"):
        assert event.get(required) is not None, required
    return calendar, event


def test_a_cancelled_appointments_calendar_file_removes_the_entry_it_added(
        browser, gen, case, appointment, physician, room, make_client):
    _, added = calendar_of(browser.get(f"/my/appointments/{appointment.id}.ics"))
    _cancel(_staff(make_client, gen, physician), appointment)

    response = browser.get(f"/my/appointments/{appointment.id}.ics")
    calendar, removed = calendar_of(response)
    assert calendar["method"] == "CANCEL" and removed["status"] == "CANCELLED"
    assert str(removed["uid"]) == str(added["uid"])
    assert removed.decoded("sequence") > added.decoded("sequence")
    assert removed.decoded("dtstart") == added.decoded("dtstart")


def test_a_moved_then_cancelled_appointment_raises_the_sequence_each_time(
        browser, gen, case, appointment, physician, room, make_client):
    coordinator = _staff(make_client, gen, physician)
    _move(coordinator, appointment, 3, physician, room)
    calendar, moved = calendar_of(browser.get(f"/my/appointments/{appointment.id}.ics"))
    assert calendar["method"] == "PUBLISH" and moved.decoded("sequence") == 1
    assert moved.decoded("dtstart") == clinic_at(3, 9)
    _cancel(coordinator, appointment)
    calendar, cancelled = calendar_of(browser.get(f"/my/appointments/{appointment.id}.ics"))
    assert calendar["method"] == "CANCEL" and cancelled.decoded("sequence") == 2
    assert str(cancelled["uid"]) == str(moved["uid"])


def test_the_patients_page_offers_to_update_a_moved_entry_and_to_remove_a_cancelled_one(
        browser, gen, case, appointment, physician, room, make_client):
    coordinator = _staff(make_client, gen, physician)
    _move(coordinator, appointment, 3, physician, room)
    page = loaded(browser.get(f"/my/cases/{case.id}"))
    assert "Your appointment was moved to this time." in words(page)
    assert soup(page).find("a", string="Update my calendar")["href"] == f"/my/appointments/{appointment.id}.ics"

    _cancel(coordinator, appointment)
    page = loaded(browser.get(f"/my/cases/{case.id}"))
    notice = words(soup(page).find("section", attrs={"aria-labelledby": f"cancelled-{appointment.id}-h"}))
    day = format_date(clinic_day(3), format="full", locale="en")
    assert f"Your appointment on {day} at 9:00" in notice and "is cancelled" in notice
    assert soup(page).find("a", string="Remove from my calendar")["href"] == f"/my/appointments/{appointment.id}.ics"
    assert 'aria-labelledby="appt-h"' not in page


def test_a_cancelled_appointment_already_past_is_not_offered_for_removal(browser, gen, case, physician, room):
    gen.appointment(case, physician=physician, room=room, starts_at=clinic_at(-1, 10),
                    status=AppointmentStatus.CANCELLED, cancelled_reason="clinic closed")
    assert "Remove from my calendar" not in loaded(browser.get(f"/my/cases/{case.id}"))

"""Booking an eligible case through the real form, the free-slot list, bad input, conflicts,
warnings to acknowledge, a slot taken meanwhile, moving and cancelling with history, cancelling the
case itself, check-in, readiness and the procedure-start guard, and stale edits."""
import html
from datetime import time, timedelta
from urllib.parse import parse_qs, urlparse
from zoneinfo import ZoneInfo

import pytest
from dateutil.relativedelta import relativedelta

from tracker.cases.services import guard_facts
from tracker.extensions import db
from tracker.models.audit import AuditAction
from tracker.models import (Appointment, AppointmentChange, AuditEvent, Case, CaseHistory, RiskScreen,
                            WorkingHours)
from tracker.roles import Role
from tracker.scheduling.rules import clinic_to_utc
from tracker.timeutil import clinic_today, to_clinic, utcnow
from tracker.vocab import AppointmentStatus, ContactChannel, Indication, Side
from tracker.workflow import State, TransitionRefused, check

from tests.builders import clinic_at, clinic_day, make_verdict
from tests.helpers import (by_id, csrf_from, field_error, input_value, is_checked, links, selected, sign_in, soup,
                           submit, text, words)


# ------------------------------------------------------------------ helpers

def set_hours(physician, starts=time(8), ends=time(17), weekdays=range(7)):
    for weekday in weekdays:
        db.session.add(WorkingHours(physician_id=physician.id, weekday=weekday, starts=starts, ends=ends))
    db.session.commit()


def booking(day, clock, physician, room, duration=30, **extra):
    data = {"date": day.isoformat() if day else "", "start": clock, "duration": str(duration),
            "physician_id": str(physician.id), "room_id": str(room.id), "version_id": ""}
    data.update(extra)
    return data


def acknowledging(page, data):
    """The form data again with the box ticked for the warnings shown on `page` (their digest)."""
    return {**data, "acknowledge": "y", "warnings_digest": input_value(page, "warnings_digest")}


def appointments_of(case):
    db.session.expire_all()
    return db.session.execute(db.select(Appointment).filter_by(case_id=case.id)).scalars().all()


def state_of(case):
    db.session.expire_all()
    return db.session.get(Case, case.id).state


def fresh(appointment):
    db.session.expire_all()
    return db.session.get(Appointment, appointment.id)


def offered_slots(page):
    """(date, start, physician id, room id) of each free slot link on the page."""
    block = soup(page).find("ul", class_="slots")
    if block is None:
        return []
    slots = []
    for href in links(block):
        query = parse_qs(urlparse(href).query)
        slots.append((query["date"][0], query["start"][0], int(query["physician"][0]),
                      int(query["room"][0])))
    return slots


def book_url(case):
    return f"/cases/{case.id}/book"


# ------------------------------------------------------------------ fixtures


@pytest.fixture
def physician(physician):
    """The conftest physician, with working hours to book into."""
    set_hours(physician)
    return physician


@pytest.fixture
def room(gen):
    return gen.room(name="Suite A", location="Level 2, Imaging, desk B")


@pytest.fixture
def case(gen):
    return gen.case(state=State.ELIGIBLE, side=Side.RIGHT, patient=gen.patient(family_name="Booker"))


@pytest.fixture
def booked(gen, physician, room):
    """A scheduled case with its appointment tomorrow 10:00-10:30 clinic time."""
    scheduled = gen.case(state=State.SCHEDULED, side=Side.LEFT, patient=gen.patient(family_name="Moved"))
    return gen.appointment(scheduled, physician=physician, room=room, starts_at=clinic_at(1, 10))


# ------------------------------------------------------------------ booking

def test_booking_an_eligible_case_schedules_it_and_shows_the_appointment_in_clinic_time(
        client, coordinator, physician, room, case):
    day = clinic_day(1)
    response = submit(client, book_url(case), booking(day, "10:00", physician, room))
    assert response.status_code == 302 and response.location == f"/cases/{case.id}"
    assert state_of(case) == State.SCHEDULED
    [appointment] = appointments_of(case)
    assert appointment.starts_at == clinic_at(1, 10)
    assert appointment.ends_at - appointment.starts_at == timedelta(minutes=30)
    assert appointment.status == AppointmentStatus.BOOKED
    page = text(client.get(f"/cases/{case.id}"))
    assert "Appointment booked." in page
    assert f"Appointment: <strong>{day.strftime('%A %d %B %Y')}, 10:00</strong> · Suite A · Dr Priya Raman" in page
    assert "Scheduled (from eligible)" in words(page)


def test_the_appointment_page_says_its_messages_go_with_the_next_reminders_run_not_at_booking(
        client, coordinator, physician, room, gen):
    """Messages to the patient go out only when `flask reminders send` runs (cron): just after
    booking the page must not promise "a confirmation when booked" beside "Nothing sent yet"."""
    case = gen.case(state=State.ELIGIBLE, side=Side.LEFT, patient=gen.patient(email="hang@example.org"))
    assert submit(client, book_url(case), booking(clinic_day(2), "10:00", physician, room)).status_code == 302
    [appointment] = appointments_of(case)

    messages = words(by_id(text(client.get(f"/appointments/{appointment.id}")), "messages"))

    assert "A confirmation when booked" not in messages
    assert messages.startswith("Messages to the patient A confirmation at the first reminders run after booking,")
    assert ("Nothing sent yet: messages go out with the next reminders run (flask reminders send, every few minutes "
            "from cron), not at the moment of booking.") in messages


def test_the_appointment_of_a_patient_reached_by_phone_calls_promises_no_message_from_the_reminders_run(
        client, coordinator, physician, room, gen):
    """Phone calls preferred, no email: no reminders run sends this patient anything, so the page
    says to call them and does not say messages go out with the next run."""
    patient = gen.patient(phone="+19735550142", email=None, preferred_contact=ContactChannel.PHONE)
    case = gen.case(state=State.ELIGIBLE, side=Side.LEFT, patient=patient)
    assert submit(client, book_url(case), booking(clinic_day(2), "10:00", physician, room)).status_code == 302
    [appointment] = appointments_of(case)

    messages = words(by_id(text(client.get(f"/appointments/{appointment.id}")), "messages"))

    assert "by phone call (nothing is sent automatically: call the patient)." in messages
    assert "messages go out with the next reminders run" not in messages


def test_booking_records_who_booked_and_assigns_the_physician(client, coordinator, physician, room, case):
    submit(client, book_url(case), booking(clinic_day(1), "11:00", physician, room))
    [appointment] = appointments_of(case)
    assert appointment.created_by_id == coordinator.id
    assert [c.change for c in appointment.changes] == ["booked"]
    assert db.session.get(Case, case.id).physician_id == physician.id
    assert db.session.execute(db.select(AuditEvent).filter_by(
        object_type="appointment", object_id=str(appointment.id))).scalars().first() is not None


def test_the_booking_form_defaults_to_thirty_minutes(client, coordinator, physician, room, case):
    page = text(client.get(book_url(case)))
    assert input_value(page, "duration") == "30"


def test_a_longer_duration_is_kept(client, coordinator, physician, room, case):
    submit(client, book_url(case), booking(clinic_day(1), "13:00", physician, room, duration=45))
    [appointment] = appointments_of(case)
    assert to_clinic(appointment.ends_at).strftime("%H:%M") == "13:45"


def test_the_typed_time_is_read_in_the_configured_clinic_time_zone(
        client, coordinator, physician, room, case, app, monkeypatch):
    monkeypatch.setitem(app.config, "CLINIC_TIMEZONE", "Asia/Tokyo")
    day = clinic_day(2)
    assert "Clinic time (Asia/Tokyo)" in text(client.get(book_url(case)))
    response = submit(client, book_url(case), booking(day, "10:00", physician, room))
    assert response.status_code == 302, "10:00 in Tokyo is inside Dr Priya Raman's clinic-time hours"
    [appointment] = appointments_of(case)
    assert appointment.starts_at == clinic_to_utc(day, time(10), ZoneInfo("Asia/Tokyo"))
    assert appointment.starts_at.astimezone(ZoneInfo("UTC")).strftime("%H:%M") == "01:00"


def test_the_free_slot_list_offers_working_hour_slots_from_the_chosen_day(
        client, coordinator, gen, room, case):
    doctor = gen.user(Role.PHYSICIAN, name="Dr Morning")
    day = clinic_day(2)
    set_hours(doctor, time(9), time(10), weekdays=[day.weekday()])
    page = text(client.get(f"{book_url(case)}?from_date={day.isoformat()}"))
    slots = offered_slots(page)
    assert slots[:3] == [(day.isoformat(), "09:00", doctor.id, room.id),
                         (day.isoformat(), "09:15", doctor.id, room.id),
                         (day.isoformat(), "09:30", doctor.id, room.id)]
    assert all(start in ("09:00", "09:15", "09:30") for _, start, _, _ in slots)
    assert f"{day.strftime('%a %d %b')} 09:00–09:30 · Dr Morning · Suite A" in page


def test_choosing_a_free_slot_fills_in_the_booking_form(client, coordinator, gen, room, case):
    doctor = gen.user(Role.PHYSICIAN, name="Dr Morning")
    day = clinic_day(2)
    set_hours(doctor, time(9), time(10), weekdays=[day.weekday()])
    page = client.get(f"{book_url(case)}?from_date={day.isoformat()}").get_data(as_text=True)
    first = links(soup(page).find("ul", class_="slots"))[0]
    form = text(client.get(first))
    assert input_value(form, "date") == day.isoformat()
    assert input_value(form, "start") == "09:00"
    assert input_value(form, "duration") == "30"
    assert selected(form, "physician_id") == str(doctor.id)
    assert selected(form, "room_id") == str(room.id)


def test_an_inactive_physicians_hours_are_not_offered(client, coordinator, gen, room, case):
    day = clinic_day(2)
    gone = gen.user(Role.PHYSICIAN, name="Dr Gone", active=False)
    set_hours(gone, time(9), time(10), weekdays=[day.weekday()])
    page = text(client.get(f"{book_url(case)}?from_date={day.isoformat()}"))
    assert offered_slots(page) == []
    assert "No free slot in the next two weeks" in page


def test_the_slot_list_can_be_narrowed_to_one_physician(client, coordinator, gen, room, case):
    day = clinic_day(2)
    early, late = gen.user(Role.PHYSICIAN, name="Dr Early"), gen.user(Role.PHYSICIAN, name="Dr Late")
    set_hours(early, time(8), time(9), weekdays=[day.weekday()])
    set_hours(late, time(15), time(16), weekdays=[day.weekday()])
    page = text(client.get(f"{book_url(case)}?from_date={day.isoformat()}&physician={late.id}"))
    slots = offered_slots(page)
    assert slots and {physician for _, _, physician, _ in slots} == {late.id}
    assert slots[0][:2] == (day.isoformat(), "15:00")


def test_the_slot_list_starts_with_the_cases_physician_and_any_physician_is_a_choice(
        client, coordinator, gen, room):
    day = clinic_day(2)
    early, late = gen.user(Role.PHYSICIAN, name="Dr Early"), gen.user(Role.PHYSICIAN, name="Dr Late")
    set_hours(early, time(8), time(9), weekdays=[day.weekday()])
    set_hours(late, time(15), time(16), weekdays=[day.weekday()])
    case = gen.case(state=State.ELIGIBLE, physician_id=late.id)
    page = text(client.get(f"{book_url(case)}?from_date={day.isoformat()}"))
    assert {physician for _, _, physician, _ in offered_slots(page)} == {late.id}
    anyone = text(client.get(f"{book_url(case)}?from_date={day.isoformat()}&physician="))
    assert {physician for _, _, physician, _ in offered_slots(anyone)} == {early.id, late.id}


@pytest.mark.parametrize("taken_off, said", [
    ({"active": False}, "Dr Tomas Ortega is no longer active: searching all physicians."),
    ({"role": Role.COORDINATOR}, "Dr Tomas Ortega is no longer a physician: searching all physicians."),
])
def test_the_slot_list_of_a_case_whose_physician_was_taken_off_searches_every_active_physician_and_says_so(
        client, coordinator, gen, room, taken_off, said):
    ortega, raman = gen.user(Role.PHYSICIAN, name="Dr Tomas Ortega"), gen.user(Role.PHYSICIAN, name="Dr Priya Raman")
    set_hours(ortega)
    set_hours(raman)
    case = gen.case(state=State.ELIGIBLE, physician_id=ortega.id)
    for name, value in taken_off.items():
        setattr(ortega, name, value)
    db.session.commit()

    page = text(client.get(book_url(case)))  # first load, nothing chosen

    slots = offered_slots(page)
    assert slots and {physician for _, _, physician, _ in slots} == {raman.id}
    assert "No free slot in the next two weeks" not in page
    finder = soup(page).find("form", class_="slot-finder")
    assert said in words(finder)
    assert selected(str(finder), "physician") in (None, "")  # the filter shows what was searched: anyone
    again = text(client.get(f"{book_url(case)}?from_date=&physician=&minutes=30"))  # Find free slots, unchanged
    assert offered_slots(again) == slots and said not in words(soup(again).find("form", class_="slot-finder"))


def test_the_slot_list_follows_the_chosen_duration(client, coordinator, gen, room, case):
    doctor = gen.user(Role.PHYSICIAN, name="Dr Morning")
    day = clinic_day(2)
    set_hours(doctor, time(9), time(10), weekdays=[day.weekday()])
    page = text(client.get(f"{book_url(case)}?from_date={day.isoformat()}&minutes=60"))
    assert [s[1] for s in offered_slots(page) if s[0] == day.isoformat()] == ["09:00"]
    assert "09:00–10:00" in page


def test_a_refused_booking_offers_free_slots_of_the_duration_typed(client, coordinator, gen, room, case):
    """A 60-minute booking refused for a clash: the slots below are 60-minute ones, so choosing one
    keeps the hour typed instead of booking 30 minutes."""
    doctor = gen.user(Role.PHYSICIAN, name="Dr Morning")
    day = clinic_day(2)
    set_hours(doctor, time(9), time(11), weekdays=[day.weekday()])
    gen.appointment(gen.case(state=State.SCHEDULED), physician=doctor, room=room, starts_at=clinic_at(2, 9))
    response = submit(client, book_url(case), booking(day, "09:00", doctor, room, duration=60))
    page = text(response)
    assert response.status_code == 409 and appointments_of(case) == []
    assert input_value(page, "duration") == "60"
    assert [s[1] for s in offered_slots(page) if s[0] == day.isoformat()] == ["09:30", "09:45", "10:00"]
    assert "09:30–10:30" in page
    assert input_value(str(soup(page).find("form", class_="slot-finder")), "minutes") == "60"


# ------------------------------------------------------------------ bad input

def assert_refused_and_kept(page, case, physician, room, day=None, clock=None):
    assert appointments_of(case) == [], "nothing may be booked"
    assert state_of(case) == State.ELIGIBLE
    assert selected(page, "physician_id") == str(physician.id)
    if day:
        assert input_value(page, "date") == day.isoformat()
    if clock:
        assert input_value(page, "start") == clock


def test_a_day_in_the_past_is_refused_next_to_the_date(client, coordinator, physician, room, case):
    yesterday = clinic_day(-1)
    response = submit(client, book_url(case), booking(yesterday, "10:00", physician, room))
    page = text(response)
    assert response.status_code == 422
    assert field_error(page, "date") == "This day has already passed; choose today or a later day."
    assert field_error(page, "start") is None, "the time is not what is wrong"
    assert_refused_and_kept(page, case, physician, room, yesterday, "10:00")
    assert selected(page, "room_id") == str(room.id)


def test_a_time_passed_today_is_refused_next_to_the_start_time(client, coordinator, physician, room, case):
    today = clinic_day(0)
    response = submit(client, book_url(case), booking(today, "00:00", physician, room))
    page = text(response)
    assert response.status_code in (409, 422)
    assert field_error(page, "start") == "This time has already passed today; choose a later time."
    assert field_error(page, "date") is None, "today is a day that can be booked"
    assert_refused_and_kept(page, case, physician, room, today, "00:00")


@pytest.mark.parametrize("minutes", [241, 0, -30, 1, 14])
def test_a_duration_outside_15_to_240_minutes_is_refused_next_to_the_duration(
        client, coordinator, physician, room, case, minutes):
    day = clinic_day(1)
    response = submit(client, book_url(case), booking(day, "10:00", physician, room, duration=minutes))
    page = text(response)
    assert response.status_code == 422
    assert field_error(page, "duration") == ("An appointment lasts between 15 and 240 minutes (4 hours): the "
                                             "procedure alone takes 20–30.")
    assert input_value(page, "duration") == str(minutes)
    assert_refused_and_kept(page, case, physician, room, day, "10:00")


def test_a_past_day_and_a_short_duration_are_both_refused_at_once_each_beside_its_field(
        client, coordinator, physician, room, case):
    """Walk 17: the past day was said only on the next submit, once the duration was mended."""
    past = clinic_day(-3)
    response = submit(client, book_url(case), booking(past, "09:00", physician, room, duration=5))
    page = text(response)
    assert response.status_code == 422
    assert field_error(page, "duration") == ("An appointment lasts between 15 and 240 minutes (4 hours): the "
                                             "procedure alone takes 20–30.")
    assert field_error(page, "date") == "This day has already passed; choose today or a later day."
    assert input_value(page, "duration") == "5"
    assert_refused_and_kept(page, case, physician, room, past, "09:00")


def test_a_time_passed_today_and_a_short_duration_are_both_refused_at_once(client, coordinator, physician, room,
                                                                            case):
    today = clinic_day(0)
    response = submit(client, book_url(case), booking(today, "00:00", physician, room, duration=5))
    page = text(response)
    assert response.status_code == 422
    assert field_error(page, "start") == "This time has already passed today; choose a later time."
    assert field_error(page, "duration") is not None and field_error(page, "date") is None


def test_a_room_no_longer_in_use_is_refused_with_a_clear_message(
        client, coordinator, physician, room, case, gen):
    day = clinic_day(1)
    closing = gen.room(name="Suite Closing")
    page_before = client.get(book_url(case)).get_data(as_text=True)
    assert "Suite Closing" in page_before
    closing.active = False
    db.session.commit()
    response = client.post(book_url(case), data={"csrf_token": csrf_from(page_before),
                                                  **booking(day, "10:00", physician, closing)})
    page = text(response)
    message = field_error(page, "room_id")
    assert message, "the refusal must be next to the room"
    assert_refused_and_kept(page, case, physician, room, day, "10:00")
    assert "not in use" in message or "active" in message, (
        f"the room field says only {message!r}: BookingForm's room choices hold active rooms only, so "
        "WTForms' generic 'Not a valid choice.' pre-empts the service's 'This room is not in use' message")


def test_a_physician_no_longer_active_is_refused_with_a_clear_message(
        client, coordinator, room, case, gen):
    day = clinic_day(1)
    leaving = gen.user(Role.PHYSICIAN, name="Dr Leaving")
    set_hours(leaving)
    page_before = client.get(book_url(case)).get_data(as_text=True)
    assert "Dr Leaving" in page_before
    leaving.active = False
    db.session.commit()
    response = client.post(book_url(case), data={"csrf_token": csrf_from(page_before),
                                                  **booking(day, "10:00", leaving, room)})
    page = text(response)
    message = field_error(page, "physician_id")
    assert message, "the refusal must be next to the physician"
    assert appointments_of(case) == [] and state_of(case) == State.ELIGIBLE
    assert input_value(page, "date") == day.isoformat() and input_value(page, "start") == "10:00"
    assert "active" in message, (
        f"the physician field says only {message!r}: the choices hold active physicians only, so "
        "WTForms' generic 'Not a valid choice.' pre-empts the service's 'Choose an active physician.'")


def test_the_booking_page_of_a_case_already_booked_says_so_at_the_top_with_a_link_to_its_appointment(
        client, coordinator, physician, room, case):
    submit(client, book_url(case), booking(clinic_day(1), "10:00", physician, room))
    [appointment] = appointments_of(case)
    for response in (client.get(book_url(case)),
                     submit(client, book_url(case), booking(clinic_day(2), "11:00", physician, room))):
        page = text(response)
        notice = soup(page).select_one(".notice-warning, .notice-error")
        assert "This case is scheduled" in words(notice) or "this one is scheduled" in words(notice)
        assert soup(page).find("a", href=f"/appointments/{appointment.id}") is not None
        # The notice instead of a form that cannot book and free slots that cannot be taken.
        assert soup(page).find("input", attrs={"name": "date"}) is None
        assert soup(page).find(id="slots-h") is None and "Next free slots" not in page
        assert soup(page).find("a", href=f"/cases/{case.id}") is not None
    assert appointments_of(case) == [appointment]


@pytest.mark.parametrize("state", [State.UNDER_REVIEW, State.NOT_ELIGIBLE, State.SCHEDULED])
def test_a_case_that_is_not_eligible_cannot_be_booked(client, coordinator, physician, room, gen, state):
    other = gen.case(state=state)
    day = clinic_day(1)
    response = submit(client, book_url(other), booking(day, "10:00", physician, room))
    page = text(response)
    assert response.status_code == 409
    # Said at the top, as the state of the case, not as a fault of the start time typed.
    assert field_error(page, "start") is None
    notice = words(soup(page).select_one(".notice-error"))
    assert f"Only an eligible case can be booked; this one is {state.label.lower()}." in notice
    assert appointments_of(other) == []
    assert state_of(other) == state
    # No form to book with, but what was typed is said, so nothing typed is lost.
    assert soup(page).find("input", attrs={"name": "date"}) is None
    said = words(soup(page).select_one(".notice-warning"))
    assert f"Not booked: {day.isoformat()} at 10:00, 30 minutes, {physician.name}, {room.name}" in said


def test_a_missing_date_is_refused_next_to_the_date(client, coordinator, physician, room, case):
    response = submit(client, book_url(case), booking(None, "10:00", physician, room))
    page = text(response)
    assert response.status_code == 422
    assert field_error(page, "date") == "Enter the date of the appointment."
    assert_refused_and_kept(page, case, physician, room, clock="10:00")


def test_a_missing_start_time_is_refused_next_to_the_start_time(client, coordinator, physician, room, case):
    day = clinic_day(1)
    response = submit(client, book_url(case), booking(day, "", physician, room))
    page = text(response)
    assert response.status_code == 422
    assert field_error(page, "start") == "Enter the start time, e.g. 09:30."
    assert_refused_and_kept(page, case, physician, room, day)


def test_a_time_skipped_by_the_clocks_going_forward_is_refused(client, coordinator, physician, room, case):
    # The next spring change in New York after any date in 2026-2027 is a second Sunday of March.
    day = next(clinic_day(n) for n in range(1, 500)
               if clinic_day(n).month == 3 and clinic_day(n).weekday() == 6 and 8 <= clinic_day(n).day <= 14)
    response = submit(client, book_url(case), booking(day, "02:30", physician, room))
    assert "does not exist" in field_error(text(response), "start")
    assert appointments_of(case) == []


@pytest.mark.parametrize("typed, message", [
    ("9999-12-31", "Enter a date between 1900 and 2100."),
    ("0001-01-01", "Enter a date between 1900 and 2100."),
    ("2026-13-01", "2026-13-01 is not a date: there is no month 13; use YYYY-MM-DD."),
    ("2026-02-30", "2026-02-30 is not a date: February 2026 has 28 days."),
])
def test_a_booking_date_outside_1900_to_2100_or_unreadable_is_refused_next_to_the_date(
        client, coordinator, physician, room, case, typed, message):
    response = submit(client, book_url(case), {**booking(None, "10:00", physician, room), "date": typed})
    page = text(response)
    assert response.status_code == 422
    assert field_error(page, "date") == message
    assert input_value(page, "date") == typed
    assert_refused_and_kept(page, case, physician, room, clock="10:00")


@pytest.mark.parametrize("typed", ["9999-12-31", "0001-01-01", "rubbish"])
def test_a_free_slot_search_from_an_impossible_day_searches_from_today_and_says_why(
        client, coordinator, physician, room, case, typed):
    response = client.get(f"{book_url(case)}?from_date={typed}")
    page = text(response)
    assert response.status_code == 200
    assert field_error(page, "from_date") in ("Enter a date between 1900 and 2100.",
                                              "rubbish is not a date: use YYYY-MM-DD, e.g. 2026-05-12.")
    assert offered_slots(page), "the slots from today are still offered"
    assert all(d >= clinic_today().isoformat() for d, *_ in offered_slots(page))


@pytest.mark.parametrize("query", ["date=9999-12-31&start=10:00", "minutes=99999999999999",
                                   "minutes=0", "from_date=2026-01-01&minutes=99999999999999"])
def test_a_hand_edited_booking_address_never_breaks_the_page(client, coordinator, physician, room, case, query):
    response = client.get(f"{book_url(case)}?{query}")
    assert response.status_code == 200
    page = text(response)
    assert input_value(page, "date") == "" or input_value(page, "date").startswith(("19", "20", "21"))
    assert input_value(page, "duration") == "30"


def test_an_enormous_duration_is_refused_without_breaking_the_free_slot_list(
        client, coordinator, physician, room, case):
    response = submit(client, book_url(case), booking(clinic_day(1), "10:00", physician, room,
                                                      duration=99999999999999))
    assert response.status_code == 422
    assert "240 minutes" in field_error(text(response), "duration")
    assert offered_slots(text(response))


# ------------------------------------------------------------------ conflicts

def test_the_same_physician_overlapping_another_appointment_is_refused(
        client, coordinator, physician, room, case, gen):
    other_room = gen.room(name="Suite B")
    gen.appointment(gen.case(state=State.SCHEDULED), physician=physician, room=other_room,
                    starts_at=clinic_at(1, 10))
    response = submit(client, book_url(case), booking(clinic_day(1), "10:15", physician, room))
    assert response.status_code == 409
    assert field_error(text(response), "start").startswith("The physician (Dr Priya Raman) is already booked then (10:00–10:30,")
    assert appointments_of(case) == [] and state_of(case) == State.ELIGIBLE


def test_the_same_room_overlapping_another_appointment_is_refused(
        client, coordinator, physician, room, case, gen):
    colleague = gen.user(Role.PHYSICIAN, name="Dr Colleague")
    gen.appointment(gen.case(state=State.SCHEDULED), physician=colleague, room=room,
                    starts_at=clinic_at(1, 10))
    response = submit(client, book_url(case), booking(clinic_day(1), "09:45", physician, room))
    assert response.status_code == 409
    assert field_error(text(response), "start").startswith("The room (Suite A) is already booked then (10:00–10:30,")
    assert appointments_of(case) == []


def test_an_overlap_with_an_appointment_booked_days_ago_is_not_called_just_taken(
        client, coordinator, physician, room, case, gen):
    earlier = gen.appointment(gen.case(state=State.SCHEDULED), physician=physician, room=room,
                              starts_at=clinic_at(1, 10))
    earlier.created_at = utcnow() - timedelta(days=3)
    db.session.commit()
    form_page = text(client.get(book_url(case)))
    response = client.post(book_url(case), data={"csrf_token": csrf_from(form_page),
                                                  "shown_at": input_value(form_page, "shown_at"),
                                                  **booking(clinic_day(1), "10:00", physician, room)})
    error = field_error(text(response), "start")
    assert response.status_code == 409
    assert "just taken" not in error
    booked_at = to_clinic(earlier.created_at)
    booked_on = f"{booked_at.day} {booked_at:%B %Y}"
    assert error == (f"The physician (Dr Priya Raman) is already booked then (10:00–10:30, an appointment booked on {booked_on}). "
                     "Choose another time or one of the free slots below.")


def test_an_identical_slot_is_refused(client, coordinator, physician, room, case, gen):
    gen.appointment(gen.case(state=State.SCHEDULED), physician=physician, room=room,
                    starts_at=clinic_at(1, 10))
    response = submit(client, book_url(case), booking(clinic_day(1), "10:00", physician, room))
    assert response.status_code == 409
    assert appointments_of(case) == []


@pytest.mark.parametrize("clock", ["09:30", "10:30"])
def test_back_to_back_with_the_same_physician_and_room_is_allowed(
        client, coordinator, physician, room, case, gen, clock):
    gen.appointment(gen.case(state=State.SCHEDULED), physician=physician, room=room,
                    starts_at=clinic_at(1, 10))
    response = submit(client, book_url(case), booking(clinic_day(1), clock, physician, room))
    assert response.status_code == 302
    assert len(appointments_of(case)) == 1 and state_of(case) == State.SCHEDULED


@pytest.mark.parametrize("status", [AppointmentStatus.CANCELLED, AppointmentStatus.NO_SHOW])
def test_an_appointment_no_longer_active_does_not_block_its_slot(
        client, coordinator, physician, room, case, gen, status):
    gen.appointment(gen.case(state=State.ELIGIBLE), physician=physician, room=room,
                    starts_at=clinic_at(1, 10), status=status,
                    cancelled_reason="patient unwell" if status == AppointmentStatus.CANCELLED else None)
    response = submit(client, book_url(case), booking(clinic_day(1), "10:00", physician, room))
    assert response.status_code == 302


# ------------------------------------------------------------------ warnings to acknowledge

def test_a_second_appointment_the_same_day_needs_acknowledging_then_records_the_warning(
        client, coordinator, physician, room, case, gen):
    other_case = gen.case(patient=case.patient, state=State.SCHEDULED, side=Side.LEFT)
    gen.appointment(other_case, physician=gen.user(Role.PHYSICIAN), room=gen.room(name="Suite B"),
                    starts_at=clinic_at(1, 14))
    data = booking(clinic_day(1), "10:00", physician, room)
    first = submit(client, book_url(case), data)
    page = text(first)
    assert first.status_code == 409
    assert "Please check before booking:" in page
    assert "The patient already has an appointment that day (14:00)." in page
    assert 'name="acknowledge"' in page
    assert appointments_of(case) == [] and state_of(case) == State.ELIGIBLE
    assert input_value(page, "start") == "10:00" and selected(page, "room_id") == str(room.id)

    second = submit(client, book_url(case), acknowledging(page, data))
    assert second.status_code == 302
    [appointment] = appointments_of(case)
    assert "The patient already has an appointment that day (14:00)." in appointment.acknowledged_warnings
    shown = text(client.get(f"/appointments/{appointment.id}"))
    assert "Booked despite: The patient already has an appointment that day (14:00)." in shown


def test_a_time_outside_the_physicians_hours_needs_acknowledging(
        client, coordinator, physician, room, case):
    day = clinic_day(1)
    said = f"Outside Dr Priya Raman's hours on {day:%A}s (8:00–17:00)."
    data = booking(day, "18:00", physician, room)
    first = submit(client, book_url(case), data)
    assert first.status_code == 409
    assert said in text(first)
    assert appointments_of(case) == []
    second = submit(client, book_url(case), acknowledging(text(first), data))
    assert second.status_code == 302
    [appointment] = appointments_of(case)
    assert appointment.acknowledged_warnings == said


def test_a_physicians_day_off_says_they_do_not_work_that_day_and_which_days_they_do(
        client, coordinator, gen, room, case):
    """No working hours on the weekday booked (a day off, or a weekend): the warning says so, and
    names the days they work, rather than "outside their working hours"."""
    ortega = gen.user(Role.PHYSICIAN, name="Dr Tomas Ortega")
    day = clinic_day(1)
    works = [d for d in range(7) if d != day.weekday()]
    set_hours(ortega, weekdays=works)
    first = submit(client, book_url(case), booking(day, "10:00", ortega, room))
    assert first.status_code == 409
    days = ", ".join(("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")[d] for d in works)
    assert f"Dr Tomas Ortega does not work on {day:%A}s (works {days})." in text(first)
    assert "Outside Dr Tomas Ortega" not in text(first)


def test_an_appointment_more_than_six_months_away_needs_acknowledging(client, coordinator, physician, room, case):
    """28 Feb 2031 typed for 2027: the page asks before booking, naming the date and the verdict's."""
    far = clinic_today() + relativedelta(months=6, days=1)
    data = booking(far, "10:00", physician, room)

    first = submit(client, book_url(case), data)

    page = text(first)
    assert first.status_code == 409 and appointments_of(case) == []
    evaluated = to_clinic(db.session.get(Case, case.id).current_verdict.evaluated_at)
    warning = (f"{far:%d %B %Y} is more than 6 months away: check the date. The eligibility verdict it rests on "
               f"is of {evaluated:%d %B %Y} and may no longer stand by then.")
    assert warning in page
    assert submit(client, book_url(case), acknowledging(page, data)).status_code == 302
    [appointment] = appointments_of(case)
    assert appointment.acknowledged_warnings == warning


def test_an_appointment_six_months_away_asks_nothing(client, coordinator, physician, room, case):
    near = clinic_today() + relativedelta(months=6)
    assert submit(client, book_url(case), booking(near, "10:00", physician, room)).status_code == 302


def injected_before(gen, patient, days_ago, indication, side=Side.RIGHT):
    """An earlier case of the patient whose procedure started `days_ago` days ago."""
    earlier = gen.case(patient=patient, state=State.CLOSED, side=side, indication=indication)
    db.session.add(CaseHistory(case=earlier, at=clinic_at(-days_ago, 9), action="start_procedure",
                               from_state=State.SCHEDULED, to_state=State.IN_PROCEDURE))
    db.session.commit()
    return earlier


def test_a_third_diagnostic_block_within_12_months_needs_acknowledging(
        client, coordinator, physician, room, case, gen):
    injected_before(gen, case.patient, 90, Indication.DIAGNOSTIC)
    injected_before(gen, case.patient, 30, Indication.DIAGNOSTIC)
    gen.verdict(case)  # evaluated (eligible) with those injections on record
    data = booking(clinic_day(1), "10:00", physician, room)
    first = submit(client, book_url(case), data)
    page = text(first)
    assert first.status_code == 409
    assert f"Payer rule on {clinic_day(1).isoformat()}: Diagnostic blocks in 12 months:" in page
    assert "this would be 3 of 2" in page
    assert appointments_of(case) == []
    assert submit(client, book_url(case), acknowledging(page, data)).status_code == 302
    [appointment] = appointments_of(case)
    assert "Diagnostic blocks in 12 months" in appointment.acknowledged_warnings


def test_a_therapeutic_repeat_too_soon_for_the_payer_needs_acknowledging(
        client, coordinator, physician, room, gen):
    patient = gen.patient(family_name="Repeat")
    injected_before(gen, patient, 20, Indication.THERAPEUTIC)
    repeat = gen.case(patient=patient, state=State.ELIGIBLE, side=Side.RIGHT,
                      indication=Indication.THERAPEUTIC, payer_profile_code="EVICORE_CMM_203")
    first = submit(client, book_url(repeat), booking(clinic_day(1), "10:00", physician, room))
    page = text(first)
    assert first.status_code == 409
    assert "Interval since last therapeutic injection: 21 days since therapeutic injection" in page
    assert "needs 60 days" in page
    assert appointments_of(repeat) == []


def test_a_repeat_too_soon_says_the_first_day_the_payer_allows(client, coordinator, physician, room, gen):
    """"21 days since …, needs 60 days" left the coordinator counting: the warning names the day."""
    patient = gen.patient(family_name="Repeat")
    injected_before(gen, patient, 20, Indication.THERAPEUTIC)
    repeat = gen.case(patient=patient, state=State.ELIGIBLE, side=Side.RIGHT,
                      indication=Indication.THERAPEUTIC, payer_profile_code="EVICORE_CMM_203")
    page = text(submit(client, book_url(repeat), booking(clinic_day(1), "10:00", physician, room)))
    first = clinic_day(40)
    assert (f"needs 60 days (right); the first day this rule allows: {first:%a} {first.day} {first:%b %Y}."
            in page)


def test_a_cap_reached_says_the_first_day_the_payer_allows(client, coordinator, physician, room, case, gen):
    injected_before(gen, case.patient, 90, Indication.DIAGNOSTIC)
    injected_before(gen, case.patient, 30, Indication.DIAGNOSTIC)
    gen.verdict(case)
    page = text(submit(client, book_url(case), booking(clinic_day(1), "10:00", physician, room)))
    first = clinic_day(-90) + relativedelta(years=1)  # the day it leaves the 12 months
    assert (f"this would be 3 of 2 (patient); the first day this rule allows: {first:%a} {first.day} "
            f"{first:%b %Y}." in page)


def test_a_payer_rule_met_gives_no_warning(client, coordinator, physician, room, case, gen):
    injected_before(gen, case.patient, 400, Indication.DIAGNOSTIC)
    injected_before(gen, case.patient, 380, Indication.DIAGNOSTIC)
    gen.verdict(case)
    assert submit(client, book_url(case), booking(clinic_day(1), "10:00", physician, room)).status_code == 302


def _named(appointment_day, case):
    return f"the appointment of {appointment_day:%a} {appointment_day.day} {appointment_day:%b %Y} (case {case.id})"


def _up_to(day):
    return f"{day.day} {day:%b %Y}"


@pytest.fixture
def at_one_of_two(gen):
    """Walkthrough F8: a Medicare patient with one diagnostic block given 16 days ago, and two more
    blocks evaluated eligible: a confirmatory one (left) and a diagnostic one (right)."""
    patient = gen.patient(family_name="Okafor", given_name="Grace")
    injected_before(gen, patient, 16, Indication.DIAGNOSTIC)
    confirmatory = gen.case(patient=patient, state=State.ELIGIBLE, side=Side.LEFT, indication=Indication.CONFIRMATORY)
    diagnostic = gen.case(patient=patient, state=State.ELIGIBLE, side=Side.RIGHT, indication=Indication.DIAGNOSTIC)
    return confirmatory, diagnostic


def test_a_block_booked_for_another_case_counts_towards_the_cap_at_booking(
        client, coordinator, physician, room, at_one_of_two):
    confirmatory, diagnostic = at_one_of_two
    # 1 given: the first booking is session 2 of 2, as the verdict says.
    assert submit(client, book_url(confirmatory), booking(clinic_day(9), "09:00", physician, room)).status_code == 302
    data = booking(clinic_day(37), "09:00", physician, room)
    first = submit(client, book_url(diagnostic), data)
    page = text(first)
    assert first.status_code == 409 and appointments_of(diagnostic) == []
    warning = ("The payer's diagnostic 12-month cap on that date, counting the sessions already booked: this would "
               f"be session 3 of 2 (patient) in the 12 months to {_up_to(clinic_day(37))}, counting "
               f"{_named(clinic_day(9), confirmatory)}. Once given, a session over the cap is not covered.")
    assert warning in html.unescape(page)
    # The verdict does not count a session not yet given: its own rule reads 2 of 2, met.
    assert "Payer rule on" not in page
    assert submit(client, book_url(diagnostic), acknowledging(page, data)).status_code == 302
    [appointment] = appointments_of(diagnostic)
    assert appointment.acknowledged_warnings == warning


def test_booking_before_a_block_already_booked_warns_about_that_one(
        client, coordinator, physician, room, at_one_of_two):
    confirmatory, diagnostic = at_one_of_two
    gen_booked = submit(client, book_url(diagnostic), booking(clinic_day(37), "09:00", physician, room))
    assert gen_booked.status_code == 302
    first = submit(client, book_url(confirmatory), booking(clinic_day(9), "09:00", physician, room))
    assert first.status_code == 409
    assert (f"{_named(clinic_day(37), diagnostic)} would then be session 3 of 2 (patient) in the 12 months to "
            f"{_up_to(clinic_day(37))}, counting this one.") in html.unescape(text(first))


def test_a_cancelled_appointment_does_not_count_towards_the_cap(
        client, coordinator, physician, room, at_one_of_two, gen):
    confirmatory, diagnostic = at_one_of_two
    assert submit(client, book_url(confirmatory), booking(clinic_day(9), "09:00", physician, room)).status_code == 302
    [appointment] = appointments_of(confirmatory)
    assert cancel(client, appointment, "Patient chose to wait").status_code == 302
    assert fresh(appointment).status == AppointmentStatus.CANCELLED
    missed = gen.case(patient=confirmatory.patient, state=State.SCHEDULED, side=Side.LEFT)
    gen.appointment(missed, physician=physician, room=gen.room(name="Suite C"), starts_at=clinic_at(-1, 9),
                    status=AppointmentStatus.NO_SHOW)
    assert submit(client, book_url(diagnostic), booking(clinic_day(37), "09:00", physician, room)).status_code == 302


def test_a_booked_appointment_past_its_no_show_grace_does_not_count_even_before_the_cron_marks_it(
        client, coordinator, physician, room, at_one_of_two, gen, app):
    """A block booked for an hour and more ago and never checked in is a no-show
    (NO_SHOW_GRACE_MINUTES after its start) whether or not `flask appointments mark-no-shows` has
    run: it was never given, so it must not make the next booking look over the cap."""
    confirmatory, diagnostic = at_one_of_two
    grace = app.config["NO_SHOW_GRACE_MINUTES"]
    missed = gen.appointment(confirmatory, physician=physician, room=gen.room(name="Suite B"),
                             starts_at=utcnow() - timedelta(minutes=grace + 5))
    assert fresh(missed).status == AppointmentStatus.BOOKED  # not marked by the cron job yet
    response = submit(client, book_url(diagnostic), booking(clinic_day(37), "09:00", physician, room))
    assert response.status_code == 302, text(response)


def test_a_booked_appointment_still_inside_its_grace_period_counts(
        client, coordinator, physician, room, at_one_of_two, gen, app):
    """Within the grace period the patient may be in the waiting room: the session may still be given."""
    confirmatory, diagnostic = at_one_of_two
    grace = app.config["NO_SHOW_GRACE_MINUTES"]
    gen.appointment(confirmatory, physician=physician, room=gen.room(name="Suite B"),
                    starts_at=utcnow() - timedelta(minutes=grace - 5))
    response = submit(client, book_url(diagnostic), booking(clinic_day(37), "09:00", physician, room))
    assert response.status_code == 409 and "counting the sessions already booked" in text(response)


def test_a_checked_in_appointment_counts_however_long_the_patient_has_waited(
        client, coordinator, physician, room, at_one_of_two, gen, app):
    confirmatory, diagnostic = at_one_of_two
    grace = app.config["NO_SHOW_GRACE_MINUTES"]
    from tracker.timeutil import clinic_day_start, clinic_today

    gen.appointment(confirmatory, physician=physician, room=gen.room(name="Suite B"),
                    starts_at=max(utcnow() - timedelta(minutes=grace + 30), clinic_day_start(clinic_today())),
                    status=AppointmentStatus.CHECKED_IN)
    response = submit(client, book_url(diagnostic), booking(clinic_day(37), "09:00", physician, room))
    assert response.status_code == 409 and "counting the sessions already booked" in text(response)


def test_a_check_in_of_an_earlier_day_does_not_count(client, coordinator, physician, room, at_one_of_two, gen):
    """Checked in yesterday and sent home (an attempt abandoned): it cannot be started today, so it is
    no session to come."""
    confirmatory, diagnostic = at_one_of_two
    gen.appointment(confirmatory, physician=physician, room=gen.room(name="Suite B"), starts_at=clinic_at(-1, 9),
                    status=AppointmentStatus.CHECKED_IN)
    response = submit(client, book_url(diagnostic), booking(clinic_day(37), "09:00", physician, room))
    assert response.status_code == 302, text(response)


def test_a_block_booked_beyond_the_twelve_months_does_not_count(
        client, coordinator, physician, room, at_one_of_two, gen):
    confirmatory, diagnostic = at_one_of_two
    gen.appointment(confirmatory, physician=physician, room=gen.room(name="Suite B"), starts_at=clinic_at(9, 9))
    far = clinic_day(9) + relativedelta(months=12)
    response = submit(client, book_url(diagnostic), booking(far, "09:00", physician, room))
    assert "counting the sessions already booked" not in text(response)


def booked_beside(gen, physician, room, other, other_day, moving, moving_day):
    """`other` booked at 09:00 `other_day` days ahead (in Suite B), and `moving` scheduled at 09:00
    `moving_day` days ahead in `room`: the appointment to move."""
    gen.appointment(other, physician=physician, room=gen.room(name="Suite B"), starts_at=clinic_at(other_day, 9))
    moving.state = State.SCHEDULED
    db.session.commit()
    return gen.appointment(moving, physician=physician, room=room, starts_at=clinic_at(moving_day, 9))


def test_moving_an_appointment_counts_the_blocks_booked_for_other_cases(
        client, coordinator, physician, room, at_one_of_two, gen):
    confirmatory, diagnostic = at_one_of_two
    later = booked_beside(gen, physician, room, confirmatory, 9, diagnostic, 120)
    first = move(client, later, clinic_day(37), "09:00", physician, room)
    page = html.unescape(text(first))
    assert first.status_code == 409
    assert (f"this would be session 3 of 2 (patient) in the 12 months to {_up_to(clinic_day(37))}, counting "
            f"{_named(clinic_day(9), confirmatory)}") in page
    assert fresh(later).starts_at == clinic_at(120, 9)
    assert move(client, later, clinic_day(37), "09:00", physician, room,
                acknowledge="y", warnings_digest=input_value(page, "warnings_digest")).status_code == 302
    assert fresh(later).starts_at == clinic_at(37, 9)


def test_the_case_page_names_the_blocks_booked_for_other_cases_and_the_verdict_goes_stale_once_one_is_given(
        client, coordinator, physician, room, at_one_of_two):
    confirmatory, diagnostic = at_one_of_two
    assert submit(client, book_url(confirmatory), booking(clinic_day(9), "09:00", physician, room)).status_code == 302
    data = booking(clinic_day(37), "09:00", physician, room)
    assert submit(client, book_url(diagnostic), acknowledging(text(submit(client, book_url(diagnostic), data)),
                                                              data)).status_code == 302

    page = soup(client.get(f"/cases/{diagnostic.id}").get_data(as_text=True))
    [note] = page.select(".booked-caps li")
    assert words(note.get_text()) == (
        f"diagnostic cap (patient): 1 given; 1 more booked: {_named(clinic_day(9), confirmatory)}; once given, "
        f"this would be session 3 of 2 (patient) in the 12 months to {_up_to(clinic_day(37))}")
    # Not given, so not counted: the criterion reads 2 of 2, met, and the verdict stands.
    assert "this would be 2 of 2 (patient)" in page.select_one("table.criteria").get_text()
    assert "no longer stands" not in page.get_text()
    # The case booked first is told which later session it would take over the cap.
    [note] = soup(client.get(f"/cases/{confirmatory.id}").get_data(as_text=True)).select(".booked-caps li")
    assert words(note.get_text()).endswith(
        f"once given, {_named(clinic_day(37), diagnostic)} would then be session 3 of 2 (patient) in the 12 months "
        f"to {_up_to(clinic_day(37))}, counting this one")

    # Once the first is given, the second's verdict no longer stands, naming the cap (walkthrough F8:
    # re-evaluating then cancels its appointment), and the note has nothing booked left to name.
    db.session.expire_all()
    given = db.session.get(Case, confirmatory.id)
    given.state = State.IN_PROCEDURE
    given.active_appointment.status = AppointmentStatus.IN_PROCEDURE
    db.session.add(CaseHistory(case=given, at=clinic_at(0, 0, 1), action="start_procedure",
                               from_state=State.SCHEDULED, to_state=State.IN_PROCEDURE))
    db.session.commit()
    page = text(client.get(f"/cases/{diagnostic.id}"))
    assert "This verdict no longer stands: diagnostic blocks in 12 months: was" in html.unescape(page)
    assert "booked-caps" not in page


@pytest.fixture
def two_repeats(gen):
    """An eviCore patient with two therapeutic cases evaluated eligible, left and left again (a
    repeat), no therapeutic injection given yet: the interval criterion has nothing to read."""
    patient = gen.patient(family_name="Lindqvist", given_name="Maja")
    first, second = (gen.case(patient=patient, state=State.ELIGIBLE, side=Side.LEFT, indication=Indication.THERAPEUTIC,
                              payer_profile_code="EVICORE_CMM_203") for _ in range(2))
    return first, second


def _interval_warning(days, relation, named, limit):
    span = ("from that appointment's date to this one's" if relation == "after"
            else "from this appointment's date to that one's")
    bound = "not before" if relation == "after" else "not after"
    return ("The payer's interval between therapeutic injections on that date, counting the sessions already booked: "
            f"in the left joint, only {days} days {relation} {named}, counted {span}; eviCore / Cigna CMM-203 asks "
            f"for at least 60 days, so {bound} {limit:%a} {limit.day} {limit:%b %Y}. Once given, an injection too "
            "soon is not covered.")


def test_a_therapeutic_session_booked_too_soon_after_another_cases_needs_acknowledging(
        client, coordinator, physician, room, two_repeats):
    first, second = two_repeats
    assert submit(client, book_url(first), booking(clinic_day(10), "09:00", physician, room)).status_code == 302
    data = booking(clinic_day(31), "11:30", physician, room, duration=45)
    refused = submit(client, book_url(second), data)
    page = text(refused)
    assert refused.status_code == 409 and appointments_of(second) == [] and state_of(second) == State.ELIGIBLE
    warning = _interval_warning(21, "after", _named(clinic_day(10), first), clinic_day(70))
    assert warning in html.unescape(page)
    # The interval criterion reads only the injections given: none, so no payer rule of its own.
    assert "Payer rule on" not in page
    assert (input_value(page, "date"), input_value(page, "start"), input_value(page, "duration")) == (
        clinic_day(31).isoformat(), "11:30", "45")
    assert selected(page, "physician_id") == str(physician.id) and selected(page, "room_id") == str(room.id)
    assert submit(client, book_url(second), acknowledging(page, data)).status_code == 302
    [appointment] = appointments_of(second)
    assert appointment.acknowledged_warnings == warning and appointment.starts_at == clinic_at(31, 11, 30)


def test_booking_too_soon_before_a_therapeutic_session_already_booked_warns_about_that_one(
        client, coordinator, physician, room, two_repeats):
    first, second = two_repeats
    assert submit(client, book_url(second), booking(clinic_day(31), "09:00", physician, room)).status_code == 302
    refused = submit(client, book_url(first), booking(clinic_day(10), "09:00", physician, room))
    assert refused.status_code == 409 and appointments_of(first) == []
    assert _interval_warning(21, "before", _named(clinic_day(31), second), clinic_day(-29)) in html.unescape(
        text(refused))


def test_a_therapeutic_session_exactly_the_interval_from_one_booked_asks_nothing_and_a_day_less_warns(
        client, coordinator, physician, room, two_repeats):
    first, second = two_repeats
    assert submit(client, book_url(first), booking(clinic_day(10), "09:00", physician, room)).status_code == 302
    assert "interval between therapeutic injections" in text(
        submit(client, book_url(second), booking(clinic_day(69), "09:00", physician, room)))
    assert submit(client, book_url(second), booking(clinic_day(70), "09:00", physician, room)).status_code == 302


def test_a_cancelled_therapeutic_appointment_is_not_too_close(client, coordinator, physician, room, two_repeats):
    first, second = two_repeats
    assert submit(client, book_url(first), booking(clinic_day(10), "09:00", physician, room)).status_code == 302
    assert "interval between therapeutic injections" in text(
        submit(client, book_url(second), booking(clinic_day(31), "09:00", physician, room)))
    [appointment] = appointments_of(first)
    assert cancel(client, appointment, "Patient chose to wait").status_code == 302
    assert submit(client, book_url(second), booking(clinic_day(31), "09:00", physician, room)).status_code == 302


def test_the_other_side_of_a_bilateral_pair_booked_the_same_day_is_not_too_close(
        client, coordinator, physician, room, gen):
    patient = gen.patient(family_name="Sato")
    left, right = (gen.case(patient=patient, state=State.ELIGIBLE, side=side, indication=Indication.THERAPEUTIC,
                            payer_profile_code="EVICORE_CMM_203") for side in (Side.LEFT, Side.RIGHT))
    both = gen.case(patient=patient, state=State.ELIGIBLE, side=Side.BILATERAL, indication=Indication.THERAPEUTIC,
                    payer_profile_code="EVICORE_CMM_203")
    assert submit(client, book_url(left), booking(clinic_day(10), "09:00", physician, room)).status_code == 302
    for other, clock in ((right, "10:00"), (both, "11:00")):
        refused = submit(client, book_url(other), data := booking(clinic_day(10), clock, physician, room))
        page = text(refused)
        assert refused.status_code == 409 and "The patient already has an appointment that day" in page
        assert "interval between therapeutic injections" not in page
        assert submit(client, book_url(other), acknowledging(page, data)).status_code == 302


def test_moving_a_therapeutic_appointment_too_close_to_another_booked_one_needs_acknowledging(
        client, coordinator, physician, room, two_repeats, gen):
    first, second = two_repeats
    later = booked_beside(gen, physician, room, first, 10, second, 90)
    refused = move(client, later, clinic_day(31), "14:15", physician, room, reason="Patient asked for earlier")
    page = html.unescape(text(refused))
    assert refused.status_code == 409
    warning = _interval_warning(21, "after", _named(clinic_day(10), first), clinic_day(70))
    assert warning in page
    assert (input_value(page, "date"), input_value(page, "start")) == (clinic_day(31).isoformat(), "14:15")
    assert soup(page).find("textarea", attrs={"name": "reason"}).get_text().strip() == "Patient asked for earlier"
    assert fresh(later).starts_at == clinic_at(90, 9)
    moved = move(client, later, clinic_day(31), "14:15", physician, room, reason="Patient asked for earlier",
                 acknowledge="y", warnings_digest=input_value(page, "warnings_digest"))
    assert moved.status_code == 302
    assert fresh(later).starts_at == clinic_at(31, 14, 15)
    shown = words(text(client.get(f"/appointments/{later.id}")))
    assert "Moved despite: " in shown and "Booked despite" not in shown, "the move's warnings, named as such"
    # Moved back out of the interval: nothing to acknowledge.
    assert move(client, fresh(later), clinic_day(70), "09:00", physician, room).status_code == 302


def test_a_booking_without_warnings_records_none(client, coordinator, physician, room, case):
    submit(client, book_url(case), booking(clinic_day(1), "10:00", physician, room))
    [appointment] = appointments_of(case)
    assert appointment.acknowledged_warnings == ""
    assert "Booked despite" not in text(client.get(f"/appointments/{appointment.id}"))


def test_acknowledging_does_not_override_a_conflict(client, coordinator, physician, room, case, gen):
    gen.appointment(gen.case(state=State.SCHEDULED), physician=physician, room=room,
                    starts_at=clinic_at(1, 18))
    response = submit(client, book_url(case), booking(clinic_day(1), "18:00", physician, room,
                                                      acknowledge="y"))
    assert response.status_code == 409
    assert appointments_of(case) == []


def test_warnings_that_changed_after_the_box_was_ticked_are_shown_again_and_nothing_is_booked(
        client, coordinator, physician, room, case, gen):
    other_room = gen.room(name="Suite B")
    gen.appointment(gen.case(patient=case.patient, state=State.SCHEDULED), physician=gen.user(Role.PHYSICIAN),
                    room=other_room, starts_at=clinic_at(1, 14))
    data = booking(clinic_day(1), "10:00", physician, room)
    shown = text(submit(client, book_url(case), data))
    assert "The patient already has an appointment that day (14:00)." in shown
    # While the coordinator reads, a colleague books the same patient again that afternoon.
    gen.appointment(gen.case(patient=case.patient, state=State.SCHEDULED), physician=gen.user(Role.PHYSICIAN),
                    room=other_room, starts_at=clinic_at(1, 16))
    response = submit(client, book_url(case), acknowledging(shown, data))
    page = text(response)
    assert response.status_code == 409
    assert appointments_of(case) == [] and state_of(case) == State.ELIGIBLE
    assert "The patient already has an appointment that day (14:00, 16:00)." in page
    assert field_error(page, "acknowledge").startswith("The warnings changed after you ticked the box")
    assert not is_checked(page, "acknowledge"), "the box must be ticked again"
    assert input_value(page, "start") == "10:00" and selected(page, "room_id") == str(room.id)
    again = submit(client, book_url(case), acknowledging(page, data))
    assert again.status_code == 302
    [appointment] = appointments_of(case)
    assert appointment.acknowledged_warnings == "The patient already has an appointment that day (14:00, 16:00)."


def test_a_tick_without_the_warnings_it_was_for_books_nothing(client, coordinator, physician, room, case):
    data = booking(clinic_day(1), "18:00", physician, room)   # outside Dr Priya Raman's 08-17
    for digest in ("", "0" * 64):
        response = submit(client, book_url(case), {**data, "acknowledge": "y", "warnings_digest": digest})
        assert response.status_code == 409
        assert f"Outside Dr Priya Raman's hours on {clinic_day(1):%A}s (8:00–17:00)." in text(response)
        assert appointments_of(case) == []


def test_a_tick_for_warnings_that_went_away_books_without_recording_any(
        client, coordinator, physician, room, case):
    data = booking(clinic_day(1), "18:00", physician, room)
    shown = text(submit(client, book_url(case), data))
    db.session.execute(db.update(WorkingHours).values(ends=time(19)))   # the admin extends the hours
    db.session.commit()
    assert submit(client, book_url(case), acknowledging(shown, data)).status_code == 302
    [appointment] = appointments_of(case)
    assert appointment.acknowledged_warnings == ""


# ------------------------------------------------------------------ a slot taken meanwhile

def test_a_slot_taken_while_the_form_was_open_keeps_the_choices_and_offers_the_next_free_slots(
        client, coordinator, gen, room, case):
    doctor = gen.user(Role.PHYSICIAN, name="Dr Busy")
    day = clinic_day(1)
    set_hours(doctor, time(9), time(11), weekdays=[day.weekday()])
    form_page = client.get(book_url(case)).get_data(as_text=True)
    # Someone else books 10:00 with the same physician and room before this form is sent.
    gen.appointment(gen.case(state=State.SCHEDULED), physician=doctor, room=room,
                    starts_at=clinic_at(1, 10))
    response = client.post(book_url(case), data={"csrf_token": csrf_from(form_page),
                                                  "shown_at": input_value(form_page, "shown_at"),
                                                  **booking(day, "10:00", doctor, room)})
    page = text(response)
    assert response.status_code == 409
    assert field_error(page, "start").startswith("This slot was just taken: the physician (Dr Busy) was booked 10:00–10:30 at ")
    assert "after this page was shown" in field_error(page, "start")
    assert appointments_of(case) == [] and state_of(case) == State.ELIGIBLE
    assert input_value(page, "date") == day.isoformat() and input_value(page, "start") == "10:00"
    assert selected(page, "physician_id") == str(doctor.id) and selected(page, "room_id") == str(room.id)
    tomorrow = [start for d, start, _, _ in offered_slots(page) if d == day.isoformat()]
    assert tomorrow == ["09:00", "09:15", "09:30", "10:30"]


# ------------------------------------------------------------------ reschedule

def move(client, appointment, day, clock, physician, room, reason="Patient asked for later", **extra):
    url = f"/appointments/{appointment.id}/reschedule"
    return submit(client, url, booking(day, clock, physician, room, reason=reason,
                                       version_id=str(appointment.version_id), **extra))


def test_moving_an_appointment_needs_a_reason(client, coordinator, physician, room, booked):
    response = move(client, booked, clinic_day(1), "11:00", physician, room, reason="  ")
    page = text(response)
    assert field_error(page, "reason") == "Give the reason for moving the appointment."
    assert fresh(booked).starts_at == clinic_at(1, 10)
    assert input_value(page, "start") == "11:00"


def test_moving_an_appointment_keeps_the_old_time_in_its_history(client, coordinator, physician, room, booked):
    old = to_clinic(booked.starts_at).strftime("%Y-%m-%d %H:%M")
    response = move(client, booked, clinic_day(2), "11:30", physician, room, reason="Patient asked for later")
    assert response.status_code == 302 and response.location == f"/appointments/{booked.id}"
    moved = fresh(booked)
    assert moved.starts_at == clinic_at(2, 11, 30)
    assert moved.ends_at == clinic_at(2, 12)
    page = text(client.get(f"/appointments/{booked.id}"))
    assert f"{clinic_day(2).strftime('%A %d %B %Y')}, 11:30–12:00" in page
    assert "rescheduled" in page and f"was {old}" in page
    assert "Reason: Patient asked for later" in page
    change = db.session.execute(db.select(AppointmentChange).filter_by(
        appointment_id=booked.id, change="rescheduled")).scalar_one()
    assert change.old_starts_at == clinic_at(1, 10) and change.actor_id == coordinator.id


def test_moving_into_another_appointment_is_refused(client, coordinator, physician, room, booked, gen):
    gen.appointment(gen.case(state=State.SCHEDULED), physician=physician, room=gen.room(name="Suite B"),
                    starts_at=clinic_at(1, 11))
    response = move(client, booked, clinic_day(1), "11:00", physician, room)
    assert response.status_code == 409
    assert field_error(text(response), "start").startswith("The physician (Dr Priya Raman) is already booked then (11:00–11:30, "
                                                           "an appointment booked earlier today at ")
    assert fresh(booked).starts_at == clinic_at(1, 10)
    assert [c.change for c in fresh(booked).changes] == []


def test_moving_within_its_own_old_slot_is_not_a_conflict(client, coordinator, physician, room, booked):
    response = move(client, booked, clinic_day(1), "10:15", physician, room)
    assert response.status_code == 302
    assert fresh(booked).starts_at == clinic_at(1, 10, 15)


def test_a_move_with_a_warning_asks_to_move_anyway_not_to_book(client, coordinator, physician, room, booked):
    data = booking(clinic_day(1), "18:00", physician, room, reason="Patient asked for later",
                   version_id=str(booked.version_id))
    first = submit(client, f"/appointments/{booked.id}/reschedule", data)
    page = text(first)
    assert first.status_code == 409
    assert "Please check before moving:" in page and "Tick the box below to move anyway." in page
    assert "I have read the warnings above and want to move anyway" in page
    assert "booking" not in page.lower().split("please check before moving")[1].split("</form>")[0]
    second = submit(client, f"/appointments/{booked.id}/reschedule", acknowledging(page, data))
    assert second.status_code == 302 and fresh(booked).starts_at == clinic_at(1, 18)


@pytest.mark.parametrize("side, shown", [(Side.LEFT, "· Left side ·"), (Side.BILATERAL, "· Both sides ·")])
def test_the_appointment_page_names_the_side(client, coordinator, physician, room, gen, side, shown):
    appointment = gen.appointment(gen.case(state=State.SCHEDULED, side=side), physician=physician, room=room,
                                  starts_at=clinic_at(1, 10))
    page = " ".join(text(client.get(f"/appointments/{appointment.id}")).split())
    assert shown in page and "Bilateral side" not in page


def test_the_move_offers_the_times_overlapping_its_own_slot_but_not_the_slot_itself(
        client, coordinator, physician, room, booked):
    page = text(client.get(f"/appointments/{booked.id}/reschedule?from_date={clinic_day(1).isoformat()}"
                           f"&physician={physician.id}"))
    starts = [start for day, start, _, room_id in offered_slots(page)
              if day == clinic_day(1).isoformat() and room_id == room.id]
    assert "10:00" not in starts, "moving to the very same slot is no move"
    assert "10:15" in starts, "its own half hour is free for the move"


def test_moving_into_the_past_is_refused(client, coordinator, physician, room, booked):
    response = move(client, booked, clinic_day(-1), "10:00", physician, room)
    assert "already passed" in field_error(text(response), "date")
    assert fresh(booked).starts_at == clinic_at(1, 10)


def test_the_move_form_starts_from_the_current_appointment(client, coordinator, physician, room, booked):
    page = text(client.get(f"/appointments/{booked.id}/reschedule"))
    assert input_value(page, "date") == clinic_day(1).isoformat()
    assert input_value(page, "start") == "10:00"
    assert selected(page, "physician_id") == str(physician.id)
    assert "Now: <strong>" in page
    # The reason is asked for, and the label says so before the form is sent empty.
    assert soup(page).find("label", attrs={"for": "reason"}).find("span", class_="req") is not None


def test_the_move_form_does_not_open_on_a_cancelled_appointment_and_says_why(client, coordinator, booked):
    cancel(client, booked, "Patient has the flu")
    response = client.get(f"/appointments/{booked.id}/reschedule")
    assert response.status_code == 302 and response.location == f"/appointments/{booked.id}"
    page = words(client.get(response.location))
    assert "Not moved: this appointment was cancelled on " in page
    assert "by Casey Coordinator: Patient has the flu. Book a new appointment from the case." in page
    assert "Move appointment" not in page


def test_a_move_opened_before_the_appointment_was_cancelled_is_refused_and_moves_nothing(
        client, coordinator, physician, room, booked):
    opened = text(client.get(f"/appointments/{booked.id}/reschedule"))
    cancel(client, booked, "Patient has the flu")
    response = client.post(f"/appointments/{booked.id}/reschedule", data={
        "csrf_token": csrf_from(opened), **booking(clinic_day(2), "11:00", physician, room, reason="later",
                                                   version_id=input_value(opened, "version_id"))})
    assert response.status_code == 302 and response.location == f"/appointments/{booked.id}"
    assert "Not moved: this appointment was cancelled" in words(client.get(response.location))
    moved = fresh(booked)
    assert moved.status == AppointmentStatus.CANCELLED and moved.starts_at == clinic_at(1, 10)
    assert "rescheduled" not in [c.change for c in moved.changes]


@pytest.mark.parametrize("status, why", [
    (AppointmentStatus.CHECKED_IN, "the patient checked in and is already here"),
    (AppointmentStatus.IN_PROCEDURE, "the procedure has started"),
    (AppointmentStatus.DONE, "this appointment is done, the injection was given"),
    (AppointmentStatus.NO_SHOW, "the patient did not come"),
])
def test_the_move_form_does_not_open_once_the_patient_is_here_or_the_day_is_over(
        client, coordinator, booked, status, why):
    booked.status = status
    db.session.commit()
    response = client.get(f"/appointments/{booked.id}/reschedule")
    assert response.status_code == 302 and response.location == f"/appointments/{booked.id}"
    assert f"Not moved: {why}" in words(client.get(response.location))


def test_moving_resets_the_day_of_check_and_the_override_and_keeps_the_rest(
        client, coordinator, physician, room, booked, gen):
    db.session.add(RiskScreen(case_id=booked.case_id, anticoagulants="apixaban", sedation_planned=True,
                              allergy_contrast=True, red_flags_screened=True))
    doctor = gen.user(Role.PHYSICIAN, name="Dr Override")
    for name in ("consent_obtained", "anticoagulant_plan_confirmed", "driver_arranged",
                 "contrast_premedication_sent", "day_of_check_done"):
        setattr(booked, name, True)
    booked.readiness_override_reason, booked.readiness_override_by_id = "Checked by phone today.", doctor.id
    db.session.commit()
    gen.verdict(booked.case)  # re-evaluated on the screened red flags: a stale verdict holds back a move
    assert move(client, booked, clinic_day(3), "09:00", physician, room).status_code == 302
    moved = fresh(booked)
    assert not moved.day_of_check_done
    assert moved.readiness_override_reason is None and moved.readiness_override_by_id is None
    assert (moved.consent_obtained, moved.anticoagulant_plan_confirmed, moved.driver_arranged,
            moved.contrast_premedication_sent) == (True, True, True, True)
    assert [c.change for c in moved.changes] == ["rescheduled", "readiness_reset"]
    page = words(client.get(f"/appointments/{booked.id}"))
    assert ("readiness reset · Casey Coordinator Reason: Moved: the day-of check and the physician's "
            "readiness override were for the old day and must be done again.") in page
    assert "Not ready" in page and "Still needed: day-of check" in page
    assert "Physician override" not in page


def test_moving_with_nothing_done_for_the_day_says_nothing_about_readiness(
        client, coordinator, physician, room, booked):
    booked.consent_obtained = True
    db.session.commit()
    move(client, booked, clinic_day(3), "09:00", physician, room)
    moved = fresh(booked)
    assert [c.change for c in moved.changes] == ["rescheduled"] and moved.consent_obtained


# ------------------------------------------------------------------ the case's physician

def physician_shown(client, case):
    term = soup(client.get(f"/cases/{case.id}")).find("dt", string="Physician")
    return words(term.find_next_sibling("dd"))


def timeline(client, case):
    return [words(li) for li in soup(client.get(f"/cases/{case.id}")).select("ol.timeline li")]


def test_booking_makes_the_appointments_physician_the_cases(client, coordinator, physician, room, gen):
    other = gen.user(Role.PHYSICIAN, name="Dr Referral Choice")
    assigned = gen.case(state=State.ELIGIBLE, physician_id=other.id, patient=gen.patient(family_name="Assigned"))
    assert physician_shown(client, assigned) == "Dr Referral Choice"
    assert submit(client, book_url(assigned), booking(clinic_day(1), "10:00", physician, room)).status_code == 302
    db.session.expire_all()
    assert db.session.get(Case, assigned.id).physician_id == physician.id
    assert physician_shown(client, assigned) == "Dr Priya Raman"
    [row] = [words(tr) for tr in soup(client.get("/cases/?q=Assigned")).find_all("tr") if "Assigned" in words(tr)]
    assert "Dr Priya Raman" in row and "Dr Referral Choice" not in row
    # Who changed the physician, from whom, to whom and why: on the timeline and in the audit trail.
    [entry] = db.session.execute(db.select(AuditEvent).filter_by(
        object_type="case", object_id=str(assigned.id), action=AuditAction.UPDATE)).scalars().all()
    assert entry.user_id == coordinator.id
    assert entry.summary == ("physician changed from Dr Referral Choice to Dr Priya Raman "
                             "(booked with Dr Priya Raman)")
    assert entry.changes == [{"field": "physician_id", "old": other.id, "new": physician.id}]
    [note] = [line for line in timeline(client, assigned) if "Case reassigned" in line]
    assert note.endswith("· Case reassigned · Casey Coordinator (coordinator) Physician changed from "
                         "Dr Referral Choice to Dr Priya Raman (booked with Dr Priya Raman).")
    assert any("Scheduled (from eligible)" in line for line in timeline(client, assigned))
    history = db.session.execute(db.select(CaseHistory).filter_by(
        case_id=assigned.id, action="physician_changed")).scalars().one()
    # A note: it moves the case nowhere.
    assert history.from_state == history.to_state == State.ELIGIBLE


def test_booking_with_the_cases_own_physician_or_an_unassigned_case_adds_no_reassignment(
        client, coordinator, physician, room, gen, case):
    own = gen.case(state=State.ELIGIBLE, physician_id=physician.id, patient=gen.patient(family_name="Own"))
    for booked_case, clock in ((own, "10:00"), (case, "11:00")):
        assert submit(client, book_url(booked_case), booking(clinic_day(1), clock, physician, room)).status_code == 302
        assert not [line for line in timeline(client, booked_case) if "reassigned" in line]
    # The unassigned case gets its physician, said in the audit trail.
    db.session.expire_all()
    assert db.session.get(Case, case.id).physician_id == physician.id
    [entry] = db.session.execute(db.select(AuditEvent).filter_by(
        object_type="case", object_id=str(case.id), action=AuditAction.UPDATE)).scalars().all()
    assert entry.summary == "physician set to Dr Priya Raman (booked with Dr Priya Raman)"


def physician_hint(page):
    return words(by_id(page, "physician_id-hint"))


def test_the_booking_page_says_before_booking_that_another_physician_takes_the_case_over(
        client, coordinator, physician, room, gen):
    ortega = gen.user(Role.PHYSICIAN, name="Dr Tomas Ortega")
    set_hours(ortega)
    silva = gen.case(state=State.ELIGIBLE, physician_id=ortega.id, patient=gen.patient(family_name="Silva"))
    page = text(client.get(book_url(silva)))
    assert physician_hint(page) == ("The case's physician is Dr Tomas Ortega. Choosing another physician "
                                    "reassigns the case to them (it moves to their list; the timeline records "
                                    "the change).")
    assert selected(page, "physician_id") == str(ortega.id)
    # A free slot of another physician chosen from the list ("Any physician"): said before booking.
    slot = f"{book_url(silva)}?date={clinic_day(1).isoformat()}&start=10:00&minutes=30&physician={physician.id}&room={room.id}"
    page = text(client.get(slot))
    hint = by_id(page, "physician_id-hint")
    assert hint.find("strong") is not None
    assert words(hint) == ("Not the case's physician: booking with Dr Priya Raman reassigns the case from "
                           "Dr Tomas Ortega to Dr Priya Raman (it leaves Dr Tomas Ortega's list for theirs; "
                           "the timeline records the change).")
    # Booked so: the case is Dr Raman's, and its timeline says who changed it, from whom and why.
    response = submit(client, book_url(silva), booking(clinic_day(1), "10:00", physician, room), form_page=slot)
    assert response.status_code == 302
    assert physician_shown(client, silva) == "Dr Priya Raman"
    assert [line.split(" · ", 1)[1] for line in timeline(client, silva) if "reassigned" in line] == [
        "Case reassigned · Casey Coordinator (coordinator) Physician changed from Dr Tomas Ortega to "
        "Dr Priya Raman (booked with Dr Priya Raman)."]


def test_an_unassigned_case_s_booking_page_says_it_gets_the_physician_booked(client, coordinator, case):
    page = text(client.get(book_url(case)))
    assert physician_hint(page) == "The case has no physician yet: it becomes the case of the physician it is booked with."


def test_moving_to_another_physician_makes_them_the_cases(client, coordinator, physician, room, booked, gen):
    colleague = gen.user(Role.PHYSICIAN, name="Dr Colleague")
    set_hours(colleague)
    booked.case.physician_id = physician.id
    db.session.commit()
    page = text(client.get(f"/appointments/{booked.id}/reschedule?physician={colleague.id}"))
    assert "Not the case's physician: booking with Dr Colleague reassigns the case" in physician_hint(page)
    assert move(client, booked, clinic_day(2), "09:00", colleague, room, reason="Dr Raman on leave").status_code == 302
    db.session.expire_all()
    assert db.session.get(Case, booked.case_id).physician_id == colleague.id
    assert physician_shown(client, booked.case) == "Dr Colleague"
    [entry] = db.session.execute(db.select(AuditEvent).filter_by(
        object_type="case", object_id=str(booked.case_id), action=AuditAction.UPDATE)).scalars().all()
    assert entry.summary == "physician changed from Dr Priya Raman to Dr Colleague (appointment moved to Dr Colleague)"
    assert [line.split(" · ", 1)[1] for line in timeline(client, booked.case) if "reassigned" in line] == [
        "Case reassigned · Casey Coordinator (coordinator) Physician changed from Dr Priya Raman to "
        "Dr Colleague (appointment moved to Dr Colleague). Reason for the move: Dr Raman on leave"]


def test_moving_with_the_same_physician_writes_no_physician_change(client, coordinator, physician, room, booked):
    booked.case.physician_id = physician.id
    db.session.commit()
    move(client, booked, clinic_day(2), "09:00", physician, room)
    assert db.session.execute(db.select(AuditEvent).filter_by(
        object_type="case", object_id=str(booked.case_id), action=AuditAction.UPDATE)).scalars().all() == []


# ------------------------------------------------------------------ cancel

def cancel(client, appointment, reason):
    return submit(client, f"/appointments/{appointment.id}/cancel",
                  {"version_id": str(appointment.version_id), "reason": reason},
                  form_page=f"/appointments/{appointment.id}")


def test_cancelling_an_appointment_needs_a_reason(client, coordinator, booked):
    response = cancel(client, booked, "")
    page = text(response)
    assert response.status_code == 422
    assert field_error(page, "reason") == "Give the reason for cancelling the appointment."
    assert fresh(booked).status == AppointmentStatus.BOOKED
    assert state_of(booked.case) == State.SCHEDULED


def test_cancelling_an_appointment_frees_the_slot_and_returns_the_case_to_eligible(
        client, coordinator, physician, room, booked, case):
    response = cancel(client, booked, "Patient has the flu")
    assert response.status_code == 302 and response.location == f"/cases/{booked.case_id}"
    cancelled = fresh(booked)
    assert cancelled.status == AppointmentStatus.CANCELLED
    assert cancelled.cancelled_reason == "Patient has the flu"
    assert state_of(booked.case) == State.ELIGIBLE
    page = words(client.get(f"/cases/{booked.case_id}"))
    assert "Eligible (from scheduled) · Casey Coordinator (coordinator)" in page
    assert "Reason: appointment cancelled: Patient has the flu" in page
    assert "Book appointment" in page
    # The freed slot can be booked by another case.
    again = submit(client, book_url(case), booking(clinic_day(1), "10:00", physician, room))
    assert again.status_code == 302


def test_a_cancelled_appointment_keeps_its_history(client, coordinator, booked):
    cancel(client, booked, "Patient has the flu")
    page = text(client.get(f"/appointments/{booked.id}"))
    assert "Cancelled" in page and "Reason: Patient has the flu" in page
    assert "Cancel appointment…" not in page


def test_cancelling_the_case_cancels_its_appointment_and_the_case_stays_cancelled(
        client, coordinator, physician, room, booked, case):
    scheduled = booked.case
    response = submit(client, f"/cases/{scheduled.id}/transition",
                      {"action": "cancel", "reason": "Patient moved away",
                       "version_id": str(scheduled.version_id)}, form_page=f"/cases/{scheduled.id}")
    assert response.status_code == 302
    assert state_of(scheduled) == State.CANCELLED
    appointment = fresh(booked)
    assert appointment.status == AppointmentStatus.CANCELLED
    assert "Patient moved away" in appointment.cancelled_reason
    page = words(client.get(f"/cases/{scheduled.id}"))
    assert "Cancelled (from scheduled)" in page
    assert "Eligible (from scheduled)" not in page
    assert "Appointment:" not in page
    # Its slot is free for another case.
    again = submit(client, book_url(case), booking(clinic_day(1), "10:00", physician, room))
    assert again.status_code == 302


def test_cancelling_the_case_of_a_patient_reached_by_phone_calls_says_to_call_them_not_that_they_are_sent_it(
        client, coordinator, physician, room, gen):
    """No message reaches a patient who prefers phone calls: the coordinator who cancels the case
    is told to call them, not that "the patient is sent the cancellation"."""
    patient = gen.patient(phone="+19735550142", email=None, preferred_contact=ContactChannel.PHONE)
    scheduled = gen.case(state=State.SCHEDULED, side=Side.LEFT, patient=patient)
    gen.appointment(scheduled, physician=physician, room=room, starts_at=clinic_at(1, 10))
    response = submit(client, f"/cases/{scheduled.id}/transition",
                      {"action": "cancel", "reason": "Patient declined by phone",
                       "version_id": str(scheduled.version_id)}, form_page=f"/cases/{scheduled.id}",
                      follow_redirects=True)
    page = words(response)
    assert state_of(scheduled) == State.CANCELLED
    assert "is cancelled with it;" in page
    assert "the patient is sent the cancellation" not in page
    assert "no message goes to the patient by itself: call them to tell them." in page


# ------------------------------------------------------------------ check-in

@pytest.fixture
def arriving(gen, physician, room):
    """A scheduled case whose appointment is today: it starts now, clinic time."""
    scheduled = gen.case(state=State.SCHEDULED, side=Side.LEFT, patient=gen.patient(family_name="Arriving"))
    return gen.appointment(scheduled, physician=physician, room=room,
                           starts_at=utcnow().replace(second=0, microsecond=0))


def check_in(client, appointment, **data):
    return submit(client, f"/appointments/{appointment.id}/check-in", data,
                  form_page=f"/appointments/{appointment.id}")


def test_the_coordinator_checks_a_patient_in_from_the_day_board(client, coordinator, arriving):
    board = f"/schedule/day?date={clinic_today().isoformat()}"
    page = client.get(board).get_data(as_text=True)
    assert f'action="/appointments/{arriving.id}/check-in"' in page
    back = input_value(page, "next")
    response = submit(client, f"/appointments/{arriving.id}/check-in", {"next": html.unescape(back)},
                      form_page=board)
    assert response.status_code == 302 and response.location == board
    after = text(client.get(board))
    assert "Arriving, Given" in after and "is checked in." in after
    assert '<span class="badge appt-checked_in">Checked in</span>' in after
    assert fresh(arriving).status == AppointmentStatus.CHECKED_IN
    assert fresh(arriving).checked_in_at is not None


def test_checking_in_twice_is_refused_with_a_message(client, coordinator, arriving):
    check_in(client, arriving)
    again = submit(client, f"/appointments/{arriving.id}/check-in", {}, form_page=f"/appointments/{arriving.id}",
                   follow_redirects=True)
    assert "Only a booked appointment can be checked in (this one is checked in)." in text(again)


@pytest.mark.parametrize("days_ahead", [1, -1])
def test_check_in_is_refused_on_any_other_day_than_the_appointments(
        client, coordinator, gen, physician, room, days_ahead):
    other_day = gen.appointment(gen.case(state=State.SCHEDULED), physician=physician, room=room,
                                starts_at=clinic_at(days_ahead, 10))
    page = text(client.get(f"/appointments/{other_day.id}"))
    assert "Check-in opens on the day of the appointment." in page
    assert f'action="/appointments/{other_day.id}/check-in"' not in page
    board = text(client.get(f"/schedule/day?date={clinic_day(days_ahead).isoformat()}"))
    assert "Check in" not in board
    response = check_in(client, other_day)
    assert response.location == f"/appointments/{other_day.id}"
    assert ("Check-in is only possible on the day of the appointment "
            f"({clinic_day(days_ahead).strftime('%A %d %B %Y')}).") in text(client.get(response.location))
    assert fresh(other_day).status == AppointmentStatus.BOOKED and fresh(other_day).checked_in_at is None


def test_the_day_is_the_clinics_not_utcs(client, coordinator, gen, physician, room):
    # 23:30 clinic time today is already tomorrow in UTC (New York is behind UTC).
    late = gen.appointment(gen.case(state=State.SCHEDULED), physician=physician, room=room,
                           starts_at=clinic_at(0, 23, 30))
    check_in(client, late)
    assert fresh(late).status == AppointmentStatus.CHECKED_IN


@pytest.mark.parametrize("status", [AppointmentStatus.CANCELLED, AppointmentStatus.NO_SHOW,
                                    AppointmentStatus.DONE])
def test_only_a_booked_appointment_can_be_checked_in(client, coordinator, gen, physician, room, status):
    ended = gen.appointment(gen.case(state=State.ELIGIBLE), physician=physician, room=room,
                            starts_at=utcnow().replace(second=0, microsecond=0), status=status,
                            cancelled_reason="patient called" if status == AppointmentStatus.CANCELLED else None)
    assert "Check in" not in text(client.get(f"/appointments/{ended.id}"))
    response = check_in(client, ended)
    assert (f"Only a booked appointment can be checked in (this one is {status.label.lower()})."
            in text(client.get(response.location)))
    assert fresh(ended).status == status


def test_a_physician_cannot_check_a_patient_in(make_client, physician, arriving):
    browser = make_client()
    sign_in(browser, physician)
    response = check_in(browser, arriving)
    assert response.status_code == 403
    assert fresh(arriving).status == AppointmentStatus.BOOKED
    assert "Check in" not in text(browser.get(f"/appointments/{arriving.id}"))


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/schedule/day", "/\\evil.example",
                                    "javascript:alert(1)", "schedule/day", "/schedule/day\r\nX: y"])
def test_the_check_in_goes_back_only_to_a_page_of_this_site(client, coordinator, arriving, target):
    response = check_in(client, arriving, next=target)
    assert response.location == f"/appointments/{arriving.id}"
    assert fresh(arriving).status == AppointmentStatus.CHECKED_IN


def test_the_check_in_goes_back_to_the_page_it_came_from(client, coordinator, arriving):
    response = check_in(client, arriving, next=f"/cases/{arriving.case_id}")
    assert response.location == f"/cases/{arriving.case_id}"


# ------------------------------------------------------------------ readiness

READY_BADGE = '<span class="badge state-eligible">Ready</span>'
NOT_READY_BADGE = '<span class="badge state-not_eligible">Not ready</span>'


def answered(appointment, **fields):
    """A risk screen for the appointment's case answering the questions readiness waits for (no blood
    thinner, no known allergy unless `fields` say otherwise)."""
    db.session.add(RiskScreen(case_id=appointment.case_id, **{"anticoagulant_answer": "none", "allergy_answer": "nkda",
                                                              "red_flags_screened": True, **fields}))
    db.session.commit()
    make_verdict(db.session.get(Case, appointment.case_id))  # evaluated with the risk screen as it is


def save_readiness(client, appointment, *ticked, version_id=None):
    data = {"version_id": str(version_id or appointment.version_id)}
    data.update({name: "y" for name in ticked})
    return submit(client, f"/appointments/{appointment.id}/readiness", data,
                  form_page=f"/appointments/{appointment.id}")


def test_readiness_items_save_and_the_badge_turns_ready(client, coordinator, booked):
    answered(booked)
    url = f"/appointments/{booked.id}"
    assert NOT_READY_BADGE in client.get(url).get_data(as_text=True)
    response = save_readiness(client, booked, "consent_obtained", "day_of_check_done")
    assert response.status_code == 302
    page = text(client.get(url))
    assert "Readiness saved." in page and READY_BADGE in page
    saved = fresh(booked)
    assert saved.consent_obtained and saved.day_of_check_done and not saved.driver_arranged


def test_a_sedated_anticoagulated_patient_is_not_ready_without_driver_and_hold_plan(
        client, coordinator, booked):
    answered(booked, anticoagulant_answer="taking", anticoagulants="apixaban", anticoagulant_hold_plan="Hold 2 days",
             sedation_planned=True)
    save_readiness(client, booked, "consent_obtained", "day_of_check_done")
    page = text(client.get(f"/appointments/{booked.id}"))
    assert NOT_READY_BADGE in page
    assert '<p class="readiness-summary">Still needed: anticoagulant plan, driver</p>' in page
    board = words(client.get(
        f"/schedule/day?date={clinic_day(1).isoformat()}"))
    assert "✗ Not ready Still needed: anticoagulant plan, driver" in board
    save_readiness(client, fresh(booked), "consent_obtained", "day_of_check_done",
                   "anticoagulant_plan_confirmed", "driver_arranged")
    assert READY_BADGE in client.get(f"/appointments/{booked.id}").get_data(as_text=True)


def test_readiness_says_why_an_item_is_not_needed_from_the_risk_screens_answers(client, coordinator, booked):
    url = f"/appointments/{booked.id}"
    page = words(client.get(url))
    assert "Anticoagulant hold plan confirmed not known yet (anticoagulants: not asked on the risk screen)" in page
    assert "premedication instructions sent not known yet (allergies: not asked on the risk screen)" in page

    db.session.add(RiskScreen(case_id=booked.case_id, anticoagulant_answer="none", allergy_answer="nkda",
                              red_flags_screened=True))
    db.session.commit()
    page = words(client.get(url))
    assert "Anticoagulant hold plan confirmed not needed for this patient (anticoagulants: none)" in page
    assert ("Contrast-allergy premedication instructions sent not needed for this patient "
            "(allergies: NKDA (no known allergies))") in page
    assert "n/a" not in page


def test_unticking_a_readiness_item_makes_the_patient_not_ready_again(client, coordinator, booked):
    save_readiness(client, booked, "consent_obtained", "day_of_check_done")
    save_readiness(client, fresh(booked), "consent_obtained")
    assert NOT_READY_BADGE in client.get(f"/appointments/{booked.id}").get_data(as_text=True)
    assert not fresh(booked).day_of_check_done


def test_the_procedure_cannot_start_until_the_required_items_are_done(client, coordinator, booked):
    answered(booked)
    case = db.session.get(Case, booked.case_id)
    with pytest.raises(TransitionRefused) as refusal:
        check(guard_facts(case), "start_procedure", Role.PHYSICIAN)
    assert "Not ready: consent obtained; day-of check: no fever or infection." in str(refusal.value)
    save_readiness(client, booked, "consent_obtained", "day_of_check_done")
    db.session.expire_all()
    assert check(guard_facts(db.session.get(Case, booked.case_id)), "start_procedure", Role.PHYSICIAN).action \
        == "start_procedure"


def override(browser, appointment, reason):
    return submit(browser, f"/appointments/{appointment.id}/readiness-override",
                  {"version_id": str(appointment.version_id), "reason": reason},
                  form_page=f"/appointments/{appointment.id}")


def test_a_physician_override_lets_the_procedure_start_and_is_shown(make_client, physician, booked):
    browser = make_client()
    sign_in(browser, physician)
    response = override(browser, booked, "Consent signed on paper, scanned tomorrow.")
    assert response.status_code == 302
    page = text(browser.get(f"/appointments/{booked.id}"))
    assert "Readiness override recorded." in page
    [row] = [c for c in fresh(booked).changes if c.change == "readiness_override"]
    assert row.actor_id == physician.id and row.reason == "Consent signed on paper, scanned tomorrow."
    when = to_clinic(row.at).strftime("%Y-%m-%d %H:%M")
    plain = words(page)
    assert '<span class="badge state-eligible">Ready by physician override</span>' in page
    assert f"Physician override by Dr Priya Raman, {when}: “Consent signed on paper, scanned tomorrow.”" in plain
    assert "readiness override · Dr Priya Raman Reason: Consent signed on paper, scanned tomorrow." in plain
    board = words(browser.get(
        f"/schedule/day?date={clinic_day(1).isoformat()}"))
    assert f"✓ Ready by physician override Dr Priya Raman, {when}" in board
    mine = words(browser.get(
        f"/schedule/mine?date={clinic_day(1).isoformat()}"))
    assert f"✓ Ready by physician override Dr Priya Raman, {when}" in mine
    db.session.expire_all()
    assert check(guard_facts(db.session.get(Case, booked.case_id)), "start_procedure", Role.PHYSICIAN)
    assert fresh(booked).readiness_override_by_id == physician.id


def test_a_patient_ready_item_by_item_is_just_ready_even_after_an_override(make_client, physician, booked):
    answered(booked)
    browser = make_client()
    sign_in(browser, physician)
    override(browser, booked, "Consent signed on paper, scanned tomorrow.")
    save_readiness(browser, fresh(booked), "consent_obtained", "day_of_check_done")
    page = text(browser.get(f"/appointments/{booked.id}"))
    assert READY_BADGE in page and "Ready by physician override" not in page


def test_an_override_needs_a_reason_of_some_length(make_client, physician, booked):
    browser = make_client()
    sign_in(browser, physician)
    response = override(browser, booked, "ok")
    assert response.status_code == 422
    assert field_error(text(response), "override-reason") == "Write the reason in at least 10 characters."
    assert fresh(booked).readiness_override_reason is None
    db.session.expire_all()
    with pytest.raises(TransitionRefused):
        check(guard_facts(db.session.get(Case, booked.case_id)), "start_procedure", Role.PHYSICIAN)


def test_a_coordinator_cannot_record_a_readiness_override(client, coordinator, booked):
    response = override(client, booked, "Coordinator thinks it is fine anyway.")
    assert response.status_code == 403
    assert fresh(booked).readiness_override_reason is None
    assert "Go ahead without every item" not in text(client.get(f"/appointments/{booked.id}"))


@pytest.mark.parametrize("status", [AppointmentStatus.CANCELLED, AppointmentStatus.NO_SHOW,
                                    AppointmentStatus.DONE])
def test_readiness_cannot_change_on_an_appointment_no_longer_active(
        client, coordinator, gen, physician, room, status):
    ended = gen.appointment(gen.case(state=State.ELIGIBLE), physician=physician, room=room,
                            starts_at=clinic_at(-1, 10), status=status, consent_obtained=True,
                            cancelled_reason="patient called" if status == AppointmentStatus.CANCELLED else None)
    page = text(client.get(f"/appointments/{ended.id}"))
    assert "<fieldset disabled>" in page and 'value="Save readiness"' not in page
    assert f"Readiness cannot change on a {status.label.lower()} appointment." in page
    # It can no longer happen: no "Not ready / Still needed: day-of check" to chase.
    assert "Not ready" not in page and "Still needed" not in page
    response = save_readiness(client, ended, "day_of_check_done")
    assert response.status_code == 409
    assert f"Readiness cannot change on a {status.label.lower()} appointment." in text(response)
    after = fresh(ended)
    assert after.consent_obtained and not after.day_of_check_done


def test_no_override_on_an_appointment_no_longer_active(make_client, gen, physician, room):
    ended = gen.appointment(gen.case(state=State.ELIGIBLE), physician=physician, room=room,
                            starts_at=clinic_at(-1, 10), status=AppointmentStatus.NO_SHOW)
    browser = make_client()
    sign_in(browser, physician)
    assert "Go ahead without every item" not in text(browser.get(f"/appointments/{ended.id}"))
    response = override(browser, ended, "Consent signed on paper, scanned tomorrow.")
    assert response.status_code == 409
    assert "Readiness cannot change on a no-show appointment." in text(response)
    assert fresh(ended).readiness_override_reason is None


# ------------------------------------------------------------------ stale edits

def test_a_readiness_save_from_an_old_page_is_refused(client, coordinator, booked):
    old_version = booked.version_id
    save_readiness(client, booked, "consent_obtained")
    response = save_readiness(client, fresh(booked), "day_of_check_done", version_id=old_version)
    assert response.status_code == 409
    assert "changed by someone else" in text(response)
    saved = fresh(booked)
    assert saved.consent_obtained and not saved.day_of_check_done


def test_a_move_from_an_old_page_is_refused(client, coordinator, physician, room, booked):
    old_version = booked.version_id
    save_readiness(client, booked, "consent_obtained")
    response = submit(client, f"/appointments/{booked.id}/reschedule",
                      booking(clinic_day(1), "14:00", physician, room, reason="later",
                              version_id=str(old_version)))
    assert "changed by someone else" in text(response)
    assert fresh(booked).starts_at == clinic_at(1, 10)


def test_a_cancel_from_an_old_page_is_refused(client, coordinator, booked):
    old_version = booked.version_id
    save_readiness(client, booked, "consent_obtained")
    response = submit(client, f"/appointments/{booked.id}/cancel",
                      {"version_id": str(old_version), "reason": "Patient has the flu"},
                      form_page=f"/appointments/{booked.id}")
    assert response.status_code == 409
    assert "changed by someone else" in text(response) and "Patient has the flu" in text(response)
    assert fresh(booked).status == AppointmentStatus.BOOKED
    assert state_of(booked.case) == State.SCHEDULED


def test_the_readiness_override_box_has_its_own_label_and_error_link_on_the_appointment_page(
        make_client, physician, booked):
    """The appointment page holds two reason boxes, *Cancel appointment* and *Go ahead without every
    item*: each has its own id, so the override's label names the override's box (a tap on it, a
    screen reader) and a refused override's "please correct" link leads to it, not to the closed
    cancel box above."""
    browser = make_client()
    sign_in(browser, physician)
    response = override(browser, booked, "short")
    page = soup(text(response))
    override_form = page.find("form", action=f"/appointments/{booked.id}/readiness-override")
    box = override_form.find("textarea")
    ids = [tag["id"] for tag in page.find_all(["input", "textarea", "select"], id=True)
           if tag.get("type") not in ("hidden", "submit")]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    [label] = [tag for tag in page.find_all("label") if "Why the procedure may go ahead" in tag.get_text()]
    assert label["for"] == box["id"]
    assert [a["href"] for a in page.find(id="form-errors").find_all("a")] == [f"#{box['id']}"]


def test_an_override_from_an_old_page_is_refused(make_client, physician, booked):
    browser = make_client()
    sign_in(browser, physician)
    old_version = booked.version_id
    save_readiness(browser, booked, "consent_obtained")
    response = submit(browser, f"/appointments/{booked.id}/readiness-override",
                      {"version_id": str(old_version), "reason": "Consent signed on paper yesterday."},
                      form_page=f"/appointments/{booked.id}")
    assert "changed by someone else" in text(response)
    assert fresh(booked).readiness_override_reason is None


# ------------------------------------------------------------------ refusals say what happened

def _open_then(client, appointment, change):
    """The appointment page as the coordinator opened it; `change` happens before they press Cancel."""
    page = text(client.get(f"/appointments/{appointment.id}"))
    change(fresh(appointment))
    db.session.commit()
    return client.post(f"/appointments/{appointment.id}/cancel", data={
        "csrf_token": csrf_from(page), "version_id": input_value(page, "version_id"),
        "reason": "Patient has the flu"})


def test_cancelling_an_appointment_done_meanwhile_says_it_is_done_not_that_someone_changed_it(
        client, coordinator, booked):
    def done(appointment):
        appointment.status = AppointmentStatus.DONE

    response = _open_then(client, booked, done)
    assert response.status_code == 302 and response.location == f"/appointments/{booked.id}"
    page = words(client.get(response.location))
    assert ("Not cancelled: this appointment is done, the injection was given and its procedure record "
            "signed. A done appointment stays in the record as it happened; nothing was changed.") in page
    assert "changed by someone else" not in page
    assert fresh(booked).status == AppointmentStatus.DONE


def test_cancelling_an_appointment_cancelled_meanwhile_says_by_whom_and_why(client, coordinator, booked, gen):
    colleague = gen.user(Role.COORDINATOR, name="Dana Desk")

    def cancelled(appointment):
        appointment.status, appointment.cancelled_reason = AppointmentStatus.CANCELLED, "Clinic closed"
        appointment.changes.append(AppointmentChange(actor_id=colleague.id, change="cancelled",
                                                     reason="Clinic closed"))

    page = words(client.get(_open_then(client, booked, cancelled).location))
    assert "Not cancelled again: this appointment was already cancelled on " in page
    assert "by Dana Desk: Clinic closed." in page


def test_a_free_slot_search_from_a_past_day_starts_today_and_says_so(client, coordinator, physician, room, case):
    # 20 days ago: a two-week search from that day would end before today and find nothing.
    past = clinic_today() - timedelta(days=20)
    page = text(client.get(f"{book_url(case)}?from_date={past.isoformat()}"))
    assert words(by_id(page, "from_date-hint")) == (
        f"{past.isoformat()} has passed: the free slots below start today, {clinic_today().isoformat()}.")
    assert input_value(page, "from_date") == clinic_today().isoformat()
    assert field_error(page, "from_date") is None
    days = [d for d, *_ in offered_slots(page)]
    assert days and min(days) >= clinic_today().isoformat()


def test_a_free_slot_search_from_today_says_nothing_more(client, coordinator, physician, room, case):
    page = text(client.get(f"{book_url(case)}?from_date={clinic_today().isoformat()}"))
    assert soup(page).find(id="from_date-hint") is None


def test_on_an_eligible_case_booking_comes_before_reopening_or_cancelling(client, coordinator, case):
    """The next step of an eligible case is its booking: the link comes first, the moves back and
    the cancelling (each asking a reason) after it."""
    page = text(client.get(f"/cases/{case.id}"))
    section = soup(page).find("section", attrs={"aria-labelledby": "next-step"})
    controls = [" ".join(tag.get_text().split()) for tag in section.find_all(["a", "summary", "button"])
                if tag.name != "button" or tag.find_parent("details") is None]

    assert controls[0] == "Book appointment", controls
    assert any(label.startswith("Cancel case") for label in controls[1:])


def test_the_patients_other_appointments_that_day_are_listed_in_time_order(client, coordinator, physician, room, case,
                                                                           gen):
    """Booked 16:00 first, then 14:00: the warning reads them in time order, whatever order the
    database returns them in (PostgreSQL's varied, and the warning's digest, what the coordinator
    ticked, changed with it: a CI run refused a tick as 'the warnings changed')."""
    other_room = gen.room(name="Suite B")
    for hour in (16, 14):
        gen.appointment(gen.case(patient=case.patient, state=State.SCHEDULED), physician=gen.user(Role.PHYSICIAN),
                        room=other_room, starts_at=clinic_at(1, hour))
    shown = text(submit(client, book_url(case), booking(clinic_day(1), "10:00", physician, room)))
    assert "The patient already has an appointment that day (14:00, 16:00)." in shown

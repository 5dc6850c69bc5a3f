"""Closures: days the whole clinic is closed (Christmas Day) or one physician is on leave. The admin
adds, lists and removes them; the free slots skip them; a booking or a move onto one warns and needs
the acknowledgement; appointments already booked in a new closure are named to the admin and flagged
on the appointment page and the day board."""
from datetime import date, time, timedelta

import pytest

from tracker.extensions import db
from tracker.models import Appointment, AuditEvent, Closure
from tracker.roles import Role
from tracker.timeutil import clinic_today
from tracker.vocab import Side
from tracker.workflow import State

from tests.builders import clinic_at, clinic_day
from tests.functional.test_booking import (acknowledging, appointments_of, book_url, booking, offered_slots,
                                           set_hours)
from tests.helpers import by_id, csrf_from, field_error, input_value, selected, sign_in, soup, submit, table_rows, text, words


def next_christmas():
    """25 December ahead (this year's, or next year's once it has passed)."""
    today = clinic_today()
    christmas = date(today.year, 12, 25)
    return christmas if christmas > today else date(today.year + 1, 12, 25)


def said(day):
    return f"{day:%A}, {day:%B} {day.day}, {day.year}"


def closure(first, last=None, reason="Christmas Day", physician=None, by=None):
    """Added as the admin's form adds it (the service), not through a page."""
    from tracker.scheduling import resources

    return resources.create_closure({"first_day": first, "last_day": last or first, "reason": reason,
                                     "physician_id": physician.id if physician else None}, by)


def closures():
    db.session.expire_all()
    return db.session.execute(db.select(Closure).order_by(Closure.first_day)).scalars().all()


def adding(first, last, reason, physician=None):
    return {"first_day": first if isinstance(first, str) else first.isoformat(),
            "last_day": last if isinstance(last, str) else last.isoformat(), "reason": reason,
            "physician_id": str(physician.id) if physician else ""}


@pytest.fixture
def raman(physician):
    """Dr Priya Raman, working every day 08:00-17:00."""
    set_hours(physician)
    return physician


@pytest.fixture
def ortega(gen):
    doctor = gen.user(Role.PHYSICIAN, name="Dr Tomas Ortega")
    set_hours(doctor)
    return doctor


@pytest.fixture
def room(gen):
    return gen.room(name="Fluoro Suite 1")


@pytest.fixture
def case(gen):
    return gen.case(state=State.ELIGIBLE, side=Side.RIGHT, patient=gen.patient(family_name="Fischer",
                                                                             given_name="Lena"))


@pytest.fixture
def admin_account(gen):
    return gen.user(Role.ADMIN, name="Ada Admin")


# ------------------------------------------------------------------ the admin's page

def test_the_admin_adds_a_clinic_closure_and_a_physicians_leave_and_sees_them_upcoming_first(
        admin_client, admin_account, raman):
    christmas = next_christmas()
    response = submit(admin_client, "/admin/closures", adding(christmas, christmas, "Christmas Day"))
    assert response.status_code == 302 and response.location == "/admin/closures"
    leave_from = clinic_day(3)
    submit(admin_client, "/admin/closures", adding(leave_from, leave_from + timedelta(days=4), "Dr Raman on leave",
                                                   raman))
    closure(clinic_day(-30), reason="Staff training", by=admin_account)  # a past one: listed last

    page = text(admin_client.get("/admin/closures"))
    rows = [" ".join(row[:3]) for row in table_rows(soup(page).find("section", attrs={"aria-labelledby": "closures-h"}))]
    assert rows == [
        f"{leave_from.isoformat()} to {(leave_from + timedelta(days=4)).isoformat()} Dr Raman on leave "
        f"Dr Priya Raman (leave)",
        f"{christmas.isoformat()} Christmas Day The whole clinic",
        f"{clinic_day(-30).isoformat()} (past) Staff training The whole clinic",
    ]
    trail = db.session.execute(db.select(AuditEvent.summary).filter_by(object_type="closure")
                               .order_by(AuditEvent.id)).scalars().all()
    assert trail[:2] == [f"closure added: {christmas.isoformat()} (Christmas Day), whole clinic",
                         f"closure added: {leave_from.isoformat()} to {(leave_from + timedelta(days=4)).isoformat()} "
                         f"(Dr Raman on leave), Dr Priya Raman"]


def test_the_admin_is_told_the_closure_was_added(admin_client, admin_account):
    christmas = next_christmas()
    page = text(submit(admin_client, "/admin/closures", adding(christmas, christmas, "Christmas Day"),
                       follow_redirects=True))
    assert f"Closure added: {christmas.isoformat()} (Christmas Day), whole clinic." in page


def test_the_admin_removes_a_closure_with_an_audit_row(admin_client, admin_account):
    christmas = next_christmas()
    added = closure(christmas, by=admin_account)
    response = submit(admin_client, f"/admin/closures/{added.id}/remove", {}, form_page="/admin/closures",
                      follow_redirects=True)
    assert f"Closure removed: {christmas.isoformat()} (Christmas Day), whole clinic." in text(response)
    assert closures() == []
    assert db.session.execute(db.select(AuditEvent.summary).filter_by(object_type="closure")
                              .order_by(AuditEvent.id.desc())).scalars().first() == \
        f"closure removed: {christmas.isoformat()} (Christmas Day), whole clinic"


def test_a_removal_without_the_forms_token_removes_nothing(admin_client, admin_account):
    added = closure(next_christmas(), by=admin_account)
    response = admin_client.post(f"/admin/closures/{added.id}/remove", data={})
    assert response.status_code in (302, 400)
    assert [c.id for c in closures()] == [added.id]


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.PHYSICIAN, Role.PATIENT, None],
                         ids=["coordinator", "physician", "patient", "anonymous"])
def test_only_an_admin_may_see_add_or_remove_closures(make_client, gen, admin_account, role):
    added = closure(next_christmas(), by=admin_account)
    browser = make_client()
    if role is not None:
        user = gen.user(role, patient=gen.patient() if role == Role.PATIENT else None)
        assert sign_in(browser, user).status_code == 302
    token = csrf_from(browser.get("/account/password" if role else "/sign-in").get_data(as_text=True))
    answers = [browser.get("/admin/closures"),
               browser.post("/admin/closures", data={"csrf_token": token, **adding(clinic_day(2), clinic_day(2), "x")}),
               browser.post(f"/admin/closures/{added.id}/remove", data={"csrf_token": token})]
    for answer in answers:
        if role is None:
            assert answer.status_code == 302 and answer.location.startswith("/sign-in")
        else:
            assert answer.status_code == 403
    assert [c.id for c in closures()] == [added.id]


@pytest.mark.parametrize("first, last, reason, field, message", [
    ("2026-12-28", "2026-12-24", "Christmas week",
     "last_day", "The last day (2026-12-24) is before the first day (2026-12-28); check the two dates."),
    ("2026-12-24", "2027-12-25", "Christmas",
     "last_day", "From 2026-12-24 to 2027-12-25 is 367 days; a closure lasts at most 366 days. Check the year of "
                 "each date."),
    ("2026-12-25", "2026-12-25", "   ",
     "reason", 'Give the reason, e.g. "Christmas Day" or "Dr Raman on leave".'),
    ("2026-12-25", "", "Christmas Day", "last_day", "Enter the last day closed (the first day again for one day)."),
    ("2026-13-25", "2026-12-25", "Christmas Day", "first_day", None),
])
def test_bad_input_is_named_next_to_its_field_and_everything_typed_is_kept(
        admin_client, raman, first, last, reason, field, message):
    response = submit(admin_client, "/admin/closures", adding(first, last, reason, raman))
    page = text(response)
    assert response.status_code == 422
    if message:
        assert field_error(page, field) == message
    else:
        assert field_error(page, field)
    assert (input_value(page, "first_day"), input_value(page, "last_day"), input_value(page, "reason")) == \
        (first, last, reason)
    assert selected(page, "physician_id") == str(raman.id)
    assert closures() == []


def test_every_refused_field_is_named_at_once(admin_client):
    page = text(submit(admin_client, "/admin/closures", adding("2026-12-28", "2026-12-24", "")))
    assert field_error(page, "reason") and field_error(page, "last_day")


# ------------------------------------------------------------------ booking

def test_christmas_day_is_not_offered_in_the_free_slots(client, coordinator, admin_account, gen, room, case):
    doctor = gen.user(Role.PHYSICIAN, name="Dr Early")
    set_hours(doctor, time(9), time(10))  # three slots a day: the list of ten runs over four days
    christmas = next_christmas()
    closure(christmas, by=admin_account)
    eve, boxing_day = christmas - timedelta(days=1), christmas + timedelta(days=1)

    page = text(client.get(f"{book_url(case)}?from_date={eve.isoformat()}&physician={doctor.id}"))

    days = [day for day, _, _, _ in offered_slots(page)]
    assert sorted(set(days)) == [(eve + timedelta(days=n)).isoformat() for n in (0, 2, 3, 4)]
    assert christmas.isoformat() not in days and boxing_day.isoformat() in days


def test_booking_christmas_day_warns_and_needs_the_acknowledgement(client, coordinator, admin_account, raman, room,
                                                                  case):
    christmas = next_christmas()
    closure(christmas, by=admin_account)
    data = booking(christmas, "10:00", raman, room)

    first = submit(client, book_url(case), data)

    warning = f"The clinic is closed on {said(christmas)} (Christmas Day)."
    assert first.status_code == 409 and warning in text(first)
    assert appointments_of(case) == []
    second = submit(client, book_url(case), acknowledging(text(first), data))
    assert second.status_code == 302
    [appointment] = appointments_of(case)
    assert warning in appointment.acknowledged_warnings


def test_a_physicians_leave_closes_their_days_only(client, coordinator, admin_account, raman, ortega, room, case):
    day = clinic_day(2)
    closure(day, day + timedelta(days=2), reason="Annual leave", physician=raman, by=admin_account)

    page = text(client.get(f"{book_url(case)}?from_date={day.isoformat()}&physician="))
    offered = {(d, physician) for d, _, physician, _ in offered_slots(page)}
    assert offered == {(day.isoformat(), ortega.id)}
    raman_page = text(client.get(f"{book_url(case)}?from_date={day.isoformat()}&physician={raman.id}"))
    assert {d for d, _, _, _ in offered_slots(raman_page)} == {(day + timedelta(days=3)).isoformat()}

    refused = submit(client, book_url(case), booking(day, "10:00", raman, room))
    assert refused.status_code == 409
    assert (f"Dr Priya Raman is on leave on {said(day)} (Annual leave, {day.day} {day:%B %Y} to "
            f"{(day + timedelta(days=2)).day} {day + timedelta(days=2):%B %Y}).") in text(refused)
    booked = submit(client, book_url(case), booking(day, "10:00", ortega, room))
    assert booked.status_code == 302, "Dr Ortega works that day: nothing to acknowledge"


def test_moving_an_appointment_onto_a_closed_day_warns(client, coordinator, admin_account, gen, raman, room):
    christmas = next_christmas()
    closure(christmas, by=admin_account)
    scheduled = gen.case(state=State.SCHEDULED, side=Side.LEFT)
    appointment = gen.appointment(scheduled, physician=raman, room=room, starts_at=clinic_at(1, 10))
    url = f"/appointments/{appointment.id}/reschedule"
    data = {**booking(christmas, "10:00", raman, room), "version_id": str(appointment.version_id),
            "reason": "Patient asked"}
    first = submit(client, url, data)
    assert first.status_code == 409
    assert f"The clinic is closed on {said(christmas)} (Christmas Day)." in text(first)
    db.session.expire_all()
    assert db.session.get(Appointment, appointment.id).starts_at == clinic_at(1, 10)


# ------------------------------------------------------------------ appointments already booked

def test_appointments_already_booked_in_a_new_closure_are_named_to_the_admin_and_flagged(
        client, coordinator, admin_client, gen, raman, room):
    day = clinic_day(2)
    scheduled = gen.case(state=State.SCHEDULED, side=Side.LEFT)
    inside = gen.appointment(scheduled, physician=raman, room=room, starts_at=clinic_at(2, 10))
    elsewhere = gen.appointment(gen.case(state=State.SCHEDULED), physician=raman, room=room,
                                starts_at=clinic_at(3, 10))

    answer = text(submit(admin_client, "/admin/closures", adding(day, day, "Burst pipe"), follow_redirects=True))

    assert (f"1 appointment is booked in this closure: {day:%a %d %b %Y} 10:00, Dr Priya Raman, Fluoro Suite 1. "
            f"Ask a coordinator to move them") in answer
    assert scheduled.patient.family_name not in answer
    flag = f"The clinic is closed on {said(day)} (Burst pipe). Move this appointment to another day."
    assert words(by_id(text(client.get(f"/appointments/{inside.id}")), "closed-day")) == flag
    assert "closed-day" not in text(client.get(f"/appointments/{elsewhere.id}"))
    board = soup(text(client.get(f"/schedule/day?date={day.isoformat()}")))
    assert [words(tag) for tag in board.find_all(class_="closed-day")] == [flag]


def test_a_leave_flags_only_that_physicians_appointments(client, coordinator, admin_account, gen, raman, ortega,
                                                        room):
    day = clinic_day(2)
    mine = gen.appointment(gen.case(state=State.SCHEDULED), physician=raman, room=room, starts_at=clinic_at(2, 10))
    theirs = gen.appointment(gen.case(state=State.SCHEDULED), physician=ortega, room=room,
                             starts_at=clinic_at(2, 11))
    closure(day, reason="Annual leave", physician=raman, by=admin_account)
    assert "is on leave" in words(by_id(text(client.get(f"/appointments/{mine.id}")), "closed-day"))
    assert "closed-day" not in text(client.get(f"/appointments/{theirs.id}"))


def test_the_first_day_to_book_from_skips_a_clinic_closure(app, admin_account):
    from tracker.scheduling.rules import first_clinic_day
    from tracker.scheduling.services import clinic_closed, clinic_weekdays

    christmas = next_christmas()
    closure(christmas, christmas + timedelta(days=1), reason="Christmas", by=admin_account)
    assert first_clinic_day(christmas, clinic_weekdays(), clinic_closed()) == christmas + timedelta(days=2)


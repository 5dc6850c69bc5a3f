"""The admin's rooms (add, edit, take out of use) and each physician's working hours per weekday,
and how both drive what the coordinator can book."""
from datetime import datetime, time, timedelta, timezone
from urllib.parse import parse_qs, urlparse

import pytest

from tracker.extensions import db
from tracker.models import AuditEvent, Room, WorkingHours
from tracker.roles import Role
from tracker.scheduling import resources
from tracker.timeutil import clinic_day_start, clinic_today, format_clinic
from tracker.vocab import WEEKDAYS, AppointmentStatus, Modality
from tracker.workflow import State

from tests.builders import commit_elsewhere
from tests.helpers import (by_id, csrf_from, field_error, input_value, links, sign_in, soup, submit, table_rows,
                           text, words)


def rooms_table(page):
    return [" ".join(cells) for cells in table_rows(page)]


def all_rooms():
    db.session.expire_all()
    return db.session.execute(db.select(Room).order_by(Room.id)).scalars().all()


def hours_of(physician):
    db.session.expire_all()
    return {h.weekday: (h.starts, h.ends) for h in db.session.execute(
        db.select(WorkingHours).filter_by(physician_id=physician.id)).scalars()}


def add_room(client, name, modality="fluoroscopy", location="", active="y"):
    """As the browser sends it: the "In use" box is ticked by default."""
    data = {"name": name, "modality": modality, "location": location, "active": active}
    return submit(client, "/admin/rooms", {k: v for k, v in data.items() if v is not None})


def edit_room(client, room, **changes):
    data = {"version_id": str(room.version_id), "name": room.name, "modality": room.modality.value,
            "location": room.location, "location_es": room.location_es, "active": "y" if room.active else None}
    data.update(changes)
    return submit(client, f"/admin/rooms/{room.id}", {k: v for k, v in data.items() if v is not None})


# ------------------------------------------------------------------ rooms

def test_the_admin_adds_a_room_and_sees_it_listed(client, admin):
    response = add_room(client, "Fluoro Suite 1", location="Level 2, Imaging, desk B")
    assert response.status_code == 302 and response.location == "/admin/rooms"
    page = text(client.get("/admin/rooms"))
    assert "Room Fluoro Suite 1 added." in page
    [room] = all_rooms()
    assert room.modality == Modality.FLUOROSCOPY
    assert db.session.execute(db.select(AuditEvent).filter_by(object_type="room")).scalars().first()
    assert room.active, NEW_ROOM_INACTIVE
    assert rooms_table(page) == ["Fluoro Suite 1 Level 2, Imaging, desk B Fluoroscopy In use"]


def test_a_room_has_its_location_in_spanish_for_patients_who_read_spanish(
        client, admin, gen, make_client, reminder_outbox):
    from icalendar import Calendar

    from tracker.scheduling import reminders
    from tests.builders import clinic_at
    add_room(client, "Fluoro Suite 1", location="Imaging department, level 2")
    [room] = all_rooms()
    response = edit_room(client, room, location_es="Departamento de radiología, planta 2")
    assert response.status_code == 302
    [room] = all_rooms()
    assert room.location_es == "Departamento de radiología, planta 2"
    assert input_value(client.get(f"/admin/rooms/{room.id}"), "location_es") == "Departamento de radiología, planta 2"

    def booked_for(language, email):
        user = gen.user(Role.PATIENT, patient=gen.patient(language=language, email=email))
        case = gen.case(patient=user.patient, state=State.SCHEDULED)
        return user, gen.appointment(case, room=room, starts_at=clinic_at(1, 10))

    ana, hers = booked_for("Spanish", "ana@example.org")
    grace, _ = booked_for("English", "grace@example.org")
    for user, expected, other in ((ana, "Departamento de radiología, planta 2", "Imaging department"),
                                  (grace, "Imaging department, level 2", "Departamento")):
        patient = make_client()
        sign_in(patient, user)
        mine = words(text(patient.get(f"/my/cases/{user.patient.cases[0].id}")))
        assert expected in mine and other not in mine
    reminders.send_due()
    [(_, _, body, [(_, _, ics)])] = [m for m in reminder_outbox if m[0] == "ana@example.org"]
    assert "Departamento de radiología, planta 2" in body
    [event] = Calendar.from_ical(ics).walk("VEVENT")
    assert str(event["location"]).endswith("Departamento de radiología, planta 2")
    [(_, _, english, _)] = [m for m in reminder_outbox if m[0] == "grace@example.org"]
    assert "Imaging department, level 2" in english and "Departamento" not in english


NEW_ROOM_INACTIVE = (
    "a room added on /admin/rooms is saved as 'Not in use': the add form in templates/admin/rooms.html "
    "does not render RoomForm.active, so the unchecked BooleanField posts False and "
    "RoomForm.values() passes active=False to resources.create_room")


def test_a_newly_added_room_can_be_booked(client, admin, gen, make_client):
    add_room(client, "Fresh Suite")
    coordinator = make_client()
    sign_in(coordinator, gen.user(Role.COORDINATOR))
    case = gen.case(state=State.ELIGIBLE)
    page = text(coordinator.get(f"/cases/{case.id}/book"))
    room_select = words(soup(page).find("select", attrs={"name": "room_id"}))
    assert "Fresh Suite" in room_select, NEW_ROOM_INACTIVE


def test_a_ct_room_is_recorded_as_ct(client, admin):
    add_room(client, "CT 1", modality="ct")
    assert all_rooms()[0].modality == Modality.CT
    assert rooms_table(text(client.get("/admin/rooms")))[0].startswith("CT 1 CT ")


def test_a_duplicate_room_name_is_refused_next_to_the_name(client, admin, gen):
    gen.room(name="Fluoro Suite 1")
    response = add_room(client, "  fluoro suite 1 ")
    page = text(response)
    assert response.status_code == 422
    assert field_error(page, "name") == "Another room already has this name."
    assert len(all_rooms()) == 1


def test_a_room_name_differing_only_in_spaces_inside_it_is_the_same_name(client, admin, gen):
    # "Fluoro  Suite 1" (two spaces) was added: two rooms read "Fluoro Suite 1" on every page.
    gen.room(name="Fluoro Suite 1")
    response = add_room(client, "Fluoro  Suite 1")
    assert response.status_code == 422
    assert field_error(text(response), "name") == "Another room already has this name."
    add_room(client, "CT   Room")
    assert sorted(r.name for r in all_rooms()) == ["CT Room", "Fluoro Suite 1"]


def test_a_room_needs_a_name(client, admin):
    response = add_room(client, "")
    assert field_error(text(response), "name") == "Give the room a name."
    assert all_rooms() == []


def test_the_admin_renames_a_room_and_changes_where_the_patient_goes(client, admin, gen):
    room = gen.room(name="Suite A", location="Level 1")
    response = edit_room(client, room, name="Suite Alpha", location="Level 3, desk C")
    assert response.status_code == 302
    [saved] = all_rooms()
    assert (saved.name, saved.location, saved.active) == ("Suite Alpha", "Level 3, desk C", True)
    assert "Suite Alpha" in text(client.get("/admin/rooms"))


def test_renaming_a_room_to_another_rooms_name_is_refused(client, admin, gen):
    gen.room(name="Suite A")
    other = gen.room(name="Suite B")
    response = edit_room(client, other, name="SUITE A")
    assert response.status_code == 422
    assert field_error(text(response), "name") == "Another room already has this name."
    assert [r.name for r in all_rooms()] == ["Suite A", "Suite B"]


def test_keeping_a_rooms_own_name_is_not_a_duplicate(client, admin, gen):
    room = gen.room(name="Suite A")
    assert edit_room(client, room, location="Basement").status_code == 302


def _name_taken_elsewhere_after_the_check(monkeypatch, name):
    """Another admin saves a room called `name` between this request's name check and its save."""
    check = resources._check_name_free

    def check_then_someone_else_saves(*args):
        check(*args)
        commit_elsewhere(Room(name=name))

    monkeypatch.setattr(resources, "_check_name_free", check_then_someone_else_saves)


def test_a_room_name_taken_by_another_admin_a_moment_ago_is_refused_next_to_the_name(
        client, admin, monkeypatch):
    _name_taken_elsewhere_after_the_check(monkeypatch, "Suite C")

    response = add_room(client, "Suite C", modality="ct", location="Level 2")

    page = text(response)
    assert response.status_code == 422
    assert field_error(page, "name") == "Another room already has this name."
    assert 'value="Level 2"' in page and '<option selected value="ct">' in page
    assert [(r.name, r.modality) for r in all_rooms()] == [("Suite C", Modality.FLUOROSCOPY)]


def test_a_rename_to_a_name_taken_a_moment_ago_is_refused_next_to_the_name(client, admin, gen,
                                                                           monkeypatch):
    room = gen.room(name="Suite A")
    _name_taken_elsewhere_after_the_check(monkeypatch, "Suite C")

    response = edit_room(client, room, name="Suite C")

    assert response.status_code == 422
    assert field_error(text(response), "name") == "Another room already has this name."
    assert sorted(r.name for r in all_rooms()) == ["Suite A", "Suite C"]


def test_a_room_edited_by_someone_else_meanwhile_is_not_overwritten(client, admin, gen):
    room = gen.room(name="Suite A")
    old_version = room.version_id
    room.location = "Changed meanwhile"
    db.session.commit()
    response = edit_room(client, room, name="Suite Z", version_id=str(old_version))
    assert response.status_code == 409
    assert "Someone else changed this room meanwhile" in text(response)
    assert all_rooms()[0].name == "Suite A"


def test_a_room_taken_out_of_use_is_not_offered_for_booking(client, admin, gen, make_client):
    room = gen.room(name="Suite Retiring")
    gen.room(name="Suite Staying")
    doctor = gen.user(Role.PHYSICIAN)
    for weekday in range(7):
        db.session.add(WorkingHours(physician_id=doctor.id, weekday=weekday, starts=time(8), ends=time(17)))
    db.session.commit()
    response = edit_room(client, room, active=None)
    assert response.status_code == 302
    assert "Suite Retiring Fluoroscopy Not in use" in rooms_table(text(client.get("/admin/rooms")))
    assert not all_rooms()[0].active

    coordinator = make_client()
    sign_in(coordinator, gen.user(Role.COORDINATOR))
    case = gen.case(state=State.ELIGIBLE)
    page = text(coordinator.get(f"/cases/{case.id}/book?from_date={(clinic_today() + timedelta(days=1)).isoformat()}"))
    room_select = words(soup(page).find("select", attrs={"name": "room_id"}))
    assert "Suite Staying" in room_select and "Suite Retiring" not in room_select
    assert "Suite Retiring" not in page
    assert "Suite Staying" in page.split('<ul class="slots">', 1)[1]


def test_taking_a_room_with_appointments_out_of_use_counts_them_and_names_no_patient(client, admin, gen):
    """As deactivating a physician does: how many appointments stay in the room and when the first
    is, and what to ask a coordinator; no patient named to the admin, so no view to audit."""
    from tracker.models import AuditAction, AuditEvent
    from tracker.timeutil import format_clinic

    room = gen.room(name="Fluoro Suite 1")
    case = gen.case(state=State.SCHEDULED, patient=gen.patient(family_name="O'Brien", given_name="Sean"))
    first = gen.appointment(case, room=room)
    gen.appointment(gen.case(state=State.SCHEDULED, patient=gen.patient(family_name="Okafor")), room=room,
                    starts_at=first.starts_at + timedelta(days=1))
    gen.appointment(gen.case(state=State.ELIGIBLE), room=room, status=AppointmentStatus.CANCELLED,
                    cancelled_reason="Patient unwell")

    assert edit_room(client, room, active=None).status_code == 302
    page = words(text(client.get("/admin/rooms")))

    assert (f"Fluoro Suite 1 can no longer be booked. 2 appointments are still to come in it (the first "
            f"{format_clinic(first.starts_at)}) and stay there until they are moved. Ask a coordinator to move "
            "each to another room from the Day board, which shows this room on each day it still has "
            "appointments.") in page
    assert "O'Brien" not in page and "Okafor" not in page
    assert not db.session.scalars(db.select(AuditEvent).filter_by(action=AuditAction.VIEW)).all()
    quiet = gen.room(name="Spare Suite")
    edit_room(client, quiet, active=None)
    assert "still to come" not in words(text(client.get("/admin/rooms")))


def test_rooms_in_use_are_listed_before_rooms_out_of_use(client, admin, gen):
    gen.room(name="Alpha", active=False)
    gen.room(name="Zulu")
    rows = rooms_table(text(client.get("/admin/rooms")))
    assert [row.split(" ")[0] for row in rows] == ["Zulu", "Alpha"]


# ------------------------------------------------------------------ working hours

def hours_form(**spans):
    """starts_N / ends_N for every weekday, empty unless given as day=("09:00", "17:00")."""
    data = {}
    for day in range(7):
        starts, ends = spans.get(WEEKDAYS[day].lower()[:3], ("", ""))
        data[f"starts_{day}"], data[f"ends_{day}"] = starts, ends
    return data


def save_hours(client, physician, **spans):
    url = f"/admin/physicians/{physician.id}/hours"
    version = input_value(text(client.get(url)), "version_id")  # the form as opened now
    return submit(client, url, {**hours_form(**spans), "version_id": version})


def test_the_admin_sets_working_hours_per_weekday(client, admin, physician):
    response = save_hours(client, physician, mon=("09:00", "17:00"), wed=("08:30", "12:00"))
    assert response.status_code == 302 and response.location == "/admin/rooms"
    assert hours_of(physician) == {0: (time(9), time(17)), 2: (time(8, 30), time(12))}
    page = text(client.get("/admin/rooms"))
    assert "Working hours saved for Dr Priya Raman." in page
    assert "Mon 09:00–17:00; Wed 08:30–12:00" in page


def test_the_hours_form_shows_the_saved_hours(client, admin, physician):
    save_hours(client, physician, tue=("07:45", "15:15"))
    page = text(client.get(f"/admin/physicians/{physician.id}/hours"))
    assert input_value(page, "starts_1") == "07:45" and input_value(page, "ends_1") == "15:15"
    assert input_value(page, "starts_0") == "", "Monday stays a day off"


def test_changing_and_clearing_hours_replaces_them(client, admin, physician):
    save_hours(client, physician, mon=("09:00", "17:00"), tue=("09:00", "17:00"))
    save_hours(client, physician, mon=("10:00", "14:00"))
    assert hours_of(physician) == {0: (time(10), time(14))}
    [row] = [tr for tr in soup(client.get("/admin/rooms")).find_all("tr") if "Dr Priya Raman" in words(tr)]
    assert "Mon" in words(row) and "Tue" not in words(row)


def test_a_physician_without_hours_is_flagged(client, admin, physician):
    assert "none set: cannot be offered in free slots" in text(client.get("/admin/rooms"))


def test_a_start_without_an_end_is_refused_next_to_the_end(client, admin, physician):
    response = save_hours(client, physician, fri=("09:00", ""))
    page = text(response)
    assert response.status_code == 422
    assert field_error(page, "ends_4") == "Give both the start and the end for Friday, or neither."
    assert hours_of(physician) == {}


def test_an_end_without_a_start_is_refused_next_to_the_start(client, admin, physician):
    response = save_hours(client, physician, sat=("", "12:00"))
    assert field_error(text(response), "starts_5") == "Give both the start and the end for Saturday, or neither."
    assert hours_of(physician) == {}


@pytest.mark.parametrize("ends", ["08:00", "09:00"])
def test_an_end_not_after_the_start_is_refused(client, admin, physician, ends):
    response = save_hours(client, physician, mon=("09:00", ends), tue=("09:00", "17:00"))
    page = text(response)
    assert response.status_code == 422
    assert field_error(page, "ends_0") == "On Monday the end must be after the start."
    assert hours_of(physician) == {}, "nothing is saved while one day is wrong"
    assert input_value(page, "starts_1") == "09:00", "the other days' entries are kept"


def test_hours_saved_from_a_form_opened_before_another_admins_save_are_refused_and_kept(
        client, admin, physician, gen, make_client, login_as):
    url = f"/admin/physicians/{physician.id}/hours"
    save_hours(client, physician, mon=("09:00", "17:00"))
    mine = text(client.get(url))
    other = login_as(gen.user(Role.ADMIN, name="Otto Other"), on=make_client())
    save_hours(other, physician, mon=("08:00", "12:00"), tue=("08:00", "12:00"))

    typed = {**hours_form(mon=("10:00", "18:00"), fri=("07:30", "11:00")),
             "version_id": input_value(mine, "version_id"), "csrf_token": csrf_from(mine)}
    response = client.post(url, data=typed)
    page = text(response)
    assert response.status_code == 409
    assert ("Someone else saved these working hours after you opened this page. Nothing was saved; the hours "
            "as saved now are shown above your entries, which are kept in the form: press Save working hours "
            "again to replace them with yours.") in words(page)
    assert hours_of(physician) == {0: (time(8), time(12)), 1: (time(8), time(12))}, "the other admin's hours stand"
    saved = words(by_id(page, "current-saved"))
    assert "Monday: 08:00–12:00" in saved and "Tuesday: 08:00–12:00" in saved and "Friday: not working" in saved
    assert (input_value(page, "starts_0"), input_value(page, "ends_0")) == ("10:00", "18:00")
    assert (input_value(page, "starts_4"), input_value(page, "ends_4")) == ("07:30", "11:00")

    # Having read the hours saved now, she saves hers over them from the page as shown again.
    again = client.post(url, data={**typed, "version_id": input_value(page, "version_id"),
                                   "csrf_token": csrf_from(page)})
    assert again.status_code == 302
    assert hours_of(physician) == {0: (time(10), time(18)), 4: (time(7, 30), time(11))}


def test_hours_sent_without_the_forms_version_are_refused(client, admin, physician):
    url = f"/admin/physicians/{physician.id}/hours"
    response = submit(client, url, hours_form(mon=("09:00", "17:00")))
    assert response.status_code == 409
    assert hours_of(physician) == {}


def test_hours_are_only_for_physicians(client, admin, gen):
    coordinator = gen.user(Role.COORDINATOR)
    assert client.get(f"/admin/physicians/{coordinator.id}/hours").status_code == 404
    assert client.get("/admin/physicians/9999/hours").status_code == 404


def test_working_hours_drive_the_free_slots(client, admin, physician, gen, make_client):
    gen.room(name="Suite A")
    tomorrow = clinic_today() + timedelta(days=1)
    day_key = WEEKDAYS[tomorrow.weekday()].lower()[:3]
    save_hours(client, physician, **{day_key: ("13:00", "14:00")})

    coordinator = make_client()
    sign_in(coordinator, gen.user(Role.COORDINATOR))
    case = gen.case(state=State.ELIGIBLE)
    page = coordinator.get(f"/cases/{case.id}/book?from_date={tomorrow.isoformat()}").get_data(as_text=True)
    hrefs = links(soup(page).find("ul", class_="slots"))
    offered = [(q["date"][0], q["start"][0]) for q in (parse_qs(urlparse(h).query) for h in hrefs)]
    assert offered[:3] == [(tomorrow.isoformat(), "13:00"), (tomorrow.isoformat(), "13:15"),
                           (tomorrow.isoformat(), "13:30")]
    week_later = (tomorrow + timedelta(days=7)).isoformat()
    assert set(offered) <= {(d, t) for d in (tomorrow.isoformat(), week_later)
                            for t in ("13:00", "13:15", "13:30")}

    # New hours on the same weekday change what is offered.
    save_hours(client, physician, **{day_key: ("07:00", "07:30")})
    page = coordinator.get(f"/cases/{case.id}/book?from_date={tomorrow.isoformat()}").get_data(as_text=True)
    assert "&amp;start=07:00&amp;" in page and "&amp;start=13:00&amp;" not in page


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.PHYSICIAN, Role.PATIENT])
def test_only_an_admin_manages_rooms_and_hours(make_client, gen, physician, role):
    room = gen.room(name="Suite A")
    browser = make_client()
    sign_in(browser, gen.user(role))
    for url in ("/admin/rooms", f"/admin/rooms/{room.id}", f"/admin/physicians/{physician.id}/hours"):
        assert browser.get(url).status_code == 403, url


def test_taking_a_room_out_of_use_counts_the_checked_in_patient_still_waiting_in_it(client, admin, gen):
    """A patient checked in for 10:00 who is still waiting at 10:10 (the physician running late) is
    still to come in that room: the admin taking it out of use is told, as for a physician taken
    off the schedule (the same count)."""
    physician = gen.user(Role.PHYSICIAN, name="Dr Late Running")
    room = gen.room(name="Fluoro Suite 1")
    # Today's appointment, ten minutes ago (never before the clinic's midnight: an earlier day's check-in is
    # a patient sent home, which this test is not about).
    started = max(datetime.now(timezone.utc).replace(microsecond=0) - timedelta(minutes=10), clinic_day_start(clinic_today()))
    waiting = gen.appointment(gen.case(state=State.SCHEDULED), physician=physician, room=room, starts_at=started,
                              status=AppointmentStatus.CHECKED_IN, checked_in_at=started - timedelta(minutes=20))

    assert edit_room(client, room, active=None).status_code == 302
    page = words(text(client.get("/admin/rooms")))

    assert (f"Fluoro Suite 1 can no longer be booked. 1 appointment is still to come in it "
            f"({format_clinic(waiting.starts_at)})") in page, page
    # A physician taken off the schedule is told the same way (tracker.admin.services.left_to).
    from tracker.admin.services import left_to
    assert left_to(physician)[0] == 1

"""The day board (one column per room) and the physician's own day: what each entry shows, day
navigation, clinic times across daylight saving, and a query count that does not grow with the
number of appointments (for the board and for the free-slot finder)."""
import copy
import re
from datetime import date, datetime, time, timedelta, timezone

import pytest

from tracker.extensions import db
from tracker.models import RiskScreen, WorkingHours
from tracker.roles import Role
from tracker.timeutil import clinic_today
from tracker.vocab import AppointmentStatus, Modality, Side
from tracker.workflow import State

from tests.builders import clinic_at, clinic_day
from tests.helpers import field_error, form_data, loaded, sign_in, soup, words

UTC = timezone.utc


def plain(node):
    """A part of the board as a reader sees it: line breaks, paragraphs, small print and badges
    set apart by a space."""
    node = copy.copy(node)
    for tag in node.find_all(["br", "small", "span"]):
        tag.insert_before(" ")
    for paragraph in node.find_all("p"):
        paragraph.append(" ")
    return words(node)


def columns(page):
    """{room heading: [entry text, ...]} in page order."""
    return {plain(section.find("h2")): [plain(a) for a in section.find_all("article")]
            for section in soup(page).find_all("section", class_="board-column")}


def entries(page):
    return [plain(a) for a in soup(page).find_all("article")]


def check_in_forms(page):
    return soup(page).find_all("form", action=re.compile(r"^/appointments/\d+/check-in$"))


def board(client, day):
    return loaded(client.get(f"/schedule/day?date={day.isoformat()}"))


@pytest.fixture
def doctors(gen):
    return gen.user(Role.PHYSICIAN, name="Dr Ames"), gen.user(Role.PHYSICIAN, name="Dr Berg")


@pytest.fixture
def rooms(gen):
    return gen.room(name="Fluoro 1"), gen.room(name="Fluoro 2")


def patient_case(gen, family, side=Side.LEFT, state=State.SCHEDULED):
    return gen.case(state=state, side=side, patient=gen.patient(family_name=family, given_name="Pat"))


def test_the_board_shows_one_column_per_room_with_appointments_in_time_order(
        client, coordinator, gen, doctors, rooms):
    ames, berg = doctors
    one, two = rooms
    gen.appointment(patient_case(gen, "Late"), physician=ames, room=one, starts_at=clinic_at(1, 14))
    gen.appointment(patient_case(gen, "Early", side=Side.RIGHT), physician=berg, room=one,
                    starts_at=clinic_at(1, 8, 30))
    gen.appointment(patient_case(gen, "Middle", side=Side.BILATERAL), physician=ames, room=two,
                    starts_at=clinic_at(1, 11))
    gen.appointment(patient_case(gen, "Otherday"), physician=ames, room=two, starts_at=clinic_at(2, 9))
    gen.room(name="CT Suite", modality=Modality.CT)
    page = board(client, clinic_day(1))
    cols = columns(page)
    assert list(cols) == ["Fluoro 1 Fluoroscopy", "Fluoro 2 Fluoroscopy", "CT Suite CT"]
    first, second, empty = cols.values()
    assert [e.split(" ")[0] for e in first] == ["08:30–09:00", "14:00–14:30"]
    assert "Early, Pat" in first[0] and "Right" in first[0] and "Dr Berg" in first[0]
    assert "Late, Pat" in first[1] and "Left" in first[1] and "Dr Ames" in first[1]
    assert len(second) == 1 and "Middle, Pat" in second[0] and "Bilateral" in second[0]
    assert empty == []
    assert "Otherday" not in page
    assert f"Day board: {clinic_day(1).strftime('%A %d %B %Y')}" in page


def test_each_entry_shows_its_status_and_readiness(client, coordinator, gen, doctors, rooms):
    ames, _ = doctors
    one, _ = rooms
    none = {"anticoagulant_answer": "none", "allergy_answer": "nkda", "red_flags_screened": True}
    ready_case, unready_case, arrived_case = (patient_case(gen, name) for name in ("Ready", "Unready", "Arrived"))
    db.session.add_all([RiskScreen(case_id=ready_case.id, **none), RiskScreen(case_id=arrived_case.id, **none),
                        RiskScreen(case_id=unready_case.id, sedation_planned=True, **none)])
    db.session.commit()
    gen.appointment(ready_case, physician=ames, room=one, starts_at=clinic_at(1, 8),
                    consent_obtained=True, day_of_check_done=True)
    gen.appointment(unready_case, physician=ames, room=one, starts_at=clinic_at(1, 9), consent_obtained=True)
    gen.appointment(arrived_case, physician=ames, room=one, starts_at=clinic_at(1, 10),
                    status=AppointmentStatus.CHECKED_IN, consent_obtained=True, day_of_check_done=True)
    gen.appointment(patient_case(gen, "Called", state=State.ELIGIBLE), physician=ames, room=one,
                    starts_at=clinic_at(1, 11), status=AppointmentStatus.CANCELLED,
                    cancelled_reason="patient called")
    [ready_entry, unready_entry, arrived_entry, cancelled_entry] = columns(board(client, clinic_day(1)))[
        "Fluoro 1 Fluoroscopy"]
    assert "Ready, Pat" in ready_entry and "Booked" in ready_entry and "✓ Ready" in ready_entry
    assert "Check in" not in ready_entry, "check-in opens on the day of the appointment"
    assert "✗ Not ready Still needed: driver, day-of check" in unready_entry
    assert "consent" not in unready_entry
    assert "Checked in" in arrived_entry and "✓ Ready" in arrived_entry
    assert "Check in" not in arrived_entry
    assert "Cancelled" in cancelled_entry and "ready" not in cancelled_entry.lower()
    assert "Check in" not in cancelled_entry


@pytest.mark.parametrize("own_cases_only, then", [
    (False, "another physician can see them and start the procedure."),
    (True, "this clinic keeps each procedure to its booked physician, so cancel this appointment and book the "
           "patient with another physician."),
])
def test_a_deactivated_physicians_checked_in_patient_is_flagged_as_already_here(
        app, monkeypatch, client, coordinator, gen, doctors, rooms, own_cases_only, then):
    monkeypatch.setitem(app.config, "PROCEDURE_OWN_CASES_ONLY", own_cases_only)
    _ames, berg = doctors
    one, _ = rooms
    here = gen.appointment(patient_case(gen, "Here"), physician=berg, room=one, starts_at=clinic_at(1, 9),
                           status=AppointmentStatus.CHECKED_IN)
    berg.active = False
    db.session.commit()

    flag = f"Dr Berg is no longer active and the patient is already here: {then}"
    [card] = columns(board(client, clinic_day(1)))["Fluoro 1 Fluoroscopy"]
    assert flag in card and "move this appointment" not in card
    assert words(soup(loaded(client.get(f"/appointments/{here.id}"))).find(id="physician-inactive")) == flag


def test_check_in_is_offered_on_the_board_for_todays_booked_appointments_only(
        client, coordinator, gen, doctors, rooms):
    ames, _ = doctors
    one, _ = rooms
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    booked = gen.appointment(patient_case(gen, "Waiting"), physician=ames, room=one, starts_at=now)
    gen.appointment(patient_case(gen, "Inside"), physician=ames, room=one, starts_at=now,
                    status=AppointmentStatus.CHECKED_IN)
    gen.appointment(patient_case(gen, "Tomorrow"), physician=ames, room=one, starts_at=clinic_at(1, 9))
    today = board(client, clinic_today())
    assert [form["action"] for form in check_in_forms(today)] == [f"/appointments/{booked.id}/check-in"]
    waiting = next(e for e in entries(today) if "Waiting, Pat" in e)
    assert "Check in Waiting, Pat" in waiting
    assert "Check in" not in board(client, clinic_day(1))


def test_a_deactivated_physicians_booked_appointment_is_flagged_to_be_moved_in_as_many_queries(
        client, coordinator, gen, doctors, rooms, count_queries):
    ames, berg = doctors
    one, _ = rooms
    gen.appointment(patient_case(gen, "Kept"), physician=ames, room=one, starts_at=clinic_at(1, 8))
    left = gen.appointment(patient_case(gen, "Orphan"), physician=berg, room=one, starts_at=clinic_at(1, 9))
    gen.appointment(patient_case(gen, "Called", state=State.ELIGIBLE), physician=berg, room=one,
                    starts_at=clinic_at(1, 10), status=AppointmentStatus.CANCELLED, cancelled_reason="patient called")
    url = f"/schedule/day?date={clinic_day(1).isoformat()}"
    before, _shown = _queries_and_shown(client, url, count_queries)
    berg.active = False
    db.session.commit()

    flag = "Dr Berg is no longer active: move this appointment to another physician."
    after, _shown = _queries_and_shown(client, url, count_queries)
    assert after == before  # the physician's active flag comes with their name, not a query per card
    kept, orphan, called = columns(board(client, clinic_day(1)))["Fluoro 1 Fluoroscopy"]
    assert flag in orphan
    assert "no longer active" not in kept and "no longer active" not in called
    page = loaded(client.get(f"/appointments/{left.id}"))
    assert flag in words(soup(page).find(id="physician-inactive"))


def test_a_physician_given_another_role_has_their_booked_appointment_flagged_to_be_moved(
        client, coordinator, gen, doctors, rooms):
    _ames, berg = doctors
    one, _ = rooms
    left = gen.appointment(patient_case(gen, "Orphan"), physician=berg, room=one, starts_at=clinic_at(1, 9))
    berg.role = Role.COORDINATOR
    db.session.commit()

    # Still an active account: it is the role that changed, and the flag says so.
    flag = "Dr Berg is no longer a physician: move this appointment to another physician."
    [orphan] = columns(board(client, clinic_day(1)))["Fluoro 1 Fluoroscopy"]
    assert flag in orphan
    assert flag in words(soup(loaded(client.get(f"/appointments/{left.id}"))).find(id="physician-inactive"))
    assert "no longer active" not in orphan


def test_a_physician_given_another_role_has_their_checked_in_patient_flagged_as_already_here(
        client, coordinator, gen, doctors, rooms):
    _ames, berg = doctors
    one, _ = rooms
    here = gen.appointment(patient_case(gen, "Here"), physician=berg, room=one, starts_at=clinic_at(1, 9),
                           status=AppointmentStatus.CHECKED_IN)
    berg.role = Role.ADMIN
    db.session.commit()

    flag = "Dr Berg is no longer a physician and the patient is already here: another physician can see them"
    [card] = columns(board(client, clinic_day(1)))["Fluoro 1 Fluoroscopy"]
    assert flag in card
    assert flag in words(soup(loaded(client.get(f"/appointments/{here.id}"))).find(id="physician-inactive"))


def test_each_status_has_its_label_on_the_board(client, coordinator, gen, doctors, rooms):
    ames, _ = doctors
    one, _ = rooms
    labels = {AppointmentStatus.BOOKED: "Booked", AppointmentStatus.CHECKED_IN: "Checked in",
              AppointmentStatus.IN_PROCEDURE: "In procedure", AppointmentStatus.DONE: "Done",
              AppointmentStatus.NO_SHOW: "No-show", AppointmentStatus.CANCELLED: "Cancelled"}
    for hour, status in enumerate(labels, start=8):
        gen.appointment(patient_case(gen, f"S{hour}"), physician=ames, room=one,
                        starts_at=clinic_at(1, hour), status=status,
                        cancelled_reason="x" if status == AppointmentStatus.CANCELLED else None)
    page = board(client, clinic_day(1))
    shown = [(cls.removeprefix("appt-"), badge.get_text()) for badge in soup(page).find_all("span", class_="badge")
             for cls in badge["class"] if cls.startswith("appt-")]
    assert shown == [(status.value, label) for status, label in labels.items()]


def test_the_physicians_own_day_lists_only_their_appointments(make_client, gen, doctors, rooms):
    ames, berg = doctors
    one, two = rooms
    gen.appointment(patient_case(gen, "Amesone"), physician=ames, room=one, starts_at=clinic_at(1, 13))
    gen.appointment(patient_case(gen, "Amestwo"), physician=ames, room=two, starts_at=clinic_at(1, 9))
    gen.appointment(patient_case(gen, "Bergonly"), physician=berg, room=one, starts_at=clinic_at(1, 9))
    browser = make_client()
    sign_in(browser, ames)
    page = loaded(browser.get(f"/schedule/mine?date={clinic_day(1).isoformat()}"))
    mine = entries(page)
    assert len(mine) == 2
    assert "Amestwo" in mine[0] and "Fluoro 2" in mine[0] and mine[0].startswith("09:00–09:30")
    assert "Amesone" in mine[1] and "Fluoro 1" in mine[1]
    assert "Bergonly" not in page
    assert f"My day: {clinic_day(1).strftime('%A %d %B %Y')}" in page
    assert "Check in" not in page


@pytest.mark.parametrize("risk, allergy, anticoagulant", [
    ({"allergy_answer": "documented", "allergy_contrast": True, "anticoagulants": "apixaban 5 mg twice daily",
      "anticoagulant_hold_days": 2},
     "Allergies: iodinated contrast (no contrast premedication planned)",
     "Anticoagulants: apixaban 5 mg twice daily, hold planned 2 days"),
    ({"allergy_answer": "documented", "allergy_contrast": True, "contrast_premedication_planned": True,
      "anticoagulants": "rivaroxaban", "anticoagulant_hold_days": 1},
     "Allergies: iodinated contrast (contrast premedication planned)", "Anticoagulants: rivaroxaban, hold planned 1 day"),
    ({"allergy_answer": "documented", "allergy_latex": True, "allergy_local_anaesthetic": True,
      "anticoagulants": "warfarin", "anticoagulant_hold_days": 0},
     "Allergies: latex, local anaesthetic", "Anticoagulants: warfarin, no hold planned (keeps taking it)"),
    ({"allergy_answer": "documented", "allergy_steroid": True, "anticoagulants": "clopidogrel"},
     "Allergies: steroid", "Anticoagulants: clopidogrel, hold not recorded"),
    ({"allergy_answer": "nkda", "anticoagulant_answer": "none"}, "Allergies: NKDA (no known allergies)",
     "Anticoagulants: none"),
    (None, "Allergies: not asked", "Anticoagulants: not asked"),
])
def test_the_physicians_day_card_says_the_allergy_and_the_anticoagulant_before_the_start(
        make_client, gen, doctors, rooms, risk, allergy, anticoagulant):
    """At the table the physician reads the card, not the checklist: what the patient is allergic to
    and the anticoagulant's planned hold are on it, in the checklist banner's words and full size,
    before she starts."""
    ames, _ = doctors
    case = patient_case(gen, "Safety")
    if risk is not None:
        db.session.add(RiskScreen(case_id=case.id, red_flags_screened=True, **risk))
        db.session.commit()
    gen.appointment(case, physician=ames, room=rooms[0], starts_at=clinic_at(1, 8),
                    consent_obtained=True, day_of_check_done=True, anticoagulant_plan_confirmed=True,
                    contrast_premedication_sent=True, readiness_override_reason="test set-up")
    browser = make_client()
    sign_in(browser, ames)
    page = loaded(browser.get(f"/schedule/mine?date={clinic_day(1).isoformat()}"))
    [card] = soup(page).find_all("article")
    facts = card.find(class_="safety-facts")
    assert facts is not None, plain(card)
    assert f"{allergy} · {anticoagulant}" == plain(facts)
    # Read at arm's length on a tablet: not small print.
    assert facts.find("small") is None and facts.find_parent("small") is None


def test_the_physicians_day_card_keeps_the_safety_facts_while_the_procedure_runs(make_client, gen, doctors, rooms):
    ames, _ = doctors
    case = patient_case(gen, "Running", state=State.IN_PROCEDURE)
    db.session.add(RiskScreen(case_id=case.id, red_flags_screened=True, allergy_answer="documented",
                              allergy_contrast=True, anticoagulant_answer="none"))
    db.session.commit()
    gen.appointment(case, physician=ames, room=rooms[0], starts_at=clinic_at(1, 8),
                    status=AppointmentStatus.IN_PROCEDURE)
    gen.appointment(patient_case(gen, "Called", state=State.ELIGIBLE), physician=ames, room=rooms[0],
                    starts_at=clinic_at(1, 9), status=AppointmentStatus.CANCELLED, cancelled_reason="patient called")
    browser = make_client()
    sign_in(browser, ames)
    running, cancelled = soup(loaded(browser.get(f"/schedule/mine?date={clinic_day(1).isoformat()}"))).find_all(
        "article")
    assert "Allergies: iodinated contrast" in plain(running.find(class_="safety-facts"))
    assert cancelled.find(class_="safety-facts") is None, "a cancelled appointment is not prepared for"


def test_a_physician_with_nothing_that_day_is_told_so(make_client, doctors):
    ames, _ = doctors
    browser = make_client()
    sign_in(browser, ames)
    assert "No appointments on this day." in loaded(browser.get("/schedule/mine"))


def test_the_board_opens_on_today_and_links_to_the_day_before_and_after(client, coordinator, rooms):
    today = clinic_today()
    page = board(client, today)
    assert f"Day board: {today.strftime('%A %d %B %Y')}" in loaded(client.get("/schedule/day"))
    before, after = today - timedelta(days=1), today + timedelta(days=1)
    assert f'href="/schedule/day?date={before.isoformat()}"' in page
    assert f'href="/schedule/day?date={after.isoformat()}"' in page
    following = board(client, after)
    assert f"Day board: {after.strftime('%A %d %B %Y')}" in following
    assert f'href="/schedule/day?date={today.isoformat()}"' in following


def date_input(page):
    return str(soup(page).find("input", attrs={"name": "date"}))


@pytest.mark.parametrize("typed, message", [
    ("31-02-2026", "31-02-2026 is not a date: use YYYY-MM-DD, e.g. 2026-05-12."),
    ("2026-02-31", "2026-02-31 is not a date: February 2026 has 28 days."),
    ("2028-02-30", "2028-02-30 is not a date: February 2028 has 29 days."),
    ("2026-04-31", "2026-04-31 is not a date: April 2026 has 30 days."),
    ("2026-13-01", "2026-13-01 is not a date: there is no month 13; use YYYY-MM-DD."),
    ("garbage", "garbage is not a date: use YYYY-MM-DD, e.g. 2026-05-12."),
    ("9999-12-31", "Enter a date between 1900 and 2100."),   # the next day would overflow
    ("0001-01-01", "Enter a date between 1900 and 2100."),   # the day before would overflow
    ("1899-12-31", "Enter a date between 1900 and 2100."),
])
def test_an_unreadable_or_out_of_range_day_shows_today_with_a_message(client, coordinator, rooms, typed, message):
    page = loaded(client.get(f"/schedule/day?date={typed}"))
    assert f"Day board: {clinic_today().strftime('%A %d %B %Y')}" in page
    assert field_error(page, "date") == message
    assert f'value="{typed}"' in date_input(page), "what was typed is kept"


@pytest.mark.parametrize("typed", ["9999-12-31", "0001-01-01", "nonsense"])
def test_the_physicians_day_survives_an_out_of_range_day(make_client, doctors, typed):
    browser = make_client()
    sign_in(browser, doctors[0])
    page = loaded(browser.get(f"/schedule/mine?date={typed}"))
    assert f"My day: {clinic_today().strftime('%A %d %B %Y')}" in page
    assert field_error(page, "date")


@pytest.mark.parametrize("day", [date(1900, 1, 1), date(2100, 12, 31)])
def test_the_first_and_last_days_allowed_are_shown(client, coordinator, rooms, day):
    page = loaded(client.get(f"/schedule/day?date={day.isoformat()}"))
    assert f"Day board: {day.strftime('%A %d %B %Y')}" in page
    assert field_error(page, "date") is None


def test_the_date_field_shows_the_day_on_the_board(client, coordinator, rooms):
    assert f'value="{clinic_today().isoformat()}"' in date_input(loaded(client.get("/schedule/day")))
    day = clinic_day(3)
    assert f'value="{day.isoformat()}"' in date_input(board(client, day))


def test_the_physicians_day_has_its_own_navigation(make_client, doctors):
    ames, _ = doctors
    browser = make_client()
    sign_in(browser, ames)
    day = clinic_day(3)
    page = loaded(browser.get(f"/schedule/mine?date={day.isoformat()}"))
    assert f'href="/schedule/mine?date={(day + timedelta(days=1)).isoformat()}"' in page
    assert f'href="/schedule/mine?date={(day - timedelta(days=1)).isoformat()}"' in page


def test_an_inactive_room_with_appointments_that_day_still_has_its_column(
        client, coordinator, gen, doctors, rooms):
    ames, _ = doctors
    closed = gen.room(name="Old Suite", active=False)
    gen.appointment(patient_case(gen, "Stranded"), physician=ames, room=closed, starts_at=clinic_at(1, 9))
    gen.room(name="Unused Old", active=False)
    cols = columns(board(client, clinic_day(1)))
    assert "Old Suite Fluoroscopy · no longer in use" in cols
    assert "Stranded, Pat" in cols["Old Suite Fluoroscopy · no longer in use"][0]
    assert not any(heading.startswith("Unused Old") for heading in cols)


def test_an_inactive_room_with_several_appointments_has_one_column(client, coordinator, gen, doctors, rooms):
    ames, berg = doctors
    closed = gen.room(name="Old Suite", active=False)
    gen.appointment(patient_case(gen, "Firstold"), physician=ames, room=closed, starts_at=clinic_at(1, 9))
    gen.appointment(patient_case(gen, "Secondold"), physician=berg, room=closed, starts_at=clinic_at(1, 11))
    page = board(client, clinic_day(1))
    headings = [plain(section.find("h2")) for section in soup(page).find_all("section", class_="board-column")]
    assert headings.count("Old Suite Fluoroscopy · no longer in use") == 1, (
        f"columns: {headings}: day_board (tracker/scheduling/views.py) appends an inactive room once per "
        "appointment in it, because the comprehension's `a.room not in rooms` looks at the list before "
        "the += adds anything")
    assert page.count(">Firstold, Pat</a>") == 1


def test_a_room_taken_out_of_use_is_flagged_on_its_cards_and_appointments_in_as_many_queries(
        client, coordinator, admin_client, gen, doctors, rooms, count_queries):
    ames, _ = doctors
    one, two = rooms
    left = gen.appointment(patient_case(gen, "Stranded"), physician=ames, room=one, starts_at=clinic_at(1, 9))
    here = gen.appointment(patient_case(gen, "Arrived"), physician=ames, room=one, starts_at=clinic_at(1, 10),
                           status=AppointmentStatus.CHECKED_IN)
    elsewhere = gen.appointment(patient_case(gen, "Elsewhere"), physician=ames, room=two, starts_at=clinic_at(1, 9))
    url = f"/schedule/day?date={clinic_day(1).isoformat()}"
    before, _shown = _queries_and_shown(client, url, count_queries)

    # The admin unticks "In use" through the room's own form.
    page = admin_client.get(f"/admin/rooms/{one.id}").get_data(as_text=True)
    data = form_data(soup(page).find("input", attrs={"name": "version_id"}).find_parent("form"))
    data.pop("active", None)
    assert admin_client.post(f"/admin/rooms/{one.id}", data=data).status_code == 302

    flag = "Fluoro 1 is no longer in use: move this appointment to another room."
    after, _shown = _queries_and_shown(client, url, count_queries)
    assert after == before  # the room's flag comes with its name, not a query per card
    cols = columns(board(client, clinic_day(1)))
    stranded, arrived = cols["Fluoro 1 Fluoroscopy · no longer in use"]
    assert flag in stranded
    assert ("Fluoro 1 is no longer in use and the patient is already here: check with the clinic which room the "
            "procedure can be done in before starting.") in arrived
    assert "no longer in use" not in cols["Fluoro 2 Fluoroscopy"][0]
    assert words(soup(loaded(client.get(f"/appointments/{left.id}"))).find(id="room-out-of-use")) == flag
    assert "already here" in words(soup(loaded(client.get(f"/appointments/{here.id}"))).find(id="room-out-of-use"))
    assert soup(loaded(client.get(f"/appointments/{elsewhere.id}"))).find(id="room-out-of-use") is None


def test_the_printed_board_leaves_out_navigation_and_buttons(client, coordinator, gen, doctors, rooms):
    gen.appointment(patient_case(gen, "Printme"), physician=doctors[0], room=rooms[0],
                    starts_at=datetime.now(UTC).replace(second=0, microsecond=0))
    page = board(client, clinic_today())
    assert '<nav class="no-print day-nav"' in page
    [check_in_form] = check_in_forms(page)
    assert check_in_form.get("method") == "post" and check_in_form.get("class") == ["no-print"]


@pytest.mark.parametrize("role, board_status, mine_status", [
    (Role.COORDINATOR, 200, 403), (Role.PHYSICIAN, 200, 200), (Role.ADMIN, 403, 403), (Role.PATIENT, 403, 403)])
def test_who_sees_the_board_and_the_physicians_day(make_client, gen, role, board_status, mine_status):
    browser = make_client()
    sign_in(browser, gen.user(role))
    assert browser.get("/schedule/day").status_code == board_status
    assert browser.get("/schedule/mine").status_code == mine_status


def test_the_admin_manages_rooms_but_does_not_see_the_patients_on_the_board(make_client, gen, doctors, rooms):
    gen.appointment(patient_case(gen, "Watched"), physician=doctors[0], room=rooms[0],
                    starts_at=datetime.now(UTC).replace(second=0, microsecond=0))
    browser = make_client()
    sign_in(browser, gen.user(Role.ADMIN))
    response = browser.get(f"/schedule/day?date={clinic_today().isoformat()}")
    assert response.status_code == 403 and "Watched" not in response.get_data(as_text=True)


# ------------------------------------------------------------------ daylight saving

def test_the_board_on_the_autumn_change_shows_both_half_past_ones_and_the_whole_clinic_day(
        client, coordinator, gen, doctors, rooms):
    ames, berg = doctors
    one, two = rooms
    fall_back = date(2026, 11, 1)
    at = lambda d, hh, mm=0: datetime(d.year, d.month, d.day, hh, mm, tzinfo=UTC)  # noqa: E731
    gen.appointment(patient_case(gen, "Daylight"), physician=ames, room=one, starts_at=at(fall_back, 5, 30))
    gen.appointment(patient_case(gen, "Standard"), physician=berg, room=two, starts_at=at(fall_back, 6, 30))
    gen.appointment(patient_case(gen, "Morning"), physician=ames, room=one, starts_at=at(fall_back, 15))
    gen.appointment(patient_case(gen, "Lateevening"), physician=ames, room=one,
                    starts_at=at(fall_back + timedelta(days=1), 4, 30))   # 23:30 EST on Nov 1
    gen.appointment(patient_case(gen, "Daybefore"), physician=ames, room=one,
                    starts_at=at(fall_back, 3, 30))                        # 23:30 EDT on Oct 31
    page = board(client, fall_back)
    cols = columns(page)
    # 01:30 EDT plus half an hour is 01:00 EST: the clock goes back during the appointment.
    assert [e.split(" ")[0] for e in cols["Fluoro 1 Fluoroscopy"]] == [
        "01:30–01:00", "10:00–10:30", "23:30–00:00"]
    assert cols["Fluoro 2 Fluoroscopy"][0].startswith("01:30–02:00") and "Standard" in cols[
        "Fluoro 2 Fluoroscopy"][0]
    assert "Daybefore" not in page
    assert "Daybefore" in board(client, fall_back - timedelta(days=1))


def test_the_board_on_the_spring_change_shows_clinic_times_either_side(
        client, coordinator, gen, doctors, rooms):
    ames, _ = doctors
    one, _ = rooms
    spring = date(2027, 3, 14)
    at = lambda d, hh, mm=0: datetime(d.year, d.month, d.day, hh, mm, tzinfo=UTC)  # noqa: E731
    gen.appointment(patient_case(gen, "Beforechange"), physician=ames, room=one,
                    starts_at=at(spring, 6, 45))                          # 01:45 EST
    gen.appointment(patient_case(gen, "Afterchange"), physician=ames, room=one,
                    starts_at=at(spring, 13))                              # 09:00 EDT
    gen.appointment(patient_case(gen, "Lastone"), physician=ames, room=one,
                    starts_at=at(spring + timedelta(days=1), 3, 30))       # 23:30 EDT on Mar 14
    gen.appointment(patient_case(gen, "Saturday"), physician=ames, room=one,
                    starts_at=at(spring, 4, 30))                           # 23:30 EST on Mar 13
    page = board(client, spring)
    assert [e.split(" ")[0] for e in columns(page)["Fluoro 1 Fluoroscopy"]] == [
        "01:45–03:15", "09:00–09:30", "23:30–00:00"]
    assert "Saturday" not in page


def test_the_board_follows_the_configured_clinic_time_zone(client, coordinator, gen, doctors, rooms,
                                                           app, monkeypatch):
    ames, _ = doctors
    one, _ = rooms
    monkeypatch.setitem(app.config, "CLINIC_TIMEZONE", "Europe/Berlin")
    day = date(2027, 1, 12)
    gen.appointment(patient_case(gen, "Berliner"), physician=ames, room=one,
                    starts_at=datetime(2027, 1, 12, 9, tzinfo=UTC))
    assert columns(board(client, day))["Fluoro 1 Fluoroscopy"][0].startswith("10:00–10:30")


# ------------------------------------------------------------------ query counts

def _many_appointments(gen, n, rooms, doctors, day_offset=1, first=0):
    """`n` appointments on one clinic day, 20 minutes apart from 00:00 (slot `first` on)."""
    for i in range(first, first + n):
        case = patient_case(gen, f"Bulk{day_offset}x{i}", side=(Side.LEFT, Side.RIGHT)[i % 2])
        if i % 2:
            db.session.add(RiskScreen(case_id=case.id, anticoagulants="aspirin", sedation_planned=True,
                                      red_flags_screened=True))
            db.session.commit()
        gen.appointment(case, physician=doctors[i % 2], room=rooms[i % 2],
                        starts_at=clinic_at(day_offset, 0) + timedelta(minutes=20 * i), minutes=20)


def _queries_and_shown(browser, url, count_queries):
    """How many statements the page at `url` runs, and how many appointments it shows."""
    with count_queries() as counter:
        page = loaded(browser.get(url))
    return counter.n, len(entries(page))


def test_the_board_runs_the_same_number_of_queries_for_3_and_30_appointments(
        client, coordinator, gen, doctors, rooms, count_queries):
    url = f"/schedule/day?date={clinic_day(1).isoformat()}"

    _many_appointments(gen, 3, rooms, doctors)
    few, shown = _queries_and_shown(client, url, count_queries)
    assert shown == 3
    _many_appointments(gen, 27, rooms, doctors, first=3)
    many, shown = _queries_and_shown(client, url, count_queries)
    assert shown == 30
    assert few == many, (few, many)
    # The signed-in user, the audit row, the appointments, their messages, the day's closures
    # (holidays, leave), the patients' sessions given and booked (for the liability notice of a
    # session over a payer's cap) and the rooms (the audit row's commit keeps the user as read:
    # audit.viewed).
    assert many == 7, many


def test_the_physicians_day_runs_the_same_number_of_queries_for_3_and_30_appointments(
        make_client, gen, doctors, rooms, count_queries):
    browser = make_client()
    sign_in(browser, doctors[0])
    url = f"/schedule/mine?date={clinic_day(1).isoformat()}"

    _many_appointments(gen, 6, rooms, doctors)
    few, shown = _queries_and_shown(browser, url, count_queries)
    assert shown == 3
    _many_appointments(gen, 54, rooms, doctors, first=6)
    many, shown = _queries_and_shown(browser, url, count_queries)
    assert shown == 30
    assert few == many, (few, many)


def test_the_slot_finder_runs_the_same_number_of_queries_for_3_and_30_appointments(
        client, coordinator, gen, doctors, rooms, count_queries):
    for doctor in doctors:
        for weekday in range(7):
            db.session.add(WorkingHours(physician_id=doctor.id, weekday=weekday, starts=time(0),
                                        ends=time(23, 45)))
    db.session.commit()
    eligible = patient_case(gen, "Tobook", state=State.ELIGIBLE)
    url = f"/cases/{eligible.id}/book?from_date={clinic_day(1).isoformat()}"

    def queries():
        with count_queries() as counter:
            page = loaded(client.get(url))
        assert '<ul class="slots">' in page
        return counter.n

    _many_appointments(gen, 3, rooms, doctors)
    few = queries()
    _many_appointments(gen, 27, rooms, doctors, first=3)
    for offset in (2, 3):
        _many_appointments(gen, 10, rooms, doctors, day_offset=offset)
    many = queries()
    assert few == many, (few, many)


def test_looking_at_a_day_or_an_appointment_is_audited_and_the_admin_is_refused(
        client, coordinator, gen, make_client, login_as):
    from tracker.models import AuditEvent

    case = gen.case(state=State.SCHEDULED)
    appointment = gen.appointment(case)
    day = clinic_day(1).isoformat()
    assert client.get(f"/schedule/day?date={day}").status_code == 200
    assert client.get(f"/appointments/{appointment.id}").status_code == 200
    views = db.session.execute(db.select(AuditEvent).filter_by(action="view", user_id=coordinator.id)
                               .order_by(AuditEvent.id)).scalars().all()
    assert [(v.object_type, v.object_id) for v in views] == [("schedule_day", day), ("case", str(case.id))]
    assert views[1].summary == f"viewed appointment {appointment.id}"

    admin = login_as(gen.user(Role.ADMIN), on=make_client())
    assert admin.get(f"/schedule/day?date={day}").status_code == 403
    assert admin.get(f"/appointments/{appointment.id}").status_code == 403


def test_the_day_board_card_says_the_allergy_and_the_anticoagulant_too(make_client, gen, doctors, rooms):
    """A walkthrough: the iodine-allergic patient's card on the day board, read by the physician on
    a tablet, said nothing of it (only My day did). The board's cards carry the same line."""
    ames, _ = doctors
    case = patient_case(gen, "Iodine")
    db.session.add(RiskScreen(case_id=case.id, red_flags_screened=True, allergy_answer="documented",
                              allergy_iodine=True, anticoagulant_answer="none"))
    db.session.commit()
    gen.appointment(case, physician=ames, room=rooms[0], starts_at=clinic_at(1, 8))
    for who in (ames, gen.user(Role.COORDINATOR)):
        browser = make_client()
        sign_in(browser, who)
        [card] = soup(loaded(browser.get(f"/schedule/day?date={clinic_day(1).isoformat()}"))).find_all("article")
        facts = card.find(class_="safety-facts")
        assert facts is not None and "Allergies: iodine" in plain(facts), plain(card)

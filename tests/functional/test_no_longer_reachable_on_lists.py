"""A patient recorded as no longer reachable (died, or moved away or left the clinic's care) is
marked beside their name wherever staff meet them in a list: the day board and My day, the patient
search, the worklist (and its CSV download) and the physician's list ("Died 2026-11-03", "Left care
(recorded 2026-12-07)"), so nobody calls the family of a patient who died or books one who left.
Before, only the patient page and the case page said so. The lists read the mark with the columns
they already read: no page takes a query more for it."""
import csv
import io
from datetime import timedelta

import pytest

from tracker.roles import Role
from tracker.timeutil import clinic_today
from tracker.workflow import State

from tests.builders import clinic_at, clinic_day
from tests.functional.test_patient_no_longer_reachable import died, record
from tests.helpers import loaded, sign_in, soup, words



def died_on():
    return clinic_today() - timedelta(days=3)


@pytest.fixture
def people(gen):
    """Three patients: Marsh (to be recorded as died), Ohio (as moved away), Well (reachable)."""
    return {name: gen.patient(family_name=name, given_name="Pat") for name in ("Marsh", "Ohio", "Well")}


def mark_them(client, people):
    """Record Marsh's death and Ohio's leaving on their patient pages, as a coordinator does."""
    assert died(client, people["Marsh"], on=died_on()).status_code == 302
    assert record(client, people["Ohio"], why="left_care", note="Moved to Ohio, says her husband").status_code == 302


def marks(page):
    """{the line's patient: the mark beside their name, or None}, for every line (table row or
    board card) that names a patient."""
    found = {}
    for line in soup(page).select("tr, article"):
        named = [name for name in ("Marsh", "Ohio", "Well") if f"{name}, Pat" in words(line)]
        if named:
            badge = line.find(class_="contact-ended")
            found[named[0]] = words(badge) if badge else None
    return found


def expected(*shown):
    """The marks `marks` reads once Marsh's death (three days ago) and Ohio's leaving (recorded today) are recorded."""
    said = {"Marsh": f"Died {died_on().isoformat()}", "Ohio": f"Left care (recorded {clinic_today().isoformat()})",
            "Well": None}
    return {name: said[name] for name in shown}


def test_the_worklist_marks_a_patient_who_died_or_left_beside_the_name_as_a_badge(client, coordinator, gen, people):
    for patient in people.values():
        gen.case(patient=patient, state=State.UNDER_REVIEW)
    mark_them(client, people)

    page = loaded(client.get("/cases/"))

    assert marks(page) == expected("Marsh", "Ohio", "Well")
    badge = soup(page).find(class_="contact-ended")
    assert "badge" in badge["class"] and badge.find_previous("a").get_text() == "Marsh, Pat"


def test_the_worklist_csv_says_it_in_a_column_of_its_own(client, coordinator, gen, people):
    for patient in people.values():
        gen.case(patient=patient, state=State.UNDER_REVIEW)
    mark_them(client, people)

    rows = list(csv.reader(io.StringIO(client.get("/cases/worklist.csv").data.decode("utf-8-sig"))))

    assert rows[0][:3] == ["Case", "MRN", "Patient"] and rows[0][-1] == "No longer reachable"
    by_name = {row[2].split(",")[0]: row[-1] for row in rows[1:]}
    assert by_name == {**expected("Marsh", "Ohio"), "Well": ""}


def test_the_physicians_list_marks_them(client, coordinator, gen, people, physician, make_client):
    for patient in people.values():
        gen.case(patient=patient, state=State.UNDER_REVIEW, physician=physician)
    mark_them(client, people)
    browser = make_client()
    sign_in(browser, physician)

    assert marks(loaded(browser.get("/cases/physician"))) == expected("Marsh", "Ohio", "Well")


def test_the_day_board_and_my_day_mark_a_booked_patient_who_has_since_died_or_left(
        client, coordinator, gen, people, physician, make_client):
    room = gen.room(name="Fluoro 1")
    for hour, patient in enumerate(people.values(), start=9):
        gen.appointment(gen.case(patient=patient, state=State.SCHEDULED), physician=physician, room=room,
                        starts_at=clinic_at(1, hour))
    mark_them(client, people)

    board = loaded(client.get(f"/schedule/day?date={clinic_day(1).isoformat()}"))
    assert marks(board) == expected("Marsh", "Ohio", "Well")
    browser = make_client()
    sign_in(browser, physician)
    assert marks(loaded(browser.get(f"/schedule/mine?date={clinic_day(1).isoformat()}"))) == \
        expected("Marsh", "Ohio", "Well")


def test_the_patient_search_marks_them(client, coordinator, gen, people):
    gen.case(patient=people["Marsh"], state=State.FOLLOW_UP)
    mark_them(client, people)

    assert marks(loaded(client.get("/search?q=Marsh"))) == expected("Marsh")
    assert marks(loaded(client.get("/search?q=Ohio"))) == expected("Ohio")
    assert marks(loaded(client.get("/search?q=Well"))) == expected("Well")


@pytest.mark.parametrize("address", ["/cases/", "/cases/physician", "/schedule/day?date={tomorrow}",
                                     "/schedule/mine?date={tomorrow}", "/search?q=Pat"])
def test_each_list_takes_as_many_queries_with_patients_marked_as_without(
        client, coordinator, gen, people, physician, make_client, count_queries, address):
    address = address.format(tomorrow=clinic_day(1).isoformat())
    room = gen.room(name="Fluoro 1")
    for hour, patient in enumerate(people.values(), start=9):
        case = gen.case(patient=patient, state=State.SCHEDULED, physician=physician)
        gen.appointment(case, physician=physician, room=room, starts_at=clinic_at(1, hour))
    viewer = make_client()
    sign_in(viewer, physician if "physician" in address or "mine" in address else gen.user(Role.COORDINATOR))

    def queries():
        with count_queries() as counter:
            page = loaded(viewer.get(address))
        return counter.n, marks(page)

    before, shown = queries()
    assert shown == dict.fromkeys(("Marsh", "Ohio", "Well"))
    mark_them(client, people)
    after, shown = queries()
    assert shown == expected("Marsh", "Ohio", "Well")
    assert after == before


def test_the_json_api_says_it_with_the_patient_on_the_worklist_a_case_and_a_days_appointments(
        client, coordinator, gen, people):
    """Another system reading the worklist, a case or the day's appointments is told too, as data
    (why, the day of death, when it was recorded), not only as the lists' words."""
    from tests.api_support import bearer, token_for

    cases = {name: gen.case(patient=patient, state=State.SCHEDULED) for name, patient in people.items()}
    for hour, case in enumerate(cases.values(), start=9):
        gen.appointment(case, starts_at=clinic_at(1, hour))
    mark_them(client, people)
    headers = bearer(token_for(gen.user(Role.COORDINATOR)))

    listed = {item["patient"]["name"].split(",")[0]: item["patient"]["no_longer_reachable"]
              for item in client.get("/api/v1/cases", headers=headers).get_json()["items"]}
    assert listed["Well"] is None
    assert listed["Marsh"]["why"] == "died" and listed["Marsh"]["died_on"] == died_on().isoformat()
    assert listed["Ohio"]["why"] == "left_care" and listed["Ohio"]["died_on"] is None
    assert listed["Ohio"]["recorded_at"]
    one = client.get(f"/api/v1/cases/{cases['Marsh'].id}", headers=headers).get_json()
    assert one["patient"]["no_longer_reachable"]["why"] == "died"
    day = client.get(f"/api/v1/appointments?day={clinic_day(1).isoformat()}", headers=headers).get_json()
    by_case = {item["case_id"]: item["patient"]["no_longer_reachable"] for item in day["items"]}
    assert by_case[cases["Ohio"].id]["why"] == "left_care" and by_case[cases["Well"].id] is None

"""An appointment booked for a patient later recorded as no longer reachable says so where staff
prepare the day: for a death, the day board, My day, the case page and the appointment page say
"Patient died 2026-12-01: cancel this appointment" in place of its readiness (before, the card read
"✗ Not ready — Still needed: day-of check" as if the procedure could go ahead), with the way to
cancel it; for leaving, "Patient left care (recorded …): confirm before the procedure" beside its
readiness. Recording a death lists the appointments still booked, to cancel, so none is left on
the schedule unseen. Nothing is cancelled or sent on its own."""
import pytest

from tracker.extensions import db
from tracker.models import Appointment
from tracker.timeutil import clinic_today
from tracker.vocab import AppointmentStatus
from tracker.workflow import State

from tests.builders import clinic_at, clinic_day
from tests.functional.test_no_longer_reachable_on_lists import died_on
from tests.functional.test_patient_no_longer_reachable import died, record
from tests.helpers import by_id, form_data, form_posting_to, loaded, sign_in, soup, submit, text, words


DIED = "Patient died {day}: cancel this appointment."
LEFT = "Patient left care (recorded {day}): confirm before the procedure."


@pytest.fixture
def room(gen):
    return gen.room(name="Fluoro 1")


@pytest.fixture
def booked(gen, physician, room):
    """{name: appointment} tomorrow for Marsh (to die), Ohio (to leave) and Well (reachable)."""
    booked = {}
    for hour, name in enumerate(("Marsh", "Ohio", "Well"), start=9):
        case = gen.case(patient=gen.patient(family_name=name, given_name="Pat"), state=State.SCHEDULED,
                        physician=physician)
        booked[name] = gen.appointment(case, physician=physician, room=room, starts_at=clinic_at(1, hour))
    return booked


def mark_them(client, booked):
    assert died(client, booked["Marsh"].case.patient, on=died_on()).status_code == 302
    assert record(client, booked["Ohio"].case.patient, why="left_care",
                  note="Moved to Ohio, says her husband").status_code == 302


def cards(page):
    """{patient's family name: the card}, for each appointment card of a day page."""
    return {name: card for card in soup(page).select("article.appt")
            for name in ("Marsh", "Ohio", "Well") if f"{name}, Pat" in words(card)}


def cancel_link(node):
    link = node.find("a", class_="cancel-appointment")
    return link["href"] if link else None


@pytest.mark.parametrize("who", ["coordinator", "physician"])
def test_the_day_board_and_my_day_say_a_patient_died_in_place_of_readiness_and_lead_to_cancelling(
        client, coordinator, physician, make_client, booked, who):
    mark_them(client, booked)
    viewer = client
    address = f"/schedule/day?date={clinic_day(1).isoformat()}"
    if who == "physician":
        viewer = make_client()
        sign_in(viewer, physician)
        address = f"/schedule/mine?date={clinic_day(1).isoformat()}"

    shown = cards(loaded(viewer.get(address)))

    marsh, ohio, well = (words(shown[name]) for name in ("Marsh", "Ohio", "Well"))
    assert DIED.format(day=died_on().isoformat()) in marsh
    assert "Not ready" not in marsh and "Still needed" not in marsh and "Check in" not in marsh
    assert cancel_link(shown["Marsh"]) == f"/appointments/{booked['Marsh'].id}?cancel=1#cancel-appointment"
    assert LEFT.format(day=clinic_today().isoformat()) in ohio and "Not ready" in ohio
    assert cancel_link(shown["Ohio"]) is None
    assert "Patient died" not in well and "Patient left" not in well and "Not ready" in well


def test_the_case_page_says_it_in_its_appointment_box_and_the_link_opens_the_cancel_form(
        client, coordinator, booked):
    mark_them(client, booked)
    marsh = booked["Marsh"]

    box = by_id(client.get(f"/cases/{marsh.case_id}"), "appointment-box")
    assert DIED.format(day=died_on().isoformat()) in words(box)
    link = cancel_link(box)
    assert link == f"/appointments/{marsh.id}?cancel=1#cancel-appointment"
    ohio_box = words(by_id(client.get(f"/cases/{booked['Ohio'].case_id}"), "appointment-box"))
    assert LEFT.format(day=clinic_today().isoformat()) in ohio_box

    page = loaded(client.get(link))
    assert DIED.format(day=died_on().isoformat()) in words(by_id(page, "patient-no-longer-reachable"))
    assert by_id(page, "cancel-appointment").has_attr("open")
    assert "Not ready" not in words(page) and "Still needed" not in words(page)
    cancelled = submit(client, f"/appointments/{marsh.id}/cancel",
                       {"version_id": str(marsh.version_id), "reason": "Patient died"}, form_page=link)
    assert cancelled.status_code == 302
    db.session.expire_all()
    assert db.session.get(Appointment, marsh.id).status == AppointmentStatus.CANCELLED
    # Cancelled: nothing left to say on the board.
    assert "Patient died" not in words(cards(client.get(f"/schedule/day?date={clinic_day(1).isoformat()}"))["Marsh"])


def test_the_appointment_page_of_a_patient_who_left_warns_beside_readiness(client, coordinator, booked):
    mark_them(client, booked)

    page = loaded(client.get(f"/appointments/{booked['Ohio'].id}"))

    assert LEFT.format(day=clinic_today().isoformat()) in words(by_id(page, "patient-no-longer-reachable"))
    assert not by_id(page, "cancel-appointment").has_attr("open")
    assert "Not ready" in words(by_id(page, "readiness-h"))


def test_recording_a_death_lists_the_appointments_still_booked_to_cancel(
        client, coordinator, gen, physician, room, booked):
    marsh = booked["Marsh"]
    patient = marsh.case.patient
    # A second booking on another case of hers, and a cancelled one that is not to cancel again.
    other = gen.case(patient=patient, state=State.SCHEDULED, physician=physician)
    later = gen.appointment(other, physician=physician, room=room, starts_at=clinic_at(5, 11))
    gen.appointment(gen.case(patient=patient, state=State.ELIGIBLE), physician=physician, room=room,
                    starts_at=clinic_at(3, 10), status=AppointmentStatus.CANCELLED, cancelled_reason="Patient unwell")

    response = died(client, patient, on=died_on())

    assert response.status_code == 302
    page = loaded(client.get(response.headers["Location"]))
    assert "2 appointments are still booked for this patient: cancel each (listed below)." in words(page)
    notice = by_id(page, "no-longer-reachable")
    links = [a["href"] for a in notice.select("a.cancel-appointment")]
    assert links == [f"/appointments/{marsh.id}?cancel=1#cancel-appointment",
                     f"/appointments/{later.id}?cancel=1#cancel-appointment"]
    db.session.expire_all()
    assert db.session.get(Appointment, marsh.id).status == AppointmentStatus.BOOKED  # nothing cancelled by itself


def test_recording_a_death_with_nothing_booked_says_nothing_of_appointments(client, coordinator, gen):
    patient = gen.patient(family_name="Marsh", given_name="Pat")

    page = loaded(client.get(died(client, patient).headers["Location"]))

    assert "still booked" not in words(page)


def test_a_procedure_is_not_started_for_a_patient_recorded_as_died(client, coordinator, gen, physician, make_client):
    from tests.functional.test_pregnancy import checked_in_today
    case, appointment = checked_in_today(gen, physician, "no")
    doctor = make_client()
    sign_in(doctor, physician)
    start = f"/cases/{case.id}/procedure/start"
    opened_before = form_posting_to(text(doctor.get(f"/schedule/mine?date={clinic_today().isoformat()}")), start)
    died(client, case.patient, on=died_on())

    refused = doctor.post(start, data=form_data(opened_before))

    assert refused.status_code == 302
    page = words(doctor.get(refused.location))
    assert (f"The procedure was not started. The patient's record says Died on {died_on().isoformat()}: Told by her "
            f"daughter (recorded by ") in page and "cancel this appointment" in page
    db.session.expire_all()
    assert db.session.get(Appointment, appointment.id).status == AppointmentStatus.CHECKED_IN
    my_day = text(doctor.get(f"/schedule/mine?date={clinic_today().isoformat()}"))
    assert soup(my_day).find("form", action=start) is None
    assert DIED.format(day=died_on().isoformat()) in words(soup(my_day).find("article", class_="appt"))


def test_a_check_in_from_a_board_opened_before_the_death_was_recorded_is_refused(client, coordinator, gen, physician,
                                                                                 room):
    case = gen.case(patient=gen.patient(family_name="Marsh", given_name="Pat"), state=State.SCHEDULED)
    appointment = gen.appointment(case, physician=physician, room=room, starts_at=clinic_at(0, 23, 30))
    board = f"/schedule/day?date={clinic_today().isoformat()}"
    check_in = f"/appointments/{appointment.id}/check-in"
    opened_before = form_posting_to(text(client.get(board)), check_in)
    died(client, case.patient, on=died_on())

    refused = client.post(check_in, data=form_data(opened_before), follow_redirects=True)

    assert (f"Not checked in: the patient's record says Died on {died_on().isoformat()}: Told by her daughter "
            f"(recorded by ") in words(refused)
    db.session.expire_all()
    assert db.session.get(Appointment, appointment.id).status == AppointmentStatus.BOOKED
    assert soup(client.get(board)).find("form", action=check_in) is None


def test_cancelling_a_dead_patients_appointment_says_the_case_is_to_be_cancelled_not_booked_again(
        client, coordinator, booked):
    """Cancelled, the appointment sends the case back to eligible, where nothing is booked for a
    patient who died: the form and its answer say the case is to be cancelled, not booked again."""
    mark_them(client, booked)
    marsh = booked["Marsh"]
    link = f"/appointments/{marsh.id}?cancel=1#cancel-appointment"
    form = words(by_id(loaded(client.get(link)), "cancel-appointment"))
    assert "The patient died: the case returns to eligible, where nothing is booked for them; cancel the case " \
           "on its page." in form
    assert "to be booked again" not in form
    cancelled = submit(client, f"/appointments/{marsh.id}/cancel",
                       {"version_id": str(marsh.version_id), "reason": "Patient died"}, form_page=link)
    shown = words(loaded(client.get(cancelled.headers["Location"])))
    assert "Appointment cancelled. The patient died: cancel the case too (Cancel case, below)." in shown
    assert "eligible again and can be booked" not in shown
    # Another patient's appointment page still says what it always said.
    assert "to be booked again" in words(by_id(loaded(client.get(f"/appointments/{booked['Well'].id}?cancel=1")),
                                               "cancel-appointment"))

"""Phone calls as the preferred contact need a phone number, as texts and email need theirs: the
forms refuse it next to the choice with everything typed kept; a record saved that way before is
flagged "No way to reach this patient" on the record, the case, the appointment and the day board,
and the appointment offers no "Send the patient's message now" that can send nothing."""
from tracker.extensions import db
from tracker.models import Patient
from tracker.timeutil import to_clinic
from tracker.vocab import ContactChannel
from tracker.workflow import State

from tests.builders import PATIENT, REFERRAL, clinic_at
from tests.helpers import field_error, input_value, submit, words

NO_NUMBER = "There is no phone number to call. Give one, or choose another way to contact the patient."
FLAG = "No way to reach this patient by their preferred contact"


def test_phone_call_without_a_number_is_refused_at_registration_with_everything_typed_kept(client, coordinator):
    response = submit(client, "/referrals/new", {**PATIENT, **REFERRAL, "phone": "", "email": "",
                                                "preferred_contact": "phone"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert field_error(page, "preferred_contact") == NO_NUMBER
    assert input_value(page, "family_name") == PATIENT["family_name"]
    assert '<option selected value="phone">' in page
    assert db.session.execute(db.select(db.func.count(Patient.id))).scalar() == 0


def test_phone_call_without_a_number_is_refused_when_correcting_details(client, coordinator, gen):
    patient = gen.patient(family_name="Kowalski", given_name="Marek", phone="+12015550123", email="m@example.org",
                          preferred_contact=ContactChannel.PHONE)
    response = submit(client, f"/patients/{patient.id}/edit", {
        "family_name": "Kowalski", "given_name": "Marek", "date_of_birth": "1960-01-01", "sex": "male",
        "phone": "", "email": "", "preferred_contact": "phone", "language": "English"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert field_error(page, "preferred_contact") == NO_NUMBER
    assert (input_value(page, "given_name"), input_value(page, "phone"), input_value(page, "email")) == (
        "Marek", "", "")
    db.session.expire_all()
    assert db.session.get(Patient, patient.id).phone == "+12015550123"


def test_a_record_preferring_phone_calls_without_a_number_is_flagged_everywhere_and_offers_no_send(
        client, coordinator, gen):
    # Saved before the rule (or by another system): no phone, no email, phone calls preferred.
    patient = gen.patient(family_name="Kowalski", given_name="Marek", phone=None, email=None,
                          preferred_contact=ContactChannel.PHONE)
    case = gen.case(patient=patient, state=State.SCHEDULED)
    starts = clinic_at(2, 12)
    appointment = gen.appointment(case, starts_at=starts)
    no_number = "There is no phone number"
    for url in (f"/patients/{patient.id}", f"/cases/{case.id}", f"/appointments/{appointment.id}",
                f"/schedule/day?date={to_clinic(starts).date().isoformat()}"):
        shown = words(client.get(url))
        assert FLAG in shown and no_number in shown, url
    shown = words(client.get(f"/appointments/{appointment.id}"))
    assert "nothing is sent automatically: call the patient" not in shown
    assert "Send the patient's message now" not in shown

    # Given a number, the flag goes and nothing else changes.
    patient.phone = "+12015550123"
    db.session.commit()
    for url in (f"/patients/{patient.id}", f"/cases/{case.id}", f"/appointments/{appointment.id}"):
        assert FLAG not in words(client.get(url)), url

"""Phone numbers are validated for the clinic's country, stored in E.164 and shown in the clinic's
style; a number that is not valid is refused next to the field with what was typed kept."""
import pytest

from tracker import contact
from tracker.extensions import db
from tracker.models import Case, Patient
from tracker.phones import PhoneError, display, may_take_texts, to_e164
from tracker.vocab import ContactChannel
from tracker.workflow import State

from tests.builders import PATIENT, REFERRAL
from tests.helpers import field_error, soup, submit


def register(client, phone):
    return submit(client, "/referrals/new", {**PATIENT, **REFERRAL, "phone": phone})


@pytest.mark.parametrize("typed", ["(201) 555-0123", "201-555-0123", "+1 201 555 0123", " 2015550123 "])
def test_a_number_is_stored_in_e164_however_it_is_typed(client, coordinator, typed):
    assert register(client, typed).status_code == 302
    patient = db.session.execute(db.select(Patient)).scalar_one()
    assert patient.phone == "+12015550123"
    case = db.session.execute(db.select(Case)).scalar_one()
    assert "(201) 555-0123" in client.get(f"/cases/{case.id}").get_data(as_text=True)


def test_a_number_abroad_keeps_its_country_and_shows_internationally(client, coordinator):
    assert register(client, "+34 612 345 678").status_code == 302
    patient = db.session.execute(db.select(Patient)).scalar_one()
    assert patient.phone == "+34612345678"
    case = db.session.execute(db.select(Case)).scalar_one()
    assert "+34 612 34 56 78" in client.get(f"/cases/{case.id}").get_data(as_text=True)


@pytest.mark.parametrize("typed", ["555-0100", "+1 555 0100", "12345", "call her daughter", "201-555-01234"])
def test_a_number_not_valid_for_the_clinics_country_is_refused_next_to_the_field_and_kept(
        client, coordinator, typed):
    response = register(client, typed)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="phone-error"' in page and "is not a valid phone number for the United States" in page
    assert f'value="{typed}"' in page
    assert db.session.execute(db.select(db.func.count(Patient.id))).scalar() == 0


@pytest.mark.parametrize("typed, extension", [("(201) 555-0114 ext. 3", "3"), ("(201) 555-0123 x12", "12"),
                                               ("201-555-0123,45", "45")])
def test_a_patients_number_with_an_extension_is_refused_next_to_the_field_and_kept(
        client, coordinator, typed, extension):
    response = register(client, typed)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert field_error(page, "phone") == (f"A patient's number cannot have an extension (ext. {extension}): "
                                          "texts cannot reach one. Give the number alone.")
    assert soup(page).find("input", attrs={"name": "phone"})["value"] == typed
    assert db.session.execute(db.select(db.func.count(Patient.id))).scalar() == 0


def test_the_clinics_own_number_keeps_its_extension(app_ctx):
    from tracker.phones import to_e164_with_extension

    assert to_e164_with_extension("(201) 555-0188 ext. 12") == "+12015550188;ext=12"
    with pytest.raises(PhoneError, match="cannot have an extension"):
        to_e164("(201) 555-0188 ext. 12")


def test_no_number_is_fine(client, coordinator):
    assert register(client, "").status_code == 302
    assert db.session.execute(db.select(Patient)).scalar_one().phone is None


def test_the_clinics_country_decides_how_a_number_without_a_country_code_is_read(app, app_ctx):
    app.config["CLINIC_COUNTRY"] = "GB"
    try:
        assert to_e164("020 7946 0958") == "+442079460958"
        assert display("+442079460958") == "020 7946 0958"
        assert display("+12015550123") == "+1 201-555-0123"
        with pytest.raises(PhoneError, match="for the United Kingdom"):
            to_e164("555 0123")
    finally:
        app.config["CLINIC_COUNTRY"] = "US"


def test_a_stored_number_that_does_not_parse_is_shown_as_it_was(app_ctx):
    assert display("ask at the desk") == "ask at the desk"
    assert display(None) == ""
    assert may_take_texts("+12015550123") and not may_take_texts("ask at the desk")
    assert not may_take_texts("+442079460958")  # a UK landline takes no texts


# ------------------------------------------------------------------ a number chosen for texts

UK_LANDLINE = "+44 20 7946 0958"


@pytest.mark.parametrize("typed, why", [
    (UK_LANDLINE, "+44 20 7946 0958 is a landline: it cannot take text messages."),
    ("", "There is no phone number to text."),
])
def test_text_messages_to_a_landline_or_no_number_are_refused_next_to_the_choice(client, coordinator, typed, why):
    response = submit(client, "/referrals/new", {**PATIENT, **REFERRAL, "phone": typed, "preferred_contact": "sms"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert field_error(page, "preferred_contact") == (
        f"{why} Give a mobile number, or choose another way to contact the patient.")
    assert f'value="{typed}"' in page and '<option selected value="sms">' in page
    assert db.session.execute(db.select(db.func.count(Patient.id))).scalar() == 0


@pytest.mark.parametrize("typed", ["(201) 555-0123", "+34 612 345 678"])
def test_text_messages_to_a_mobile_or_north_american_number_are_accepted(client, coordinator, typed):
    assert submit(client, "/referrals/new", {**PATIENT, **REFERRAL, "phone": typed,
                                            "preferred_contact": "sms"}).status_code == 302


def test_a_landline_is_refused_for_texts_when_correcting_the_record_too(client, coordinator, gen):
    patient = gen.patient()
    response = submit(client, f"/patients/{patient.id}/edit", {
        "family_name": "Doe", "given_name": "Pat", "date_of_birth": "1960-01-01", "sex": "female",
        "phone": UK_LANDLINE, "email": "", "preferred_contact": "sms", "language": "English"})
    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), "preferred_contact").startswith(
        "+44 20 7946 0958 is a landline: it cannot take text messages.")


def test_a_stored_landline_chosen_for_texts_is_flagged_to_staff_the_same_everywhere(client, coordinator, gen):
    # Stored before the check (or by an import): the same words on the case, patient and appointment pages.
    patient = gen.patient(phone="+442079460958", preferred_contact=ContactChannel.SMS, email="pat@example.org")
    case = gen.case(patient=patient, state=State.SCHEDULED)
    appointment = gen.appointment(case)
    why = "+44 20 7946 0958 is a landline: it cannot take text messages."
    for url in (f"/cases/{case.id}", f"/patients/{patient.id}"):
        page = soup(client.get(url).get_data(as_text=True))
        flag = " ".join(page.find(id="texts-impossible").parent.get_text().split())
        assert f"No texts {why} Messages go by email instead." in flag, url
    assert why in " ".join(soup(client.get(f"/appointments/{appointment.id}").get_data(as_text=True)).get_text().split())
    assert contact.channel_for(patient) == "email"


def test_the_patient_page_says_a_language_without_a_catalog_falls_back_to_english(client, coordinator, gen):
    tagalog, spanish = gen.patient(language="Tagalog"), gen.patient(language="español")
    page = soup(client.get(f"/patients/{tagalog.id}").get_data(as_text=True))
    assert page.find(id="no-catalog").get_text() == (
        "(the tracker has no Tagalog translation: this patient's pages and messages are in English)")
    assert soup(client.get(f"/patients/{spanish.id}").get_data(as_text=True)).find(id="no-catalog") is None

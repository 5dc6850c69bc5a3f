"""The clinic's contact details: an admin sets the phone number (validated) and the address, and
patients are given them wherever they are told to call the clinic: their pages (the appointment
page), the personal-link diary and the page of a link that no longer works, emails and texts; in
the patient's language."""
from datetime import datetime, timedelta, timezone

import pytest
from icalendar import Calendar

from tracker.clinic import clinic_contact
from tracker.diary import services as diary
from tracker.extensions import db
from tracker.models import AuditEvent, ClinicSettings
from tracker.roles import Role
from tracker.scheduling import reminders
from tracker.vocab import Side
from tracker.workflow import State

from tests.helpers import by_id, field_error, input_value, sign_in, submit, text, words

ADDRESS = "12 Harbour Road\nSuite 4\nSpringfield"


def set_contact(client, phone="(201) 555-0188", address=ADDRESS):
    version = input_value(text(client.get("/admin/clinic")), "version_id")  # the form as opened now
    return submit(client, "/admin/clinic", {"phone": phone, "address": address, "version_id": version})


@pytest.fixture
def contact_set(make_client, gen):
    """The contact details set by an admin in a browser of their own."""
    browser = make_client()
    sign_in(browser, gen.user(Role.ADMIN))
    assert set_contact(browser).status_code == 302
    return db.session.get(ClinicSettings, 1)


def test_an_admin_saves_the_clinic_phone_and_address_and_it_is_audited(client, admin):
    response = set_contact(client)
    assert response.status_code == 302
    page = client.get("/admin/clinic").get_data(as_text=True)
    assert "The clinic's contact details are saved" in words(page)
    settings = db.session.get(ClinicSettings, 1)
    assert (settings.contact_phone, settings.contact_address) == ("+12015550188", ADDRESS)
    assert 'value="(201) 555-0188"' in page
    preview = words(by_id(page, "clinic-contact-preview"))
    assert "Call the clinic on (201) 555-0188" in preview and "12 Harbour Road, Suite 4, Springfield" in preview
    [event] = db.session.execute(db.select(AuditEvent).filter_by(object_type="clinic_settings")).scalars()
    assert event.summary == "clinic contact: phone, address changed" and event.user_id == admin.id


def test_a_phone_number_that_is_not_one_is_explained_next_to_it_and_the_address_kept(client, admin):
    response = set_contact(client, phone="555")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "is not a valid phone number" in field_error(page, "phone")
    assert "12 Harbour Road" in page
    assert db.session.get(ClinicSettings, 1) is None


def test_a_link_that_no_longer_works_gives_the_clinics_number(make_client, contact_set):
    page = make_client().get("/d/not-a-real-token")
    assert page.status_code == 404
    contact = words(by_id(page.get_data(as_text=True), "clinic-contact"))
    assert "Call the clinic on (201) 555-0188" in contact and "Springfield" in contact
    assert 'href="tel:+12015550188"' in page.get_data(as_text=True)


def test_the_patients_appointment_page_gives_the_clinics_number_in_their_language(
        make_client, gen, contact_set):
    patient = gen.patient(language="Spanish")
    user = gen.user(Role.PATIENT, patient=patient)
    case = gen.case(patient=patient, state=State.SCHEDULED, side=Side.RIGHT)
    gen.appointment(case)
    client = make_client()
    sign_in(client, user)
    spanish = client.get(f"/my/cases/{case.id}", headers={"Accept-Language": "es-MX,es;q=0.9"})
    assert "Llame a la clínica al (201) 555-0188" in words(by_id(spanish.get_data(as_text=True), "clinic-contact"))


def test_the_calendar_file_gives_the_clinics_street_address_after_the_room(make_client, gen, contact_set):
    patient = gen.patient()
    user = gen.user(Role.PATIENT, patient=patient)
    case = gen.case(patient=patient, state=State.SCHEDULED, side=Side.RIGHT)
    appointment = gen.appointment(case, room=gen.room(name="Fluoro 2", location="Level 2, Imaging, desk B"))
    client = make_client()
    sign_in(client, user)
    ics = client.get(f"/my/appointments/{appointment.id}.ics").get_data(as_text=True)
    location = Calendar.from_ical(ics).walk("VEVENT")[0].get("location")
    assert str(location) == "SI Joint Injection Clinic, Level 2, Imaging, desk B, 12 Harbour Road, Suite 4, Springfield"


def test_without_a_number_set_patients_are_still_told_to_call_the_clinic(make_client):
    contact = words(by_id(make_client().get("/d/not-a-real-token").get_data(as_text=True), "clinic-contact"))
    assert "Questions? Call the clinic." in contact


def test_the_diary_link_email_ends_with_the_clinics_address_and_number(client, gen, login_as, contact_set,
                                                                      monkeypatch):
    sent = []
    monkeypatch.setattr(diary, "send_mail", lambda to, subject, body: sent.append(body))
    patient = gen.patient(email="pat@example.org")
    case = gen.case(patient=patient, state=State.FOLLOW_UP)
    gen.diary(case, injected_at=datetime.now(timezone.utc) - timedelta(hours=2), entries={"t0": 6})
    login_as(gen.user(Role.COORDINATOR))
    submit(client, f"/cases/{case.id}/diary/link", {}, form_page=f"/cases/{case.id}")
    [body] = sent
    assert "please call the clinic" in body
    assert "12 Harbour Road\nSuite 4\nSpringfield\nPhone: (201) 555-0188" in body


def test_appointment_texts_and_emails_give_the_number_the_admin_set(app_ctx, gen, contact_set):
    case = gen.case(state=State.SCHEDULED)
    appointment = gen.appointment(case)
    assert "Call the clinic on (201) 555-0188." in reminders.text_body(appointment, "reminder")
    subject, body = reminders.email_body(appointment, "reminder")
    assert "Call the clinic on (201) 555-0188." in body and "12 Harbour Road\nSuite 4" in body


def test_changing_only_the_phone_records_only_the_phone_whatever_line_endings_the_address_came_with(
        client, admin, contact_set):
    # Saved with "\n" between lines (as the demo does); a browser sends the same address back with
    # "\r\n", and a line may come back with a trailing space.
    typed_back = ADDRESS.replace("\n", " \r\n") + "\r\n"

    assert set_contact(client, phone="(201) 555-0199", address=typed_back).status_code == 302

    event = db.session.execute(db.select(AuditEvent).filter_by(object_type="clinic_settings")
                               .order_by(AuditEvent.id.desc()).limit(1)).scalar_one()
    assert event.summary == "clinic contact: phone changed"
    assert [change["field"] for change in event.changes] == ["phone"]
    assert db.session.get(ClinicSettings, 1).contact_address == ADDRESS


def test_saving_the_same_details_again_is_recorded_as_unchanged(client, admin, contact_set):
    assert set_contact(client, address=ADDRESS.replace("\n", "\r\n")).status_code == 302

    event = db.session.execute(db.select(AuditEvent).filter_by(object_type="clinic_settings")
                               .order_by(AuditEvent.id.desc()).limit(1)).scalar_one()
    assert event.summary == "clinic contact: saved unchanged" and event.changes is None


# ---------------------------------------------------------------- an extension


@pytest.mark.parametrize("typed", ["(201) 555-0188 ext. 12", "201-555-0188 x12", "+1 201 555 0188;ext=12"])
def test_an_extension_the_admin_types_is_kept_and_shown_on_the_form_and_the_preview(client, admin, typed):
    assert set_contact(client, phone=typed).status_code == 302

    assert db.session.get(ClinicSettings, 1).contact_phone == "+12015550188;ext=12"
    page = client.get("/admin/clinic").get_data(as_text=True)
    assert 'value="(201) 555-0188 ext. 12"' in page
    assert "Call the clinic on (201) 555-0188 ext. 12." in words(by_id(page, "clinic-contact-preview"))


def test_saving_the_form_again_as_shown_keeps_the_extension_and_changes_nothing(client, admin):
    set_contact(client, phone="(201) 555-0188 ext. 12")

    assert set_contact(client, phone="(201) 555-0188 ext. 12").status_code == 302

    assert db.session.get(ClinicSettings, 1).contact_phone == "+12015550188;ext=12"
    event = db.session.execute(db.select(AuditEvent).filter_by(object_type="clinic_settings")
                               .order_by(AuditEvent.id.desc()).limit(1)).scalar_one()
    assert event.summary == "clinic contact: saved unchanged"


def test_patients_are_given_the_extension_on_pages_with_a_link_that_dials_it(make_client, gen):
    admin_browser = make_client()
    sign_in(admin_browser, gen.user(Role.ADMIN))
    set_contact(admin_browser, phone="(201) 555-0188 ext. 12")

    page = make_client().get("/d/not-a-real-token").get_data(as_text=True)

    assert "Call the clinic on (201) 555-0188 ext. 12." in words(by_id(page, "clinic-contact"))
    # A comma: the phone dials the number, waits, then dials the extension.
    assert 'href="tel:+12015550188,12"' in page


def test_appointment_texts_and_emails_and_the_diary_email_give_the_extension(app_ctx, gen, admin, client,
                                                                             monkeypatch):
    set_contact(client, phone="(201) 555-0188 ext. 12")
    case = gen.case(state=State.SCHEDULED)
    appointment = gen.appointment(case)

    assert "Call the clinic on (201) 555-0188 ext. 12." in reminders.text_body(appointment, "reminder")
    subject, body = reminders.email_body(appointment, "reminder")
    assert "Call the clinic on (201) 555-0188 ext. 12." in body
    assert "Phone: (201) 555-0188 ext. 12" in clinic_contact().signature()


def test_an_extension_of_more_than_six_digits_is_refused_next_to_the_field_with_everything_kept(client, admin):
    response = set_contact(client, phone="(201) 555-0188 ext. 1234567")

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "extension" in field_error(page, "phone") and "6 digits" in field_error(page, "phone")
    assert "(201) 555-0188 ext. 1234567" in page and "12 Harbour Road" in page
    assert db.session.get(ClinicSettings, 1) is None


def test_a_configured_number_with_an_extension_keeps_it_until_an_admin_sets_one(app, app_ctx, monkeypatch):
    monkeypatch.setitem(app.config, "CLINIC_PHONE", "201-555-0188 x12")

    contact = clinic_contact()

    assert (contact.phone_shown, contact.tel) == ("(201) 555-0188 ext. 12", "tel:+12015550188,12")


def test_a_configured_number_that_does_not_parse_is_written_into_its_link_escaped(app, make_client, monkeypatch):
    """Security review: CLINIC_PHONE went into the tel: link's attribute unescaped, so a value with a
    quote in it (a slip in the operator's environment) opened the attribute to whatever followed."""
    monkeypatch.setitem(app.config, "CLINIC_PHONE", 'ask at the desk" onmouseover="alert(1)')
    page = make_client().get("/d/not-a-real-token").get_data(as_text=True)
    [link] = by_id(page, "clinic-contact").find_all("a")
    assert link.attrs.keys() == {"href"}
    assert link["href"] == 'tel:ask at the desk" onmouseover="alert(1)'

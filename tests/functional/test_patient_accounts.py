"""Patient accounts without the clinic's help: a coordinator's invitation by email, "forgot
password" on the sign-in page (the same answer for every address, throttled, staff refused
quietly), and the link that sets the password: signed, single-use, expiring, ending every session
of the account; the patient's pages in their language."""
import re

import pytest

from tracker.extensions import db
from tracker.models import AuditEvent, User
from tracker.roles import Role

from tests.helpers import PASSWORD, by_id, csrf_from, field_error, is_signed_in, sign_in, soup, submit, text, words

NEW_PASSWORD = "kettle orbit lantern 2026"
SAME_ANSWER = "If a patient account uses this address, an email with a link to set a new password is on its way."


def link_in(body):
    return re.sub(r"^https?://[^/]+", "", re.search(r"https?://\S+/account/set-password/\S+", body).group(0))


def set_password(client, path, password=NEW_PASSWORD, confirm=None):
    return submit(client, path, {"new_password": password, "confirm": confirm or password})


def forgot(client, email):
    return submit(client, "/account/forgot-password", {"email": email}, follow_redirects=True)


def audit_summaries():
    return [e.summary for e in db.session.execute(db.select(AuditEvent).order_by(AuditEvent.id)).scalars()]


# ------------------------------------------------------------------ the invitation

def test_an_invited_patient_chooses_a_password_and_the_account_is_made(client, coordinator, gen, account_outbox,
                                                                       make_client, app, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_SERVER", "smtp.outbox.test")  # the outbox stands in for it
    patient = gen.patient(family_name="Okafor", given_name="Grace", email="Grace.Okafor@example.org")
    response = submit(client, f"/patients/{patient.id}/account/invite", {}, form_page=f"/patients/{patient.id}",
                      follow_redirects=True)
    assert "Invitation sent to grace.okafor@example.org" in text(response)
    [(to, subject, body, _)] = account_outbox
    assert to == "grace.okafor@example.org" and "works once, within 7 days" in body
    assert db.session.execute(db.select(User).filter_by(role=Role.PATIENT)).first() is None

    patient_browser = make_client()
    path = link_in(body)
    page = patient_browser.get(path)
    assert page.status_code == 200 and "Choose your password" in text(page)
    done = set_password(patient_browser, path)
    assert done.status_code == 302 and done.location.endswith("/sign-in")
    account = db.session.execute(db.select(User).filter_by(patient_id=patient.id)).scalar_one()
    assert (account.email, account.role, account.name) == ("grace.okafor@example.org", Role.PATIENT, "Grace Okafor")
    assert sign_in(patient_browser, "grace.okafor@example.org", NEW_PASSWORD).status_code == 302
    # Single use: the account now exists, so the invitation opens nothing.
    again = make_client().get(path)
    assert again.status_code == 404 and "does not work any more" in text(again)
    assert "account invitation sent by email" in audit_summaries()
    assert "patient account created from an invitation" in audit_summaries()


def test_an_invitation_accepted_while_its_record_is_merged_away_opens_no_account_on_the_tombstone(
        client, coordinator, gen, account_outbox, make_client, monkeypatch):
    """The link was checked a moment before another coordinator's merge committed: the account is
    not linked to the record merged away (which nobody would see or move again)."""
    from sqlalchemy import update
    from sqlalchemy.orm import Session

    from tracker.models import Patient
    from tracker.patient_accounts import services

    kept = gen.patient(family_name="Okafor", given_name="Grace", email=None)
    merged = gen.patient(family_name="Okafor", given_name="Grace", email="grace@example.org")
    submit(client, f"/patients/{merged.id}/account/invite", {}, form_page=f"/patients/{merged.id}")
    path = link_in(account_outbox[0][2])
    checked, calls = services.holder, []

    def merged_meanwhile(token):
        found = checked(token)
        calls.append(token)
        if len(calls) < 2:  # the page's check; the merge commits after the service's own
            return found
        with Session(db.engine) as other:
            other.execute(update(Patient).where(Patient.id == merged.id).values(merged_into_id=kept.id))
            other.commit()
        return found

    patient_browser = make_client()
    assert patient_browser.get(path).status_code == 200
    monkeypatch.setattr(services, "holder", merged_meanwhile)
    done = set_password(patient_browser, path)
    assert done.status_code == 404 and "does not work any more" in text(done)
    assert db.session.execute(db.select(User).filter_by(role=Role.PATIENT)).first() is None


def test_a_patient_without_an_email_address_cannot_be_invited(client, coordinator, gen, account_outbox):
    patient = gen.patient(email=None)
    response = submit(client, f"/patients/{patient.id}/account/invite", {}, form_page=f"/patients/{patient.id}",
                      follow_redirects=True)
    assert "The patient has no email address: add one to the patient's details first." in text(response)
    assert account_outbox == []


def test_an_invitation_stops_working_when_the_patients_email_changes(client, coordinator, gen, account_outbox,
                                                                     make_client):
    patient = gen.patient(email="old@example.org")
    submit(client, f"/patients/{patient.id}/account/invite", {}, form_page=f"/patients/{patient.id}")
    patient.email = "new@example.org"
    db.session.commit()
    assert make_client().get(link_in(account_outbox[0][2])).status_code == 404


def test_a_spanish_speaking_patient_gets_the_invitation_and_the_page_in_spanish(
        client, coordinator, gen, account_outbox, make_client):
    patient = gen.patient(language="Spanish", email="lucia@example.org")
    submit(client, f"/patients/{patient.id}/account/invite", {}, form_page=f"/patients/{patient.id}")
    [(_, subject, body, _)] = account_outbox
    assert subject.startswith("Su cuenta en") and "una sola vez" in body
    page = make_client().get(link_in(body))
    assert "Elija su contraseña" in text(page)


def test_a_spanish_speaking_patient_is_told_in_spanish_which_part_of_the_address_the_password_holds(
        client, coordinator, gen, account_outbox, make_client):
    patient = gen.patient(language="Spanish", email="lucia.marquez@example.org")
    submit(client, f"/patients/{patient.id}/account/invite", {}, form_page=f"/patients/{patient.id}")
    refused = set_password(make_client(), link_in(account_outbox[0][2]), "Marquez-Sacro-Iliaca-26")
    said = field_error(refused.get_data(as_text=True), "new_password")
    assert refused.status_code == 422 and "«marquez»" in said and "contraseña" in said, said


def test_a_bad_password_is_explained_next_to_the_field_and_no_account_is_made(
        client, coordinator, gen, account_outbox, make_client):
    patient = gen.patient(email="pat@example.org")
    submit(client, f"/patients/{patient.id}/account/invite", {}, form_page=f"/patients/{patient.id}")
    path = link_in(account_outbox[0][2])
    browser = make_client()
    short = set_password(browser, path, "short")
    assert short.status_code == 422 and field_error(short.get_data(as_text=True), "new_password")
    mismatch = set_password(browser, path, NEW_PASSWORD, NEW_PASSWORD + "x")
    assert "The two new passwords do not match." in field_error(mismatch.get_data(as_text=True), "confirm")
    assert db.session.execute(db.select(User).filter_by(patient_id=patient.id)).first() is None


# ------------------------------------------------------------------ forgot password

@pytest.fixture
def patient_user(gen):
    return gen.user(Role.PATIENT, email="pat@example.org", patient=gen.patient(email="pat@example.org"))


def test_forgot_password_gives_one_answer_and_emails_only_patient_accounts(make_client, gen, patient_user,
                                                                           account_outbox):
    staff = gen.user(Role.PHYSICIAN, email="doc@clinic.example")
    answers = {email: words(by_id(forgot(make_client(), email).get_data(as_text=True), "main"))
               for email in ("PAT@example.org", "nobody@example.org", staff.email)}
    assert all(SAME_ANSWER in answer for answer in answers.values())
    assert len(set(answers.values())) == 1
    assert [to for to, *_ in account_outbox] == ["pat@example.org"]
    summaries = audit_summaries()
    assert "password reset link sent by email" in summaries
    assert "password reset link refused (no such account)" in summaries
    assert "password reset link refused (staff account: staff passwords are reset by an admin)" in summaries


def test_the_reset_email_leaves_only_after_the_answer_so_its_timing_tells_nothing(make_client, patient_user,
                                                                                     account_outbox):
    # Sending takes the mail server's time: done before answering, it would make the answer
    # slower for an address with an account than for one without.
    browser = make_client()
    token = csrf_from(browser.get("/account/forgot-password").get_data(as_text=True))
    # Unbuffered, as a WSGI server runs it: the body is written, then the response is closed.
    answer = browser.post("/account/forgot-password", data={"csrf_token": token, "email": "pat@example.org"},
                          buffered=False)
    assert answer.status_code == 302 and account_outbox == []
    answer.close()
    assert [to for to, *_ in account_outbox] == ["pat@example.org"]


def test_a_reset_ends_every_session_and_the_link_works_once(make_client, patient_user, account_outbox):
    on_phone = make_client()
    sign_in(on_phone, patient_user)
    assert is_signed_in(on_phone)
    forgot(make_client(), "pat@example.org")
    path = link_in(account_outbox[0][2])
    laptop = make_client()
    assert "Set a new password" in text(laptop.get(path))
    assert set_password(laptop, path).status_code == 302
    assert not is_signed_in(on_phone)
    assert sign_in(make_client(), patient_user, PASSWORD).status_code != 302
    assert sign_in(make_client(), patient_user, NEW_PASSWORD).status_code == 302
    assert make_client().get(path).status_code == 404


def test_a_reset_link_stops_working_after_a_password_change(make_client, patient_user, account_outbox):
    forgot(make_client(), "pat@example.org")
    path = link_in(account_outbox[0][2])
    browser = make_client()
    sign_in(browser, patient_user)
    submit(browser, "/account/password", {"current_password": PASSWORD, "new_password": NEW_PASSWORD,
                                          "confirm": NEW_PASSWORD})
    assert make_client().get(path).status_code == 404


def test_an_expired_or_altered_link_opens_nothing(app, make_client, patient_user, account_outbox, monkeypatch):
    forgot(make_client(), "pat@example.org")
    path = link_in(account_outbox[0][2])
    assert make_client().get(path[:-3] + "xyz").status_code == 404
    monkeypatch.setitem(app.config, "PASSWORD_RESET_MINUTES", -1)
    expired = make_client().get(path)
    assert expired.status_code == 404 and "Ask for a new link" in text(expired)


def test_forgot_password_is_throttled_per_address(app, make_client, patient_user, account_outbox, monkeypatch):
    monkeypatch.setitem(app.config, "RATELIMIT_PASSWORD_RESET", "3 per 15 minutes")
    client = make_client()
    statuses = [submit(client, "/account/forgot-password", {"email": "pat@example.org"}).status_code
                for _ in range(4)]
    assert statuses == [302, 302, 302, 429]
    assert len(account_outbox) == 3


def test_a_patient_asking_too_often_is_told_to_call_the_clinic_not_an_admin(app, make_client, monkeypatch):
    """Was "too many failed attempts … If you cannot sign in, ask the clinic's admin to set a new
    password", in the staff layout: a patient asking for a link has failed nothing and knows no admin."""
    monkeypatch.setitem(app.config, "RATELIMIT_PASSWORD_RESET", "1 per 15 minutes")
    client = make_client()
    submit(client, "/account/forgot-password", {"email": "pat@example.org"})
    paused = submit(client, "/account/forgot-password", {"email": "pat@example.org"})
    assert paused.status_code == 429
    assert ("There have been too many requests from your network in a short time, so this is paused for a while. "
            "Please wait 15 minutes and try again. If you need help before then, call the clinic: the number is "
            "below.") in words(paused)
    assert "admin" not in words(paused).lower() and "failed" not in words(paused).lower()
    assert by_id(paused, "clinic-contact") is not None  # the patient layout, with the clinic's phone
    spanish = make_client()
    spanish.environ_base["REMOTE_ADDR"], spanish.environ_base["HTTP_ACCEPT_LANGUAGE"] = "192.0.2.44", "es"
    submit(spanish, "/account/forgot-password", {"email": "pat@example.org"})
    paused = submit(spanish, "/account/forgot-password", {"email": "pat@example.org"})
    assert "llame a la clínica" in words(paused)


def test_the_forgot_password_page_is_in_spanish_for_a_spanish_browser(make_client):
    page = make_client().get("/sign-in", headers={"Accept-Language": "es-MX,es;q=0.9"})
    assert "Obtenga un enlace" in text(page)
    forgot_page = make_client().get("/account/forgot-password", headers={"Accept-Language": "es-MX,es;q=0.9"})
    assert "Contraseña olvidada" in text(forgot_page)


def test_a_patient_with_an_account_is_sent_a_link_for_that_account(client, coordinator, gen, account_outbox,
                                                                   make_client):
    patient = gen.patient(email="home@example.org")
    account = gen.user(Role.PATIENT, email="portal@example.org", patient=patient)
    page = client.get(f"/patients/{patient.id}").get_data(as_text=True)
    assert "Email a link to set a password" in page
    submit(client, f"/patients/{patient.id}/account/invite", {}, form_page=f"/patients/{patient.id}")
    [(to, _, body, _)] = account_outbox
    assert to == "portal@example.org"
    browser = make_client()
    assert "Set a new password" in text(browser.get(link_in(body)))
    assert set_password(browser, link_in(body)).status_code == 302
    assert sign_in(make_client(), account, NEW_PASSWORD).status_code == 302
    assert db.session.execute(db.select(db.func.count(User.id)).filter_by(patient_id=patient.id)).scalar() == 1


def test_only_coordinators_are_offered_the_invitation(make_client, gen):
    patient = gen.patient(email="pat@example.org")
    physician = make_client()
    sign_in(physician, gen.user(Role.PHYSICIAN))
    page = physician.get(f"/patients/{patient.id}").get_data(as_text=True)
    assert "Invite to a patient account" not in page
    assert submit(physician, f"/patients/{patient.id}/account/invite", {},
                  form_page=f"/patients/{patient.id}").status_code == 403


# ------------------------------------------------------------------ addresses, and the language after the link

def test_the_sign_in_page_after_a_spanish_invitation_stays_in_spanish(client, coordinator, gen, account_outbox,
                                                                      make_client):
    patient = gen.patient(language="Spanish", email="lucia@example.org")
    submit(client, f"/patients/{patient.id}/account/invite", {}, form_page=f"/patients/{patient.id}")
    browser = make_client()
    done = set_password(browser, link_in(account_outbox[0][2]))
    sign_in_page = text(browser.get(done.location))
    assert "Su contraseña está guardada" in sign_in_page
    assert soup(sign_in_page).html["lang"] == "es"
    assert soup(sign_in_page).find("label", attrs={"for": "password"}).get_text().startswith("Contraseña")


def test_an_address_sign_in_would_refuse_is_never_invited(client, coordinator, gen, account_outbox):
    patient = gen.patient(email="demo-0007@patients.invalid")
    page = text(client.get(f"/patients/{patient.id}"))
    response = submit(client, f"/patients/{patient.id}/account/invite", {}, form_page=f"/patients/{patient.id}",
                      follow_redirects=True)
    assert "not one they could sign in with: correct it in the patient's details first." in text(response)
    assert account_outbox == [] and "Invite to a patient account" in page


def test_the_patient_page_says_when_the_account_signs_in_with_another_address(client, coordinator, gen):
    record = gen.patient(email="ana.silva@example.org")
    gen.user(Role.PATIENT, email="old.address@example.org", patient=record)
    page = words(text(client.get(f"/patients/{record.id}")))
    assert ("The account signs in with old.address@example.org, not with the email on this record "
            "(ana.silva@example.org). Password links go to old.address@example.org") in page
    same = gen.patient(email="Pat.Same@example.org ")
    gen.user(Role.PATIENT, email="pat.same@example.org", patient=same)
    assert "signs in with" not in words(text(client.get(f"/patients/{same.id}")))


@pytest.mark.parametrize("folder, said", [
    ("", "No mail server is set up (MAIL_SERVER), so the invitation to nomail@example.org was not sent. Its link "
         "lets the patient set a password once, within 7 days."),
    ("instance/mail", "No mail server is set up (MAIL_SERVER), so the invitation to nomail@example.org was not sent "
                      "(a copy is kept in the folder instance/mail). Its link lets the patient set a password once, "
                      "within 7 days."),
])
def test_without_a_mail_server_the_invitation_says_it_was_not_sent(client, coordinator, gen, account_outbox, app,
                                                                   monkeypatch, folder, said):
    monkeypatch.setitem(app.config, "MAIL_SERVER", None)
    monkeypatch.setitem(app.config, "MAIL_FILE_DIR", folder)
    patient = gen.patient(email="nomail@example.org")
    response = submit(client, f"/patients/{patient.id}/account/invite", {}, form_page=f"/patients/{patient.id}",
                      follow_redirects=True)
    page = words(text(response))
    assert said in page and "Invitation sent to" not in page


def test_the_patient_page_says_an_invitation_is_waiting_and_until_when(client, coordinator, gen, account_outbox,
                                                                       app, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_SERVER", "smtp.outbox.test")  # the outbox stands in for it
    patient = gen.patient(email="waiting@example.org")
    assert "Invitation sent" not in words(text(client.get(f"/patients/{patient.id}")))
    submit(client, f"/patients/{patient.id}/account/invite", {}, form_page=f"/patients/{patient.id}")

    page = words(text(client.get(f"/patients/{patient.id}")))
    assert "Invitation sent" in page and "by Casey Coordinator, not used yet." in page
    assert "Its link works until" in page and "sending another does not stop it." in page
    # Past the invitation's days, the page says its link has expired.
    monkeypatch.setitem(app.config, "PATIENT_INVITATION_DAYS", 0)
    assert "Its link has expired: send another." in words(text(client.get(f"/patients/{patient.id}")))


@pytest.mark.parametrize("folder, how_to_give", [
    ("instance/mail", "A copy of the email is kept in the folder instance/mail: send it to the patient from there "
                      "(it holds the link). Its link works until"),
    ("", "Nothing holds its link: once a mail server is set up, send another."),
])
def test_without_a_mail_server_the_account_panel_says_the_invitation_was_made_not_sent(
        client, coordinator, gen, account_outbox, app, monkeypatch, folder, how_to_give):
    """The top message says the invitation was not sent; the account panel, read after it, must not
    say "Invitation sent": it was made, not sent, and the panel says how to give it."""
    monkeypatch.setitem(app.config, "MAIL_SERVER", "")
    monkeypatch.setitem(app.config, "MAIL_FILE_DIR", folder)
    patient = gen.patient(family_name="Nguyễn", given_name="Thị Hằng", email="hang@example.org")
    submit(client, f"/patients/{patient.id}/account/invite", {}, form_page=f"/patients/{patient.id}")

    panel = words(soup(client.get(f"/patients/{patient.id}")).find("section", attrs={"aria-labelledby": "account"}))

    assert "Invitation sent" not in panel
    assert ("by Casey Coordinator, not sent: no mail server is set up (MAIL_SERVER). Not used yet.") in panel
    assert panel.count("Invitation made ") == 1
    assert how_to_give in panel
    assert "account invitation made, not sent (no mail server)" in audit_summaries()


def test_a_patient_with_an_account_but_no_email_on_the_record_is_offered_only_the_password_link(
        client, coordinator, gen):
    """After a merge the account can sit on a record without an email: its link goes to the account."""
    with_account = gen.patient()
    gen.user(Role.PATIENT, email="portal@example.org", patient=with_account)
    section = soup(client.get(f"/patients/{with_account.id}")).find("section", attrs={"aria-labelledby": "account"})
    assert "Email a link to set a password" in words(section) and "By email to portal@example.org" in words(section)
    assert "Add an email address" not in words(section)

    without = gen.patient()
    section = soup(client.get(f"/patients/{without.id}")).find("section", attrs={"aria-labelledby": "account"})
    assert "Add an email address to the patient's details to invite them." in words(section)
    assert "Invite to a patient account" not in words(section)

"""Send the diary link to a patient who prefers text messages: by text (the clinic's name and the
link, nothing clinical), in their language; to the log with the link shown to staff when no SMS
provider is set up; by email when texts cannot reach them; refused, changing nothing, when the
provider refuses it or there is no way to send it. A texted link's number is never mistaken for an
email address by the diary reminders."""
import re
from datetime import timedelta

import pytest

from tracker.diary import reminders
from tracker.extensions import db
from tracker.models import AuditEvent, DiaryLink, SmsOptOut
from tracker.roles import Role
from tracker.vocab import ContactChannel, Side
from tracker.workflow import State

from tests.builders import make_diary_link, now
from tests.helpers import soup, submit, text, words
from tests.sms_provider import provider, settings_for  # noqa: F401

MOBILE = "+12015550123"


def texting_case(gen, **fields):
    patient = gen.patient(**{"family_name": "Texter", "email": "pat.texter@example.org", "phone": MOBILE,
                             "preferred_contact": ContactChannel.SMS, **fields})
    case = gen.case(patient=patient, state=State.FOLLOW_UP, side=Side.RIGHT)
    gen.diary(case, injected_at=now() - timedelta(hours=2), entries={"t0": 6})
    return case


def send(client, case):
    return submit(client, f"/cases/{case.id}/diary/link", {}, form_page=f"/cases/{case.id}", follow_redirects=True)


def links_of(case):
    db.session.expire_all()
    return db.session.execute(db.select(DiaryLink).filter_by(case_id=case.id)).scalars().all()


@pytest.mark.parametrize("language, words_sent", [("English", "your personal link for your pain diary"),
                                                  ("Spanish", "su enlace personal para su diario del dolor")])
def test_the_link_goes_by_text_with_nothing_clinical(app, client, gen, login_as, provider, diary_outbox, language,
                                                     words_sent):
    case = texting_case(gen, language=language)
    login_as(gen.user(Role.COORDINATOR))
    panel = words(soup(text(client.get(f"/cases/{case.id}"))).find(id="diary"))
    assert "Send the diary link by text to (201) 555-0123" in panel

    page = text(send(client, case))

    assert "Diary link sent by text message to (201) 555-0123" in page and diary_outbox == []
    [sent] = provider.texts_to(MOBILE)
    assert words_sent in sent["body"]
    url = re.search(r"https?://\S+/d/\S+", sent["body"]).group(0)
    rest = sent["body"].replace(url, "").replace(app.config["CLINIC_NAME"], "").lower()
    for clinical in ("right", "derech", "injection", "inyecc", "texter", "sacro", "block", "score"):
        assert clinical not in rest, clinical
    [link] = links_of(case)
    assert link.sent_to == MOBILE and link.revoked_at is None
    assert "Sent to (201) 555-0123" in words(soup(page).find(id="diary"))
    assert client.get(re.sub(r"^https?://[^/]+", "", url)).status_code == 200


def test_without_an_sms_provider_the_text_goes_to_the_log_and_staff_see_the_link(app, client, gen, login_as,
                                                                                 monkeypatch, caplog):
    monkeypatch.setitem(app.config, "TWILIO_ACCOUNT_SID", "")
    case = texting_case(gen)
    login_as(gen.user(Role.COORDINATOR))
    with caplog.at_level("INFO"):
        page = text(send(client, case))
    assert "No SMS provider is set up (TWILIO_ACCOUNT_SID), so the text was not sent" in page
    assert "Diary link sent" not in page, "one message, not 'sent' followed by 'not sent'"
    shown = soup(page).find(id="diary-link")["value"]
    token = shown.rsplit("/d/", 1)[1]
    assert "Text not sent" in caplog.text and token not in caplog.text  # the log never holds the link
    # What anyone opening the case later reads: made, not sent, and why.
    panel = words(soup(text(client.get(f"/cases/{case.id}"))).find(id="diary"))
    assert "Sent to" not in panel
    assert "not sent (no SMS provider or mail server was set up): read it to the patient" in panel
    [link] = links_of(case)
    assert link.sent_to is None


def test_a_text_that_cannot_be_sent_leaves_the_patients_working_link_as_it_is(app, client, gen, login_as,
                                                                             monkeypatch):
    monkeypatch.setitem(app.config, "TWILIO_ACCOUNT_SID", "")
    case = texting_case(gen)
    earlier, token = make_diary_link(case, sent_to="pat.texter@example.org")
    login_as(gen.user(Role.COORDINATOR))
    page = text(send(client, case))

    assert "No SMS provider is set up (TWILIO_ACCOUNT_SID), so the text was not sent" in page
    assert "The patient's link still works: nothing was sent, so it was not replaced." in page
    assert "Any earlier link for this case no longer works." not in page
    shown = soup(page).find(id="diary-link")["value"]
    assert "It is the link sent to pat.texter@example.org" in words(soup(page))
    phone = client.application.test_client()  # the patient's phone
    assert phone.get(f"/d/{token}").status_code == 200, "the link the patient holds still works"
    assert phone.get(re.sub(r"^https?://[^/]+", "", shown)).status_code == 200
    assert [(l.id, l.revoked_at) for l in links_of(case)] == [(earlier.id, None)]
    assert "Sent to pat.texter@example.org" in words(soup(text(client.get(f"/cases/{case.id}"))).find(id="diary"))
    assert db.session.execute(db.select(AuditEvent).filter_by(object_type="diary_link", object_id=str(earlier.id))
                              .filter(AuditEvent.summary.contains("shown to read to the patient"))).first()


def test_a_number_that_answered_stop_gets_the_link_by_email(app, client, gen, login_as, provider, diary_outbox,
                                                            monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_SERVER", "smtp.clinic.test")  # the outbox catches it
    case = texting_case(gen)
    db.session.add(SmsOptOut(phone=MOBILE, keyword="STOP"))
    db.session.commit()
    login_as(gen.user(Role.COORDINATOR))
    page = text(send(client, case))
    assert "Diary link sent to pat.texter@example.org" in page
    assert provider.requests == [] and [to for to, *_ in diary_outbox] == ["pat.texter@example.org"]


def test_a_refused_text_changes_nothing(client, gen, login_as, provider):
    case = texting_case(gen)
    provider.mode = "refuse"
    login_as(gen.user(Role.COORDINATOR))
    page = text(send(client, case))
    assert "The text could not be sent (the SMS provider did not accept it). Nothing changed" in page
    assert links_of(case) == []


def test_a_landline_the_provider_refuses_is_named_not_tried_again_later(client, gen, login_as, provider):
    """A North American number may be a landline (the number's form cannot tell): the provider
    refuses the text with error 21614. "Try again later" would never work; the coordinator is told
    the number cannot take texts and what to do instead."""
    case = texting_case(gen, email=None)
    provider.mode = "not_mobile"
    login_as(gen.user(Role.COORDINATOR))
    page = words(soup(text(send(client, case))))
    assert ("The SMS provider says (201) 555-0123 is not a mobile number (a landline?): texts cannot reach it. "
            "Nothing changed: give a mobile number, or choose another way to contact the patient "
            "(Correct details).") in page
    assert "try again later" not in page
    assert links_of(case) == []


def test_with_neither_texts_nor_an_address_the_panel_says_so(client, gen, login_as):
    case = texting_case(gen, email=None, phone=None)
    login_as(gen.user(Role.COORDINATOR))
    panel = words(soup(text(client.get(f"/cases/{case.id}"))).find(id="diary"))
    assert "Texts cannot reach the patient (no mobile number, or they answered STOP) and there is no email" in panel
    assert "Texts cannot reach this patient" in text(send(client, case)) and links_of(case) == []


def test_a_texted_links_number_is_never_used_as_an_email_address(app, client, gen, login_as, provider, inbox):
    case = texting_case(gen, email=None)
    login_as(gen.user(Role.COORDINATOR))
    send(client, case)
    # Texts stop: with no address, the diary reminder has nowhere to go by email.
    db.session.add(SmsOptOut(phone=MOBILE, keyword="STOP"))
    db.session.commit()
    reminders.send_due(now=now() + timedelta(weeks=6))
    assert inbox.messages == []


def _cookies_set(app, response):
    """Every cookie the response sets, as sent and, for the session cookie, as its payload too: Flask's
    session cookie is signed, never encrypted (only compressed), so whoever reads it reads that."""
    from http.cookies import SimpleCookie

    serializer = app.session_interface.get_signing_serializer(app)
    found = []
    for header in response.headers.getlist("Set-Cookie"):
        found.append(header)
        for name, morsel in SimpleCookie(header).items():
            if name == app.config["SESSION_COOKIE_NAME"] and morsel.value:
                found.append(repr(serializer.loads(morsel.value)))
    return found


@pytest.mark.parametrize("channel", ["text", "email"])
def test_the_link_to_read_to_the_patient_never_travels_in_a_cookie(app, client, gen, login_as, monkeypatch,
                                                                   channel):
    """Without an SMS provider (or mail server) the coordinator is shown the patient's link to read or
    give them: a bearer link, so no response of the journey (the send, the page after it, a reload of
    that page) sets a cookie holding it. The page shows it in a field to copy; a reload shows the same
    link and makes no other."""
    from tracker.diary import links

    monkeypatch.setitem(app.config, "TWILIO_ACCOUNT_SID", "")
    monkeypatch.setitem(app.config, "MAIL_SERVER", "")
    case = texting_case(gen, **({} if channel == "text" else {"phone": None}))
    login_as(gen.user(Role.COORDINATOR))
    journey = [submit(client, f"/cases/{case.id}/diary/link", {}, form_page=f"/cases/{case.id}")]
    while journey[-1].status_code in (301, 302, 303):
        journey.append(client.get(journey[-1].headers["Location"]))
    page = text(journey[-1])
    journey.append(client.get(journey[-1].request.path))  # a reload of the page that shows it

    [link] = links_of(case)
    shown = re.search(r"https?://[^\s\"<]+/d/([\w.-]+)", page)
    assert shown and links.read(shown.group(1)) == (link.id, case.id)
    token = shown.group(1)
    signed = token.split(".")[0]  # the same in every signature of this link
    for response in journey:
        for cookie in _cookies_set(app, response):
            assert "/d/" not in cookie and signed not in cookie, cookie

    field = soup(page).find("input", id="diary-link")
    assert field is not None and field.has_attr("readonly") and field["value"] == shown.group(0)
    assert soup(page).find("label", attrs={"for": "diary-link"}) is not None
    again = text(journey[-1])
    assert links.read(soup(again).find("input", id="diary-link")["value"].rsplit("/d/", 1)[1])[0] == link.id
    assert links_of(case) == [link]


@pytest.mark.parametrize("mode,said", [("not_mobile", "is not a mobile number (a landline?)"),
                                       ("unsubscribed", "because this number answered STOP")])
def test_a_link_the_provider_refuses_for_the_number_keeps_the_number_stopped_and_the_next_goes_by_email(
        client, gen, login_as, provider, diary_outbox, mode, said):
    """The diary link's button meets the provider's refusal for the number itself (a landline, a
    STOP it holds): nothing else changes, but the number is kept as one no text goes to, as a
    reminder meeting the same refusal keeps it, so the next press sends the link by email."""
    case = texting_case(gen)
    provider.mode = mode
    login_as(gen.user(Role.COORDINATOR))
    send(client, case)
    assert links_of(case) == []
    page = text(client.get(f"/cases/{case.id}"))
    assert 'id="texts-stopped"' in page and said in page

    provider.mode = "ok"
    assert "Diary link sent to" in text(send(client, case))
    assert [to for to, *_ in diary_outbox] == ["pat.texter@example.org"] and len(provider.requests) == 1

"""The personal diary link: staff send, re-send and revoke it; it opens that one case's diary with
no password and signs nobody in; expired, revoked, altered and other-case uses all get the same
page; every use is audited."""
import re
from datetime import timedelta

import pytest

from tracker.diary import links
from tracker.diary import services as diary
from tracker.extensions import db
from tracker.mail import MailError
from tracker.models import AuditEvent, DiaryEntry, DiaryLink
from tracker.roles import Role
from tracker.vocab import EntrySource, Side
from tracker.workflow import State

from tests.builders import LINK_NOT_VALID, make_diary_link, now
from tests.helpers import csrf_from, is_checked, soup, submit, text, words


@pytest.fixture
def case(gen):
    patient = gen.patient(family_name="Linkton", email="pat.linkton@example.org")
    case = gen.case(patient=patient, state=State.FOLLOW_UP, side=Side.RIGHT)
    gen.diary(case, injected_at=now() - timedelta(hours=2), entries={"t0": 6})
    return case


def path_of(url):
    return re.sub(r"^https?://[^/]+", "", url)


# ------------------------------------------------------------------ staff send, re-send, revoke

def test_staff_send_the_link_by_email_with_nothing_clinical_in_it(app, client, gen, login_as, case, diary_outbox,
                                                                  monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_SERVER", "smtp.clinic.test")  # the outbox catches it
    login_as(gen.user(Role.COORDINATOR))
    response = submit(client, f"/cases/{case.id}/diary/link", {}, form_page=f"/cases/{case.id}",
                      follow_redirects=True)

    assert "Diary link sent to pat.linkton@example.org" in text(response)
    [(to, subject, body, _)] = diary_outbox
    assert to == "pat.linkton@example.org"
    url = re.search(r"https?://\S+/d/\S+", body).group(0)
    for clinical in ("right", "Right", "injection", "Linkton", "6", "sacroiliac", "block"):
        assert clinical not in body.replace(url, ""), clinical
    link = db.session.execute(db.select(DiaryLink)).scalar_one()
    assert link.sent_to == "pat.linkton@example.org" and link.revoked_at is None
    assert "Personal link" in text(response) and "Not used yet" in text(response)
    assert client.get(path_of(url)).status_code == 200


def test_a_link_sent_from_a_staff_page_is_on_the_clinics_public_address(app, client, gen, login_as, case,
                                                                        diary_outbox, monkeypatch):
    """Security review: a coordinator on the clinic's internal address (http://tracker.internal)
    emailed the patient a link on that address, which the patient cannot open; the reminders and the
    password emails were on PUBLIC_URL."""
    monkeypatch.setitem(app.config, "MAIL_SERVER", "smtp.clinic.test")
    monkeypatch.setitem(app.config, "PUBLIC_URL", "https://diary.clinic.example")
    login_as(gen.user(Role.COORDINATOR))
    submit(client, f"/cases/{case.id}/diary/link", {}, form_page=f"/cases/{case.id}")

    [(_to, _subject, body, _)] = diary_outbox
    assert re.search(r"https?://\S+/d/\S+", body).group(0).startswith("https://diary.clinic.example/d/")


def test_without_a_mail_server_the_staff_member_is_shown_the_link_and_the_log_never_holds_it(
        client, gen, login_as, case, app, monkeypatch, caplog):
    monkeypatch.setitem(app.config, "MAIL_SERVER", "")
    login_as(gen.user(Role.COORDINATOR))
    with caplog.at_level("DEBUG"):
        response = submit(client, f"/cases/{case.id}/diary/link", {}, form_page=f"/cases/{case.id}",
                          follow_redirects=True)
    assert "No mail server is set up (MAIL_SERVER), so the email was not sent" in text(response)
    assert "Diary link sent" not in text(response), "one message, not 'sent' followed by 'not sent'"
    panel = words(soup(client.get(f"/cases/{case.id}")).find(id="diary"))
    assert "Sent to" not in panel and "not sent (no SMS provider or mail server was set up): read it to the patient" in panel
    url = soup(response).find(id="diary-link")["value"]
    assert url.startswith(("http://", "https://")) and "/d/" in url
    assert client.get(path_of(url)).status_code == 200
    token = url.rsplit("/d/", 1)[1]
    assert "pat.linkton@example.org" in caplog.text and "/d/[redacted]" in caplog.text
    assert token not in caplog.text and token.split(".")[0] not in caplog.text


def test_the_link_to_give_the_patient_is_shown_only_while_nothing_can_send_it(client, gen, login_as, case, app,
                                                                             monkeypatch):
    """With a mail server a link goes by email: the page that shows it to give the patient shows none,
    even the working link sent earlier, and sends staff back to the case."""
    monkeypatch.setitem(app.config, "MAIL_SERVER", "smtp.clinic.test")
    link, token = make_diary_link(case, sent_to="pat.linkton@example.org")
    login_as(gen.user(Role.COORDINATOR))
    response = client.get(f"/cases/{case.id}/diary/link-to-give")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/cases/{case.id}#diary")
    assert token.split(".")[0] not in text(client.get(response.headers["Location"]))

    monkeypatch.setitem(app.config, "MAIL_SERVER", "")
    shown = soup(client.get(f"/cases/{case.id}/diary/link-to-give")).find(id="diary-link")["value"]
    assert links.read(shown.rsplit("/d/", 1)[1]) == (link.id, case.id)
    assert db.session.execute(db.select(AuditEvent).filter_by(object_type="diary_link", object_id=str(link.id))
                              .filter(AuditEvent.summary.contains("shown to read to the patient"))).first()


def test_the_patient_page_says_a_link_that_was_not_sent_was_not_sent(client, gen, login_as, case, app,
                                                                        monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_SERVER", "")
    login_as(gen.user(Role.COORDINATOR))
    submit(client, f"/cases/{case.id}/diary/link", {}, form_page=f"/cases/{case.id}")

    page = words(soup(client.get(f"/patients/{case.patient_id}")))

    assert "sent to (not sent)" not in page and "sent to" not in page
    assert "made, not sent, works until" in page


def test_an_email_that_cannot_be_sent_leaves_the_patients_working_link_as_it_is(client, gen, login_as, case, app,
                                                                                 monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_SERVER", "")
    earlier, token = make_diary_link(case, sent_to="pat.linkton@example.org")
    login_as(gen.user(Role.COORDINATOR))
    response = submit(client, f"/cases/{case.id}/diary/link", {}, form_page=f"/cases/{case.id}",
                      follow_redirects=True)
    assert "No mail server is set up (MAIL_SERVER), so the email was not sent" in text(response)
    assert "The patient's link still works: nothing was sent, so it was not replaced." in text(response)
    assert client.application.test_client().get(f"/d/{token}").status_code == 200
    db.session.expire_all()
    assert [(l.id, l.revoked_at) for l in db.session.execute(db.select(DiaryLink)).scalars()] == [(earlier.id, None)]


def test_a_new_link_revokes_the_older_one(client, gen, login_as, case, diary_outbox):
    login_as(gen.user(Role.PHYSICIAN))
    submit(client, f"/cases/{case.id}/diary/link", {}, form_page=f"/cases/{case.id}")
    submit(client, f"/cases/{case.id}/diary/link", {}, form_page=f"/cases/{case.id}")
    first, second = (path_of(re.search(r"https?://\S+", body).group(0)) for _, _, body, _ in diary_outbox)

    phone = client.application.test_client()  # the patient's phone: no session of its own
    assert phone.get(second).status_code == 200
    old = phone.get(first)
    assert old.status_code == 404 and LINK_NOT_VALID in text(old)


def test_staff_revoke_the_link(client, gen, login_as, case):
    link, token = make_diary_link(case)
    login_as(gen.user(Role.COORDINATOR))
    response = submit(client, f"/cases/{case.id}/diary/links/{link.id}/revoke", {}, form_page=f"/cases/{case.id}",
                      follow_redirects=True)
    assert "Diary link revoked" in text(response)
    assert LINK_NOT_VALID in text(client.application.test_client().get(f"/d/{token}"))


def test_no_email_address_means_no_link_and_a_clear_message(client, gen, login_as, diary_outbox):
    case = gen.case(state=State.FOLLOW_UP, patient=gen.patient(email=None))
    login_as(gen.user(Role.COORDINATOR))
    response = submit(client, f"/cases/{case.id}/diary/link", {}, form_page=f"/cases/{case.id}",
                      follow_redirects=True)
    assert "This patient has no email address" in text(response)
    assert diary_outbox == [] and db.session.execute(db.select(DiaryLink)).first() is None


def test_a_mail_failure_changes_nothing(client, gen, login_as, case, app, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_SERVER", "smtp.clinic.test")
    link, token = make_diary_link(case)

    def failing(to, subject, body):
        raise MailError("connection refused")

    monkeypatch.setattr(diary, "send_mail", failing)
    login_as(gen.user(Role.COORDINATOR))
    response = submit(client, f"/cases/{case.id}/diary/link", {}, form_page=f"/cases/{case.id}",
                      follow_redirects=True)
    assert "The email could not be sent" in text(response)
    db.session.expire_all()
    assert [(l.id, l.revoked_at) for l in db.session.execute(db.select(DiaryLink)).scalars()] == [(link.id, None)]


# ------------------------------------------------------------------ the patient's phone

def test_the_link_opens_the_diary_and_takes_an_entry_without_signing_anyone_in(client, case):
    link, token = make_diary_link(case)
    page = text(client.get(f"/d/{token}"))
    assert "Your pain diary" in page and "2 hours after" in page
    assert f'action="/d/{token}"' in page  # the token travels with the form, not in a session
    assert "Sign out" not in page and "Linkton" not in page

    response = submit(client, f"/d/{token}", {"point": "h2", "score": "2"}, follow_redirects=True)

    assert "Thank you: your “2 hours after” score is saved." in text(response)
    entry = db.session.execute(db.select(DiaryEntry).filter_by(side=Side.RIGHT)
                               .order_by(DiaryEntry.id.desc())).scalars().first()
    assert (entry.score, entry.source, entry.entered_by_id) == (2, EntrySource.LINK, None)
    # Nobody is signed in: the patient's and staff pages still ask for a sign-in.
    for page_url in ("/my/", f"/my/cases/{case.id}", f"/cases/{case.id}"):
        assert client.get(page_url).status_code == 302
    with client.session_transaction() as session:
        assert "_user_id" not in session
    db.session.expire_all()
    assert db.session.get(DiaryLink, link.id).last_used_at is not None


def test_every_use_of_the_link_is_audited_under_the_link(client, case):
    link, token = make_diary_link(case)
    client.get(f"/d/{token}")
    submit(client, f"/d/{token}", {"point": "h2", "score": "2"})
    rows = db.session.execute(db.select(AuditEvent).filter_by(actor=f"diary link {link.id}")
                              .order_by(AuditEvent.id)).scalars().all()
    assert [r.action.value for r in rows] == ["view", "view", "view", "create"]
    assert all(r.user_id is None for r in rows)
    assert "entered (patient (personal link))" in rows[-1].summary


def test_bad_input_through_the_link_is_refused_and_kept(client, case):
    link, token = make_diary_link(case)
    response = submit(client, f"/d/{token}", {"point": "h2", "score": "12", "analgesic_used": "yes"})
    assert response.status_code == 422
    page = text(response)
    assert "12 is not on the scale" in page and is_checked(page, "analgesic_used", "yes")


def test_the_patient_corrects_through_the_link_the_same_day(client, case):
    link, token = make_diary_link(case)
    submit(client, f"/d/{token}", {"point": "h2", "score": "9"})
    entry = db.session.execute(db.select(DiaryEntry).order_by(DiaryEntry.id.desc())).scalars().first()
    url = f"/d/{token}/entries/{entry.id}/correct"
    submit(client, url, {"score": "1", "reason": "wrong button", "version_id": str(entry.version_id)})
    db.session.expire_all()
    entry = db.session.get(DiaryEntry, entry.id)
    assert entry.score == 1 and entry.revisions[0].score == 9 and entry.revisions[0].replaced_by_id is None


@pytest.mark.parametrize("how", ["expired", "revoked", "tampered", "truncated", "unknown link", "other key"])
def test_a_link_that_is_not_valid_gets_one_page_that_says_nothing(client, app, case, how):
    if how == "expired":
        link, token = make_diary_link(case, expires_at=now() - timedelta(minutes=1))
    elif how == "revoked":
        link, token = make_diary_link(case, revoked_at=now())
    else:
        link, token = make_diary_link(case)
        if how == "tampered":
            token = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
        elif how == "truncated":
            token = token[:20]
        elif how == "unknown link":
            token = links._serializer().dumps({"link": link.id + 99, "case": case.id})
        elif how == "other key":
            from itsdangerous import URLSafeTimedSerializer

            token = URLSafeTimedSerializer("another-secret", salt=links.SALT).dumps({"link": link.id, "case": case.id})

    for response in (client.get(f"/d/{token}"),
                     client.post(f"/d/{token}", data={"point": "h2", "score": "1",
                                                      "csrf_token": csrf_from(client.get("/sign-in").get_data(as_text=True))})):
        assert response.status_code == 404
        page = text(response)
        assert LINK_NOT_VALID in page
        assert "Linkton" not in page and "2 hours after" not in page
    assert db.session.execute(db.select(DiaryEntry).filter_by(case_id=case.id)).scalars().all()[-1].point.point_code == "t0"
    refused = db.session.execute(db.select(AuditEvent).filter_by(summary="diary link refused")).scalars().all()
    assert len(refused) == 2


def test_a_link_names_its_case_and_no_other(client, gen, case):
    """A link cannot reach another case's entry, even with that entry's id in the address."""
    link, token = make_diary_link(case)
    other = gen.case(state=State.FOLLOW_UP, patient=gen.patient(family_name="Otherby"))
    gen.diary(other, injected_at=now() - timedelta(hours=2), entries={"t0": 3})
    theirs = db.session.execute(db.select(DiaryEntry).filter_by(case_id=other.id)).scalar_one()

    for response in (client.get(f"/d/{token}/entries/{theirs.id}/correct"),
                     submit(client, f"/d/{token}/entries/{theirs.id}/correct",
                            {"score": "9", "reason": "x", "version_id": "1"}, form_page=f"/d/{token}")):
        assert response.status_code == 404
        assert LINK_NOT_VALID in text(response) and "Otherby" not in text(response)
    db.session.expire_all()
    assert db.session.get(DiaryEntry, theirs.id).score == 3
    # A token re-signed for the other case with this link's id is refused too (the row names its case).
    forged = links._serializer().dumps({"link": link.id, "case": other.id})
    assert client.get(f"/d/{forged}").status_code == 404


@pytest.mark.parametrize("language, left, right, wrong", [
    ("en", "The correct score (left side)", "The correct score (right side)", "The right score"),
    ("es", "La puntuación correcta (lado izquierdo)", "La puntuación correcta (lado derecho)", None),
])
def test_correcting_one_side_of_a_bilateral_diary_does_not_say_right_for_correct(client, gen, language, left,
                                                                                   right, wrong):
    # On a two-sided diary "the right score (left side)" reads as the right side's score.
    patient = gen.patient(family_name="Twosides", language={"en": "English", "es": "Spanish"}[language])
    case = gen.case(patient=patient, state=State.FOLLOW_UP, side=Side.BILATERAL)
    gen.diary(case, injected_at=now() - timedelta(hours=2), entries={"t0": 6})
    link, token = make_diary_link(case)
    submit(client, f"/d/{token}", {"point": "h2", "score_left": "3", "score_right": "5"})
    entries = {e.side: e for e in db.session.execute(
        db.select(DiaryEntry).filter_by(case_id=case.id).order_by(DiaryEntry.id)).scalars()}

    for side, caption in ((Side.LEFT, left), (Side.RIGHT, right)):
        page = client.get(f"/d/{token}/entries/{entries[side].id}/correct")
        assert soup(page).find("fieldset", id="score").find("legend").get_text() == caption
        if wrong:
            assert wrong not in text(page)

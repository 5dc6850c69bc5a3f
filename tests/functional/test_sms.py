"""Text messages through Twilio's client against a local server that implements its Messages
endpoint; the inbound webhook that stops texts, signature-verified (a forged one is refused)."""
import logging

import pytest
from twilio.request_validator import RequestValidator

from tracker.extensions import db
from tracker.models import AuditEvent, SmsOptOut
from tracker.models.audit import AuditAction
from tracker.roles import Role
from tracker.sms import SmsError, opted_out, send_sms

from tests.sms_provider import SETTINGS, provider  # noqa: F401

PHONE = "+12015550123"


@pytest.fixture
def signing(app):
    """Only the auth token: the webhook's check needs nothing else."""
    saved = app.config["TWILIO_AUTH_TOKEN"]
    app.config["TWILIO_AUTH_TOKEN"] = SETTINGS["TWILIO_AUTH_TOKEN"]
    yield RequestValidator(SETTINGS["TWILIO_AUTH_TOKEN"])
    app.config["TWILIO_AUTH_TOKEN"] = saved


# ------------------------------------------------------------------ sending

def test_a_text_goes_through_the_providers_messages_endpoint(app_ctx, provider):
    sid = send_sms(PHONE, "Hello from the clinic")
    [request] = provider.requests
    assert sid.startswith("SM")
    assert request == {"account": SETTINGS["TWILIO_ACCOUNT_SID"],
                       "auth": (SETTINGS["TWILIO_ACCOUNT_SID"], SETTINGS["TWILIO_AUTH_TOKEN"]),
                       "to": PHONE, "from": SETTINGS["TWILIO_FROM"], "body": "Hello from the clinic"}


def test_without_settings_the_text_goes_to_the_log_with_its_link_redacted(app_ctx, caplog):
    with caplog.at_level(logging.INFO):
        assert send_sms(PHONE, "Your diary: https://tracker.example/d/AbC.secret-token_9") is None
    assert "/d/[redacted]" in caplog.text and "secret-token" not in caplog.text
    assert PHONE not in caplog.text  # the number is personal data: only its last digits


@pytest.mark.parametrize("mode,maybe_sent", [("refuse", False), ("error", False), ("slow", True)])
def test_a_provider_that_refuses_or_times_out_raises_and_says_whether_it_may_have_sent(
        app_ctx, provider, mode, maybe_sent):
    provider.mode = mode
    with pytest.raises(SmsError) as raised:
        send_sms(PHONE, "Hello")
    assert raised.value.maybe_sent is maybe_sent
    assert len(provider.requests) == 1


def test_a_provider_that_cannot_be_reached_sent_nothing(app, app_ctx, provider):
    app.config["TWILIO_BASE_URL"] = "http://127.0.0.1:9"  # the discard port: nothing listens
    with pytest.raises(SmsError) as raised:
        send_sms(PHONE, "Hello")
    assert raised.value.maybe_sent is False and provider.requests == []


# ------------------------------------------------------------------ the inbound webhook

def post_reply(client, validator, body, sender=PHONE, signature=None, url="http://127.0.0.1:5000/sms/inbound"):
    form = {"From": sender, "To": SETTINGS["TWILIO_FROM"], "Body": body, "MessageSid": "SM1"}
    signature = signature if signature is not None else validator.compute_signature(url, form)
    return client.post("/sms/inbound", data=form, headers={"X-Twilio-Signature": signature})


def test_a_signed_stop_stops_every_text_to_the_number_and_staff_see_it(client, gen, login_as, signing):
    patient = gen.patient(phone=PHONE)
    case = gen.case(patient=patient)

    response = post_reply(client, signing, " stop ")

    assert response.status_code == 200 and response.mimetype == "text/xml" and "<Response>" in response.text
    assert opted_out(PHONE).keyword == "STOP"
    login_as(gen.user(Role.COORDINATOR))
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert 'id="texts-stopped"' in page and "answered STOP" in page

    post_reply(client, signing, "STOP")  # a second STOP changes nothing
    assert db.session.execute(db.select(db.func.count(SmsOptOut.id))).scalar() == 1


def test_two_stops_from_one_number_at_the_same_moment_stop_it_once_without_an_error(client, signing, monkeypatch):
    """The provider's retry, or two texts: both requests find no opt-out yet and both add one. The
    number's opt-out is unique: the later is undone, and the provider gets its answer, not a 500."""
    from tests.builders import commit_elsewhere
    from tracker import sms
    from tracker.timeutil import utcnow

    commit_elsewhere(SmsOptOut(phone=PHONE, keyword="STOP", opted_out_at=utcnow()))
    monkeypatch.setattr(sms, "opted_out", lambda phone: None)  # read before the other committed
    response = post_reply(client, signing, "STOP")
    assert response.status_code == 200 and "<Response>" in response.text
    monkeypatch.undo()
    db.session.expire_all()
    assert db.session.execute(db.select(db.func.count(SmsOptOut.id))).scalar() == 1
    assert opted_out(PHONE).keyword == "STOP"


def test_a_signed_start_restarts_texts(client, signing):
    post_reply(client, signing, "UNSUBSCRIBE")
    assert opted_out(PHONE) is not None
    post_reply(client, signing, "Start")
    db.session.expire_all()
    assert opted_out(PHONE) is None


def test_any_other_reply_changes_nothing(client, signing):
    assert post_reply(client, signing, "Is my appointment still on? Please stop by later").status_code == 200
    assert opted_out(PHONE) is None


@pytest.mark.parametrize("how", ["forged", "missing", "wrong address", "other token"])
def test_a_forged_or_unsigned_webhook_is_refused_and_changes_nothing(client, signing, how):
    signature = {"forged": "bm90LWEtc2lnbmF0dXJl", "missing": ""}.get(how)
    url = "http://evil.example/sms/inbound" if how == "wrong address" else "http://127.0.0.1:5000/sms/inbound"
    validator = RequestValidator("someone-elses-token") if how == "other token" else signing
    response = post_reply(client, validator, "STOP", signature=signature, url=url)
    assert response.status_code == 403
    assert opted_out(PHONE) is None
    refusal = db.session.execute(db.select(AuditEvent).order_by(AuditEvent.id.desc())).scalars().first()
    assert refusal.action == AuditAction.ACCESS_DENIED and "signature" in refusal.summary


def test_without_an_auth_token_every_webhook_is_refused(app, client):
    validator = RequestValidator("anything")
    assert post_reply(client, validator, "STOP").status_code == 403
    assert opted_out(PHONE) is None


@pytest.mark.parametrize("body", ["Cancel my appointment please, I have a fever", "End of the pain is near, thank you!",
                                  "Stop by the front desk? I lost my parking ticket"])
def test_a_sentence_that_starts_with_a_stop_word_stops_nothing(client, signing, body):
    """The provider blocks only on a message that is the keyword alone: a sentence starting with
    one is still delivered to, so the tracker must not stop the patient's texts on its own."""
    assert post_reply(client, signing, body).status_code == 200
    assert opted_out(PHONE) is None


def test_a_sentence_that_starts_with_yes_leaves_texts_stopped(client, signing):
    """After STOP the provider restarts only on START, YES or UNSTOP alone: "Yes I will be there"
    leaves its block, so the number stays stopped here too (and messages go by email)."""
    post_reply(client, signing, "Stop.")
    post_reply(client, signing, "Yes I will be there on Monday")
    db.session.expire_all()
    assert opted_out(PHONE) is not None


def test_the_providers_own_reading_of_a_keyword_is_taken(client, signing):
    """With the provider's Advanced Opt-Out, its OptOutType says which keyword (set up there, in
    any language) the reply was: "PARAR" stops texts, "HELP" changes nothing."""
    def reply(body, kind):
        form = {"From": PHONE, "To": SETTINGS["TWILIO_FROM"], "Body": body, "MessageSid": "SM1", "OptOutType": kind}
        signature = signing.compute_signature("http://127.0.0.1:5000/sms/inbound", form)
        return client.post("/sms/inbound", data=form, headers={"X-Twilio-Signature": signature})

    reply("AYUDA", "HELP")
    assert opted_out(PHONE) is None
    reply("PARAR", "STOP")
    assert opted_out(PHONE).keyword == "STOP"
    reply("EMPEZAR", "START")
    db.session.expire_all()
    assert opted_out(PHONE) is None


def test_a_number_the_provider_reports_as_stopped_is_kept_stopped_and_staff_see_why(
        client, app, gen, login_as, provider):
    """The provider refuses a text with error 21610 when the number answered STOP (its block holds
    even when our webhook never heard of it): the number is kept as stopped, so the next message
    goes by email, and the case page says the provider reported it."""

    case = gen.case(patient=gen.patient(phone=PHONE))
    provider.mode = "unsubscribed"
    with pytest.raises(SmsError):
        send_sms(PHONE, "A reminder")
    db.session.commit()
    assert opted_out(PHONE).keyword == "provider"
    login_as(gen.user(Role.COORDINATOR))
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert 'id="texts-stopped"' in page and "the text provider refused a text" in page


def test_a_diary_reminder_the_provider_refuses_as_stopped_goes_by_email_next(app, gen, provider, inbox):
    """The patient prefers texts and has an address; the provider answers 21610 (the number answered
    STOP): the next run reminds them by email rather than texting into the block until the limit."""
    from datetime import datetime, timedelta, timezone

    from tracker.diary import reminders
    from tests.builders import attempts
    from tests.functional.test_reminders_sms import texting_case

    case = texting_case(gen)
    provider.mode = "unsubscribed"
    reminders.send_due()
    reminders.send_due(now=datetime.now(timezone.utc) + timedelta(hours=app.config["REMINDER_REPEAT_HOURS"] + 1))
    assert sorted((r.channel, r.status) for r in attempts(case, "w6")) == [("email", "sent"), ("sms", "failed")]
    assert len(inbox.messages) == 1 and len(provider.requests) == 1


def test_a_landline_the_provider_refuses_says_so_where_the_result_is_shown(app_ctx, provider):
    provider.mode = "not_mobile"
    with pytest.raises(SmsError) as raised:
        send_sms(PHONE, "A reminder")
    assert raised.value.not_mobile and not raised.value.maybe_sent
    assert str(raised.value) == ("refused by the provider: not a mobile number (a landline?), texts cannot reach it "
                                 "(HTTP 400, error 21614)")


def test_a_landline_the_provider_refuses_gets_the_next_reminder_by_email_and_staff_see_why(
        app, client, gen, login_as, provider, inbox):
    """A North American landline passes the form (its number cannot tell), and the provider refuses
    the text with 21614: the next reminder goes by email instead of into the same refusal until the
    attempts run out, and the case page says the provider found no mobile there."""
    from datetime import datetime, timedelta, timezone

    from tracker.diary import reminders
    from tests.builders import attempts
    from tests.functional.test_reminders_sms import texting_case

    case = texting_case(gen)
    provider.mode = "not_mobile"
    reminders.send_due()
    reminders.send_due(now=datetime.now(timezone.utc) + timedelta(hours=app.config["REMINDER_REPEAT_HOURS"] + 1))
    assert sorted((r.channel, r.status) for r in attempts(case, "w6")) == [("email", "sent"), ("sms", "failed")]
    assert len(inbox.messages) == 1 and len(provider.requests) == 1

    login_as(gen.user(Role.COORDINATOR))
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert 'id="texts-stopped"' in page and "is not a mobile number (a landline?)" in page
    assert "answered STOP" not in page

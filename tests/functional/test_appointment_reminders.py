"""Appointment reminders (two days and the day before), updates when moved, cancellations: by the
patient's channel, in their language, each exactly once, re-checked before sending; the
coordinator sees them on the appointment page and the day board and can send one again."""
import email
from datetime import datetime, timedelta, timezone

import pytest
from icalendar import Calendar

from tracker import contact
from tracker.extensions import db
from tracker.models import AppointmentChange, AppointmentMessage, RiskScreen
from tracker.roles import Role
from tracker.scheduling import reminders
from tracker.timeutil import to_clinic
from tracker.vocab import AppointmentStatus, ContactChannel, Side
from tracker.workflow import State

from tests.builders import clinic_at
from tests.helpers import soup, submit, words
from tests.sms_provider import provider, settings_for  # noqa: F401

MOBILE = "+12015550123"


def now():
    return datetime.now(timezone.utc).replace(microsecond=0)


def booked(gen, hours_ahead, booked_ago=timedelta(days=10), **patient_fields):
    """An appointment `hours_ahead` from now, booked `booked_ago` (long enough ago, by default, for
    its confirmation to be past: these tests are about what follows it)."""
    fields = {"email": "pat@example.org", **patient_fields}
    case = gen.case(patient=gen.patient(**fields), state=State.SCHEDULED, side=Side.LEFT)
    db.session.add(RiskScreen(case_id=case.id, red_flags_screened=True, anticoagulants="apixaban",
                              anticoagulant_hold_plan="Stop apixaban on Monday 30 November; restart the day after.",
                              sedation_planned=True))
    db.session.commit()
    room = gen.room(location="Level 2, desk B")
    return gen.appointment(case, room=room, starts_at=now() + timedelta(hours=hours_ahead),
                           created_at=now() - booked_ago)


def messages_of(appointment):
    db.session.expire_all()
    return db.session.execute(db.select(AppointmentMessage).filter_by(appointment_id=appointment.id)
                              .order_by(AppointmentMessage.id)).scalars().all()


# ------------------------------------------------------------------ reminders by email

def test_the_two_day_reminder_goes_once_by_email_with_the_preparation_and_the_calendar_file(
        app, app_ctx, gen, reminder_outbox):
    app.config["CLINIC_PHONE"] = "(201) 555-0100"
    appointment = booked(gen, 47)

    counts = reminders.send_due()
    again = reminders.send_due()

    assert (counts.sent, again.sent) == (1, 0)
    [(to, subject, body, [(filename, mimetype, ics)])] = reminder_outbox
    assert to == "pat@example.org" and subject.startswith("Your appointment at ")
    assert "Level 2, desk B" in body and "Stop apixaban on Monday 30 November; restart the day after." in body
    assert "an adult must take you home" in body and "(201) 555-0100" in body
    assert (filename, mimetype) == (f"appointment-{appointment.id}.ics", "text/calendar")
    [event] = Calendar.from_ical(ics).walk("VEVENT")
    assert event["dtstart"].dt == appointment.starts_at
    [message] = messages_of(appointment)
    assert (message.kind, message.channel, message.status, message.topic[:10]) == ("reminder", "email", "sent",
                                                                                  "before-48h")
    app.config["CLINIC_PHONE"] = ""


@pytest.mark.parametrize("has_account", [True, False])
def test_the_emailed_calendar_file_says_where_the_preparation_is(app, app_ctx, gen, reminder_outbox, has_account):
    """With an account, the patient's case page on the clinic's public address (its URL too);
    without one that page is out of reach, and the preparation is in the email the file came with."""
    appointment = booked(gen, 47)
    if has_account:
        gen.user(Role.PATIENT, patient=appointment.case.patient, email="pat@example.org")

    reminders.send_due()

    [(_to, _subject, _body, [(_name, _type, ics)])] = reminder_outbox
    [event] = Calendar.from_ical(ics).walk("VEVENT")
    page = f"{app.config['PUBLIC_URL'].rstrip('/')}/my/cases/{appointment.case_id}"
    if has_account:
        assert str(event["url"]) == page
        assert str(event["description"]).endswith(f"How to prepare: see your page on the clinic's website, {page}")
    else:
        assert "url" not in event
        assert str(event["description"]).endswith("How to prepare: in the email we sent you.")


def test_the_day_before_a_second_reminder_goes(app_ctx, gen, reminder_outbox):
    appointment = booked(gen, 47)
    reminders.send_due()
    reminders.send_due(now=now() + timedelta(hours=25))
    assert [m.topic[:10] for m in messages_of(appointment)] == ["before-48h", "before-24h"]
    assert len(reminder_outbox) == 2


def test_booked_late_only_the_nearest_reminder_goes(app_ctx, gen, reminder_outbox):
    appointment = booked(gen, 10)
    reminders.send_due()
    assert [m.topic[:10] for m in messages_of(appointment)] == ["before-24h"]


def test_nothing_goes_too_early_or_to_a_patient_who_prefers_calls(app_ctx, gen, reminder_outbox):
    booked(gen, 60)
    booked(gen, 20, preferred_contact=ContactChannel.PHONE)
    assert reminders.send_due().sent == 0 and reminder_outbox == []


def test_the_reminder_is_in_the_patients_language(app_ctx, gen, reminder_outbox):
    booked(gen, 20, language="Spanish")
    reminders.send_due()
    [(_, subject, body, _)] = reminder_outbox
    assert subject.startswith("Su cita en ") and "Antes de venir:" in body
    assert "un adulto debe llevarle a casa" in body


# ------------------------------------------------------------------ moved, cancelled, re-checked

def move(appointment, hours_ahead):
    appointment.changes.append(AppointmentChange(change="rescheduled", old_starts_at=appointment.starts_at,
                                                 reason="patient asked"))
    appointment.starts_at = now() + timedelta(hours=hours_ahead)
    appointment.ends_at = appointment.starts_at + timedelta(minutes=30)
    db.session.commit()


def test_a_moved_appointment_sends_an_update_then_reminders_for_the_new_time(app_ctx, gen, reminder_outbox):
    appointment = booked(gen, 20)
    reminders.send_due()
    move(appointment, 40)

    reminders.send_due()
    assert reminder_outbox[-1][1].startswith("Your appointment has moved")
    reminders.send_due()  # nothing more until the new time's reminder is due
    reminders.send_due(now=now() + timedelta(hours=17))
    assert [m.kind for m in messages_of(appointment)] == ["reminder", "update", "reminder"]


def test_a_cancelled_appointment_sends_a_cancellation_with_a_calendar_cancel(app_ctx, gen, reminder_outbox):
    appointment = booked(gen, 30)
    appointment.status, appointment.cancelled_reason = AppointmentStatus.CANCELLED, "no longer needed"
    appointment.changes.append(AppointmentChange(change="cancelled", reason="no longer needed"))
    db.session.commit()

    reminders.send_due()
    reminders.send_due()

    [(_, subject, body, [(_, _, ics)])] = reminder_outbox
    # No preparation repeated; the hold plan recorded as text gets the advice about restarting.
    assert "is cancelled" in subject and "Stop apixaban on Monday 30 November" not in body
    assert "Blood thinner (apixaban): if you stopped it for this appointment, ask the doctor" in body
    calendar = Calendar.from_ical(ics)
    assert calendar["method"] == "CANCEL" and calendar.walk("VEVENT")[0]["status"] == "CANCELLED"


def test_a_claim_is_rechecked_and_skipped_when_the_appointment_moved_meanwhile(app_ctx, gen, reminder_outbox):
    appointment = booked(gen, 20)
    [due] = reminders.due_messages()
    message = reminders.claim(due.appointment_id, due.topic, due.kind, due.channel, 1, now())
    move(appointment, 70)
    reminders.deliver(message, now(), contact.Counts())
    assert messages_of(appointment)[0].status == "skipped" and reminder_outbox == []


# ------------------------------------------------------------------ quiet hours

def booked_for(gen, starts_at):
    """An appointment at `starts_at`, booked three weeks before it."""
    appointment = booked(gen, 24)
    appointment.starts_at, appointment.ends_at = starts_at, starts_at + timedelta(minutes=30)
    appointment.created_at = starts_at - timedelta(days=21)
    db.session.commit()
    return appointment


def test_a_reminder_whose_time_comes_in_the_quiet_hours_goes_when_they_end(app_ctx, gen, reminder_outbox,
                                                                          quiet_hours):
    appointment = booked_for(gen, clinic_at(3, 7))  # its reminders fall at 07:00 two days and a day before

    assert reminders.send_due(now=clinic_at(1, 7, 5)).sent == 0
    assert reminders.send_due(now=clinic_at(1, 8)).sent == 1
    assert reminders.send_due(now=clinic_at(2, 7, 5)).sent == 0
    assert reminders.send_due(now=clinic_at(2, 8)).sent == 1
    assert [m.topic[:10] for m in messages_of(appointment)] == ["before-48h", "before-24h"]


@pytest.mark.parametrize("starts,goes_at", [((7, 30), (1, 23, 5)), ((10, 0), (2, 8, 0))],
                         ids=["07:30: at once", "10:00: in the morning"])
def test_a_cancellation_in_the_quiet_hours_goes_at_once_only_for_an_appointment_before_they_end(
        app_ctx, gen, reminder_outbox, quiet_hours, starts, goes_at):
    appointment = booked_for(gen, clinic_at(2, *starts))
    appointment.status, appointment.cancelled_reason = AppointmentStatus.CANCELLED, "no longer needed"
    appointment.changes.append(AppointmentChange(change="cancelled", reason="no longer needed", at=clinic_at(1, 23)))
    db.session.commit()

    for moment in (clinic_at(1, 23, 5), clinic_at(2, 7, 55), clinic_at(2, 8)):
        reminders.send_due(now=moment)

    [message] = messages_of(appointment)
    assert (message.kind, message.status, message.claimed_at) == ("cancellation", "sent", clinic_at(*goes_at))
    assert len(reminder_outbox) == 1


# ------------------------------------------------------------------ by text, and a provider in trouble

def test_a_patient_who_prefers_texts_gets_a_text_with_nothing_clinical(app, app_ctx, gen, provider):
    appointment = booked(gen, 20, preferred_contact=ContactChannel.SMS, phone=MOBILE, language="Spanish")
    reminders.send_due()
    [text] = provider.texts_to(MOBILE)
    assert "su cita es el" in text["body"] and "Level 2, desk B" in text["body"]
    words = text["body"].replace(app.config["CLINIC_NAME"], "").lower()  # the clinic's own name aside
    for clinical in ("apixaban", "sedación", "izquierd", "left", "inyección", "injection", "sacro"):
        assert clinical not in words
    assert messages_of(appointment)[0].channel == "sms"


def test_an_english_text_is_in_the_phones_plain_alphabet(app, app_ctx, gen, provider):
    """Babel writes "10:15 AM" with a narrow no-break space: sent as it is, that one character makes
    the whole text Unicode (70 characters a part, not 160: twice the parts) and shows as a box on
    some phones. The text carries a plain space."""
    booked(gen, 20, preferred_contact=ContactChannel.SMS, phone=MOBILE, language="English")
    reminders.send_due()
    [text] = provider.texts_to(MOBILE)
    assert " AM" in text["body"] or " PM" in text["body"]
    assert not {c for c in text["body"] if c in "\u202f\u00a0\u2009" or ord(c) > 0x20ac}


def test_a_refused_text_is_retried_within_the_limit_and_a_timeout_is_never_repeated(app, app_ctx, gen, provider):
    refused = booked(gen, 20, preferred_contact=ContactChannel.SMS, phone=MOBILE)
    provider.mode = "refuse"
    reminders.send_due()
    reminders.send_due()
    reminders.send_due()
    assert ([m.status for m in messages_of(refused) if m.channel == "sms"]
            == ["failed"] * app.config["REMINDER_MAX_ATTEMPTS"])

    timed_out = booked(gen, 21, preferred_contact=ContactChannel.SMS, phone="+12015550124")
    provider.mode = "slow"
    reminders.send_due()
    provider.mode = "ok"
    reminders.send_due()
    assert [m.status for m in messages_of(timed_out) if m.channel == "sms"] == ["uncertain"]
    assert len(provider.texts_to("+12015550124")) == 1


def test_a_patient_who_answered_stop_gets_email_instead(app_ctx, gen, reminder_outbox, provider):
    from tracker.models import SmsOptOut

    db.session.add(SmsOptOut(phone=MOBILE, keyword="STOP"))
    db.session.commit()
    appointment = booked(gen, 20, preferred_contact=ContactChannel.SMS, phone=MOBILE)
    reminders.send_due()
    assert provider.requests == [] and messages_of(appointment)[0].channel == "email" and len(reminder_outbox) == 1


# ------------------------------------------------------------------ what the coordinator sees

def test_the_coordinator_sees_each_message_and_sends_one_again(client, gen, login_as, reminder_outbox):
    appointment = booked(gen, 20)
    login_as(gen.user(Role.COORDINATOR))
    before = words(client.get(f"/appointments/{appointment.id}").get_data(as_text=True))
    assert "Nothing sent yet: messages go out with the next reminders run" in before
    assert "Send the patient's message now" in before and "message again now" not in before
    reminders.send_due()

    page = client.get(f"/appointments/{appointment.id}").get_data(as_text=True)
    assert "Messages to the patient" in page and "msg-sent" in page
    assert ("A confirmation at the first reminders run after booking, reminders 48 and 24 hours before, an update when it moves"
            in words(page))
    day = client.get(f"/schedule/day?date={to_clinic(appointment.starts_at).date().isoformat()}")
    assert "Last message: reminder by email" in day.get_data(as_text=True)

    response = submit(client, f"/appointments/{appointment.id}/messages/resend", {},
                      form_page=f"/appointments/{appointment.id}", follow_redirects=True)
    assert "Sent again by email." in response.get_data(as_text=True)
    assert [m.attempt for m in messages_of(appointment)] == [1, 2] and len(reminder_outbox) == 2
    assert messages_of(appointment)[1].requested_by_id is not None


@pytest.mark.parametrize("mail_server, folder, badge, detail", [
    (None, "", "not delivered", "no mail server is set up: written to the server's log, not delivered"),
    (None, "instance/mail", "not delivered",
     "no mail server is set up: kept as a file in instance/mail and written to the server's log, not delivered"),
    ("smtp.clinic.example", "", "sent", ""),
])
def test_a_message_no_provider_delivered_is_shown_as_not_delivered(app, client, gen, login_as, reminder_outbox,
                                                                     monkeypatch, tmp_path, mail_server, folder,
                                                                     badge, detail):
    """Without a mail server (development, the demo) a reminder is written to the log (and in the demo
    kept as a file, as the README says): kept as sent so it is not tried again, but never shown as
    "sent" to a coordinator asked whether it went."""
    monkeypatch.setitem(app.config, "MAIL_SERVER", mail_server)
    monkeypatch.setitem(app.config, "MAIL_FILE_DIR", folder)
    monkeypatch.chdir(tmp_path)  # the folder, relative, is made in the test's own directory
    appointment = booked(gen, 20)
    login_as(gen.user(Role.COORDINATOR))
    reminders.send_due()
    cell = soup(client.get(f"/appointments/{appointment.id}").get_data(as_text=True)).find(
        "span", class_="msg-sent").find_parent("td")
    assert words(cell.find("span")) == badge
    assert words(cell.find("small")) == detail if detail else cell.find("small") is None
    card = words(client.get(f"/schedule/day?date={to_clinic(appointment.starts_at).date().isoformat()}"))
    assert f"Last message: reminder by email, {badge} " in card


# ------------------------------------------------------------------ two runs at the same moment

def test_two_processes_at_the_same_moment_text_each_patient_exactly_once(app, database_url, gen, provider):
    from collections import Counter

    from tests.commands import command_env, two_runs_at_once

    n = 12
    phones = [f"+1201555{1000 + i:04d}" for i in range(n)]
    for number in phones:
        booked(gen, 20, preferred_contact=ContactChannel.SMS, phone=number)
    outputs = two_runs_at_once(command_env(app, database_url, **settings_for(provider)))

    assert Counter(r["to"] for r in provider.requests) == Counter({number: 1 for number in phones}), outputs
    db.session.expire_all()
    rows = db.session.execute(db.select(AppointmentMessage)).scalars().all()
    # The preparation (a blood thinner) goes by email as well: exactly once on each channel.
    assert len(rows) == 2 * n
    assert {(r.channel, r.attempt, r.status) for r in rows} == {("sms", 1, "sent"), ("email", 1, "sent")}


def test_each_email_carries_the_same_calendar_entry_with_a_higher_sequence_after_each_change(app_ctx, gen,
                                                                                             reminder_outbox):
    appointment = booked(gen, 20)
    reminders.send_due()
    move(appointment, 40)
    reminders.send_due()
    appointment.status, appointment.cancelled_reason = AppointmentStatus.CANCELLED, "no longer needed"
    appointment.changes.append(AppointmentChange(change="cancelled", reason="no longer needed"))
    db.session.commit()
    reminders.send_due()

    calendars = [Calendar.from_ical(attachments[0][2]) for _, _, _, attachments in reminder_outbox]
    events = [c.walk("VEVENT")[0] for c in calendars]
    assert [c["method"] for c in calendars] == ["PUBLISH", "PUBLISH", "CANCEL"]
    assert len({str(e["uid"]) for e in events}) == 1
    assert [e.decoded("sequence") for e in events] == [0, 1, 2]
    assert events[1].decoded("dtstart") == appointment.starts_at and events[2]["status"] == "CANCELLED"

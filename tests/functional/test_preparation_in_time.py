"""The preparation reaches the patient in time to follow it: a booking confirmation at the first
`flask reminders send` run after the booking (the whole preparation in the email), and a preparation
reminder at 09:00 (clinic time) the day before the first day the patient acts on a dated step, when
the regular reminders would come on that day or later. A patient reached by text whose preparation
has a step to act on gets each message by email as well; one who can read it nowhere (no email, no
account) is named to staff on the appointment page and the day board, to be called.

Booked through the real form; the clock is controlled by the `now` each run is given."""
from datetime import datetime, time, timedelta

import pytest
from babel.dates import format_date, format_time

from tracker import i18n
from tracker.extensions import db
from tracker.models import AppointmentMessage, RiskScreen
from tracker.roles import Role
from tracker.scheduling import reminders
from tracker.timeutil import clinic_zone, to_clinic
from tracker.vocab import ContactChannel, Side
from tracker.workflow import State

from tests.builders import clinic_day
from tests.functional.test_booking import appointments_of, booking, physician, room  # noqa: F401
from tests.helpers import by_id, submit, text, words
from tests.sms_provider import provider, settings_for  # noqa: F401

MOBILE = "+12015550123"
APIXABAN = {"anticoagulants": "apixaban 5 mg twice daily", "anticoagulant_hold_plan": "restart the day after",
            "anticoagulant_hold_days": 3, "anticoagulant_prescriber_agreed": True}
PREMEDICATION = {"allergy_contrast": True, "contrast_premedication_planned": True,
                 "contrast_premedication_plan": "Prednisone 50 mg 13, 7 and 1 h before."}
AHEAD = 20  # the procedure day, in clinic days from today


def long(offset, language="en"):
    return format_date(clinic_day(offset), "full", locale=language)


def clinic_moment(offset, hh, mm=0):
    """hh:mm clinic time, `offset` clinic days from today (an aware datetime)."""
    return datetime.combine(clinic_day(offset), time(hh, mm), tzinfo=clinic_zone())


def book(client, gen, physician, room, patient_fields=None, offset=AHEAD, clock="10:15", **risk):
    """Book an eligible case through the booking form; its appointment."""
    patient = gen.patient(**{"email": "pat@example.org", **(patient_fields or {})})
    case = gen.case(state=State.ELIGIBLE, side=Side.LEFT, patient=patient, verdict=False)
    db.session.add(RiskScreen(case_id=case.id, red_flags_screened=True, **risk))
    db.session.commit()
    gen.verdict(case)
    response = submit(client, f"/cases/{case.id}/book", booking(clinic_day(offset), clock, physician, room))
    assert response.status_code == 302, text(response)
    [appointment] = appointments_of(case)
    return appointment


def topics(appointment):
    db.session.expire_all()
    return [(m.topic.split("-")[0], m.channel, m.status) for m in db.session.execute(
        db.select(AppointmentMessage).filter_by(appointment_id=appointment.id).order_by(AppointmentMessage.id)
    ).scalars()]


def flat(body):
    return " ".join(body.split())


# ------------------------------------------------------------------ the booking confirmation

def test_a_booking_is_confirmed_at_the_next_run_with_the_whole_preparation(client, coordinator, gen, physician,
                                                                          room, reminder_outbox):
    appointment = book(client, gen, physician, room, **APIXABAN)

    assert reminders.send_due().sent == 1
    assert reminders.send_due().sent == 0  # exactly once
    [(to, subject, body, [(filename, _mimetype, _ics)])] = reminder_outbox
    assert to == "pat@example.org" and subject == f"Your appointment is booked: {long(AHEAD)}"
    assert (f"Blood thinner (apixaban 5 mg twice daily): take your last dose on {long(AHEAD - 4)}, and none "
            f"from {long(AHEAD - 3)} until after your appointment.") in flat(body)
    assert filename == f"appointment-{appointment.id}.ics"
    assert topics(appointment) == [("booked", "email", "sent")]

    page = words(by_id(text(client.get(f"/appointments/{appointment.id}")), "messages"))
    assert "booking confirmation" in page
    assert (f"A confirmation at the first reminders run after booking, a reminder to prepare on "
            f"{clinic_day(AHEAD - 5):%A %d %B} at 09:00, reminders 48 and 24 hours before") in page


def test_the_confirmation_is_in_the_patients_language(client, coordinator, gen, physician, room, reminder_outbox):
    book(client, gen, physician, room, {"language": "Spanish"}, **APIXABAN)
    reminders.send_due()
    [(_to, subject, body, _)] = reminder_outbox
    assert subject == f"Su cita está reservada: {long(AHEAD, 'es')}"
    assert f"tome la última dosis el {long(AHEAD - 4, 'es')}" in flat(body)


def test_the_confirmation_names_the_clinics_time_zone_as_the_patients_pages_do(
        client, coordinator, gen, physician, room, reminder_outbox):
    """Walkthrough: the appointment page and the home card say "at 8:00 AM (New York time)", the
    email only "at 8:00 AM": read in another zone, the hour looks like the reader's own."""
    appointment = book(client, gen, physician, room, **APIXABAN)
    reminders.send_due()
    [(_to, _subject, body, _)] = reminder_outbox
    shown = " ".join(format_time(to_clinic(appointment.starts_at), "short", locale="en").split())
    assert f"{long(AHEAD)} at {shown} (New York time)" in flat(body)


def test_booked_late_the_confirmation_alone_goes_and_covers_the_reminders_already_due(
        client, coordinator, gen, physician, room, reminder_outbox):
    appointment = book(client, gen, physician, room, offset=1, clock="16:00")
    reminders.send_due()
    reminders.send_due()
    assert topics(appointment) == [("booked", "email", "sent")]


def test_moved_before_the_confirmation_went_it_is_confirmed_at_the_new_time_not_updated(
        client, coordinator, gen, physician, room, reminder_outbox):
    appointment = book(client, gen, physician, room, **APIXABAN)
    moved = submit(client, f"/appointments/{appointment.id}/reschedule",
                   booking(clinic_day(AHEAD + 1), "10:15", physician, room, reason="typed the wrong day",
                           version_id=str(appointment.version_id)))
    assert moved.status_code == 302, text(moved)
    db.session.expire_all()
    reminders.send_due()
    reminders.send_due()
    [(_to, subject, body, _)] = reminder_outbox
    assert subject == f"Your appointment is booked: {long(AHEAD + 1)}"
    assert f"take your last dose on {long(AHEAD - 3)}" in flat(body)
    assert topics(appointment) == [("booked", "email", "sent")]


def test_moved_after_the_confirmation_the_patient_gets_the_update(client, coordinator, gen, physician, room,
                                                                  reminder_outbox):
    appointment = book(client, gen, physician, room, **APIXABAN)
    reminders.send_due()
    submit(client, f"/appointments/{appointment.id}/reschedule",
           booking(clinic_day(AHEAD + 1), "10:15", physician, room, reason="patient asked",
                   version_id=str(appointment.version_id)))
    db.session.expire_all()
    reminders.send_due()
    assert [subject.split(":")[0] for _to, subject, _body, _ in reminder_outbox] == [
        "Your appointment is booked", "Your appointment has moved"]


# ------------------------------------------------------------------ the preparation reminder

@pytest.mark.parametrize("at, sent", [
    ((AHEAD - 5, 8, 59), False),   # the day before the last dose, just before 09:00
    ((AHEAD - 5, 9, 0), True),     # 09:00: it goes
    ((AHEAD - 4, 23, 59), True),   # not sent before (the job did not run): still on the last dose day
    ((AHEAD - 3, 0, 0), False),    # the first day without a dose: too late to be of use
])
def test_a_hold_is_reminded_at_nine_the_day_before_the_last_dose(client, coordinator, gen, physician, room,
                                                                 reminder_outbox, at, sent):
    """The walkthrough's case: apixaban held 3 days before a procedure on day D: the last dose on
    D - 4, while the two-day reminder comes on D - 2."""
    appointment = book(client, gen, physician, room, **APIXABAN)
    reminders.send_due()  # the confirmation
    reminders.send_due(now=clinic_moment(*at))
    assert topics(appointment)[1:] == ([("prepare", "email", "sent")] if sent else [])
    if sent:
        _to, subject, body, _ = reminder_outbox[-1]
        assert subject == f"Prepare for your appointment from {long(AHEAD - 4)}"
        assert f"take your last dose on {long(AHEAD - 4)}" in flat(body)


def test_after_the_preparation_reminder_the_regular_reminders_follow(client, coordinator, gen, physician, room,
                                                                     reminder_outbox):
    appointment = book(client, gen, physician, room, **APIXABAN)
    for moment in [None, clinic_moment(AHEAD - 5, 9), clinic_moment(AHEAD - 5, 9, 5),
                   clinic_moment(AHEAD - 2, 10, 15), clinic_moment(AHEAD - 1, 10, 15)]:
        reminders.send_due(now=moment)
    assert [topic for topic, _channel, _status in topics(appointment)] == ["booked", "prepare", "before", "before"]


def test_no_preparation_reminder_when_the_two_day_reminder_comes_before_the_first_step(
        client, coordinator, gen, physician, room, reminder_outbox):
    # The premedication starts the evening before: the 48-hour reminder is a day earlier.
    appointment = book(client, gen, physician, room, **PREMEDICATION)
    reminders.send_due()
    reminders.send_due(now=clinic_moment(AHEAD - 2, 9, 30))
    assert topics(appointment) == [("booked", "email", "sent")]


def test_with_a_day_before_reminder_only_the_premedication_is_reminded_two_days_ahead(
        app, monkeypatch, client, coordinator, gen, physician, room, reminder_outbox):
    monkeypatch.setitem(app.config, "APPOINTMENT_REMINDER_HOURS", "24")
    appointment = book(client, gen, physician, room, **PREMEDICATION)
    reminders.send_due()
    reminders.send_due(now=clinic_moment(AHEAD - 2, 9))
    assert topics(appointment)[1:] == [("prepare", "email", "sent")]
    assert f"start your premedication the evening before, on {long(AHEAD - 1)}" in flat(reminder_outbox[-1][2])


def test_booked_after_the_preparation_reminder_time_the_confirmation_carries_it(
        client, coordinator, gen, physician, room, reminder_outbox):
    # A 3-day hold before a procedure 4 days ahead: the last dose is today.
    appointment = book(client, gen, physician, room, offset=4, **APIXABAN)
    reminders.send_due()
    reminders.send_due(now=clinic_moment(0, 23, 0))
    assert topics(appointment) == [("booked", "email", "sent")]
    assert f"take your last dose on {long(0)}" in flat(reminder_outbox[0][2])


def test_a_hold_agreed_after_the_booking_is_sent_at_the_next_run(client, coordinator, gen, physician, room,
                                                                  reminder_outbox):
    """Booked yesterday at 10:00 (after 09:00, when a preparation reminder would have gone) for a
    procedure 4 days ahead, the prescriber's agreement not yet recorded; today it is: the last dose
    is today, and the patient hears of it at the next run, not at the two-day reminder."""
    patient = gen.patient(email="pat@example.org")
    case = gen.case(state=State.SCHEDULED, side=Side.LEFT, patient=patient)
    db.session.add(RiskScreen(case_id=case.id, red_flags_screened=True,
                              **{**APIXABAN, "anticoagulant_prescriber_agreed": None}))
    db.session.commit()
    booked_at = clinic_moment(-1, 10)
    appointment = gen.appointment(case, physician=physician, room=room, starts_at=clinic_moment(4, 10, 15),
                                  created_at=booked_at)
    reminders.send_due(now=booked_at + timedelta(minutes=5))
    assert "do not stop it yet" in flat(reminder_outbox[0][2])

    screen = db.session.execute(db.select(RiskScreen).filter_by(case_id=case.id)).scalar_one()
    saved = submit(client, f"/cases/{case.id}/risk-screen", {
        "version_id": str(screen.version_id), "anticoagulant_answer": "taking", "allergy_answer": "nkda",
        "anticoagulants": APIXABAN["anticoagulants"], "anticoagulant_hold_plan": "restart the day after",
        "anticoagulant_hold_days": "3", "anticoagulant_prescriber_agreed": "yes", "pregnancy": "no",
        "red_flags_screened": "y", "contrast_premedication_plan": "", "hba1c": "", "red_flags_notes": ""})
    assert saved.status_code == 302, text(saved)
    db.session.expire_all()
    reminders.send_due()
    reminders.send_due()

    assert [topic for topic, _channel, _status in topics(appointment)] == ["booked", "prepare"]
    _to, subject, body, _ = reminder_outbox[-1]
    assert subject == f"Prepare for your appointment from {long(0)}"
    assert f"take your last dose on {long(0)}" in flat(body)


# ------------------------------------------------------------------ text messages

def test_a_patient_reached_by_text_gets_the_preparation_by_email_too_and_the_text_stays_clean(
        app, client, coordinator, gen, physician, room, reminder_outbox, provider):
    appointment = book(client, gen, physician, room, {"preferred_contact": ContactChannel.SMS, "phone": MOBILE},
                       **APIXABAN)
    reminders.send_due()
    reminders.send_due(now=clinic_moment(AHEAD - 5, 9))

    assert sorted(topics(appointment)) == sorted([("booked", "sms", "sent"), ("booked", "email", "sent"),
                                                  ("prepare", "sms", "sent"), ("prepare", "email", "sent")])
    confirmation, preparing = [t["body"] for t in provider.texts_to(MOBILE)]
    assert "your appointment is booked for" in confirmation and "in the email we sent you" in confirmation
    # A text's dates are short ("Wed, Dec 23"), and its place is left to the reminders that follow.
    assert f"prepare from {i18n.short_date(clinic_day(AHEAD - 4))} for your appointment on " \
           f"{i18n.short_date(clinic_day(AHEAD))} at" in preparing
    for body in (confirmation, preparing):
        for clinical in ("apixaban", "dose", "blood", "left", "injection", "sacro"):
            assert clinical not in body.replace(app.config["CLINIC_NAME"], "").lower()
    assert [to for to, *_ in reminder_outbox] == ["pat@example.org"] * 2
    assert f"take your last dose on {long(AHEAD - 4)}" in flat(reminder_outbox[-1][2])


def test_a_text_alone_when_there_is_nothing_to_act_on_and_an_account_to_read_it_at(
        client, coordinator, gen, physician, room, reminder_outbox, provider):
    # Without an account the email goes as well (test_text_without_account).
    appointment = book(client, gen, physician, room, {"preferred_contact": ContactChannel.SMS, "phone": MOBILE},
                       sedation_planned=False)
    gen.user(Role.PATIENT, patient=appointment.case.patient)
    reminders.send_due()
    assert topics(appointment) == [("booked", "sms", "sent")] and reminder_outbox == []


def test_the_coordinator_sends_again_on_both_channels(client, coordinator, gen, physician, room, reminder_outbox,
                                                      provider):
    appointment = book(client, gen, physician, room, {"preferred_contact": ContactChannel.SMS, "phone": MOBILE},
                       **APIXABAN)
    response = submit(client, f"/appointments/{appointment.id}/messages/resend", {},
                      form_page=f"/appointments/{appointment.id}", follow_redirects=True)
    page = text(response)
    assert "Sent again by text message." in page and "Sent again by email." in page
    assert len(provider.texts_to(MOBILE)) == 1 and len(reminder_outbox) == 1


# ------------------------------------------------------------------ a patient who cannot read it

UNREAD = "The patient cannot read the preparation: no email or account. Tell them by phone."


def board_card(client, appointment):
    page = text(client.get(f"/schedule/day?date={clinic_day(AHEAD).isoformat()}"))
    return page


@pytest.mark.parametrize("patient_fields, risk, warned", [
    ({"email": None, "preferred_contact": ContactChannel.SMS, "phone": MOBILE}, APIXABAN, True),
    ({"email": None, "preferred_contact": ContactChannel.SMS, "phone": MOBILE}, {"fasting_hours": 6}, True),
    # Nothing dated to act on, but the text says the clinic will call about the preparation.
    ({"email": None, "preferred_contact": ContactChannel.SMS, "phone": MOBILE}, {"sedation_planned": True}, True),
    ({"email": None, "preferred_contact": ContactChannel.PHONE, "phone": MOBILE}, {"sedation_planned": True}, False),
    ({"preferred_contact": ContactChannel.SMS, "phone": MOBILE}, APIXABAN, False),  # emailed as well
])
def test_staff_are_told_to_call_a_patient_who_cannot_read_the_preparation(client, coordinator, gen, physician,
                                                                           room, patient_fields, risk, warned):
    appointment = book(client, gen, physician, room, patient_fields, **risk)
    readiness = words(by_id(text(client.get(f"/appointments/{appointment.id}")), "readiness-h").parent)
    assert (UNREAD in readiness) is warned
    assert (UNREAD in board_card(client, appointment)) is warned


def test_a_patient_who_cannot_read_it_is_told_by_text_that_the_clinic_will_call(
        client, coordinator, gen, physician, room, provider):
    # No email, no account: "How to prepare: <sign-in address>" led nowhere.
    book(client, gen, physician, room, {"email": None, "preferred_contact": ContactChannel.SMS, "phone": MOBILE},
         **APIXABAN)
    reminders.send_due()
    [confirmation] = [t["body"] for t in provider.texts_to(MOBILE)]
    assert "How to prepare: the clinic will call you before your appointment." in confirmation
    assert "/sign-in" not in confirmation


def test_an_account_lets_the_patient_read_it_at_their_sign_in(client, coordinator, gen, physician, room):
    appointment = book(client, gen, physician, room,
                       {"email": None, "preferred_contact": ContactChannel.SMS, "phone": MOBILE}, **APIXABAN)
    gen.user(Role.PATIENT, patient=appointment.case.patient)
    assert UNREAD not in text(client.get(f"/appointments/{appointment.id}"))
    assert UNREAD not in board_card(client, appointment)


def test_a_patient_who_prefers_calls_is_named_for_a_call(client, coordinator, gen, physician, room):
    appointment = book(client, gen, physician, room, {"preferred_contact": ContactChannel.PHONE}, **APIXABAN)
    told = "The patient gets no written preparation (phone calls preferred, no account): tell them by phone."
    assert told in text(client.get(f"/appointments/{appointment.id}"))
    assert told in board_card(client, appointment)

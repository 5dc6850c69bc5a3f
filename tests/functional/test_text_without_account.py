"""A patient reached by text who has no patient account cannot use the sign-in page her texts
would point to: with an email address she is sent the email too (it carries the preparation) and
the text says so; with none, the text says the clinic will call, and staff are told to. In her
language. A patient with an account keeps her sign-in address."""
from datetime import timedelta

import pytest

from tracker.extensions import db
from tracker.models import RiskScreen
from tracker.roles import Role
from tracker.scheduling import reminders
from tracker.timeutil import to_clinic
from tracker.vocab import ContactChannel, Side
from tracker.workflow import State

from tests.builders import clinic_at
from tests.helpers import words
from tests.sms_provider import provider, settings_for  # noqa: F401

MOBILE = "+12015550123"


def _booked(gen, email, language="English", account=False):
    patient = gen.patient(preferred_contact=ContactChannel.SMS, phone=MOBILE, email=email, language=language)
    if account:
        gen.user(Role.PATIENT, patient=patient)
    case = gen.case(patient=patient, state=State.SCHEDULED, side=Side.LEFT)
    db.session.add(RiskScreen(case_id=case.id, red_flags_screened=True))  # nothing dated to act on
    db.session.commit()
    return gen.appointment(case, room=gen.room(location="Level 2, desk B"), starts_at=clinic_at(3, 12),
                           created_at=clinic_at(0, 0) - timedelta(hours=1))


@pytest.mark.parametrize("language, in_the_email, arrive", [
    ("English", "How to prepare: in the email we sent you.", "Arrive 30 minutes before your appointment time"),
    ("Spanish", "Preparación: vea su correo.", "Llegue 30 minutos antes"),
])
def test_a_texted_patient_without_an_account_gets_the_preparation_by_email_and_no_sign_in_link(
        app, app_ctx, gen, provider, reminder_outbox, language, in_the_email, arrive):
    appointment = _booked(gen, "ana@example.org", language)
    reminders.send_due()
    [text] = provider.texts_to(MOBILE)
    assert in_the_email in text["body"] and "/sign-in" not in text["body"]
    [(to, _subject, body, _files)] = reminder_outbox
    assert to == "ana@example.org" and arrive in body
    assert {m.channel for m in appointment.messages} == {"sms", "email"}


@pytest.mark.parametrize("language, call", [
    ("English", "How to prepare: the clinic will call you before your appointment."),
    ("Spanish", "Preparación: le llamaremos."),
])
def test_a_texted_patient_without_an_account_or_email_is_told_the_clinic_will_call_and_staff_are_told_to(
        app, client, gen, login_as, provider, reminder_outbox, language, call):
    appointment = _booked(gen, None, language)
    reminders.send_due()
    [text] = provider.texts_to(MOBILE)
    assert call in text["body"] and "/sign-in" not in text["body"]
    assert reminder_outbox == []
    login_as(gen.user(Role.COORDINATOR))
    tell = "The patient cannot read the preparation: no email or account. Tell them by phone."
    assert tell in words(client.get(f"/appointments/{appointment.id}"))
    day = to_clinic(appointment.starts_at).date().isoformat()
    assert tell in words(client.get(f"/schedule/day?date={day}"))


def test_a_texted_patient_with_an_account_keeps_the_sign_in_address_and_gets_no_email(
        app, app_ctx, gen, provider, reminder_outbox):
    _booked(gen, "ana@example.org", account=True)
    reminders.send_due()
    [text] = provider.texts_to(MOBILE)
    assert "How to prepare: http" in text["body"] and "/sign-in" in text["body"]
    assert reminder_outbox == []

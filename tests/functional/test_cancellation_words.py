"""A cancellation's text and email end with the clinic's number for questions, never "Questions, or
you cannot come?": there is nothing left to come to."""
import pytest

from tracker.extensions import db
from tracker.models import AppointmentChange
from tracker.scheduling import reminders
from tracker.vocab import AppointmentStatus, ContactChannel

from tests.functional.test_appointment_reminders import MOBILE, booked
from tests.sms_provider import provider  # noqa: F401

# (in the text, in the email, what neither says): a Spanish text says it in fewer characters.
SAID = {"English": ("Questions? Call the clinic on (201) 555-0100.", "Questions? Call the clinic on (201) 555-0100.",
                    "cannot come"),
        "Spanish": ("¿Dudas? Llame al (201) 555-0100.", "¿Preguntas? Llame a la clínica al (201) 555-0100.",
                    "no puede venir")}


@pytest.mark.parametrize("language", ["English", "Spanish"])
def test_a_cancellation_asks_for_questions_not_whether_she_cannot_come(app, app_ctx, gen, provider,
                                                                        reminder_outbox, language):
    app.config["CLINIC_PHONE"] = "(201) 555-0100"
    appointment = booked(gen, 30, preferred_contact=ContactChannel.SMS, phone=MOBILE, language=language)
    appointment.status, appointment.cancelled_reason = AppointmentStatus.CANCELLED, "no longer needed"
    appointment.changes.append(AppointmentChange(change="cancelled", reason="no longer needed"))
    db.session.commit()

    reminders.send_due()

    texted, emailed, not_said = SAID[language]
    [text] = provider.texts_to(MOBILE)
    [(_, _, body, _)] = reminder_outbox
    assert text["body"].endswith(texted) and not_said not in text["body"]
    assert emailed in body and not_said not in body

"""Every text the tracker sends a patient, with a long clinic name, a long address and a number
with an extension, travels in few parts (tests/sms_segments.py counts them as a phone network does), and
gives the clinic's number to call: the appointment texts, and the diary's (the personal link, the
reminder to enter a score), where a patient whose pain is much worse after the injection needs it.
A Spanish text is Unicode (á, í, ó, ú are not in the phones' plain alphabet: 67 characters a part),
so its words are the shortest correct Spanish that still says what the patient must know."""
import re
from datetime import date, time, timedelta

import pytest

from tracker import i18n
from tracker.diary import reminders as diary_reminders
from tracker.extensions import db
from tracker.models import RiskScreen
from tracker.roles import Role
from tracker.scheduling import reminders
from tracker.sms import PLAIN_SPACES
from tracker.timeutil import clinic_time, clinic_today
from tracker.vocab import ContactChannel, Side
from tracker.workflow import State

from tests.builders import diary_case
from tests.helpers import submit
from tests.sms_provider import provider  # noqa: F401
from tests.sms_segments import plain_alphabet, segments

MOBILE = "+12015550123"
NUMBER = "(201) 555-0188 ext. 12"
LONG = {"CLINIC_NAME": "Northside Spine and Pain Clinic", "PUBLIC_URL": "https://tracker.northsidespine.org",
        "CLINIC_PHONE": NUMBER}
PLACE = {"location": "Imaging department, building B, level 2, suite 3",
         "location_es": "Departamento de radiología, planta 2, sala 3"}
# The demo clinic's (tracker/demo.py) on a short address of its own.
DEMO = {"CLINIC_NAME": "SI Joint Injection Clinic", "PUBLIC_URL": "https://tracker.example.org",
        "CLINIC_PHONE": "(201) 555-0100"}
DEMO_PLACE = {"location": "Imaging department, level 2, suite 1",
              "location_es": "Departamento de radiología, planta 2, sala 1"}

# How the patient reads the preparation, which decides what the text says about it.
READS = {"email": {"email": "ana@example.org"},
         "account": {"account": True},
         "email and account": {"email": "ana@example.org", "account": True},
         "neither": {}}
KINDS = [("reminder", "booked-"), ("reminder", "before-24h-"), ("reminder", "prepare-"), ("update", "moved-1"),
         ("cancellation", "cancelled")]


def configure(app, monkeypatch, values):
    for name, value in values.items():
        monkeypatch.setitem(app.config, name, value)


@pytest.fixture
def long_values(app, monkeypatch):
    configure(app, monkeypatch, LONG)


def most_parts(language, reads, values):
    """English: two parts (it was three). Spanish: three, but a Spanish text with the sign-in
    address (42 characters here) and the long values takes four: README, Text messages."""
    if language == "English":
        return 2
    return 4 if reads == "account" and values is LONG else 3


def appointment_for(gen, language, email=None, account=False, place=PLACE):
    patient = gen.patient(preferred_contact=ContactChannel.SMS, phone=MOBILE, email=email, language=language)
    if account:
        gen.user(Role.PATIENT, patient=patient)
    case = gen.case(patient=patient, state=State.SCHEDULED, side=Side.LEFT)
    # A 3-day hold: the preparation reminder has a first day to act on, and the text a day to name.
    db.session.add(RiskScreen(case_id=case.id, red_flags_screened=True, anticoagulants="apixaban",
                              anticoagulant_hold_days=3, anticoagulant_prescriber_agreed=True))
    db.session.commit()
    # September's is the longest short date of the clinic's year ("mar, 29 sept"): no year shown.
    starts = clinic_time(date(clinic_today().year, 9, 29), time(10, 15))
    return gen.appointment(case, room=gen.room(**place), starts_at=starts, created_at=starts - timedelta(days=40))


def as_sent(body):
    return body.translate(PLAIN_SPACES)


@pytest.mark.parametrize("values, place", [(LONG, PLACE), (DEMO, DEMO_PLACE)], ids=["long", "demo"])
@pytest.mark.parametrize("language", ["English", "Spanish"])
@pytest.mark.parametrize("reads", list(READS))
@pytest.mark.parametrize("kind, topic", KINDS)
def test_each_appointment_text_takes_few_parts_and_gives_the_clinics_number(app, app_ctx, gen, monkeypatch, values,
                                                                            place, language, reads, kind, topic):
    configure(app, monkeypatch, values)
    appointment = appointment_for(gen, language, place=place, **READS[reads])
    with i18n.patient_locale(appointment.case.patient):
        body = as_sent(reminders.text_body(appointment, kind, topic))
    assert values["CLINIC_PHONE"] in body
    assert segments(body) <= most_parts(language, reads, values), (len(body), body)


# ------------------------------------------------------------------ the diary's texts

def texting_diary_case(gen, language):
    patient = gen.patient(email="ana@example.org", phone=MOBILE, preferred_contact=ContactChannel.SMS,
                          language=language)
    return diary_case(gen, patient=patient, address=patient.email)


CALL = {"English": f"Pain much worse, or questions? Call the clinic on {NUMBER}.",
        "Spanish": f"Si el dolor empeora mucho o tiene dudas, llame al {NUMBER}."}


@pytest.mark.parametrize("language", ["English", "Spanish"])
def test_the_diary_reminder_text_gives_the_clinics_number_in_two_parts(app, gen, long_values, provider, language):
    texting_diary_case(gen, language)

    diary_reminders.send_due()

    [text] = provider.texts_to(MOBILE)
    assert CALL[language] in text["body"] and "/d/" in text["body"]
    assert plain_alphabet(text["body"]) and segments(text["body"]) <= 2, text["body"]


@pytest.mark.parametrize("language", ["English", "Spanish"])
def test_the_diary_link_text_gives_the_clinics_number_in_two_parts(app, client, gen, login_as, long_values,
                                                                   provider, language):
    case = texting_diary_case(gen, language)
    login_as(gen.user(Role.COORDINATOR))

    submit(client, f"/cases/{case.id}/diary/link", {}, form_page=f"/cases/{case.id}")

    [text] = provider.texts_to(MOBILE)
    assert CALL[language] in text["body"] and re.search(r"https://tracker\.northsidespine\.org/d/\S+", text["body"])
    assert plain_alphabet(text["body"]) and segments(text["body"]) <= 2, text["body"]


def test_without_a_number_the_diary_text_adds_no_call_line(app, gen, long_values, provider, monkeypatch):
    monkeypatch.setitem(app.config, "CLINIC_PHONE", "")
    texting_diary_case(gen, "English")
    diary_reminders.send_due()
    [text] = provider.texts_to(MOBILE)
    assert "Call" not in text["body"]


# ------------------------------------------------------------------ the counter itself

@pytest.mark.parametrize("body, parts", [
    ("a" * 160, 1), ("a" * 161, 2), ("a" * 306, 2), ("a" * 307, 3),
    ("€" * 80, 1), ("€" * 81, 2),  # two places each, never split
    ("á" * 70, 1), ("á" * 71, 2), ("á" * 134, 2), ("á" * 135, 3),
    ("é" * 160, 1),  # é, ñ, ü, ¿ and ¡ are in the plain alphabet
])
def test_parts_are_counted_as_a_phone_network_counts_them(body, parts):
    assert segments(body) == parts

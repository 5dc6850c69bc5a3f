"""The diary's texts (the personal link, the reminder to enter a score) give the clinic's number:
a patient whose pain is much worse after the injection needs one number to call, on the phone she
holds. With a long clinic name, address and a number with an extension they still travel in two
parts, as they did without it (tests/sms_segments.py counts them as a phone network does)."""
import re

import pytest

from tracker.diary import reminders as diary_reminders
from tracker.roles import Role
from tracker.vocab import ContactChannel

from tests.builders import diary_case
from tests.helpers import submit
from tests.sms_provider import provider  # noqa: F401
from tests.sms_segments import plain_alphabet, segments

MOBILE = "+12015550123"
NUMBER = "(201) 555-0188 ext. 12"
LONG = {"CLINIC_NAME": "Northside Spine and Pain Clinic", "PUBLIC_URL": "https://tracker.northsidespine.org",
        "CLINIC_PHONE": NUMBER}


@pytest.fixture
def long_values(app, monkeypatch):
    for name, value in LONG.items():
        monkeypatch.setitem(app.config, name, value)


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


@pytest.mark.parametrize("body, parts", [
    ("a" * 160, 1), ("a" * 161, 2), ("a" * 306, 2), ("a" * 307, 3),
    ("€" * 80, 1), ("€" * 81, 2),  # two places each, never split
    ("á" * 70, 1), ("á" * 71, 2), ("á" * 134, 2), ("á" * 135, 3),
    ("é" * 160, 1),  # é, ñ, ü, ¿ and ¡ are in the plain alphabet
])
def test_parts_are_counted_as_a_phone_network_counts_them(body, parts):
    assert segments(body) == parts

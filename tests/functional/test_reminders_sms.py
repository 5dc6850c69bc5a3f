"""Diary reminders by text for patients who prefer texts: through Twilio's client against a local
server, with nothing clinical in them, exactly once per channel even with two runs at once; a
number that answered STOP, or that cannot take texts, gets email instead."""
from collections import Counter

from tracker.diary import reminders
from tracker.extensions import db
from tracker.models import DiaryReminder, SmsOptOut
from tracker.vocab import ContactChannel

from tests.builders import attempts, diary_case
from tests.commands import command_env, two_runs_at_once
from tests.sms_provider import provider, settings_for  # noqa: F401


def texting_case(gen, number="+12015550123", language="English"):
    patient = gen.patient(email=f"{number[1:]}@home.example", phone=number,
                          preferred_contact=ContactChannel.SMS, language=language)
    return diary_case(gen, patient=patient, address=patient.email)


def test_a_patient_who_prefers_texts_is_reminded_by_text_with_the_link_and_nothing_clinical(
        app, gen, provider, inbox):
    case = texting_case(gen, language="Spanish")

    counts = reminders.send_due()

    [text] = provider.texts_to("+12015550123")
    assert "es momento de completar su diario del dolor" in text["body"] and "/d/" in text["body"]
    words = text["body"].replace(app.config["CLINIC_NAME"], "").lower()
    for clinical in ("left", "izquierd", "sacro", "inyecci", "injection", "/10", "score", "puntuaci"):
        assert clinical not in words
    assert inbox.messages == [] and (counts.texts, counts.emails) == (1, 0)
    assert [(r.channel, r.status) for r in attempts(case, "w6")] == [("sms", "sent")]
    assert reminders.send_due().sent == 0  # exactly once


def test_a_number_that_answered_stop_is_reminded_by_email_instead(app, gen, provider, inbox):
    case = texting_case(gen)
    db.session.add(SmsOptOut(phone="+12015550123", keyword="STOP"))
    db.session.commit()
    reminders.send_due()
    assert provider.requests == [] and len(inbox.messages) == 1
    assert [r.channel for r in attempts(case, "w6")] == ["email"]


def test_a_number_that_cannot_take_texts_gets_its_diary_reminders_by_email(app, gen, provider, inbox):
    """README, Reaching patients: a number stored before the check (or imported) that cannot take
    texts is flagged *No texts* "and the patient's messages go by email when there is an address".
    A London landline stored before the check, preferring texts, with an email address."""
    case = texting_case(gen, number="+442079460000")

    counts = reminders.send_due()

    assert provider.requests == []
    assert [(r.channel, r.status) for r in attempts(case, "w6")] == [("email", "sent")]
    [(recipients, _message)] = inbox.messages
    assert recipients == ["442079460000@home.example"] and (counts.emails, counts.skipped) == (1, 0)


def test_a_refused_text_is_recorded_as_failed(app, gen, provider):
    case = texting_case(gen)
    provider.mode = "refuse"
    counts = reminders.send_due()
    assert counts.failed == 1
    [row] = attempts(case, "w6")
    assert row.status == "failed" and "refused by the provider" in row.detail


def test_two_processes_at_the_same_moment_text_each_patient_once(app, database_url, gen, provider):
    numbers = [f"+1201555{2000 + i:04d}" for i in range(15)]
    for number in numbers:
        texting_case(gen, number)
    outputs = two_runs_at_once(command_env(app, database_url, **settings_for(provider)))

    assert Counter(r["to"] for r in provider.requests) == Counter({n: 1 for n in numbers}), outputs
    db.session.expire_all()
    rows = db.session.execute(db.select(DiaryReminder)).scalars().all()
    assert len(rows) == len(numbers) and {(r.channel, r.attempt, r.status) for r in rows} == {("sms", 1, "sent")}

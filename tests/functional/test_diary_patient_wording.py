"""The diary's words as a US patient reads them, in English and Spanish: the pain relievers by the
names on a US pharmacy shelf, the correction's question, and the missed scores said in a sentence;
the staff's phone and correction forms ask the same questions."""
from datetime import timedelta

import pytest

from tracker.extensions import db
from tracker.models import DiaryEntry
from tracker.roles import Role
from tracker.vocab import Side
from tracker.workflow import State

from tests.builders import now
from tests.helpers import soup, submit, text, words

from tests.functional.test_diary_entry import diary_url, patient  # noqa: F401

PAIN_RELIEVER = {
    "en": "Since your last entry, did you take a pain reliever (for example acetaminophen (Tylenol) or "
          "ibuprofen (Advil))?",
    "es": "Desde su última anotación, ¿tomó algún analgésico (por ejemplo acetaminofén (Tylenol) o "
          "ibuprofeno (Advil))?",
}
WHY = {"en": "Why are you changing it?", "es": "¿Por qué la cambia?"}


def injected_two_hours_ago(gen, patient, entries):  # noqa: F811 (the fixture's value)
    case = gen.case(patient=patient.patient, state=State.FOLLOW_UP, side=Side.LEFT)
    gen.diary(case, injected_at=now() - timedelta(hours=2), entries=entries)
    return case


def legend(page, name):
    """The question a yes/no field asks (its fieldset's legend, without its "(optional)")."""
    radio = soup(text(page)).find("input", attrs={"name": name})
    return words(radio.find_parent("fieldset").legend).rsplit(" (", 1)[0]


def label_of(page, field_id):
    return words(soup(text(page)).find("label", attrs={"for": field_id}))


def first_entry(case):
    return db.session.execute(db.select(DiaryEntry).filter_by(case_id=case.id).order_by(DiaryEntry.id)).scalars().first()


def last_entry(case):
    return db.session.execute(db.select(DiaryEntry).filter_by(case_id=case.id)
                              .order_by(DiaryEntry.id.desc())).scalars().first()


@pytest.mark.parametrize("code", ["en", "es"])
def test_the_patient_is_asked_about_pain_relievers_by_their_us_names(client, gen, login_as, patient, code):  # noqa: F811
    case = injected_two_hours_ago(gen, patient, {"t0": 7})
    login_as(patient)
    client.set_cookie("lang", code)

    assert legend(client.get(diary_url(case)), "analgesic_used") == PAIN_RELIEVER[code]
    submit(client, diary_url(case), {"point": "h2", "score": "4"})  # corrected by the patient the same day
    assert label_of(client.get(f"{diary_url(case)}/entries/{last_entry(case).id}/correct"), "reason") == WHY[code]


def test_staff_on_the_phone_ask_the_same_questions(client, gen, login_as, patient):  # noqa: F811
    case = injected_two_hours_ago(gen, patient, {"t0": 7})
    login_as(gen.user(Role.COORDINATOR))

    assert legend(client.get(f"/cases/{case.id}/diary/phone"), "analgesic_used") == PAIN_RELIEVER["en"]
    assert label_of(client.get(f"/cases/{case.id}/diary/entries/{first_entry(case).id}/correct"),
                    "reason") == WHY["en"]


@pytest.mark.parametrize("entries, code, said", [
    ({"t0": 7, "m15": 3, "h1": 3}, "en", "Missed: the “30 minutes after” score. It is not asked for any more:"),
    ({"t0": 7, "h1": 3}, "en", "Missed: the “15 minutes after” and “30 minutes after” scores. These are not"),
    ({"t0": 7, "m15": 3, "h1": 3}, "es", "No anotada: la puntuación «30 minutos después». Ya no se pide:"),
    ({"t0": 7, "h1": 3}, "es", "No anotadas: las puntuaciones «15 minutos después» y «30 minutos después»."),
])
def test_the_missed_scores_are_said_in_a_sentence(client, gen, login_as, patient, entries, code, said):  # noqa: F811
    """Walkthrough: "missed 15 minutes after, 3 hours after, 5 hours after. These are not asked for
    any more…" read as a fragment."""
    case = injected_two_hours_ago(gen, patient, entries)
    login_as(patient)
    client.set_cookie("lang", code)

    note = words(soup(text(client.get(diary_url(case)))).find("p", class_="missed-points"))

    assert note.startswith(said + " ")


def test_three_missed_scores_are_listed_as_english_lists_them(client, gen, login_as, patient):  # noqa: F811
    case = injected_two_hours_ago(gen, patient, {"t0": 7})
    login_as(patient)

    note = words(soup(text(client.get(diary_url(case)))).find("p", class_="missed-points"))

    assert note == ("Missed: the “15 minutes after”, “30 minutes after”, and “1 hour after” scores. "
                    "These are not asked for any more: a score given now would describe your pain today, not then.")

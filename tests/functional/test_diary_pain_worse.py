"""A patient whose score after the injection is worse than before it (or 8 or more with no baseline)
is told, with the saved score's thanks, when to call the clinic and on which number: through the
personal link and the patient's account, in English and in Spanish, and on a correction too."""
from datetime import timedelta

import pytest

from tracker.clinic import clinic_contact
from tracker.extensions import db
from tracker.models import DiaryEntry, Examination
from tracker.roles import Role
from tracker.vocab import Side
from tracker.workflow import State

from tests.builders import make_diary_link, now
from tests.helpers import soup, submit, text, words

PHONE = "+12015550188"
ADVICE = {
    "en": ("If your pain is much worse than before your injection, or you have new numbness or weakness in "
           "your leg, a fever, or redness or swelling where the needle went in, call the clinic on {phone}. "
           "If it is severe, call emergency services."),
    "es": ("Si su dolor es mucho peor que antes de la inyección, o tiene entumecimiento o debilidad nuevos "
           "en la pierna, fiebre, o enrojecimiento o hinchazón donde entró la aguja, llame a la clínica al "
           "{phone}. Si es grave, llame a emergencias."),
}
THANKS = {"en": "Thank you: your “2 hours after” score is saved.",
          "es": "Gracias: su puntuación «2 horas después» quedó guardada."}


@pytest.fixture(autouse=True)
def clinic_phone(app, monkeypatch):
    monkeypatch.setitem(app.config, "CLINIC_PHONE", PHONE)


def injected_two_hours_ago(gen, language="English", entries=None, side=Side.LEFT):
    patient = gen.patient(language=language)
    case = gen.case(patient=patient, state=State.FOLLOW_UP, side=side)
    gen.diary(case, injected_at=now() - timedelta(hours=2), entries={"t0": 7} if entries is None else entries)
    return case


def through(door, client, gen, login_as, case):
    """The address the patient enters their score at: their account's diary page, or the personal link."""
    if door == "account":
        login_as(gen.user(Role.PATIENT, patient=case.patient), on=client)
        return f"/my/cases/{case.id}/diary"
    _link, token = make_diary_link(case)
    return f"/d/{token}"


def confirmation(response):
    """The announcement after saving (role=status, as every confirmation), in words."""
    notices = [tag for tag in soup(text(response)).find_all(class_="notice-success") if tag.get("role") == "status"]
    assert len(notices) == 1, notices
    return notices[0]


def phone_shown():
    return clinic_contact().phone_shown


@pytest.mark.parametrize("language, code", [("English", "en"), ("Spanish", "es")])
@pytest.mark.parametrize("door", ["account", "link"])
def test_a_score_worse_than_before_the_injection_says_when_to_call_the_clinic(client, gen, login_as, door,
                                                                               language, code):
    case = injected_two_hours_ago(gen, language)  # 7 before the injection
    url = through(door, client, gen, login_as, case)

    saved = submit(client, url, {"point": "h2", "score": "10"}, follow_redirects=True)

    notice = confirmation(saved)
    assert words(notice) == THANKS[code] + " " + ADVICE[code].format(phone=phone_shown())
    # The number is the one the patient's pages give at their foot, a link that calls it.
    call = notice.find("a", href=clinic_contact().tel)
    assert call is not None and call.get_text() == phone_shown()


@pytest.mark.parametrize("score", ["7", "3"])
def test_a_score_no_worse_than_before_is_only_thanked(client, gen, login_as, score):
    case = injected_two_hours_ago(gen)
    url = through("link", client, gen, login_as, case)

    saved = submit(client, url, {"point": "h2", "score": score}, follow_redirects=True)

    assert words(confirmation(saved)) == THANKS["en"]


@pytest.mark.parametrize("score, told", [("8", True), ("7", False)])
def test_with_no_baseline_8_or_more_says_when_to_call(client, gen, login_as, score, told):
    case = injected_two_hours_ago(gen, entries={})
    url = through("account", client, gen, login_as, case)

    saved = submit(client, url, {"point": "h2", "score": score}, follow_redirects=True)

    assert (words(confirmation(saved)) != THANKS["en"]) is told
    assert ("call the clinic on" in words(confirmation(saved))) is told


def test_the_examinations_baseline_stands_in_for_a_missing_diary_baseline(client, gen, login_as):
    case = injected_two_hours_ago(gen, entries={})
    db.session.add(Examination(case_id=case.id, baseline_nrs=4))
    db.session.commit()
    url = through("link", client, gen, login_as, case)

    saved = submit(client, url, {"point": "h2", "score": "6"}, follow_redirects=True)

    assert "call the clinic on" in words(confirmation(saved))


def test_either_side_of_a_bilateral_diary_worse_than_before_says_when_to_call(client, gen, login_as):
    case = injected_two_hours_ago(gen, side=Side.BILATERAL, entries={"t0": {Side.LEFT: 3, Side.RIGHT: 9}})
    url = through("link", client, gen, login_as, case)

    saved = submit(client, url, {"point": "h2", "score_left": "5", "score_right": "2"}, follow_redirects=True)

    assert "call the clinic on" in words(confirmation(saved))


def test_a_score_corrected_to_worse_than_before_says_when_to_call(client, gen, login_as):
    case = injected_two_hours_ago(gen, "Spanish")
    url = through("link", client, gen, login_as, case)
    submit(client, url, {"point": "h2", "score": "2"})
    entry = db.session.execute(db.select(DiaryEntry).filter_by(case_id=case.id)
                               .order_by(DiaryEntry.id.desc())).scalars().first()

    corrected = submit(client, f"{url}/entries/{entry.id}/correct",
                       {"score": "9", "reason": "me equivoqué", "version_id": str(entry.version_id)},
                       follow_redirects=True)

    assert words(confirmation(corrected)) == (
        "La puntuación quedó corregida; el valor anterior se guarda en su historial. "
        + ADVICE["es"].format(phone=phone_shown()))


def test_without_the_clinics_number_the_patient_is_still_told_to_call(client, gen, login_as, app, monkeypatch):
    monkeypatch.setitem(app.config, "CLINIC_PHONE", "")
    case = injected_two_hours_ago(gen)
    url = through("link", client, gen, login_as, case)

    saved = submit(client, url, {"point": "h2", "score": "10"}, follow_redirects=True)

    assert words(confirmation(saved)).endswith(
        "or redness or swelling where the needle went in, call the clinic. If it is severe, call emergency services.")


def test_the_baseline_itself_is_only_thanked(client, gen, login_as):
    patient = gen.patient()
    case = gen.case(patient=patient, state=State.SCHEDULED, side=Side.LEFT)
    gen.diary(case, booked_at=now() - timedelta(hours=1))
    url = through("account", client, gen, login_as, case)

    saved = submit(client, url, {"point": "t0", "score": "10"}, follow_redirects=True)

    assert "call the clinic on" not in words(confirmation(saved))


# ------------------------------------------------------------------ entered by staff on the phone

STAFF_SAFETY = ("This score is worse than before the injection. While the patient is on the phone, ask about "
                "new numbness or weakness in the leg, fever, and redness or swelling where the needle went in; "
                "tell them to call the clinic if the pain is much worse, and emergency services if it is severe; "
                "and let the physician know.")


def felt_now():
    from tracker.timeutil import to_clinic
    local = to_clinic(now())
    return {"felt_on": local.date().isoformat(), "felt_time": local.strftime("%H:%M")}


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.PHYSICIAN])
def test_staff_entering_a_worse_score_by_phone_are_told_what_to_ask_and_say(client, gen, login_as, role):
    case = injected_two_hours_ago(gen)  # 7 before the injection
    login_as(gen.user(role))

    saved = submit(client, f"/cases/{case.id}/diary/phone", {"score": "9", **felt_now()}, follow_redirects=True)

    assert words(confirmation(saved)) == ("The “2 hours after” score is saved, marked as given by phone. "
                                          + STAFF_SAFETY)


def test_staff_entering_a_score_no_worse_are_only_told_it_is_saved(client, gen, login_as):
    case = injected_two_hours_ago(gen)
    login_as(gen.user(Role.COORDINATOR))

    saved = submit(client, f"/cases/{case.id}/diary/phone", {"score": "7", **felt_now()}, follow_redirects=True)

    assert words(confirmation(saved)) == "The “2 hours after” score is saved, marked as given by phone."


def test_staff_correcting_a_score_to_worse_than_before_are_told_what_to_ask_and_say(client, gen, login_as):
    case = injected_two_hours_ago(gen)
    login_as(gen.user(Role.COORDINATOR))
    submit(client, f"/cases/{case.id}/diary/phone", {"score": "3", **felt_now()})
    entry = db.session.execute(db.select(DiaryEntry).filter_by(case_id=case.id)
                               .order_by(DiaryEntry.id.desc())).scalars().first()

    corrected = submit(client, f"/cases/{case.id}/diary/entries/{entry.id}/correct",
                       {"score": "9", "reason": "misheard on the phone", "version_id": str(entry.version_id)},
                       follow_redirects=True)

    assert words(confirmation(corrected)) == (
        "The score is corrected; the earlier value is kept in its history. " + STAFF_SAFETY)


# ------------------------------------------------------------------ on the diary page, whatever the score

WHEN_TO_CALL = {"en": "When to call the clinic", "es": "Cuándo llamar a la clínica"}


def when_to_call_note(response):
    """The diary page's "When to call the clinic" note, or None."""
    heading = soup(text(response)).find(["h2", "h3"], string=lambda s: s and s.strip() in WHEN_TO_CALL.values())
    return heading.find_parent("section") if heading else None


@pytest.mark.parametrize("language, code", [("English", "en"), ("Spanish", "es")])
@pytest.mark.parametrize("door", ["account", "link"])
def test_the_diary_page_says_when_to_call_the_clinic_once_the_injection_is_given_whatever_the_score(
        client, gen, login_as, door, language, code):
    """Walkthrough: the warning signs (a fever, redness or swelling where the needle went in, new
    numbness or weakness) were told only after a score worse than before the injection: a patient
    whose pain is better but who has a fever was never told to call."""
    case = injected_two_hours_ago(gen, language)  # 7 before the injection
    url = through(door, client, gen, login_as, case)

    for page in (client.get(url), submit(client, url, {"point": "h2", "score": "2"}, follow_redirects=True)):
        note = when_to_call_note(page)
        assert note is not None
        assert words(note) == WHEN_TO_CALL[code] + " " + ADVICE[code].format(phone=phone_shown())
        call = note.find("a", href=clinic_contact().tel)
        assert call is not None and call.get_text() == phone_shown()
    assert words(confirmation(page)) == THANKS[code]  # a better score's thanks stay as they were


def test_a_worse_score_still_adds_when_to_call_to_the_thanks(client, gen, login_as):
    case = injected_two_hours_ago(gen)
    url = through("account", client, gen, login_as, case)

    saved = submit(client, url, {"point": "h2", "score": "10"}, follow_redirects=True)

    assert words(confirmation(saved)) == THANKS["en"] + " " + ADVICE["en"].format(phone=phone_shown())
    assert when_to_call_note(saved) is not None


@pytest.mark.parametrize("door", ["account", "link"])
def test_the_diary_page_before_the_injection_has_no_when_to_call_note(client, gen, login_as, door):
    patient = gen.patient()
    case = gen.case(patient=patient, state=State.SCHEDULED, side=Side.LEFT)
    gen.diary(case, booked_at=now() - timedelta(hours=1))
    url = through(door, client, gen, login_as, case)

    page = client.get(url)

    assert page.status_code == 200 and soup(text(page)).find("input", attrs={"name": "point"})["value"] == "t0"
    assert when_to_call_note(page) is None

"""Walkthrough: a physician who records the outcome minutes after the injection ends the diary, and
that evening the patient's pages no longer said when to call the clinic, in the very hours an
infection, a bleed or a weak leg shows. The warning signs stay on the patient's pages (their
account's case and diary pages, and the personal link) for WHEN_TO_CALL_DAYS after the injection,
whatever the diary's state, in the patient's language; then they go with the finished diary."""
from datetime import timedelta

import pytest

from tracker.diary import services
from tracker.extensions import db
from tracker.roles import Role

from tests.builders import followed_up, make_diary_link
from tests.functional.test_diary_pain_worse import WHEN_TO_CALL, when_to_call_note
from tests.functional.test_diary_timed_from_injection import clock  # noqa: F401 (fixture)
from tests.functional.test_outcome import record
from tests.helpers import soup, text, words


def closed_on_the_day(gen, login_as, physician, app, language):
    """A case injected moments ago whose outcome the physician records at once, through the form."""
    case = followed_up(gen, physician, scores={"t0": 7})
    case.patient.language = language
    db.session.commit()
    response = record(login_as(physician, on=app.test_client()), case.id, therapeutic_days="",
                      reason="No pain on the usual movements before leaving the suite.")
    assert response.status_code == 302, field_errors(response)
    db.session.refresh(case)
    assert case.state in services.CLOSED_STATES
    gen.user(Role.PATIENT, patient=case.patient)
    _link, token = make_diary_link(case)
    return case, token


def patient_pages(login_as, app, case, token):
    """The patient's pages as they open them: the account's case and diary pages, and the link."""
    account = login_as(case.patient.account, on=app.test_client())
    link = app.test_client()
    return {"case page": account.get(f"/my/cases/{case.id}"), "diary page": account.get(f"/my/cases/{case.id}/diary"),
            "personal link": link.get(f"/d/{token}")}


@pytest.mark.parametrize("language, code", [("English", "en"), ("Spanish", "es")])
def test_the_warning_signs_stay_on_the_patients_pages_the_evening_the_diary_was_closed(
        gen, login_as, physician, app, clock, language, code):
    case, token = closed_on_the_day(gen, login_as, physician, app, language)
    injected = services.read_diary(case).injected_at
    clock.set(injected + timedelta(hours=8))  # that evening

    for name, page in patient_pages(login_as, app, case, token).items():
        assert page.status_code == 200, name
        note = when_to_call_note(page)
        assert note is not None, f"{name}: no 'When to call the clinic'"
        assert words(note).startswith(WHEN_TO_CALL[code]), name
        assert ("fever" if code == "en" else "fiebre") in words(note), name


def test_the_warning_signs_go_once_the_period_after_the_injection_is_over(gen, login_as, physician, app, clock):
    case, token = closed_on_the_day(gen, login_as, physician, app, "English")
    injected = services.read_diary(case).injected_at

    clock.set(injected + timedelta(days=services.WHEN_TO_CALL_DAYS) - timedelta(minutes=1))
    assert all(when_to_call_note(page) is not None for page in patient_pages(login_as, app, case, token).values())

    clock.set(injected + timedelta(days=services.WHEN_TO_CALL_DAYS))
    for name, page in patient_pages(login_as, app, case, token).items():
        assert page.status_code == 200, name
        assert when_to_call_note(page) is None, name


def field_errors(response):
    return [words(tag) for tag in soup(text(response)).find_all(class_="field-error")]

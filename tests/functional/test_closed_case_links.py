"""A closed case's personal link shows the patient's own scores and nothing else, and stops working
DIARY_LINK_DAYS_AFTER_CLOSE after the case closed (or at its own expiry, if that comes first)."""
from datetime import timedelta

import pytest

from tracker.roles import Role
from tracker.extensions import db
from tracker.models import DiaryEntry
from tracker.timeutil import format_clinic, utcnow
from tracker.vocab import EntrySource
from tracker.workflow import State

from tests.builders import LINK_NOT_VALID, make_diary_link, now
from tests.helpers import text


@pytest.fixture
def closed_case(gen):
    phone_staff = gen.user(Role.COORDINATOR, name="Robin Phonecall")
    case = gen.case(patient=gen.patient(email="pat@example.org"), state=State.FOLLOW_UP)
    gen.diary(case, injected_at=now() - timedelta(days=100), entries={"t0": 7, "d1": 3, "w2": 2})
    # One score was given by phone: the staff panel names who took it; the patient's page must not.
    phoned = db.session.execute(db.select(DiaryEntry).filter_by(case_id=case.id)).scalars().first()
    phoned.source, phoned.entered_by_id = EntrySource.STAFF_PHONE, phone_staff.id
    db.session.commit()
    return case


def close(case, days_ago):
    case.state, case.state_changed_at = State.CLOSED, utcnow() - timedelta(days=days_ago)
    db.session.commit()


def test_a_closed_cases_link_shows_only_the_patients_own_scores(client, closed_case):
    _, token = make_diary_link(closed_case)
    close(closed_case, days_ago=2)
    page = text(client.get(f"/d/{token}"))
    assert "This diary is finished" in page
    assert "7/10" in page and "3/10" in page and "2/10" in page
    assert "Robin Phonecall" not in page and "by phone" not in page
    assert "diary-entry" not in page and "Save my score" not in page and "Correct" not in page
    assert closed_case.patient.family_name not in page


def test_a_closed_cases_link_ends_the_set_time_after_closing(client, app, closed_case, monkeypatch):
    _, token = make_diary_link(closed_case, expires_at=now() + timedelta(days=300))
    close(closed_case, days_ago=app.config["DIARY_LINK_DAYS_AFTER_CLOSE"] + 1)
    response = client.get(f"/d/{token}")
    assert response.status_code == 404 and LINK_NOT_VALID in text(response)

    monkeypatch.setitem(app.config, "DIARY_LINK_DAYS_AFTER_CLOSE", 60)
    assert client.get(f"/d/{token}").status_code == 200


def test_staff_see_when_a_closed_cases_link_ends(client, gen, login_as, app, closed_case):
    make_diary_link(closed_case, expires_at=now() + timedelta(days=300), sent_to="pat@example.org")
    close(closed_case, days_ago=5)
    login_as(gen.user(Role.COORDINATOR))
    page = text(client.get(f"/cases/{closed_case.id}"))
    ends = closed_case.state_changed_at + timedelta(days=app.config["DIARY_LINK_DAYS_AFTER_CLOSE"])
    assert (f"works until {format_clinic(ends, '%d %B %Y')} "
            f"({app.config['DIARY_LINK_DAYS_AFTER_CLOSE']} days after the case closed)") in page


def test_a_closed_cases_link_opens_no_correction_page_naming_staff(client, gen, closed_case):
    # "Once a case is closed (or cancelled), its personal link shows the patient's own scores and
    # nothing else (no form, no names of staff, no outcome)": the link's correction address too.
    from tracker.diary import services

    staff = gen.user(Role.PHYSICIAN, name="Dr Quinn Corrector")
    entry = db.session.execute(db.select(DiaryEntry).filter_by(case_id=closed_case.id, source=EntrySource.LINK)
                               ).scalars().first()
    services.correct_entry(entry, 5, {}, "Patient called: meant 5", entry.version_id, EntrySource.STAFF_PHONE,
                           actor=staff)
    _, token = make_diary_link(closed_case)
    close(closed_case, days_ago=2)

    page = text(client.get(f"/d/{token}/entries/{entry.id}/correct"))

    assert "Dr Quinn Corrector" not in page and "Patient called" not in page

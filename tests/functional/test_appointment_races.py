"""Two coordinators on one appointment: the second save is refused, and the refusal keeps what she
typed, says what her colleague changed, and lets a deliberate second save through; readiness
changes are in the appointment's History."""
import pytest

from tracker.extensions import db
from tracker.roles import Role
from tracker.vocab import AppointmentStatus
from tracker.workflow import State

from tests.builders import clinic_at, clinic_day
from tests.functional.test_booking import answered, booking, fresh, set_hours
from tests.helpers import by_id, is_checked, sign_in, soup, submit, text, words

FLU = "Patient has flu, will call back to rebook"


@pytest.fixture
def physician(physician):
    set_hours(physician)
    return physician


@pytest.fixture
def booked(gen, physician, room):
    scheduled = gen.case(state=State.SCHEDULED, patient=gen.patient(family_name="Petrova"))
    return gen.appointment(scheduled, physician=physician, room=room, starts_at=clinic_at(1, 10))


@pytest.fixture
def room(gen):
    return gen.room(name="Suite A")


@pytest.fixture
def colleague(gen, make_client):
    """Dana, another coordinator, in her own browser."""
    browser = make_client()
    assert sign_in(browser, gen.user(Role.COORDINATOR, name="Dana Desk")).status_code == 302
    return browser


def form_of(page, action):
    """The inputs of the form posting to `action` on `page`, as a browser would send them."""
    form = soup(page).find("form", action=action)
    assert form is not None, f"no form posting to {action}"
    data = {}
    for tag in form.find_all(["input", "textarea"]):
        name = tag.get("name")
        if not name or (tag.get("type") == "checkbox" and not tag.has_attr("checked")):
            continue
        # A browser drops the newline that starts a textarea's content.
        data[name] = tag.get_text().removeprefix("\r\n").removeprefix("\n") if tag.name == "textarea" \
            else tag.get("value", "")
    return data


def test_a_cancellation_refused_after_a_colleagues_move_keeps_the_reason_and_says_where_it_went(
        client, coordinator, colleague, physician, room, booked):
    url = f"/appointments/{booked.id}/cancel"
    opened = text(client.get(f"/appointments/{booked.id}"))
    moved = submit(colleague, f"/appointments/{booked.id}/reschedule",
                   booking(clinic_day(3), "11:00", physician, room, reason="Patient asked for later",
                           version_id=str(booked.version_id)))
    assert moved.status_code == 302

    response = client.post(url, data={**form_of(opened, url), "reason": FLU})
    assert response.status_code == 409
    page = text(response)
    assert (f"moved to {clinic_day(3):%A %d %B %Y} at 11:00 by Dana Desk" in words(page))
    assert form_of(page, url)["reason"] == FLU
    assert fresh(booked).status == AppointmentStatus.BOOKED

    # Having read what changed, she cancels the appointment as it is now: the form goes through.
    response = client.post(url, data=form_of(page, url))
    assert response.status_code == 302
    assert fresh(booked).status == AppointmentStatus.CANCELLED and fresh(booked).cancelled_reason == FLU


def test_a_readiness_save_refused_after_a_colleague_unticked_consent_shows_saved_against_typed(
        client, coordinator, colleague, booked):
    answered(booked)
    booked = fresh(booked)
    booked.consent_obtained = True
    db.session.commit()
    url = f"/appointments/{booked.id}/readiness"
    opened = text(client.get(f"/appointments/{booked.id}"))
    assert is_checked(opened, "consent_obtained")

    theirs = text(colleague.get(f"/appointments/{booked.id}"))
    unticked = {k: v for k, v in form_of(theirs, url).items() if k != "consent_obtained"}
    assert colleague.post(url, data=unticked).status_code == 302

    response = client.post(url, data={**form_of(opened, url), "day_of_check_done": "y"})
    assert response.status_code == 409
    page = text(response)
    assert "changed by someone else" in page and "readiness changed by Dana Desk: consent unticked" in words(page)
    assert "Where the saved record and your form differ:" in page
    assert "Consent obtained: saved no, your form yes" in words(page)
    assert not fresh(booked).day_of_check_done and not fresh(booked).consent_obtained

    # Saving again, having seen the difference, stores the form as it is (no endless refusal).
    response = client.post(url, data=form_of(page, url))
    assert response.status_code == 302
    saved = fresh(booked)
    assert saved.consent_obtained and saved.day_of_check_done


def test_readiness_changes_are_in_the_appointments_history(client, coordinator, colleague, booked):
    url = f"/appointments/{booked.id}/readiness"
    page = text(colleague.get(f"/appointments/{booked.id}"))
    assert colleague.post(url, data={**form_of(page, url), "consent_obtained": "y"}).status_code == 302
    page = text(client.get(f"/appointments/{booked.id}"))
    assert client.post(url, data={k: v for k, v in form_of(page, url).items()
                                  if k != "consent_obtained"} | {"driver_arranged": "y"}).status_code == 302
    history = words(by_id(text(client.get(f"/appointments/{booked.id}")), "history-h").parent)
    assert "readiness changed · Dana Desk Consent ticked" in history
    assert "readiness changed · Casey Coordinator Consent unticked, driver ticked" in history
    # A save that changes nothing adds no line.
    page = text(client.get(f"/appointments/{booked.id}"))
    assert client.post(url, data=form_of(page, url)).status_code == 302
    history = words(by_id(text(client.get(f"/appointments/{booked.id}")), "history-h").parent)
    assert history.count("readiness changed") == 2

"""Session limits are enforced on the server: staff sessions end after 15 idle minutes, every
session after 12 hours, whatever the browser keeps."""
import time
from urllib.parse import parse_qs, urlsplit

import pytest

import tracker.security
from tracker.roles import Role

from tests.helpers import PASSWORD, sign_in, submit

HOMES = {
    Role.ADMIN: "/admin/users",
    Role.COORDINATOR: "/cases/",
    Role.PHYSICIAN: "/cases/physician",
    Role.PATIENT: "/my/",
}
ENDED = "Your session has ended. Please sign in again."
MINUTE = 60
HOUR = 60 * MINUTE


@pytest.fixture
def clock(monkeypatch):
    """The server's clock, moved forward by the test."""
    class Clock:
        now = time.time()

        def advance(self, seconds):
            self.now += seconds

    fake = Clock()
    monkeypatch.setattr(tracker.security.time, "time", lambda: fake.now)
    return fake


def assert_session_ended(client, path):
    """The request is turned back to the sign-in page, which says why."""
    response = client.get(path)
    assert response.status_code == 302
    target = urlsplit(response.location)
    assert target.path == "/sign-in"
    assert parse_qs(target.query)["next"] == [path]
    assert ENDED in client.get(response.location).get_data(as_text=True)


@pytest.mark.parametrize("role", [Role.ADMIN, Role.COORDINATOR, Role.PHYSICIAN])
def test_staff_session_ends_after_fifteen_idle_minutes(client, gen, clock, role):
    sign_in(client, gen.user(role))
    home = HOMES[role]
    clock.advance(14 * MINUTE)
    assert client.get(home).status_code == 200

    clock.advance(15 * MINUTE + 1)
    assert_session_ended(client, home)
    clock.advance(-30 * MINUTE)  # even back "in time", the ended session stays ended
    assert client.get(home).status_code == 302


def test_staff_activity_keeps_the_session_alive_until_twelve_hours(client, gen, clock):
    sign_in(client, gen.user(Role.COORDINATOR))
    elapsed = 0
    while elapsed + 14 * MINUTE < 12 * HOUR:
        clock.advance(14 * MINUTE)
        elapsed += 14 * MINUTE
        assert client.get("/cases/").status_code == 200, f"signed out after {elapsed / HOUR:.1f} h"

    clock.advance(12 * HOUR - elapsed + 1)
    assert_session_ended(client, "/cases/")


def test_patient_has_no_idle_timeout(client, gen, clock):
    sign_in(client, gen.user(Role.PATIENT))

    clock.advance(11 * HOUR)

    assert client.get("/my/").status_code == 200


def test_patient_session_ends_after_twelve_hours(client, gen, clock):
    sign_in(client, gen.user(Role.PATIENT))
    clock.advance(11 * HOUR)
    assert client.get("/my/").status_code == 200

    clock.advance(1 * HOUR + 1)
    assert_session_ended(client, "/my/")


def test_ended_session_shows_a_message_and_returns_to_the_page_after_signing_in(client, gen,
                                                                               clock):
    user = gen.user(Role.COORDINATOR)
    case = gen.case()
    sign_in(client, user)
    clock.advance(16 * MINUTE)

    ended = client.get(f"/cases/{case.id}")
    sign_in_page = client.get(ended.location)

    assert sign_in_page.status_code == 200
    assert ENDED in sign_in_page.get_data(as_text=True)
    back = submit(client, ended.location, {"email": user.email, "password": PASSWORD})
    assert back.location == f"/cases/{case.id}"


def test_replayed_cookie_of_an_ended_session_is_refused(client, make_client, gen, clock):
    sign_in(client, gen.user(Role.COORDINATOR))
    stale_copy = make_client()
    stale_copy.set_cookie("tracker_session", client.get_cookie("tracker_session").value)

    clock.advance(16 * MINUTE)

    assert_session_ended(stale_copy, "/cases/")

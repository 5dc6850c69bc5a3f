"""A long edit in a real browser never loses its work to the idle limit: typing keeps the session
alive, the page warns before the limit and "Stay signed in" renews it, and a form sent after the
session ended is kept, shown back after signing in again, and saved only when sent again.

The idle limit is 12 s here (15 minutes in the clinic) and the warning comes 6 s before it."""
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tracker.extensions import db
from tracker.models import Case
from tracker.roles import Role
from tracker.workflow import State

from tests.browser.journeys import sign_in_through_the_form as sign_in
from tests.builders import make_case, make_user
from tests.helpers import PASSWORD

IDLE_SECONDS, WARN_SECONDS = 12, 6


@pytest.fixture
def short_sessions(app, monkeypatch):
    monkeypatch.setitem(app.config, "STAFF_IDLE_TIMEOUT", timedelta(seconds=IDLE_SECONDS))
    monkeypatch.setitem(app.config, "SESSION_WARNING_SECONDS", WARN_SECONDS)


@pytest.fixture
def referral(app_ctx):
    coordinator = make_user(Role.COORDINATOR)
    case = make_case(state=State.REFERRED, created_by=coordinator)
    return coordinator, case


def saved_reason(case):
    db.session.expire_all()
    return db.session.get(Case, case.id).reason


def test_typing_keeps_the_session_and_the_warning_offers_to_stay(live_server, page, referral, short_sessions,
                                                                 screenshot):
    coordinator, case = referral
    sign_in(page, live_server, coordinator.email)
    page.goto(f"{live_server}/referrals/cases/{case.id}")
    warning = page.locator("#session-warning")
    expect(warning).to_be_hidden()

    # Nothing done: the warning comes before the limit, and takes the keyboard focus.
    expect(warning).to_be_visible(timeout=(IDLE_SECONDS - WARN_SECONDS + 4) * 1000)
    expect(warning).to_contain_text("You will be signed out in")
    expect(page.get_by_role("button", name="Stay signed in")).to_be_focused()
    screenshot(page, "warning")
    page.keyboard.press("Enter")
    expect(warning).to_be_hidden()

    # Typing for longer than the idle limit keeps the session: no warning, and the save goes through.
    reason = page.get_by_label("Reason for referral")
    reason.fill("")
    for word in "Pain on sit to stand and on the stairs, worse after a long drive".split():
        reason.press_sequentially(word + " ")
        page.wait_for_timeout(1_000)
        expect(warning).to_be_hidden()
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".notice-success")).to_be_visible()
    assert saved_reason(case).startswith("Pain on sit to stand")


def test_a_form_sent_after_the_session_ended_comes_back_after_signing_in(live_server, page, referral,
                                                                        short_sessions, screenshot):
    coordinator, case = referral
    sign_in(page, live_server, coordinator.email)
    page.goto(f"{live_server}/referrals/cases/{case.id}")
    page.get_by_label("Reason for referral").fill("Typed before a long phone call")
    warning = page.locator("#session-warning")
    # The typing renewed the session once more (at the warning); then a whole idle limit passes.
    expect(warning).to_contain_text("Your session has ended", timeout=(2 * IDLE_SECONDS + 8) * 1000)
    screenshot(page, "ended")

    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Nothing is lost: sign in again")).to_be_visible()
    assert saved_reason(case) != "Typed before a long phone call"

    page.get_by_label("Email").fill(coordinator.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="What you were sending when your session ended")).to_be_visible()
    expect(page.get_by_text("Typed before a long phone call")).to_be_visible()
    screenshot(page, "held")
    assert saved_reason(case) != "Typed before a long phone call"  # shown, not applied

    page.get_by_role("button", name="Send it now").click()
    expect(page.locator(".notice-success")).to_be_visible()
    assert saved_reason(case) == "Typed before a long phone call"

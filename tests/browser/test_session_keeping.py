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
    # The typing renewed the session once more (at the warning); then a whole idle limit passes and
    # the page leaves by itself, sending what was typed for the server to hold (never to apply).
    expect(page.get_by_text("Nothing is lost: sign in again")).to_be_visible(timeout=(2 * IDLE_SECONDS + 10) * 1000)
    screenshot(page, "ended")
    assert "/sign-in" in page.url
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


def test_an_idle_page_hides_the_patients_details_and_leaves_for_the_sign_in_page(live_server, page, referral,
                                                                                 short_sessions, screenshot):
    coordinator, case = referral
    sign_in(page, live_server, coordinator.email)
    page.goto(f"{live_server}/cases/")
    name = case.patient.family_name
    expect(page.get_by_text(name).first).to_be_visible()
    # Nothing typed, nothing done: past the idle limit no patient is left on the screen.
    expect(page.get_by_text("Your session has ended. Please sign in again.")).to_be_visible(
        timeout=(IDLE_SECONDS + 8) * 1000)
    screenshot(page, "left")
    assert "/sign-in" in page.url and name not in page.content()


def test_a_tab_kept_alive_by_another_tab_stays(live_server, page, referral, short_sessions):
    coordinator, case = referral
    sign_in(page, live_server, coordinator.email)
    page.goto(f"{live_server}/cases/")
    other = page.context.new_page()
    other.goto(f"{live_server}/referrals/cases/{case.id}")
    reason = other.get_by_label("Reason for referral")
    # Someone works in the other tab for longer than the idle limit: this tab's own clock runs
    # out, but the session has not ended, so it stays where it is.
    for _ in range(IDLE_SECONDS + 6):
        reason.press_sequentially("x")
        other.wait_for_timeout(1_000)
    assert page.url.endswith("/cases/")
    expect(page.get_by_text(case.patient.family_name).first).to_be_visible()


def test_a_typed_page_signed_out_in_another_tab_shows_nothing_typed_when_it_leaves(live_server, page, referral,
                                                                                   short_sessions, screenshot):
    """Review finding: typed into in one tab, signed out in another, walked away. The idle page
    must not send the typed form (nobody is known to hold it for: its refusal would list what was
    typed, signed out, on an unattended screen); it hides its content and goes to the sign-in page.
    Every wait here is bounded (expect's and wait_for_url's timeouts)."""
    coordinator, case = referral
    sign_in(page, live_server, coordinator.email)
    page.goto(f"{live_server}/referrals/cases/{case.id}")
    page.get_by_label("Reason for referral").fill("Xarelto 20 mg daily, typed and left")
    other = page.context.new_page()
    other.goto(f"{live_server}/cases/")
    other.get_by_role("button", name="Sign out").click()
    expect(other.get_by_role("button", name="Sign in")).to_be_visible()
    page.wait_for_url("**/sign-in**", timeout=(2 * IDLE_SECONDS + 10) * 1000)
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    expect(page.get_by_text("Please sign in to continue.")).to_have_count(1)  # once, not once per request
    screenshot(page, "signed-out-elsewhere")
    body = page.locator("body")
    expect(body).not_to_contain_text("Xarelto 20 mg daily")
    expect(body).not_to_contain_text(case.patient.family_name)
    assert saved_reason(case) != "Xarelto 20 mg daily, typed and left"

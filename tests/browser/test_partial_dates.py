"""In a real browser: a date box filled in part (the month and the day, no year) sends nothing, as
an empty one does; the page's script tells the server, which asks for the full date rather than
saying the date is missing. An empty date of birth is said to be required."""
from playwright.sync_api import expect

from tracker.extensions import db
from tracker.roles import Role

from tests.browser.journeys import sign_in_through_the_form
from tests.builders import make_user


def test_a_date_of_birth_filled_in_part_asks_for_the_full_date_and_an_empty_one_for_the_date(
        app, live_server, page, screenshot):
    with app.app_context():
        email = make_user(Role.COORDINATOR).email
        db.session.remove()
    sign_in_through_the_form(page, live_server, email)
    page.goto(f"{live_server}/referrals/new")
    error = page.locator("#date_of_birth-error")

    page.get_by_role("button", name="Log referral").click()
    expect(error).to_have_text("Enter the date of birth.")

    birth = page.get_by_label("Date of birth")
    birth.click()
    birth.press_sequentially("0423")  # month and day typed, the year left empty
    assert page.evaluate("() => document.getElementById('date_of_birth').validity.badInput")
    page.get_by_role("button", name="Log referral").click()
    expect(error).to_have_text("Enter the date of birth as a full date.")
    screenshot(page, "partial-date-of-birth")

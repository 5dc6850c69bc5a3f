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


def test_a_therapys_end_typed_as_a_day_june_does_not_have_is_refused_not_saved_as_ongoing(
        app, live_server, page, screenshot):
    """Optional date boxes too: read as empty, the therapy would be "ongoing" and its weeks would
    count on to today towards the failed-care criterion."""
    from tests.builders import make_case
    from tracker.models import ConservativeCare
    from tracker.workflow import State

    with app.app_context():
        email = make_user(Role.COORDINATOR).email
        case_id = make_case(state=State.UNDER_REVIEW).id
        db.session.remove()
    sign_in_through_the_form(page, live_server, email)
    page.goto(f"{live_server}/cases/{case_id}/conservative-care")
    page.get_by_label("Started").press_sequentially("05012026")
    ended = page.get_by_label("Ended")
    ended.click()
    ended.press_sequentially("06312026")  # 31 June
    assert page.evaluate("() => document.getElementById('end_date').validity.badInput")
    page.get_by_role("button", name="Save therapy").click()

    expect(page.locator("#end_date-error")).to_have_text(
        "Enter a full date (month, day and year), or leave the box empty.")
    screenshot(page, "therapy-end-31-june")
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(ConservativeCare)
                                 .filter_by(case_id=case_id)) == 0

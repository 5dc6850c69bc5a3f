"""In a real browser: a coordinator searches for a patient, finds the duplicate the patient page
warns about, compares the two records side by side, merges them with a reason, and sees the caps
count both records' injections on the record kept."""
import re
from datetime import date

from playwright.sync_api import expect

from tracker.extensions import db
from tracker.roles import Role
from tracker.workflow import State

from tests.browser.journeys import sign_in_through_the_form
from tests.builders import make_case, make_injection, make_patient, make_user


def test_coordinator_finds_a_duplicate_merges_it_and_sees_the_caps_change(app, live_server, page, screenshot):
    with app.app_context():
        coordinator = make_user(Role.COORDINATOR, name="Casey Coordinator")
        kept = make_patient(mrn="BR-3001", family_name="García", given_name="Lucía", date_of_birth=date(1961, 4, 2))
        duplicate = make_patient(mrn="BR-3001-B", family_name="Garcia", given_name="Lucia",
                                 date_of_birth=date(1961, 4, 2), email="lucia@example.org")
        make_injection(kept, days_ago=60)
        make_injection(duplicate, days_ago=30)
        waiting = make_case(patient=duplicate, state=State.ELIGIBLE)
        email, kept_id, waiting_id = coordinator.email, kept.id, waiting.id
        db.session.remove()

    sign_in_through_the_form(page, live_server, email)
    page.get_by_placeholder("Search patients").fill("garcia")
    page.get_by_placeholder("Search patients").press("Enter")
    expect(page.get_by_role("heading", name="2 patients found")).to_be_visible()
    screenshot(page, "1-search")
    page.get_by_role("link", name="García, Lucía").click()

    warning = page.locator("#duplicates")
    expect(warning).to_contain_text("Garcia, Lucia")
    expect(warning).to_contain_text("same family name and date of birth")
    expect(page.locator("li.cap-usage").first).to_contain_text("1 of 2 diagnostic")
    screenshot(page, "2-patient-page-warns")
    warning.get_by_role("link", name="compare and merge").click()

    expect(page.get_by_role("heading", name="Merge two patient records")).to_be_visible()
    expect(page.get_by_role("heading", name="Record kept")).to_be_visible()
    # Only the duplicate has an email: the comparison shows it, and that the record kept takes it.
    expect(page.get_by_role("mark").filter(has_text="lucia@example.org")).to_be_visible()
    expect(page.locator("#contact-after-merge")).to_contain_text("lucia@example.org")
    page.get_by_role("button", name="Merge records").click()
    # No reason: said next to the field, nothing merged.
    expect(page.locator("#reason-error")).to_contain_text("Say why these records are the same person")
    page.get_by_label("Why these records are the same person").fill(
        "Same name and date of birth; the patient confirmed one address by phone.")
    screenshot(page, "3-comparison")
    page.get_by_role("button", name="Merge records").click()

    expect(page).to_have_url(re.compile(rf"/patients/{kept_id}(\?|$)"))
    # The duplicate's open case is on the record kept now, listed for review (nothing cancelled).
    expect(page.locator("#moved-open-cases").get_by_role("link", name=f"Case {waiting_id}")).to_be_visible()
    expect(page.get_by_text("Records merged")).to_be_visible()
    expect(page.get_by_text(re.compile(rf"Case {waiting_id} \(left\): its eligibility verdict no longer stands"))).to_be_visible()
    expect(page.locator("li.cap-usage").first).to_contain_text("2 of 2 diagnostic")
    expect(page.locator("#duplicates")).to_have_count(0)
    expect(page.get_by_text("Merged in Garcia, Lucia")).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text("lucia@example.org")   # carried over, not lost
    screenshot(page, "4-merged")

    # The search now lists the one record.
    page.get_by_placeholder("Search patients").fill("garcia")
    page.get_by_placeholder("Search patients").press("Enter")
    expect(page.get_by_role("heading", name="1 patient found")).to_be_visible()

"""In a real browser: a coordinator opens the reports for a period, reads a chart beside its table,
and the printed page leaves out the navigation, filters and download links (issue 12)."""
import re

from playwright.sync_api import expect

from tracker.roles import Role
from tracker.extensions import db

from tests.browser.journeys import SCREENSHOTS
from tests.builders import make_user
from tests.helpers import PASSWORD
from tests.report_data import Clinic


def test_coordinator_reads_the_reports_and_a_chart(app, live_server, new_page, screenshot):
    with app.app_context():
        Clinic()
        email = make_user(Role.COORDINATOR).email
        db.session.remove()

    page = new_page({"width": 1280, "height": 900})
    page.goto(f"{live_server}/sign-in")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Reports").click()
    page.get_by_label("From").fill("2026-03-01")
    page.get_by_label("To").fill("2026-05-31")
    page.get_by_role("button", name="Show").click()

    lead = page.locator("#figure-lead_times")
    chart = lead.get_by_role("img", name=re.compile("Lead times"))
    expect(chart).to_be_visible()
    expect(lead.locator("table")).to_contain_text("17.0")
    # The chart sits beside its table on a wide screen.
    chart_box, table_box = chart.bounding_box(), lead.locator("table").bounding_box()
    assert chart_box["x"] + chart_box["width"] <= table_box["x"] + 1
    screenshot(page, "whole-page")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    lead.screenshot(path=str(SCREENSHOTS / "reports-lead-times.png"))
    survival = page.locator("#figure-relief_survival")
    expect(survival.get_by_role("img")).to_be_visible()
    survival.screenshot(path=str(SCREENSHOTS / "reports-survival.png"))
    page.locator("#figure-diary_completion").screenshot(path=str(SCREENSHOTS / "reports-diary-completion.png"))

    page.emulate_media(media="print")
    expect(page.locator("header nav")).to_be_hidden()
    expect(page.locator("form.filters")).to_be_hidden()
    expect(lead.get_by_role("link", name=re.compile("Download CSV"))).to_be_hidden()
    expect(chart).to_be_visible()
    screenshot(page, "print")

"""In a real browser: a coordinator opens the reports for a period, reads a chart beside its table,
and the printed page leaves out the navigation, filters and download links (issue 12)."""
import re

import pytest
from playwright.sync_api import expect

from tracker.roles import Role
from tracker.extensions import db

from tests.browser.journeys import SCREENSHOTS
from tests.builders import make_user
from tests.helpers import PASSWORD
from tests.report_data import Clinic


def _open_reports(page, live_server, email):
    page.goto(f"{live_server}/sign-in")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Reports").click()
    page.get_by_label("From").fill("2026-03-01")
    page.get_by_label("To").fill("2026-05-31")
    page.get_by_role("button", name="Show").click()


def _reports_of_a_clinic(app, live_server, new_page, viewport):
    """The reports of the test clinic (tests.report_data), opened by a coordinator at `viewport`."""
    with app.app_context():
        Clinic()
        email = make_user(Role.COORDINATOR).email
        db.session.remove()
    page = new_page(viewport)
    _open_reports(page, live_server, email)
    return page


# For each chart, its shown width over its drawn width (1: labels at their drawn 11-12 px); for each
# table, how many pixels of it are hidden beyond its region's edge.
CHART_SCALES_JS = """() => [...document.querySelectorAll('svg.report-chart')].map(
    svg => [svg.id, svg.getBoundingClientRect().width / svg.viewBox.baseVal.width])"""
CLIPPED_JS = """key => { const region = document.querySelector(`#figure-${key} .table-wrap`);
    return region.scrollWidth - region.clientWidth; }"""


@pytest.mark.parametrize("viewport", [{"width": 1024, "height": 768}, {"width": 390, "height": 844}])
def test_on_a_tablet_and_a_phone_chart_labels_keep_their_size_and_the_rate_tables_show_every_column(
        app, live_server, new_page, screenshot, viewport):
    page = _reports_of_a_clinic(app, live_server, new_page, viewport)
    expect(page.locator("#figure-block_rate_payer table")).to_be_visible()

    scales = page.evaluate(CHART_SCALES_JS)
    assert scales and all(scale >= 0.99 for _, scale in scales), scales
    # A chart wider than a phone scrolls inside a named region the keyboard reaches.
    chart_region = page.locator("#figure-block_rate_payer .chart")
    assert chart_region.get_attribute("role") == "region" and chart_region.get_attribute("tabindex") == "0"
    # The rate tables' five columns all in view (a physician's long name may still scroll on a phone).
    for key in ("block_rate_payer", "block_rate_physician") if viewport["width"] > 575 else ("block_rate_payer",):
        assert page.evaluate(CLIPPED_JS, key) <= 1, f"{key}: a column is cut off at {viewport}"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.locator("#figure-block_rate_payer").screenshot(
        path=str(SCREENSHOTS / f"reports-payer-{viewport['width']}.png"))


def test_coordinator_reads_the_reports_and_a_chart(app, live_server, new_page, screenshot):
    with app.app_context():
        Clinic()
        email = make_user(Role.COORDINATOR).email
        db.session.remove()

    page = new_page({"width": 1600, "height": 900})
    _open_reports(page, live_server, email)

    lead = page.locator("#figure-lead_times")
    chart = lead.get_by_role("img", name=re.compile("Lead times"))
    expect(chart).to_be_visible()
    expect(lead.locator("table")).to_contain_text("17.0")
    # The chart sits beside its table on a screen wide enough for both at full size.
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


# Each cell of the caps table's MRN and date columns: how many lines its text takes.
CAPS_LINES_JS = """() => [...document.querySelectorAll('#figure-caps tbody tr')].flatMap(tr =>
    [1, 7, 8].map(i => { const cell = tr.children[i]; const range = document.createRange();
        range.selectNodeContents(cell);
        return [cell.textContent.trim(), new Set([...range.getClientRects()].map(r => Math.round(r.top))).size]; }))"""


def test_on_a_tablet_the_caps_table_keeps_each_mrn_and_date_on_one_line(app, live_server, new_page, screenshot):
    page = _reports_of_a_clinic(app, live_server, new_page, {"width": 1024, "height": 768})
    expect(page.locator("#figure-caps table")).to_be_visible()
    cells = page.evaluate(CAPS_LINES_JS)
    assert cells and all(lines == 1 for _, lines in cells), cells
    # Words read from the left under their heading (the MRN, the sessions booked); numbers on the right.
    aligns = page.evaluate("""() => [...document.querySelectorAll('#figure-caps tbody tr:first-child td')].map(
        td => [td.textContent.trim(), getComputedStyle(td).textAlign])""")
    wrong = [(text, align) for text, align in aligns if align != ("right" if text.replace(".", "").isdigit() else "left")]
    assert aligns and not wrong, wrong
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.locator("#figure-caps").screenshot(path=str(SCREENSHOTS / "reports-caps-1024.png"))

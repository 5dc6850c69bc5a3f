"""In a real browser: a physician opens a case in follow-up, reads the pain chart and its table,
records the outcome with a confirmatory block as the next step, and lands on the new linked case
(issue 6, Done when)."""
import re

import pytest
from playwright.sync_api import expect

from tracker.extensions import db
from tracker.roles import Role
from tracker.vocab import Side

from tests.builders import GOOD_BLOCK, diary, make_patient, make_procedure, make_user
from tests.helpers import PASSWORD

VIEWPORTS = {"tablet": {"width": 1024, "height": 768}, "phone": {"width": 375, "height": 740}}


def _signed_in_physician_with(app, live_server, page, side, scores, **patient):
    """A signed procedure on `side` with `scores` in its diary, and `page` signed in as its physician:
    (the case's id, the page)."""
    with app.app_context():
        physician = make_user(Role.PHYSICIAN, name="Dr Priya Raman")
        record = make_procedure(side=side, physician=physician, steps="all", sign=True,
                                patient=make_patient(**patient))
        diary(record.case, scores)
        case_id, email = record.case_id, physician.email
        db.session.remove()
    page.goto(f"{live_server}/sign-in")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    return case_id, page


@pytest.mark.parametrize("viewport", ["tablet", "phone"])
def test_physician_reads_the_chart_and_closes_the_case_with_a_confirmatory_block(
        app, live_server, new_page, screenshot, viewport):
    case_id, page = _signed_in_physician_with(app, live_server, new_page(VIEWPORTS[viewport]), Side.LEFT, GOOD_BLOCK,
                                              family_name="Okafor", given_name="Grace")

    page.goto(f"{live_server}/cases/{case_id}")
    page.get_by_role("link", name="Read the diary and record the outcome").click()

    chart = page.get_by_role("img", name=re.compile("Pain over time after the injection"))
    expect(chart).to_be_visible()
    # Injected moments ago: the rest of the anaesthetic window is still to come, so the block reads "so far".
    expect(page.locator("#reading-left")).to_contain_text("Positive so far: peak relief 87.5 % in the window")
    expect(page.locator("#reading-left")).to_contain_text("4 more scores can come in the window, until")
    expect(page.locator("#reading-left")).to_contain_text("90 days")
    expect(page.locator("#point-h1")).to_contain_text("87.5 %")
    chart.scroll_into_view_if_needed()
    # On a phone the chart keeps legible text and scrolls sideways inside its frame; the page
    # itself never does.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(page, "chart")

    form = page.locator("#outcome-form")
    expect(form.get_by_label("Positive")).to_be_checked()
    expect(form.get_by_label(re.compile("^Therapeutic relief lasted"))).to_have_value("90")
    form.get_by_label("Confirmatory block").check()
    form.get_by_label("Notes").fill("Positive block; confirm before ablation.")
    # Injected moments ago: the later diary scores are still to come, so the physician confirms.
    expect(form.locator("#points-to-come")).to_contain_text("still has")
    form.get_by_label(re.compile("Record the outcome now")).check()
    form.get_by_role("button", name="Record outcome and close case").click()

    expect(page.get_by_text(re.compile(r"The confirmatory block is case #\d+, referred and ready for review"))).to_be_visible()
    new_id = int(re.search(r"/cases/(\d+)$", page.url).group(1))
    assert new_id != case_id
    expect(page.locator("#follows-case")).to_contain_text(f"Follows case #{case_id}")
    expect(page.locator("#follows-case")).to_contain_text("next step confirmatory block, decided by Dr Priya Raman")
    expect(page.get_by_text("Confirmatory block ·")).to_be_visible()
    screenshot(page, "linked-case")


@pytest.mark.parametrize("viewport", ["tablet", "phone"])
def test_physician_records_each_joints_result_of_a_bilateral_block_and_the_repeat_is_for_the_positive_joint(
        app, live_server, new_page, screenshot, viewport):
    scores = {"t0": {Side.LEFT: 5, Side.RIGHT: 5}, "m30": {Side.LEFT: 3, Side.RIGHT: 0},
              "h1": {Side.LEFT: 3, Side.RIGHT: 0}}
    case_id, page = _signed_in_physician_with(app, live_server, new_page(VIEWPORTS[viewport]), Side.BILATERAL,
                                              scores, family_name="Núñez Peña", given_name="María José")
    page.goto(f"{live_server}/cases/{case_id}/diary#outcome")

    form = page.locator("#outcome-form")
    left, right = form.get_by_role("group", name="Left joint"), form.get_by_role("group", name="Right joint")
    expect(left.get_by_label("Negative")).to_be_checked()
    expect(right.get_by_label("Positive")).to_be_checked()
    expect(left).to_contain_text("Prefilled from the left side's diary reading: negative so far (6 more scores can "
                                 "come in the window, until")
    expect(form).to_contain_text("When one joint is positive and the other is not, the new case is for the "
                                 "positive joint only.")
    left.scroll_into_view_if_needed()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(page, "results_per_joint")

    form.get_by_label("Repeat injection").check()
    form.get_by_label(re.compile("Record the outcome now")).check()
    form.get_by_role("button", name="Record outcome and close case").click()

    expect(page.get_by_text(re.compile(r"is case #\d+, for the right joint only \(the left joint's block was "
                                       r"negative\)"))).to_be_visible()
    expect(page.locator("#follows-case")).to_contain_text("left joint negative, right joint positive")


# The chart's reference-line labels as drawn: [text, left, top, right, bottom] each.
LABEL_BOXES_JS = """() => [...document.querySelectorAll('svg text')]
    .filter(t => t.textContent.includes('% relief'))
    .map(t => { const b = t.getBoundingClientRect(); return [t.textContent, b.left, b.top, b.right, b.bottom]; })"""


def test_a_bilateral_chart_whose_baselines_differ_by_a_point_keeps_every_relief_label_readable(
        app, live_server, new_page, screenshot):
    """Baselines 7 and 6: their 75 % and 50 % lines lie a few pixels apart, and each line's label
    was drawn on the other's."""
    scores = {"t0": {Side.LEFT: 7, Side.RIGHT: 6}, "m15": {Side.LEFT: 2, Side.RIGHT: 3}}
    case_id, page = _signed_in_physician_with(app, live_server, new_page(VIEWPORTS["tablet"]), Side.BILATERAL,
                                              scores, family_name="Whitfield", given_name="Harold")
    page.goto(f"{live_server}/cases/{case_id}/diary")
    chart = page.get_by_role("img", name=re.compile("Pain over time after the injection"))
    chart.scroll_into_view_if_needed()
    screenshot(page, "chart")

    labels = page.evaluate(LABEL_BOXES_JS)
    assert len(labels) == 4, labels
    for i, (one, *a) in enumerate(labels):
        for other, *b in labels[i + 1:]:
            apart = a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1]
            assert apart, f"“{one}” is drawn over “{other}”"

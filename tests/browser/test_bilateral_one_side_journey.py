"""In a real browser on the physician's tablet (1024 × 768): a bilateral procedure stopped after the
left joint. The right needle showed vascular uptake; she records at the sign-out that the right side
was not injected and why, signs, and reads on the note what was injected and what is billed."""
from playwright.sync_api import expect

from tracker.extensions import db
from tracker.procedures import services as procedure_services
from tracker.roles import Role
from tracker.vocab import Side

from tests.browser.test_every_page import RUN_AXE, axe_script  # noqa: F401 (a fixture)
from tests.builders import PROCEDURE_ANSWERS, make_procedure, make_user
from tests.helpers import PASSWORD

TABLET = {"width": 1024, "height": 768}


def _left_injected_right_stopped(app):
    with app.app_context():
        physician = make_user(Role.PHYSICIAN, name="Dr Priya Raman")
        record = make_procedure(side=Side.BILATERAL, physician=physician,
                                steps=["sign_in", "time_out", "positioning", "skin_prep", "fluoroscopy"])
        save = procedure_services.save_step
        save(record, "contrast", "left", PROCEDURE_ANSWERS["contrast"], physician, "")
        save(record, "contrast", "right", {**PROCEDURE_ANSWERS["contrast"], "vascular_uptake": True}, physician, "")
        save(record, "injectate", "left", PROCEDURE_ANSWERS["injectate"], physician, "")
        case_id, email = record.case_id, physician.email
        db.session.remove()
    return case_id, email


def test_a_bilateral_procedure_stopped_after_the_left_is_signed_for_the_left(
        app, live_server, browser, screenshot, axe_script):
    case_id, email = _left_injected_right_stopped(app)
    # bypass_csp: axe-core is added to the page as a script the policy would refuse.
    context = browser.new_context(viewport=TABLET, has_touch=True, locale="en-US", bypass_csp=True)
    page = context.new_page()
    page.goto(f"{live_server}/sign-in")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url(lambda url: "/sign-in" not in url)

    page.goto(f"{live_server}/cases/{case_id}/procedure")
    sign_out = page.locator("section#step-sign_out")
    expect(sign_out.get_by_label("None: both sides were injected")).to_be_checked()
    sign_out.get_by_label("Other", exact=True).check()
    sign_out.get_by_label("Other complication (describe)").fill("Right side stopped: vascular uptake")
    sign_out.get_by_label("2", exact=True).check()
    sign_out.get_by_label("Discharge instructions given").check()
    sign_out.get_by_label("Right", exact=True).check()
    sign_out.get_by_label("Why that side was not injected").fill("Vascular uptake on every reposition")
    sign_out.get_by_role("button", name="Save sign-out").click()
    expect(sign_out.locator(".badge")).to_have_text("✓ Done")
    for box in ("step-contrast-right", "step-injectate-right"):
        expect(page.locator(f"section#{box} .badge")).to_have_text("Side not injected (sign-out)")
    expect(page.get_by_text("✓ Every required field is recorded.")).to_be_visible()
    page.add_script_tag(path=axe_script)
    assert page.evaluate(RUN_AXE) == []
    screenshot(page, "1-checklist-right-not-injected")
    # What she sees on the tablet: the right side's boxes, then the sign-out and the Sign button.
    for box in ("step-contrast-right", "step-sign_out"):
        page.locator(f"section#{box}").scroll_into_view_if_needed()
        page.screenshot(path=str(screenshot(page, f"1b-{box}")), animations="disabled")

    page.get_by_role("button", name="Sign procedure record").click()
    expect(page.get_by_role("heading", name="Sacroiliac joint injection: procedure note")).to_be_visible()
    expect(page.locator("#not-injected")).to_contain_text("Right side not injected: Vascular uptake on every "
                                                          "reposition. Only the left side was injected")
    expect(page.get_by_role("region", name="Billing codes")).to_contain_text("Professional claim: CPT 27096 —")
    page.add_script_tag(path=axe_script)
    assert page.evaluate(RUN_AXE) == []
    screenshot(page, "2-note")

    page.goto(f"{live_server}/cases/{case_id}")
    screenshot(page, "3-case-page")
    expect(page.locator("ol.timeline")).to_contain_text("Right side not injected: Vascular uptake on every reposition.")
    expect(page.locator("section#procedure")).to_contain_text(
        "Bilateral procedure, right side not injected: Vascular uptake on every reposition. The case goes on for the "
        "left side.")
    context.close()

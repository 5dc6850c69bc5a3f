"""In a real browser at a tablet's size (1024x768), by keyboard: a start refused as not ready leads
straight to the physician's override (walk 17, defect 4). The refusal's words are a link; Enter on it
opens the override far down the page with the reason box focused and named, as a screen reader reads
it, and scrolled into view."""
import re
from datetime import datetime, timedelta, timezone

from playwright.sync_api import expect

from tracker.extensions import db
from tracker.models import RiskScreen
from tracker.roles import Role
from tracker.vocab import AppointmentStatus, Side
from tracker.workflow import State

from tests.browser.test_procedure_journey import TABLET, sign_in
from tests.builders import make_appointment, make_case, make_patient, make_user, make_verdict


def not_ready_case(app):
    """Booked in five minutes, checked in, consent not obtained: (case id, physician's email)."""
    with app.app_context():
        physician = make_user(Role.PHYSICIAN, name="Dr Ines Okoro")
        patient = make_patient(family_name="Lindqvist", given_name="Maja")
        case = make_case(patient=patient, state=State.SCHEDULED, side=Side.LEFT, physician_id=physician.id,
                         verdict=False)
        db.session.add(RiskScreen(case_id=case.id, anticoagulant_answer="none", allergy_answer="nkda",
                                  red_flags_screened=True, red_flags_present=False))
        db.session.commit()
        make_verdict(case)
        make_appointment(case, physician=physician, consent_obtained=False, day_of_check_done=True,
                         starts_at=datetime.now(timezone.utc).replace(microsecond=0) + timedelta(minutes=5),
                         status=AppointmentStatus.CHECKED_IN)
        case_id, email = case.id, physician.email
        db.session.remove()
    return case_id, email


def test_the_refused_start_links_by_keyboard_to_the_override_opened_and_focused(app, live_server, new_page,
                                                                                 screenshot):
    case_id, email = not_ready_case(app)
    page = new_page(TABLET)
    sign_in(page, live_server, email)
    page.goto(f"{live_server}/cases/{case_id}")
    page.get_by_role("region", name="Procedure").get_by_role("button", name=re.compile("^Start procedure")).click()

    refusal = page.get_by_role("alert")
    expect(refusal).to_contain_text("Not ready: consent obtained.")
    link = refusal.get_by_role("link", name="a physician records why the procedure may go ahead")
    expect(page.locator("#readiness-override")).not_to_have_attribute("open", re.compile(".*"))
    link.focus()
    page.keyboard.press("Enter")

    page.wait_for_url(re.compile(r".*override=1#readiness-override$"))
    reason = page.get_by_role("textbox", name=re.compile("Why the procedure may go ahead without every item"))
    expect(reason).to_be_focused()
    expect(page.locator("#readiness-override")).to_have_attribute("open", "")
    expect(reason).to_be_in_viewport()
    screenshot(page, "override-opened")
    page.keyboard.type("Consent taken verbally in the room; form to follow.")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.get_by_text("Readiness override recorded.")).to_be_visible()


def test_without_scripts_the_link_still_opens_the_override_in_view_and_tab_reaches_its_box(app, live_server, browser):
    case_id, email = not_ready_case(app)
    context = browser.new_context(viewport=TABLET, locale="en-US", java_script_enabled=False)
    try:
        page = context.new_page()
        sign_in(page, live_server, email)
        page.goto(f"{live_server}/cases/{case_id}")
        page.get_by_role("region", name="Procedure").get_by_role(
            "button", name=re.compile("^Start procedure")).click()
        page.get_by_role("alert").get_by_role("link", name="a physician records why the procedure may go ahead").click()
        page.wait_for_url(re.compile(r".*override=1#readiness-override$"))

        expect(page.locator("#readiness-override")).to_have_attribute("open", "")
        reason = page.get_by_role("textbox", name=re.compile("Why the procedure may go ahead without every item"))
        expect(reason).to_be_in_viewport()
        # From the fragment the keyboard goes on: the fold's summary, then the reason box.
        page.keyboard.press("Tab")
        page.keyboard.press("Tab")
        expect(reason).to_be_focused()
    finally:
        context.close()

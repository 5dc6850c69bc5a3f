"""In a real browser: a coordinator takes a new referral to an eligible case, and a physician
overrides a not-eligible verdict with a reason."""
import re
from datetime import date, timedelta

from playwright.sync_api import expect

from tracker.extensions import db
from tracker.roles import Role
from tracker.timeutil import clinic_today

from tests.builders import make_user
from tests.helpers import PASSWORD


def sign_in(page, base, email):
    page.goto(f"{base}/sign-in")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_coordinator_takes_a_new_referral_to_an_eligible_case(app, live_server, page, screenshot):
    with app.app_context():
        coordinator = make_user(Role.COORDINATOR, name="Casey Coordinator")
        email, today = coordinator.email, clinic_today()
        db.session.remove()
    sign_in(page, live_server, email)
    expect(page.get_by_role("heading", name="Worklist")).to_be_visible()

    page.get_by_role("link", name="New referral").first.click()
    page.get_by_label("Name, MRN or phone").fill("Okonkwo")
    page.get_by_role("button", name="Find patient").click()
    expect(page.get_by_text("No patient found")).to_be_visible()
    page.get_by_role("link", name="Register a new patient with this referral").click()

    # Each diagnosis box sits beside its label's first line, long labels wrapping beside it.
    for box in page.locator("ul.checkbox-list li").all():
        tick, words = box.locator("input").bounding_box(), box.locator("label").bounding_box()
        assert words["y"] <= tick["y"] < words["y"] + 24 and tick["x"] < words["x"], box.inner_text()
    page.get_by_label("Medical record number").fill("BR-2001")
    page.get_by_label("Family name").fill("Okonkwo")
    page.get_by_label("Given name").fill("Ada")
    page.get_by_label("Date of birth").fill("1970-03-14")
    page.get_by_label("Phone").fill("(201) 555-0142")
    page.get_by_label("Preferred contact").select_option("phone")  # no email address to prefer
    page.locator("select#language").select_option("English")
    page.get_by_label("Referring clinician").fill("Dr Marsh")
    page.get_by_label("Referral date").fill(today.isoformat())
    page.get_by_label("Side to inject").select_option("left")
    page.get_by_label("Indication").select_option("diagnostic")
    page.get_by_label("Symptom onset").fill((today - timedelta(days=200)).isoformat())
    page.get_by_label("Worse on sit-to-stand").check()
    screenshot(page, "1-referral-form")
    page.get_by_role("button", name="Log referral").click()
    expect(page.get_by_text("Referral logged for Okonkwo, Ada")).to_be_visible()

    page.get_by_role("button", name="Start review").click()
    expect(page.get_by_text("Case is now under review")).to_be_visible()

    page.get_by_role("link", name="Edit conservative care").click()
    for kind, weeks, response in (("physical_therapy", 6, "none"), ("medication", 5, "partial")):
        page.get_by_label(re.compile(r"^Therapy")).select_option(kind)
        page.get_by_label("Started").fill((today - timedelta(weeks=weeks)).isoformat())
        page.get_by_label("Response").select_option(response)
        page.get_by_role("button", name="Save therapy").click()
        expect(page.get_by_text("Therapy added.")).to_be_visible()
    expect(page.get_by_text(re.compile(r"Among the failed courses: medication trial \d+ days \(needs 14\); "
                                       r"active therapy \d+ days \(needs 14\)"))).to_be_visible()
    screenshot(page, "2-conservative-care")
    page.get_by_role("link", name="Okonkwo, Ada").click()

    page.get_by_role("link", name="Edit examination").click()
    page.get_by_role("group", name=re.compile(r"^Pain mainly below L5")).get_by_label("Yes", exact=True).check()
    page.get_by_role("group", name=re.compile(r"^Radicular signs")).get_by_label("No", exact=True).check()
    page.get_by_label("Baseline pain (0–10)").fill("7")
    for test in ("FABER (Patrick)", "Gaenslen", "Thigh thrust"):
        page.get_by_role("group", name=f"{test}, Left").get_by_label("Positive").check()
    # The Oswestry score needs 8 of its 10 sections answered: the patient answered all ten.
    page.get_by_role("group", name="1. Pain intensity").get_by_label("The pain is fairly severe at the moment.").check()
    sections = page.get_by_role("group", name=re.compile(r"^([2-9]|10)\. "))
    expect(sections).to_have_count(9)
    for index in range(9):
        sections.nth(index).get_by_role("radio").nth(2).check()
    screenshot(page, "2b-examination")
    page.get_by_role("button", name="Save examination").click()
    expect(page.get_by_text("Examination saved.")).to_be_visible()

    page.get_by_role("link", name="Edit risk screen").click()
    page.get_by_label("Pregnancy").select_option("no")
    page.get_by_label("Red flags screened").check()
    page.get_by_role("button", name="Save risk screen").click()
    expect(page.get_by_text("Risk screen saved.")).to_be_visible()

    page.get_by_role("button", name="Evaluate eligibility").click()
    expect(page.get_by_text("Eligible under Medicare SI joint LCDs (2023)")).to_be_visible()
    expect(page.locator(".badge.state-eligible").first).to_have_text("Eligible")
    expect(page.get_by_role("table", name="Recorded verdict, criterion by criterion")).to_contain_text(
        "3 of 3 tests done positive (3 not done), needs 3")
    screenshot(page, "3-eligible")


def test_physician_overrides_a_not_eligible_verdict_with_a_reason(app, live_server, page, screenshot):
    from tracker.eligibility.services import evaluate_case
    from tests.builders import make_case

    with app.app_context():
        coordinator = make_user(Role.COORDINATOR)
        physician = make_user(Role.PHYSICIAN, name="Dr Priya Raman")
        # Pain for a month only: not eligible (with everything else unknown it would be incomplete).
        case = make_case(state="under_review", physician_id=physician.id,
                         symptom_onset=date.today() - timedelta(days=30))
        evaluate_case(case, coordinator)
        case_id, email = case.id, physician.email
        db.session.remove()

    sign_in(page, live_server, email)
    expect(page.get_by_role("heading", name="Cases needing a physician")).to_be_visible()
    page.goto(f"{live_server}/cases/{case_id}")
    expect(page.locator(".badge.state-not_eligible")).to_have_text("Not eligible")

    page.get_by_role("button", name="Override: eligible").click()
    expect(page.locator("#reason-error")).to_have_text("Write the clinical reason for the override.")
    reason = "Outside clinic records: three positive provocation tests and 8 weeks of failed PT."
    page.get_by_label("Clinical reason for overriding").fill(reason)
    page.get_by_role("button", name="Override: eligible").click()
    expect(page.get_by_text("Overridden: the case is eligible.")).to_be_visible()
    expect(page.locator(".verdict")).to_contain_text(reason)
    expect(page.locator(".verdict")).to_contain_text("Dr Priya Raman")
    screenshot(page, "override")


def test_the_examination_is_filled_by_taps_on_a_tablet(app, live_server, new_page, screenshot):
    from tests.builders import make_case
    from tracker.workflow import State

    with app.app_context():
        physician = make_user(Role.PHYSICIAN, name="Dr Tap")
        case_id, email = make_case(state=State.UNDER_REVIEW).id, physician.email
        db.session.remove()
    page = new_page("tablet")
    sign_in(page, live_server, email)
    page.goto(f"{live_server}/cases/{case_id}/examination")
    for test in ("FABER (Patrick)", "Gaenslen", "Thigh thrust", "Compression"):
        page.get_by_role("group", name=f"{test}, Left").get_by_text("Positive").click()
    page.get_by_role("group", name="Distraction, Left").get_by_text("Negative").click()
    for n, name in enumerate(("Pain intensity", "Personal care", "Lifting", "Walking", "Sitting", "Standing",
                              "Sleeping", "Sex life (if applicable)", "Social life", "Travelling"), start=1):
        page.get_by_role("group", name=f"{n}. {name}").get_by_role("radio").nth(2).check()
    # Every answer is a tap target at least 44 px high (WCAG 2.5.5), and nothing scrolls sideways.
    heights = page.locator(".exam-form .choices.big label").evaluate_all(
        "labels => labels.map(l => l.getBoundingClientRect().height)")
    assert heights and min(heights) >= 44, f"a choice is only {min(heights)} px high"
    width, client_width = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert width <= client_width, f"the examination scrolls sideways on a tablet ({width} > {client_width} px)"
    screenshot(page, "1-filled")
    page.get_by_role("button", name="Save examination").click()
    expect(page.get_by_text("Examination saved.")).to_be_visible()
    expect(page.get_by_text("Positive provocation tests: Left 4 of 5 done (1 not done).")).to_be_visible()
    expect(page.get_by_text("Oswestry: 40.0% (moderate).")).to_be_visible()

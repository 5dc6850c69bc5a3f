"""In a real browser on a 390 px phone: the patient's pages at 200 % zoom (a 195 px layout) in
Spanish, the focus after a refused password form, and the forgotten-password page's tap targets."""
from datetime import datetime, timedelta, timezone

from playwright.sync_api import expect

from tracker.diary import links
from tracker.extensions import db
from tracker.models import DiaryLink, User
from tracker.patient_accounts import tokens
from tracker.vocab import Side
from tracker.workflow import State

from tests.builders import make_case, make_diary, make_patient

# A 390 px phone zoomed to 200 %: the page is laid out 195 CSS pixels wide.
PHONE_AT_200 = {"width": 195, "height": 422}
PHONE = {"width": 390, "height": 844}
TAP_TARGET_PX = 44
PAGE_WIDTH_JS = "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
WIDER_JS = """() => [...document.querySelectorAll('main *')]
  .filter(el => el.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
  .map(el => el.tagName + ' "' + el.textContent.trim().slice(0, 30) + '"')"""


def test_a_spanish_bilateral_score_due_now_fits_a_phone_zoomed_to_200_percent(app, live_server, new_page,
                                                                                screenshot):
    with app.app_context():
        now = datetime.now(timezone.utc).replace(microsecond=0)
        case = make_case(patient=make_patient(family_name="Silva", given_name="Ana", language="Español"),
                         state=State.FOLLOW_UP, side=Side.BILATERAL)
        # Two hours after: "2 horas después le toca ahora", the longest heading the diary asks under.
        make_diary(case, injected_at=now - timedelta(hours=1, minutes=55))
        link = DiaryLink(case_id=case.id, created_by_id=db.session.get(User, case.created_by_id).id,
                         expires_at=now + timedelta(days=30))
        db.session.add(link)
        db.session.commit()
        token = links.sign(link)

    page = new_page(PHONE_AT_200)
    page.goto(f"{live_server}/d/{token}")
    expect(page.get_by_role("heading", name="2 horas después le toca ahora")).to_be_visible()
    screenshot(page, "zoomed")
    scroll_width, client_width = page.evaluate(PAGE_WIDTH_JS)
    assert scroll_width <= client_width, (
        f"the page scrolls sideways at 200 % ({scroll_width} > {client_width}): {page.evaluate(WIDER_JS)}")


def test_a_refused_password_form_puts_the_focus_on_its_list_of_errors(app, live_server, new_page):
    """A keyboard or screen-reader user lands on what to correct, not at the top of the page (the
    list is made to take the focus, tabindex -1, and nothing gave it)."""
    with app.app_context():
        patient = make_patient(family_name="Ramos", given_name="Lucía", email="lucia@home.example")
        token = tokens.invitation(patient, "lucia@home.example")

    page = new_page(PHONE)
    page.goto(f"{live_server}/account/set-password/{token}")
    page.locator("#new_password").fill("short")
    page.get_by_role("button", name="Set my password").click()
    summary = page.locator("#form-errors")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()


def test_the_forgotten_password_page_has_finger_sized_links_on_a_phone(live_server, new_page):
    """A patient's page (sign-in › "Get a link to set a new one"): its links are tapped on a phone,
    like those of the patient's own pages, in its refused state too (the list of errors links to
    the field)."""
    page = new_page(PHONE)
    page.goto(f"{live_server}/account/forgot-password")
    page.get_by_role("button", name="Send me a link").click()
    expect(page.locator("#form-errors")).to_be_visible()
    # Measured once the stylesheets have loaded: under load the refused page's links were measured
    # before the style that sizes them applied (17 px, the text's own height).
    page.wait_for_load_state("load")
    small = []
    for link in page.get_by_role("main").get_by_role("link").all():
        box = link.bounding_box()
        if box["height"] < TAP_TARGET_PX:
            small.append((link.inner_text(), round(box["height"])))
    assert small == [], f"links under {TAP_TARGET_PX} px tall: {small}"


def _link_to_a_score_due_now(app):
    """The personal link of a left-side case whose 2-hour score is due now."""
    with app.app_context():
        now = datetime.now(timezone.utc).replace(microsecond=0)
        case = make_case(patient=make_patient(), state=State.FOLLOW_UP, side=Side.LEFT)
        make_diary(case, injected_at=now - timedelta(hours=1, minutes=55))
        link = DiaryLink(case_id=case.id, created_by_id=db.session.get(User, case.created_by_id).id,
                         expires_at=now + timedelta(days=30))
        db.session.add(link)
        db.session.commit()
        return links.sign(link)


def test_a_score_sent_without_a_number_puts_the_focus_on_the_scale_that_says_why(app, live_server, new_page):
    """Save my score with no number chosen: the page comes back with "Choose a number…" in the
    scale's group; the focus lands there (a screen reader then reads the question, the error and
    the first choice), not at the top of the page, where nothing is read out."""
    token = _link_to_a_score_due_now(app)

    page = new_page(PHONE)
    page.goto(f"{live_server}/d/{token}")
    page.get_by_role("button", name="Save my score", exact=True).click()
    expect(page.locator("#score-error")).to_have_text(
        "Choose a number from 0 (no pain) to 10 (worst pain imaginable).")
    expect(page.locator("#score input[type=radio]").first).to_be_focused()


def test_a_correction_sent_without_its_reason_puts_the_focus_on_the_reason(app, live_server, new_page):
    """The correction page has no list of errors either: a correction without its reason comes back
    with the focus in the reason box, whose message is read with it."""
    token = _link_to_a_score_due_now(app)

    page = new_page(PHONE)
    page.goto(f"{live_server}/d/{token}")
    page.locator("#score label").filter(has_text="6").first.click()
    page.get_by_role("button", name="Save my score", exact=True).click()
    page.locator("a.correct-link").first.click()
    page.locator("#score label").filter(has_text="4").first.click()
    page.get_by_role("button", name="Save the correction").click()
    expect(page.locator("#reason-error")).to_be_visible()
    expect(page.locator("#reason")).to_be_focused()

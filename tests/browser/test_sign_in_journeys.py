"""Signing in and out in a real browser, with the demo data: what each person sees first.

Each role signs in through the form and lands on its own home page; a wrong password is explained
at the password field; Back after sign-out shows no patient data; the patient's pages fit a phone;
the sign-in form works from the keyboard alone. Every home page passes a quick accessibility check.
"""
import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import Integer, text

from tracker.auth.services import GENERIC_FAILURE
from tracker.demo import DEMO_PATIENT_ACCOUNT, DEMO_USERS, seed
from tracker.extensions import db

TAP_TARGET_PX = 44  # WCAG 2.5.5 / Apple HIG: a finger, or a numb or gloved one

ACCESSIBILITY_JS = """() => {
  const controls = [...document.querySelectorAll('input, select, textarea')]
    .filter(el => !['hidden', 'submit', 'button', 'reset', 'image'].includes(el.type));
  const labelled = el => [...(el.labels || [])].some(label => label.textContent.trim() !== '');
  return {
    unlabelled: controls.filter(el => !labelled(el)).map(el => el.outerHTML.slice(0, 120)),
    h1: [...document.querySelectorAll('h1')].map(h => h.textContent.trim()),
    lang: document.documentElement.lang,
  };
}"""

# Visible interactive elements smaller than `min` px either way (the skip link is off-screen until focused).
SMALL_TAP_TARGETS_JS = """(min) => [...document.querySelectorAll(
    'a[href], button, input:not([type=hidden]), select, textarea, [role=button], summary')]
  .map(el => [el, el.getBoundingClientRect()])
  .filter(([el, r]) => r.width > 0 && r.height > 0 && r.right > 0)
  .filter(([el, r]) => r.width < min || r.height < min)
  .map(([el, r]) => `${el.tagName} "${(el.innerText || el.value || '').trim()}" ${Math.round(r.width)}x${Math.round(r.height)}`)
"""

PAGE_WIDTH_JS = "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"

# A keyboard user must see where focus is: a solid outline (Pico's own halo is pale and fades in).
FOCUS_OUTLINE_JS = """() => {
  const style = getComputedStyle(document.activeElement);
  return style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2;
}"""

FOCUSED_JS = """() => {
  const el = document.activeElement;
  return el.id || (el.innerText || el.value || el.tagName).trim();
}"""


def credentials(role):
    if role == "patient":
        email, password, _mrn = DEMO_PATIENT_ACCOUNT
        return email, password
    return next((email, password) for email, _name, demo_role, password in DEMO_USERS
                if demo_role.value == role)


@pytest.fixture(scope="session")
def demo_rows():
    """Every row the demo seed wrote, by table: filled by the first test that asks for `demo`."""
    return {}


@pytest.fixture
def demo(app, demo_rows):
    """The demo data of `tracker.demo.seed`, in the database this test starts with.

    Seeding runs the real services (seconds); the first test seeds and keeps a copy of every row,
    later tests (after the per-test reset) get the same rows back in one transaction.
    """
    with app.app_context():
        if not demo_rows:
            seed()
            db.session.commit()
            with db.engine.connect() as conn:
                for table in db.metadata.sorted_tables:
                    demo_rows[table] = [dict(row) for row in conn.execute(table.select()).mappings()]
        else:
            with db.engine.begin() as conn:
                for table, rows in demo_rows.items():
                    if rows:
                        conn.execute(table.insert(), rows)
                if conn.dialect.name == "postgresql":
                    _restart_id_sequences(conn, demo_rows)
        db.session.remove()


def _restart_id_sequences(conn, demo_rows):
    for table, rows in demo_rows.items():
        if rows and "id" in table.c and isinstance(table.c.id.type, Integer):
            conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                              f"(SELECT MAX(id) FROM \"{table.name}\"))"))


def sign_in(page, base_url, role, password=None):
    email, demo_password = credentials(role)
    page.goto(f"{base_url}/sign-in")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password or demo_password)
    # The tests below measure the layout: wait until the next page and its styles are in.
    with page.expect_navigation(wait_until="load"):
        page.get_by_role("button", name="Sign in").click()
    page.evaluate("document.fonts.ready.then(() => true)")


def assert_accessible_basics(page):
    found = page.evaluate(ACCESSIBILITY_JS)
    assert found["unlabelled"] == [], "form controls without a <label>"
    assert len(found["h1"]) == 1, f"expected one <h1>, found {found['h1']}"
    assert found["lang"], "<html> has no lang"


def assert_fits_width(page):
    scroll_width, client_width = page.evaluate(PAGE_WIDTH_JS)
    assert scroll_width <= client_width, f"page scrolls sideways: {scroll_width}px in {client_width}px"


# ------------------------------------------------------------------ each role's home page

def check_admin_home(page):
    expect(page.get_by_role("heading", level=1)).to_have_text("Users")
    users = page.get_by_role("table")
    for name, email in [("Avery Admin", "admin@demo.clinic"), ("Casey Coordinator", "coordinator@demo.clinic"),
                        ("Dr Priya Raman", "physician@demo.clinic"), ("Grace Okafor", "patient@demo.clinic")]:
        expect(users.get_by_role("link", name=name)).to_be_visible()
        expect(users).to_contain_text(email)
    expect(page.get_by_role("link", name="Audit trail")).to_be_visible()


def check_coordinator_home(page):
    expect(page.get_by_role("heading", level=1)).to_have_text("Worklist")
    counts = page.get_by_role("navigation", name="Cases by state")
    for label, n in [("Referred", 2), ("Under review", 3), ("Eligible", 2), ("Not eligible", 2),
                     ("Scheduled", 3), ("In procedure", 1), ("Follow-up", 3), ("Closed", 2),
                     ("Cancelled", 2)]:
        expect(counts.get_by_role("link", name=f"{label}: {n}", exact=True)).to_be_visible()
    cases = page.get_by_role("table")
    expect(cases.get_by_role("link", name="Lindqvist, Erik")).to_be_visible()
    expect(cases.get_by_role("link", name="Rossi, Giulia")).to_have_count(0)  # closed: not on the worklist


def check_physician_home(page):
    expect(page.get_by_role("heading", level=1)).to_have_text("Cases needing a physician")
    main = page.get_by_role("main")
    for label, n in [("Not eligible", 2), ("Scheduled", 3), ("In procedure", 1), ("Follow-up", 3)]:
        expect(main).to_contain_text(re.compile(rf"\b{label}:?\s*{n}\b"))
    cases = page.get_by_role("table")
    expect(cases.get_by_role("link", name="Petrova, Irina")).to_be_visible()  # scheduled, hers
    expect(cases.get_by_role("link", name="Lindqvist, Erik")).to_have_count(0)  # referred: not for a physician yet


def check_patient_home(page):
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, Grace")
    card = page.get_by_role("article")
    expect(card.get_by_role("heading", level=2)).to_have_text("Left sacroiliac joint diagnostic block")
    expect(card).to_contain_text("Status: Follow-up")
    expect(card).to_contain_text("pain score is")  # her 2-week score is due
    expect(card.get_by_role("link", name="Enter today's pain score")).to_be_visible()
    expect(card.get_by_role("link", name="See your case")).to_be_visible()
    expect(page.get_by_role("link", name="Worklist")).to_have_count(0)
    expect(page.get_by_text("Lindqvist")).to_have_count(0)


HOMES = {
    "admin": ("/admin/users", "Avery Admin", check_admin_home),
    "coordinator": ("/cases/", "Casey Coordinator", check_coordinator_home),
    "physician": ("/cases/physician", "Dr Priya Raman", check_physician_home),
    "patient": ("/my/", None, check_patient_home),
}


@pytest.mark.parametrize("role", list(HOMES))
def test_each_role_signs_in_and_sees_its_own_home(role, demo, live_server, page, screenshot):
    path, nav_name, check_home = HOMES[role]
    sign_in(page, live_server, role)

    expect(page).to_have_url(live_server + path)
    check_home(page)
    if nav_name:
        expect(page.get_by_role("navigation", name="Main")).to_contain_text(nav_name)
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    assert_accessible_basics(page)
    screenshot(page, "home")


def test_sign_in_page_passes_the_accessibility_basics(demo, live_server, page):
    page.goto(live_server + "/")
    expect(page).to_have_url(live_server + "/sign-in")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    assert_accessible_basics(page)


# ------------------------------------------------------------------ a wrong password

def test_wrong_password_is_explained_at_the_password_field_and_keeps_the_email(
        demo, live_server, page, screenshot):
    sign_in(page, live_server, "coordinator", password="Not-the-right-one-1")

    error = page.locator("#password-error")
    expect(error).to_have_text(GENERIC_FAILURE)
    password = page.get_by_label("Password")
    expect(password).to_have_attribute("aria-invalid", "true")
    expect(password).to_have_attribute("aria-describedby", re.compile(r"\bpassword-error\b"))
    expect(password).to_have_value("")
    expect(page.get_by_label("Email")).to_have_value("coordinator@demo.clinic")
    expect(page.get_by_role("alert")).to_contain_text("Please correct the highlighted field")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")

    field, message = password.bounding_box(), error.bounding_box()
    gap = message["y"] - (field["y"] + field["height"])
    assert 0 <= gap < 24, f"the error is {gap:.0f}px from the password field"
    assert abs(message["x"] - field["x"]) < 2, "the error is not aligned with the password field"
    screenshot(page, "error")


# ------------------------------------------------------------------ sign-out, then Back

@pytest.mark.parametrize("role, patient_data", [
    ("coordinator", ["Lindqvist, Erik", "Okafor, Grace", "DEMO-0002"]),
    ("patient", ["Grace", "Left sacroiliac joint"]),
], ids=["coordinator", "patient"])
def test_back_after_sign_out_shows_no_patient_data(role, patient_data, demo, live_server, page,
                                                   screenshot):
    path, _nav_name, check_home = HOMES[role]
    sign_in(page, live_server, role)
    check_home(page)
    response = page.reload()
    assert response.headers["cache-control"] == "no-store"
    check_home(page)
    for text in patient_data:
        expect(page.get_by_text(text).first).to_be_visible()

    page.get_by_role("navigation", name="Main").get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(live_server + "/sign-in")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    expect(page.get_by_role("status")).to_have_text("You are signed out.")
    screenshot(page, "signed-out")

    page.go_back()
    expect(page).to_have_url(re.compile(re.escape(live_server) + r"/sign-in(\?|$)"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    body = page.locator("body").inner_text()
    for text in patient_data:
        assert text not in body, f"{text!r} is still on the page after sign-out and Back"
    screenshot(page, "after-back")


# ------------------------------------------------------------------ phones and tablets

def test_patient_pages_fit_a_phone_with_large_tap_targets(demo, live_server, new_page, screenshot):
    page = new_page("phone")
    sign_in(page, live_server, "patient")
    check_patient_home(page)
    assert_fits_width(page)
    assert page.evaluate(SMALL_TAP_TARGETS_JS, TAP_TARGET_PX) == []
    screenshot(page, "home")

    page.get_by_role("link", name="See your case").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Left sacroiliac joint diagnostic block")
    expect(page.get_by_role("main")).to_contain_text("Status: Follow-up")
    assert_fits_width(page)
    assert page.evaluate(SMALL_TAP_TARGETS_JS, TAP_TARGET_PX) == []
    assert_accessible_basics(page)
    screenshot(page, "case")


@pytest.mark.parametrize("role, viewport", [
    ("coordinator", "phone"), ("admin", "phone"), ("physician", "tablet"),
])
def test_staff_home_fits_the_screen_and_keeps_its_navigation_in_view(role, viewport, demo, live_server,
                                                                     new_page, screenshot):
    page = new_page(viewport)
    width = page.viewport_size["width"]
    sign_in(page, live_server, role)
    path, _nav_name, check_home = HOMES[role]
    check_home(page)
    assert_fits_width(page)
    nav = page.get_by_role("navigation", name="Main")
    for item in nav.locator("a, button").all():
        box = item.bounding_box()
        assert 0 <= box["x"] and box["x"] + box["width"] <= width, f"{item.inner_text()!r} is off-screen"
    screenshot(page, "home")


@pytest.mark.parametrize("width", [1024, 1366])
def test_on_a_landscape_tablet_the_header_is_two_rows_and_the_account_stays_together(width, demo, live_server,
                                                                                  new_page, screenshot):
    # A coordinator's tablet, landscape (1024 wide), or a laptop (1366: the page is 1,200 px wide):
    # the title and the links on one row; the search, the name and Sign out on the next, the search
    # stretching from the left edge to the name, so that row is no blank band with the account
    # alone at its end; never Sign out alone.
    page = new_page("tablet")
    page.set_viewport_size({"width": width, "height": 768})
    sign_in(page, live_server, "coordinator")
    nav = page.get_by_role("navigation", name="Main")
    top = lambda locator: round(locator.bounding_box()["y"])  # noqa: E731
    brand, worklist = nav.get_by_role("link", name="SI joint tracker"), nav.get_by_role("link", name="Worklist")
    name = nav.get_by_role("link", name="Casey Coordinator")
    sign_out = nav.get_by_role("button", name="Sign out")
    search = page.get_by_role("searchbox")
    assert abs(top(brand) - top(worklist)) < 20 and top(worklist) < top(name)
    assert abs(top(name) - top(sign_out)) < 20 and abs(top(search) - top(name)) < 20
    right = sign_out.bounding_box()
    edge = page.locator("header").bounding_box()
    assert right["x"] + right["width"] > edge["x"] + edge["width"] - 60, "the account keeps to the right edge"
    field, account = search.bounding_box(), name.bounding_box()
    assert field["x"] <= brand.bounding_box()["x"] + 24, "the search starts the row, under the title"
    assert account["x"] - (field["x"] + field["width"]) < 60, "the search reaches the account: no blank band"
    screenshot(page, f"header-{width}")


@pytest.mark.parametrize("role", ["coordinator", "physician", "admin"])
def test_on_a_landscape_tablet_every_staff_header_is_two_rows(role, demo, live_server, new_page, screenshot):
    """The admin has the most links (seven): they too fit the first row and the next, the account
    still together at the right, every link a full tap target."""
    page = new_page("tablet")
    page.set_viewport_size({"width": 1024, "height": 768})
    sign_in(page, live_server, role)
    nav = page.get_by_role("navigation", name="Main")
    screenshot(page, "tablet-header")
    boxes = [item.bounding_box() for item in nav.locator("a, button, input:not([type=hidden])").all()]
    middles = sorted(round(box["y"] + box["height"] / 2) for box in boxes)
    # The items of one row have their middles within a few pixels of each other.
    rows = [y for i, y in enumerate(middles) if i == 0 or y - middles[i - 1] > 12]
    assert len(rows) <= 2, (role, middles)
    assert all(box["height"] >= TAP_TARGET_PX for box in boxes), boxes
    assert_fits_width(page)
    # Laid out item by item, the links are still a list to a screen reader (title, links, account).
    assert nav.get_by_role("list").count() == 3


@pytest.mark.parametrize("width", [1280, 1366])
@pytest.mark.parametrize("role", ["coordinator", "physician", "admin"])
def test_on_a_desktop_the_account_is_never_alone_on_a_header_row(role, width, demo, live_server, new_page,
                                                                 screenshot):
    """A coordinator's desk (a 1366-wide laptop, or 1280): past the tablet widths the header is one
    row; where it must wrap, the account (name and Sign out) never sits alone on a row of its own at
    the right end of a blank band, as the tablet layout promises."""
    page = new_page("desktop")
    page.set_viewport_size({"width": width, "height": 800})
    sign_in(page, live_server, role)
    nav = page.get_by_role("navigation", name="Main")
    screenshot(page, f"desktop-header-{width}")
    sign_out = nav.get_by_role("button", name="Sign out").bounding_box()
    row = lambda box: abs((box["y"] + box["height"] / 2) - (sign_out["y"] + sign_out["height"] / 2)) < 12  # noqa: E731
    boxes = [item.bounding_box() for item in nav.locator("a, button, input:not([type=hidden])").all()]
    on_its_row = [box for box in boxes if row(box)]
    # Sign out, the name and its role link: anything more (a link, the search) means the row is shared.
    assert len(on_its_row) > 2, (role, width, "the account is alone on its header row")


# ------------------------------------------------------------------ keyboard only

def test_keyboard_alone_reaches_email_password_and_sign_in_and_enter_submits(demo, live_server, page,
                                                                            screenshot):
    email, password = credentials("coordinator")
    page.goto(live_server + "/sign-in")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")

    page.keyboard.press("Tab")
    assert page.evaluate(FOCUSED_JS) == "Skip to content"
    expect(page.get_by_role("link", name="Skip to content")).to_be_in_viewport()
    stops = []
    while page.evaluate(FOCUSED_JS) != "email":
        assert len(stops) < 5, f"Tab never reached the email field: {stops}"
        page.keyboard.press("Tab")
        stops.append(page.evaluate(FOCUSED_JS))
    page.keyboard.type(email)
    page.keyboard.press("Tab")
    assert page.evaluate(FOCUSED_JS) == "password"
    page.keyboard.type(password)
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Sign in")).to_be_focused()
    assert page.evaluate(FOCUS_OUTLINE_JS), "the focused Sign in button shows no focus indicator"
    screenshot(page, "focus-on-sign-in")

    page.keyboard.press("Shift+Tab")
    assert page.evaluate(FOCUSED_JS) == "password"
    page.keyboard.press("Enter")
    expect(page).to_have_url(live_server + "/cases/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Worklist")

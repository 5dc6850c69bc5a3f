"""In a real browser on a phone: a Spanish-speaking patient (recorded as such by the clinic, on a
phone whose browser is in English) signs in and enters a pain score in Spanish, two taps; the
switch on the page turns it to English and back, and is remembered."""
import re
from datetime import datetime, timedelta, timezone

from playwright.sync_api import expect

from tracker.roles import Role
from tracker.extensions import db
from tracker.models import DiaryEntry
from tracker.vocab import Side
from tracker.workflow import State

from tests.builders import make_case, make_diary, make_patient, make_user
from tests.helpers import PASSWORD

PHONE = {"width": 375, "height": 740}
PAGE_WIDTH_JS = "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"


def _fits(page):
    scroll_width, client_width = page.evaluate(PAGE_WIDTH_JS)
    assert scroll_width <= client_width, f"the page scrolls sideways ({scroll_width} > {client_width})"


def test_a_spanish_speaking_patient_enters_a_score_on_a_phone(app, live_server, new_page, screenshot):
    with app.app_context():
        now = datetime.now(timezone.utc).replace(microsecond=0)
        user = make_user(Role.PATIENT, name="Lucía Ramos",
                         patient=make_patient(family_name="Ramos", given_name="Lucía", language="Español"))
        case = make_case(patient=user.patient, state=State.FOLLOW_UP, side=Side.LEFT)
        make_diary(case, injected_at=now - timedelta(days=1), entries={"t0": 7})
        email, case_id = user.email, case.id

    page = new_page(PHONE)
    page.goto(f"{live_server}/sign-in")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("heading", name="Hola, Lucía")).to_be_visible()
    assert page.locator("html").get_attribute("lang") == "es"
    page.get_by_role("link", name="Anotar la puntuación de dolor de hoy").click()

    expect(page.get_by_role("heading", name="Su diario del dolor")).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile("Día 1"))).to_be_visible()
    group = page.get_by_role("group", name=re.compile("¿Qué tan fuerte es ahora su dolor habitual"))
    expect(group.get_by_role("radio")).to_have_count(11)
    expect(group.get_by_role("radio", name="0 sin dolor")).to_be_attached()
    expect(group.get_by_role("radio", name="10 el peor dolor imaginable")).to_be_attached()
    _fits(page)
    screenshot(page, "1-diario")
    for label in group.locator("label.nrs-button").all():
        box = label.bounding_box()
        assert box["height"] >= 44 and box["width"] >= 44, f"tap target too small: {box}"

    page.locator("label[for=score-3]").click()
    page.get_by_role("button", name="Guardar mi puntuación").click()
    expect(page.get_by_text("Gracias: su puntuación «Día 1» quedó guardada.")).to_be_visible()
    _fits(page)
    screenshot(page, "2-guardada")
    with app.app_context():
        [entry] = db.session.execute(db.select(DiaryEntry).filter_by(case_id=case_id)
                                     .filter(DiaryEntry.score == 3)).scalars().all()
        assert entry.point.point_code == "d1"

    # The switch: English on this phone, remembered from page to page; then back to Spanish.
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", name="Your pain diary")).to_be_visible()
    page.goto(f"{live_server}/my/")
    expect(page.get_by_role("heading", name="Hello, Lucía")).to_be_visible()
    page.get_by_role("button", name="Español").click()
    expect(page.get_by_role("heading", name="Hola, Lucía")).to_be_visible()
    _fits(page)

    # The clinic's number at the foot of the page never breaks across two lines ("(201) 555-" /
    # "0188"): a patient reads and taps it whole.
    app.config["CLINIC_PHONE"] = "+12015550188"
    try:
        page.reload()
        number = page.locator('.clinic-contact a[href="tel:+12015550188"]')
        expect(number).to_have_text("(201) 555-0188")
        assert number.evaluate("e => e.getClientRects().length") == 1, "the phone number wraps"
        _fits(page)
    finally:
        app.config["CLINIC_PHONE"] = ""


def test_a_patient_with_both_joints_in_follow_up_tells_the_two_diaries_apart_on_a_390_phone(
        app, live_server, new_page, screenshot):
    from tests.builders import clinic_at

    with app.app_context():
        user = make_user(Role.PATIENT, name="Lucía Ramos",
                         patient=make_patient(family_name="Ramos", given_name="Lucía", language="Español"))
        left = make_case(patient=user.patient, state=State.FOLLOW_UP, side=Side.LEFT)
        make_diary(left, injected_at=clinic_at(-15, 12), entries={"t0": 7})
        right = make_case(patient=user.patient, state=State.FOLLOW_UP, side=Side.RIGHT)
        # Day 45: inside the 6-week window (days 42 to 56), which opens on its day, never before.
        make_diary(right, injected_at=clinic_at(-45, 12), entries={"t0": 6})
        email, right_id = user.email, right.id

    page = new_page({"width": 390, "height": 844})
    page.goto(f"{live_server}/sign-in")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    a_day = r"\S+, \d+ de \S+ de \d{4}$"  # "sábado, 21 de noviembre de 2026"
    left_line = page.get_by_text(re.compile(r"^Su lado izquierdo, después de su inyección del " + a_day))
    right_line = page.get_by_text(re.compile(r"^Su lado derecho, después de su inyección del " + a_day))
    expect(left_line).to_be_visible()
    expect(right_line).to_be_visible()
    _fits(page)
    screenshot(page, "dos-diarios")
    # Each card's button is described by its own line, so a screen reader tells them apart too.
    page.locator(f"a[href$='/my/cases/{right_id}/diary']").click()
    expect(page.get_by_role("heading", name="Su diario del dolor")).to_be_visible()
    expect(page.get_by_text(re.compile(r"^Su lado derecho, después de su inyección del"))).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile("6 semanas"))).to_be_visible()
    _fits(page)

"""In a real browser: a coordinator books an eligible case from the next free slots, moves the
appointment with a reason, and checks today's patient in from the day board (issue 4, Done when);
the day board and the patient's appointment fit a 375-pixel phone."""
import re
from datetime import datetime, time, timedelta, timezone
from urllib.parse import parse_qs, urlparse

from playwright.sync_api import expect

from tracker.extensions import db
from tracker.models import RiskScreen, Room, WorkingHours
from tracker.roles import Role
from tracker.timeutil import clinic_today
from tracker.workflow import State

from tests.builders import make_appointment, make_case, make_patient, make_user, make_verdict
from tests.helpers import PASSWORD

PATIENT = "Okafor, Grace"
PHYSICIAN = "Dr Maya Chen"
ROOMS = ("Fluoro Suite A", "Fluoro Suite B")
REASON = "Patient asked for a later time: school run."
TODAY_PATIENT = "Adeyemi, Tunde"
PHONE = {"width": 375, "height": 740}   # a small phone (iPhone SE / mini width)
PAGE_WIDTH_JS = "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"


def sign_in(page, base, email):
    page.goto(f"{base}/sign-in")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def _slot_of(link):
    """The (clinic-time datetime, room id) a free-slot link pre-fills."""
    query = parse_qs(urlparse(link.get_attribute("href")).query)
    moment = datetime.strptime(f"{query['date'][0]} {query['start'][0]}", "%Y-%m-%d %H:%M")
    return moment, query["room"][0]


def _free_slots_from(page, day):
    """Ask for the next free slots from `day` (never today: a slot minutes away could pass while
    the test is filling the form)."""
    page.get_by_label("Free slots from").fill(day.isoformat())
    page.get_by_role("button", name="Find free slots").click()
    expect(page).to_have_url(re.compile(rf"from_date={day.isoformat()}"))
    slots = page.get_by_role("region", name="Next free slots").get_by_role("link")
    expect(slots.first).to_contain_text(PHYSICIAN)
    return slots


def _submit_acknowledging_warnings(page, button, done, screenshot, step):
    """Submit; if the tracker lists warnings to acknowledge, tick the box and submit again."""
    page.get_by_role("button", name=button, exact=True).click()
    warnings = page.get_by_text("Please check before booking:")
    expect(page.get_by_text(done).or_(warnings)).to_be_visible()
    if warnings.count():
        screenshot(page, step)
        page.get_by_label("I have read the warnings above and want to book anyway").check()
        page.get_by_role("button", name=button, exact=True).click()
    expect(page.get_by_text(done)).to_be_visible()


def test_coordinator_books_moves_and_checks_in_a_patient(app, live_server, page, new_page, screenshot):
    with app.app_context():
        coordinator = make_user(Role.COORDINATOR, name="Casey Coordinator")
        physician = make_user(Role.PHYSICIAN, name=PHYSICIAN)
        db.session.add_all([WorkingHours(physician_id=physician.id, weekday=day, starts=time(8),
                                         ends=time(16)) for day in range(5)])
        db.session.add_all([Room(name=name, location=f"Imaging, level 1, {name[-1]}") for name in ROOMS])
        case = make_case(patient=make_patient(family_name="Okafor", given_name="Grace"),
                         state=State.ELIGIBLE, verdict=False)
        # Readiness waits for the risk screen's answers on blood thinners and allergies.
        db.session.add(RiskScreen(case_id=case.id, anticoagulant_answer="none", allergy_answer="nkda",
                                  red_flags_screened=True, red_flags_present=False))
        db.session.commit()
        make_verdict(case)
        # Another patient is booked for right now: check-in is only possible on the day.
        make_appointment(make_case(patient=make_patient(family_name="Adeyemi", given_name="Tunde"),
                                   state=State.SCHEDULED),
                         physician=physician,
                         room=db.session.execute(db.select(Room).filter_by(name=ROOMS[1])).scalar_one(),
                         starts_at=datetime.now(timezone.utc).replace(second=0, microsecond=0))
        db.session.commit()
        case_id, email, physician_id = case.id, coordinator.email, str(physician.id)
        today = clinic_today()
        tomorrow = today + timedelta(days=1)
        db.session.remove()

    # Book from the case page, choosing the first of the next free slots.
    sign_in(page, live_server, email)
    expect(page.get_by_role("heading", name="Worklist")).to_be_visible()
    page.get_by_role("link", name=PATIENT).click()
    expect(page).to_have_url(f"{live_server}/cases/{case_id}")
    expect(page.locator(".badge.state-eligible").first).to_have_text("Eligible")
    page.get_by_role("link", name="Book appointment").click()
    expect(page.get_by_role("heading", name="Book the procedure")).to_be_visible()
    first = _free_slots_from(page, tomorrow).first
    booked_at, booked_room = _slot_of(first)
    screenshot(page, "1-book-form-with-free-slots")
    first.click()
    expect(page.get_by_label(re.compile(r"^Date\b"))).to_have_value(booked_at.strftime("%Y-%m-%d"))
    expect(page.get_by_label("Start time")).to_have_value(booked_at.strftime("%H:%M"))
    expect(page.locator("#physician_id")).to_have_value(physician_id)
    expect(page.get_by_label(re.compile(r"^Room\b"))).to_have_value(booked_room)
    _submit_acknowledging_warnings(page, "Book appointment", "Appointment booked.", screenshot,
                                   "1b-booking-warnings")
    expect(page.locator(".badge.state-scheduled").first).to_have_text("Scheduled")
    notice = page.locator(".notice-info", has_text="Appointment:")
    expect(notice).to_contain_text(booked_at.strftime("%A %d %B %Y, %H:%M"))
    expect(notice).to_contain_text(PHYSICIAN)
    expect(notice).to_contain_text(ROOMS[0])
    expect(notice).to_contain_text("Booked")
    screenshot(page, "2-case-scheduled")

    # Move it to another free slot, with a reason; the old time stays in the history.
    notice.get_by_role("link", name="readiness, check-in, move or cancel").click()
    expect(page.get_by_role("heading", name="Appointment", exact=True)).to_be_visible()
    page.get_by_role("link", name="Move", exact=True).click()
    expect(page.get_by_role("heading", name="Move the appointment")).to_be_visible()
    moved = _free_slots_from(page, booked_at.date()).first
    moved_at, _ = _slot_of(moved)
    assert moved_at > booked_at, "the first free slot offered for the move is not after the booked one"
    moved.click()
    expect(page.get_by_label("Start time")).to_have_value(moved_at.strftime("%H:%M"))
    page.get_by_label("Reason for the change").fill(REASON)
    screenshot(page, "3-move-form")
    _submit_acknowledging_warnings(page, "Move appointment", "Appointment moved.", screenshot,
                                   "3b-move-warnings")
    expect(page.locator("p.lead")).to_contain_text(moved_at.strftime("%A %d %B %Y, %H:%M"))
    history = page.get_by_role("region", name="History")
    expect(history).to_contain_text("rescheduled")
    expect(history).to_contain_text(f"was {booked_at.strftime('%Y-%m-%d %H:%M')}")
    expect(history).to_contain_text(f"Reason: {REASON}")
    screenshot(page, "4-appointment-moved")

    # The day board of the new day: the patient is there, but check-in opens only on that day.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Day board").click()
    expect(page.get_by_role("heading", name=re.compile(r"^Day board:"))).to_be_visible()
    expect(page.get_by_label("Day", exact=True)).to_have_value(today.isoformat())
    page.get_by_label("Day", exact=True).fill(moved_at.strftime("%Y-%m-%d"))
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("heading", name=f"Day board: {moved_at.strftime('%A %d %B %Y')}")).to_be_visible()
    expect(page.get_by_label("Day", exact=True)).to_have_value(moved_at.strftime("%Y-%m-%d"))
    for room in ROOMS:
        expect(page.get_by_role("region", name=room)).to_be_visible()
    card = page.locator("article.appt", has_text=PATIENT)
    expect(card).to_have_count(1)
    expect(card).to_contain_text(moved_at.strftime("%H:%M"))
    expect(card).to_contain_text(PHYSICIAN)
    expect(card.locator(".badge")).to_have_text("Booked")
    expect(card).to_contain_text("Still needed: consent, day-of check")
    expect(card.get_by_role("button", name=re.compile("Check in"))).to_have_count(0)
    screenshot(page, "5-day-board-booked")

    # Today's board: the patient booked for now is checked in from the board.
    page.get_by_label("Day", exact=True).fill(today.isoformat())
    page.get_by_role("button", name="Show").click()
    card = page.locator("article.appt", has_text=TODAY_PATIENT)
    expect(card.locator(".badge")).to_have_text("Booked")
    card.get_by_role("button", name=f"Check in {TODAY_PATIENT}").click()

    expect(page.get_by_text(f"{TODAY_PATIENT} is checked in.")).to_be_visible()
    expect(page.get_by_role("heading", name=f"Day board: {today.strftime('%A %d %B %Y')}")).to_be_visible()
    card = page.locator("article.appt", has_text=TODAY_PATIENT)
    expect(card.locator(".badge")).to_have_text("Checked in")
    expect(card.get_by_role("button", name=re.compile("Check in"))).to_have_count(0)
    screenshot(page, "6-day-board-checked-in")

    # The same board on the physician's tablet and on a small phone.
    for size in ("tablet", PHONE):
        board = new_page(size)
        sign_in(board, live_server, email)
        expect(board.get_by_role("heading", name="Worklist")).to_be_visible()
        board.goto(f"{live_server}/schedule/day")
        card = board.locator("article.appt", has_text=TODAY_PATIENT)
        expect(card.locator(".badge")).to_have_text("Checked in")
        width, client_width = board.evaluate(PAGE_WIDTH_JS)
        assert width <= client_width, f"the day board scrolls sideways at {size} ({width} > {client_width} px)"
        screenshot(board, f"7-day-board-{size if isinstance(size, str) else 'phone-375'}")


def test_patient_sees_the_appointment_on_a_small_phone(app, live_server, new_page, screenshot):
    with app.app_context():
        physician = make_user(Role.PHYSICIAN, name=PHYSICIAN)
        room = Room(name="Fluoro Suite A",
                    location="Imaging department, level 1, desk A (follow the blue line)")
        patient = make_patient(family_name="Okafor-Whitfield", given_name="Grace")
        user = make_user(Role.PATIENT, patient=patient, name="Grace Okafor-Whitfield")
        case = make_case(patient=patient, state=State.SCHEDULED)
        db.session.add_all([room, RiskScreen(case_id=case.id, sedation_planned=True, anticoagulants="apixaban",
                                             anticoagulant_hold_plan="Stop apixaban two days before; restart "
                                                                     "the morning after unless told otherwise.",
                                             allergy_contrast=True, red_flags_screened=True)])
        db.session.flush()
        make_appointment(case, physician=physician, room=room,
                         starts_at=datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=2))
        email, case_id = user.email, case.id
        db.session.remove()

    phone = new_page(PHONE)
    sign_in(phone, live_server, email)
    phone.goto(f"{live_server}/my/cases/{case_id}")
    expect(phone.get_by_role("heading", name="Your appointment")).to_be_visible()
    expect(phone.get_by_role("link", name="Add to my calendar")).to_be_visible()
    width, client_width = phone.evaluate(PAGE_WIDTH_JS)
    assert width <= client_width, (
        f"the patient's appointment scrolls sideways on a phone ({width} > {client_width} px)")
    screenshot(phone, "patient-appointment-phone-375")

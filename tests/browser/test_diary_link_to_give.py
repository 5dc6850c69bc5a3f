"""In a real browser: with no SMS provider set up, a coordinator sends a patient who prefers texts the
diary link from the case page, is shown the link in a field, copies it and the patient's phone opens
the diary with it; the browser keeps no cookie holding the link, and a reload shows the same link."""
import re
from datetime import datetime, timedelta, timezone

from playwright.sync_api import expect

from tracker.extensions import db
from tracker.models import DiaryLink
from tracker.roles import Role
from tracker.vocab import ContactChannel, Side
from tracker.workflow import State

from tests.browser.journeys import sign_in_through_the_form
from tests.builders import make_case, make_diary, make_patient, make_user


def _session_payloads(app, cookies):
    """Each cookie the browser keeps, and the session cookie's payload as anyone reading it would."""
    serializer = app.session_interface.get_signing_serializer(app)
    with app.app_context():
        return [cookie["value"] for cookie in cookies] + [
            repr(serializer.loads(cookie["value"])) for cookie in cookies
            if cookie["name"] == app.config["SESSION_COOKIE_NAME"]]


def test_coordinator_copies_the_diary_link_to_give_the_patient_and_no_cookie_holds_it(
        app, live_server, new_page, screenshot, monkeypatch):
    # The clinic's public address is this server's, as `make run` sets it: the link leads here.
    monkeypatch.setitem(app.config, "PUBLIC_URL", live_server)
    with app.app_context():
        now = datetime.now(timezone.utc).replace(microsecond=0)
        patient = make_patient(family_name="Texter", given_name="Tia", phone="+12015550123",
                               email="tia.texter@example.org", preferred_contact=ContactChannel.SMS)
        case = make_case(patient=patient, state=State.FOLLOW_UP, side=Side.RIGHT)
        make_diary(case, injected_at=now - timedelta(hours=2), entries={"t0": 6})
        coordinator = make_user(Role.COORDINATOR, name="Casey Coordinator")
        case_id, email = case.id, coordinator.email
        db.session.remove()
    assert not app.config["TWILIO_ACCOUNT_SID"], "the journey is the one without an SMS provider"

    page = new_page("desktop")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server)
    sign_in_through_the_form(page, live_server, email)
    page.wait_for_url(lambda url: "/sign-in" not in url)
    page.goto(f"{live_server}/cases/{case_id}#diary")
    page.get_by_role("button", name="Send the diary link by text to (201) 555-0123").click()

    expect(page).to_have_url(re.compile(rf"/cases/{case_id}/diary/link-to-give$"))
    expect(page.get_by_role("heading", name="Diary link to give the patient")).to_be_visible()
    expect(page.get_by_text("No SMS provider is set up (TWILIO_ACCOUNT_SID), so the text was not sent.")).to_be_visible()
    field = page.get_by_label("The patient's diary link")
    expect(field).to_be_visible()
    expect(field).to_have_value(re.compile(rf"^{re.escape(live_server)}/d/[\w.-]+$"))
    shown = field.input_value()
    screenshot(page, "link-to-give")

    field.select_text()
    page.keyboard.press("Control+C")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == shown

    signed = shown.rsplit("/d/", 1)[1].split(".")[0]  # the same in every signature of this link
    for value in _session_payloads(app, page.context.cookies()):
        assert "/d/" not in value and signed not in value, value

    page.reload()
    expect(field).to_have_value(re.compile(rf"/d/{re.escape(signed)}\."))
    with app.app_context():
        assert len(db.session.execute(db.select(DiaryLink).filter_by(case_id=case_id)).scalars().all()) == 1
        db.session.remove()

    phone = new_page("phone")  # the patient's phone: no session of its own
    phone.goto(copied)
    expect(phone.get_by_role("heading", name="Your pain diary")).to_be_visible()

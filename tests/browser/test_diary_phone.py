"""In a real browser on a phone: a patient opens the personal link after the block and enters the
score due now in two taps, the missed one shown missed and never asked; a patient opening the link
months later is asked only for the point open then, never for the missed "Day 7"; nothing scrolls
sideways and every button is a comfortable tap target."""
import re
from datetime import datetime, timedelta, timezone

from playwright.sync_api import expect

from tracker.diary import links
from tracker.extensions import db
from tracker.models import DiaryEntry, DiaryLink, User
from tracker.vocab import EntrySource, Side
from tracker.workflow import State

from tests.browser.test_every_page import AXE, RUN_AXE
from tests.builders import make_case, make_diary, make_patient

PHONE = {"width": 375, "height": 740}
PAGE_WIDTH_JS = "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"


def _fits(page):
    scroll_width, client_width = page.evaluate(PAGE_WIDTH_JS)
    assert scroll_width <= client_width, f"the page scrolls sideways ({scroll_width} > {client_width})"


def _two_hours_after(app):
    """Grace Okafor's personal link two hours after her injection: the baseline (7) and the first half
    hour are in, 1 hour was missed. (Its token, the case's id.)"""
    with app.app_context():
        now = datetime.now(timezone.utc).replace(microsecond=0)
        case = make_case(patient=make_patient(family_name="Okafor", given_name="Grace"), state=State.FOLLOW_UP,
                         side=Side.LEFT)
        make_diary(case, injected_at=now - timedelta(hours=2), entries={"t0": 7, "m15": 2, "m30": 2})
        link = DiaryLink(case_id=case.id, created_by_id=db.session.get(User, case.created_by_id).id,
                         expires_at=now + timedelta(days=30))
        db.session.add(link)
        db.session.commit()
        return links.sign(link), case.id


def test_patient_enters_post_block_scores_through_the_link_on_a_phone(app, live_server, new_page, screenshot):
    token, case_id = _two_hours_after(app)

    page = new_page(PHONE)
    page.goto(f"{live_server}/d/{token}")
    expect(page.get_by_role("heading", name="Your pain diary")).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile("2 hours after"))).to_be_visible()
    group = page.get_by_role("group", name=re.compile("How bad is your usual pain"))
    expect(group.get_by_role("radio")).to_have_count(11)
    expect(group.get_by_role("radio", name="0 no pain")).to_be_attached()
    expect(group.get_by_role("radio", name="10 worst pain imaginable")).to_be_attached()
    _fits(page)
    screenshot(page, "1-due-now")
    for label in group.locator("label.nrs-button").all():
        box = label.bounding_box()
        assert box["height"] >= 44 and box["width"] >= 44, f"tap target too small: {box}"
    # The scale reads as one scale: on the phone one column of eleven equal rows, 0 at the top; on a
    # tablet one row of eleven equal buttons (it was 0 wide, 1-3 / 4-8 / 9 alone, 10 wide).
    boxes = [label.bounding_box() for label in group.locator("label.nrs-button").all()]
    assert len({round(b["width"]) for b in boxes}) == 1 and len({round(b["x"]) for b in boxes}) == 1, boxes
    assert len({round(b["height"]) for b in boxes}) == 1, boxes
    assert [b["y"] for b in boxes] == sorted(b["y"] for b in boxes), "0 at the top, 10 at the bottom"
    page.set_viewport_size({"width": 1024, "height": 768})
    boxes = [label.bounding_box() for label in group.locator("label.nrs-button").all()]
    assert len({round(b["y"]) for b in boxes}) == 1 and len({round(b["width"]) for b in boxes}) == 1, boxes
    assert all(b["width"] >= 44 and b["height"] >= 44 for b in boxes), boxes
    expect(page.locator(".nrs-anchors")).to_have_text("no painworst pain imaginable")
    page.set_viewport_size(PHONE)

    # Tap 1: the score. Tap 2: save (with an optional answer).
    page.locator("label[for=score-2]").click()
    expect(group.get_by_role("radio", name="2", exact=True)).to_be_checked()
    page.get_by_text("Medicines and exercise since the last entry").click()
    page.get_by_role("group", name=re.compile("pain reliever")).locator("label", has_text="Yes").click()
    screenshot(page, "2-chosen")
    page.get_by_role("button", name="Save my score and answers").click()
    expect(page.get_by_text("Thank you: your “2 hours after” score is saved.")).to_be_visible()

    # The missed 1-hour score is not asked for: it is shown missed, and the next point is named.
    expect(page.get_by_text("Nothing to enter right now. Next: 3 hours after")).to_be_visible()
    expect(page.locator(".missed-points")).to_contain_text("1 hour after")
    expect(page.locator("h2.due-title")).to_have_count(0)
    log = page.get_by_role("region", name="Your entries")
    expect(log).to_contain_text("2 hours after: 2/10")
    expect(log).not_to_contain_text("late")
    _fits(page)
    screenshot(page, "3-done")

    with app.app_context():
        rows = {e.point.point_code: e for e in db.session.execute(
            db.select(DiaryEntry).filter_by(case_id=case_id)).scalars()}
        assert (rows["h2"].score, rows["h2"].late, rows["h2"].source) == (2, False, EntrySource.LINK)
        assert rows["h2"].analgesic_used is True and "h1" not in rows


def test_a_patient_opening_the_link_six_months_on_is_asked_only_for_the_six_month_score(
        app, live_server, new_page, screenshot):
    with app.app_context():
        now = datetime.now(timezone.utc).replace(microsecond=0)
        case = make_case(patient=make_patient(family_name="Lindqvist", given_name="Maja"), state=State.FOLLOW_UP,
                         side=Side.LEFT)
        # The block was read; relief held to 3 months; nothing since (Day 7 and 6 weeks missed).
        make_diary(case, injected_at=now - timedelta(days=181),
                   entries={"t0": 8, "m30": 1, "h1": 1, "h2": 2, "d1": 2, "d2": 3, "w2": 3, "mo3": 4})
        link = DiaryLink(case_id=case.id, created_by_id=db.session.get(User, case.created_by_id).id,
                         expires_at=now + timedelta(days=30))
        db.session.add(link)
        db.session.commit()
        token, case_id = links.sign(link), case.id

    page = new_page("phone")
    page.goto(f"{live_server}/d/{token}")
    heading = page.locator("h2.due-title")
    expect(heading).to_have_count(1)
    expect(heading).to_contain_text("6 months")
    expect(heading).not_to_contain_text("Day 7")
    missed = page.locator(".missed-points")
    expect(missed).to_contain_text("Day 7")
    expect(missed).to_contain_text("6 weeks")
    expect(missed).to_contain_text("a score given now would describe your pain today")
    _fits(page)
    screenshot(page, "1-six-months-asked")

    page.locator("label[for=score-5]").click()
    page.get_by_role("button", name="Save my score").click()
    expect(page.get_by_text("Thank you: your “6 months” score is saved.")).to_be_visible()
    expect(page.get_by_text("Nothing to enter right now. Next: 12 months")).to_be_visible()
    _fits(page)
    screenshot(page, "2-saved")

    with app.app_context():
        rows = {e.point.point_code: e for e in db.session.execute(
            db.select(DiaryEntry).filter_by(case_id=case_id)).scalars()}
        assert "d7" not in rows and (rows["mo6"].score, rows["mo6"].late) == (5, False)
        # The reading: relief of 50 % or more held to 3 months; the 5/10 describes 6 months.
        from tracker.diary.outcome import read_outcome_diary
        from tracker.models import Case
        reading = read_outcome_diary(db.session.get(Case, case_id))
        assert reading.suggested_days == 90


def test_a_patient_whose_pain_is_worse_than_before_is_told_when_to_call_with_the_thanks(
        app, live_server, browser, screenshot):
    phone_before, app.config["CLINIC_PHONE"] = app.config.get("CLINIC_PHONE"), "+12015550188"
    try:
        token, _case_id = _two_hours_after(app)

        # axe is put in the page as a script of its own: the context lets it past the page's CSP.
        context = browser.new_context(viewport=PHONE, locale="en-US", bypass_csp=True)
        page = context.new_page()
        page.goto(f"{live_server}/d/{token}")
        page.locator("label[for=score-10]").click()
        page.get_by_role("button", name="Save my score").click()

        # Announced as the thanks is (one status message), the number a tap away.
        status = page.get_by_role("status").filter(has_text="Thank you")
        expect(status).to_contain_text("Thank you: your “2 hours after” score is saved.")
        expect(status).to_contain_text("If your pain is much worse than before your injection, or you have new "
                                       "numbness or weakness in your leg, a fever, or redness or swelling where the "
                                       "needle went in, call the clinic on (201) 555-0188. If it is severe, call "
                                       "emergency services.")
        expect(status.get_by_role("link", name="(201) 555-0188")).to_have_attribute("href", re.compile(r"^tel:"))
        _fits(page)
        page.add_script_tag(path=str(AXE))
        assert page.evaluate(RUN_AXE) == []
        screenshot(page, "told-when-to-call")
        context.close()
    finally:
        app.config["CLINIC_PHONE"] = phone_before


def test_the_clinics_number_in_the_when_to_call_note_is_finger_sized_and_keeps_the_sentences_lines(
        app, live_server, browser, screenshot):
    """The number is tapped by a patient who may still be numb (44 px at least), inside a sentence:
    its height comes from padding over the lines around it, so the sentence keeps even lines (a
    44 px inline box opened a gap before and after the number)."""
    phone_before, app.config["CLINIC_PHONE"] = app.config.get("CLINIC_PHONE"), "+12015550188"
    try:
        token, _case_id = _two_hours_after(app)
        context = browser.new_context(viewport=PHONE, locale="en-US")
        page = context.new_page()
        page.goto(f"{live_server}/d/{token}")
        note = page.locator(".when-to-call-note p")
        link = note.get_by_role("link", name="(201) 555-0188")

        assert link.bounding_box()["height"] >= 44
        line = float(note.evaluate("p => parseFloat(getComputedStyle(p).lineHeight)"))
        # The lines the sentence's words sit on (the text's own boxes, not the link's padding).
        lines = note.evaluate("""p => { const tops = new Set(); const walk = document.createTreeWalker(p, NodeFilter.SHOW_TEXT);
            while (walk.nextNode()) { const r = document.createRange(); r.selectNodeContents(walk.currentNode);
              for (const box of r.getClientRects()) tops.add(Math.round(box.top)); }
            return tops.size; }""")
        assert note.evaluate("p => p.getBoundingClientRect().height") <= lines * line + 2, (lines, line)
        screenshot(page, "when-to-call-note")
        context.close()
    finally:
        app.config["CLINIC_PHONE"] = phone_before

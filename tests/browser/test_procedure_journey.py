"""In a real browser at a tablet's size: the physician starts a bilateral case, ticks through the
eight steps (the needle steps per side), is refused an unsafe order, signs, and opens the printable
note (issue 5, Done when)."""
import re
from datetime import datetime, timedelta, timezone

from playwright.sync_api import expect

from tracker.extensions import db
from tracker.models import RiskScreen
from tracker.procedures import services as procedure_services
from tracker.roles import Role
from tracker.vocab import AppointmentStatus, Side
from tracker.workflow import State

from tests.builders import make_appointment, make_case, make_patient, make_procedure, make_user, make_verdict
from tests.helpers import PASSWORD

TABLET = {"width": 1024, "height": 768}
PHONE = {"width": 390, "height": 844}
PATIENT = "Tran, Minh"
PHYSICIAN = "Dr Priya Raman"


def sign_in(page, base, email):
    page.goto(f"{base}/sign-in")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def box(page, anchor):
    return page.locator(f"section#{anchor}")


def save(page, anchor, button):
    """Save one step and wait for the page to come back with it done."""
    box(page, anchor).get_by_role("button", name=button).click()
    expect(box(page, anchor).locator(".badge")).to_have_text("✓ Done")


def tick_all(section):
    boxes = section.locator("input[type=checkbox]")
    for index in range(boxes.count()):
        boxes.nth(index).check()


def scheduled_case(app, side, pregnancy=None, checked_in=True):
    """Tran, Minh booked in five minutes, consent and day-of check done, checked in unless
    `checked_in` is False: (case id, physician's email). `pregnancy`: the risk screen's answer (a
    female record)."""
    with app.app_context():
        physician = make_user(Role.PHYSICIAN, name=PHYSICIAN)
        patient = make_patient(family_name="Tran", given_name="Minh", **({"sex": "female"} if pregnancy else {}))
        case = make_case(patient=patient, state=State.SCHEDULED, side=side, physician_id=physician.id, verdict=False)
        # Readiness waits for the risk screen's answers on blood thinners and allergies.
        db.session.add(RiskScreen(case_id=case.id, anticoagulant_answer="none", allergy_answer="nkda",
                                  red_flags_screened=True, red_flags_present=False, pregnancy=pregnancy))
        db.session.commit()
        make_verdict(case)
        make_appointment(case, physician=physician, consent_obtained=True, day_of_check_done=True,
                         starts_at=datetime.now(timezone.utc).replace(microsecond=0) + timedelta(minutes=5),
                         status=AppointmentStatus.CHECKED_IN if checked_in else AppointmentStatus.BOOKED)
        case_id, email = case.id, physician.email
        db.session.remove()
    return case_id, email


def test_the_start_warnings_tick_is_as_big_to_tap_as_the_checklists(app, live_server, new_page, screenshot):
    """A possibly pregnant patient not checked in yet: the start asks the physician to tick that she
    reviewed the pregnancy and that the patient is here, at the table, gloved: boxes and labels as
    large as the checklist's (at least 44 px to tap)."""
    case_id, email = scheduled_case(app, Side.LEFT, pregnancy="possible", checked_in=False)
    page = new_page(TABLET)
    sign_in(page, live_server, email)
    page.goto(f"{live_server}/cases/{case_id}")
    page.get_by_role("region", name="Procedure").get_by_role("button", name=re.compile("^Start procedure")).click()
    ticks = [page.locator("#check_in_acknowledged"), page.locator("#pregnancy_acknowledged")]
    for tick, warning in zip(ticks, ("#check-in-warning", "#pregnancy-warning")):
        expect(tick).to_be_visible()
        label = page.locator(f"{warning} label")
        assert tick.bounding_box()["height"] >= 28 and label.bounding_box()["height"] >= 44, warning
    screenshot(page, "start-warning-tablet")
    for tick in ticks:
        tick.check()
    page.get_by_role("button", name=re.compile("^Start procedure")).click()
    expect(page.get_by_text("Procedure started: the timer is running.")).to_be_visible()


def test_physician_completes_a_bilateral_checklist_signs_and_prints_the_note(
        app, live_server, new_page, screenshot):
    case_id, email = scheduled_case(app, Side.BILATERAL)

    page = new_page(TABLET)
    sign_in(page, live_server, email)
    page.goto(f"{live_server}/cases/{case_id}")
    procedure = page.get_by_role("region", name="Procedure")
    procedure.get_by_role("button", name=re.compile("^Start procedure")).click()
    expect(page.get_by_text("Procedure started: the timer is running.")).to_be_visible()
    expect(page.get_by_role("heading", name="Procedure checklist")).to_be_visible()
    timer = page.locator("#procedure-timer .timer-value")
    # The script keeps the time moving, in words that cannot be read as a clock time ("17 min 10 s", not
    # "17:10" beside the start's "17:37"); a timer, so a screen reader is not interrupted at each tick.
    expect(timer).to_have_text(re.compile(r"^\d s$"))
    first = timer.text_content()
    expect(timer).not_to_have_text(first)
    expect(timer).to_have_text(re.compile(r"^\d{1,2} s$"))
    expect(page.locator("#procedure-timer")).to_have_attribute("role", "timer")
    assert page.locator("#procedure-timer [aria-live]").count() == 0
    screenshot(page, "1-checklist-started")

    # An unsafe order is refused: the injectate before any contrast confirmation.
    injectate_left = box(page, "step-injectate-left")
    expect(injectate_left.get_by_text(re.compile("Not yet: Record the time-out"))).to_be_visible()

    sign_in_box = box(page, "step-sign_in")
    tick_all(sign_in_box)
    sign_in_box.get_by_label("Bilateral").check()
    save(page, "step-sign_in", "Save sign-in / verification")
    expect(box(page, "step-sign_in")).to_contain_text(f"by {PHYSICIAN}")

    tick_all(box(page, "step-time_out"))
    save(page, "step-time_out", "Save time-out")
    # After a save the page moves on to the next step still open, and that box has the focus.
    expect(page).to_have_url(re.compile(r"#step-positioning$"))
    expect(box(page, "step-positioning")).to_be_focused()
    tick_all(box(page, "step-positioning"))
    save(page, "step-positioning", "Save positioning")
    prep = box(page, "step-skin_prep")
    prep.get_by_label("Skin prep agent").select_option(label="Chlorhexidine 2% in 70% isopropyl alcohol")
    tick_all(prep)
    prep.get_by_label("Not used").check()
    save(page, "step-skin_prep", "Save skin prep")

    for side in ("left", "right"):
        imaging = box(page, f"step-fluoroscopy-{side}")
        imaging.get_by_label("Fluoroscopy", exact=True).check()
        for label, value in (("Number of views", "2"), ("Needle gauge", "22"), ("Fluoroscopy time (s)", "38"),
                             ("Reference air kerma (mGy)", "4.6"), ("Dose-area product (mGy·cm²)", "315")):
            imaging.get_by_label(label).fill(value)
        save(page, f"step-fluoroscopy-{side}", f"Save imaging guidance — {side} side")

        contrast = box(page, f"step-contrast-{side}")
        contrast.get_by_label("Contrast agent").select_option(label="Iohexol (Omnipaque)")
        contrast.get_by_label("Contrast volume (mL)").fill("0.5")
        contrast.get_by_label("Intra-articular with cephalad spread").check()
        contrast.get_by_label("No", exact=True).check()
        save(page, f"step-contrast-{side}", f"Save contrast confirmation — {side} side")

        injectate = box(page, f"step-injectate-{side}")
        for row, (drug, concentration, dose, volume, lot) in enumerate((
                ("Bupivacaine", "2.5", "2.5", "1", "BU-24117"),
                ("Triamcinolone acetonide", "40", "40", "1", "TA-23890"))):
            injectate.locator(f"#injectate-{side}-rows-{row}-drug").select_option(label=drug)
            injectate.locator(f"#injectate-{side}-rows-{row}-concentration_mg_per_ml").fill(concentration)
            injectate.locator(f"#injectate-{side}-rows-{row}-dose_mg").fill(dose)
            injectate.locator(f"#injectate-{side}-rows-{row}-volume_ml").fill(volume)
            injectate.locator(f"#injectate-{side}-rows-{row}-lot_number").fill(lot)
        if side == "left":
            # A dose that does not match its volume: refused under the row, typed values kept.
            injectate.locator("#injectate-left-rows-1-volume_ml").fill("2")
            injectate.get_by_role("button", name="Save injectate — left side").click()
            error = box(page, "step-injectate-left").locator("#injectate-left-rows-1-error")
            expect(error).to_have_text("40 mg at 40 mg/mL is 1.0 mL, not 2.0 mL; 2.0 mL of it is 80 mg. "
                                       "Dose = concentration × volume: correct the one mistyped.")
            screenshot(page, "2-injectate-dose-mismatch")
            injectate = box(page, "step-injectate-left")
            expect(injectate.locator("#injectate-left-rows-1-lot_number")).to_have_value("TA-23890")
            injectate.locator("#injectate-left-rows-1-volume_ml").fill("1")
        else:
            # 0.25 typed as mg/mL, meaning 0.25 %: a tenth of a listed strength, a hard stop.
            injectate.locator("#injectate-right-rows-0-concentration_mg_per_ml").fill("0.25")
            injectate.locator("#injectate-right-rows-0-dose_mg").fill("0.25")
            injectate.get_by_role("button", name="Save injectate — right side").click()
            injectate = box(page, "step-injectate-right")
            expect(injectate.locator("#injectate-right-rows-0-concentration_mg_per_ml-error")).to_contain_text(
                "is a tenth of the listed 2.5 mg/mL (0.25 %)")
            expect(injectate.get_by_label("I have checked the strength, dose and volume and confirm them as typed")).to_be_visible()
            injectate.get_by_label("I have checked the strength, dose and volume and confirm them as typed").scroll_into_view_if_needed()
            page.screenshot(path=str(screenshot(page, "2b-injectate-strength-hard-stop")), animations="disabled")
            # Typed as a percentage, it is the listed strength, shown in both units.
            injectate.locator("#injectate-right-rows-0-concentration_mg_per_ml").fill("0.25 %")
            injectate.locator("#injectate-right-rows-0-dose_mg").fill("2.5")
        save(page, f"step-injectate-{side}", f"Save injectate — {side} side")
        expect(box(page, f"step-injectate-{side}")).to_contain_text("2.5 mg/mL (0.25 %)")

    sign_out = box(page, "step-sign_out")
    sign_out.get_by_label("None", exact=True).check()
    sign_out.get_by_label("2", exact=True).check()
    sign_out.get_by_label("Discharge instructions given").check()
    save(page, "step-sign_out", "Save sign-out")
    expect(page.get_by_text("✓ Every required field is recorded.")).to_be_visible()
    width, client_width = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert width <= client_width, f"the checklist scrolls sideways on a tablet ({width} > {client_width} px)"
    screenshot(page, "3-checklist-complete")
    expect(page).to_have_url(re.compile(r"#sign$"))

    # The timer stays in view while the physician scrolls the checklist, on a tablet and a phone.
    for size, name in ((TABLET, "tablet"), (PHONE, "phone")):
        page.set_viewport_size(size)
        for anchor in ("step-contrast-left", "step-sign_out"):
            box(page, anchor).scroll_into_view_if_needed()
            page.mouse.wheel(0, 300)
            expect(page.locator("#procedure-timer")).to_be_in_viewport(ratio=1)
            top = page.locator("#procedure-timer").bounding_box()["y"]
            assert 0 <= top <= 2, f"the timer is not at the top of the screen ({name}, {anchor}: {top} px)"
        # What the physician sees: the screen, not the whole page.
        page.screenshot(path=str(screenshot(page, f"3b-timer-in-view-{name}")), animations="disabled")
    page.set_viewport_size(TABLET)

    page.get_by_role("button", name="Sign procedure record").click()
    expect(page.get_by_role("heading", name="Sacroiliac joint injection: procedure note")).to_be_visible()
    expect(page.get_by_text(re.compile(r"Procedure record signed: \d+ minutes?\."))).to_be_visible()
    expect(page.get_by_text("Professional claim: CPT 27096-50")).to_be_visible()
    expect(page.get_by_text("Facility claim")).to_have_count(0)  # a physician office: no G0260
    expect(page.get_by_role("region", name="Injectate (right)")).to_contain_text("lot TA-23890")
    screenshot(page, "4-note")

    page.emulate_media(media="print")
    expect(page.get_by_role("navigation", name="Main")).to_be_hidden()
    expect(page.get_by_role("button", name="Print")).to_be_hidden()
    expect(page.get_by_role("heading", name="Sacroiliac joint injection: procedure note")).to_be_visible()
    screenshot(page, "5-note-print")

    page.emulate_media(media="screen")
    page.goto(f"{live_server}/cases/{case_id}/procedure")
    expect(page.locator("form.step-form")).to_have_count(0)
    expect(page.get_by_text(re.compile("The record is read-only; corrections are addenda"))).to_be_visible()


# A lot number as long as a GS1 batch/lot (20 characters), in wide capitals: what the vial says.
LOT = "MWB4471-0925-QX7K2WM"


def test_every_field_of_an_injectate_row_is_in_view_and_shows_what_was_typed_on_a_tablet_and_a_phone(
        app, live_server, new_page, screenshot):
    """At the table the physician fills a whole row (drug, strength, dose, volume, lot): a table on
    a tablet held sideways (1024 px), below 900 px a card of labelled fields (a tablet upright, a
    phone); at each width no field is cut off at the side of the screen, and each shows the whole of
    what was typed (a lot number of 20 characters read back in full, not "MWB4471-…")."""
    case_id, email = scheduled_case(app, Side.LEFT)

    page = new_page(TABLET)
    sign_in(page, live_server, email)
    page.goto(f"{live_server}/cases/{case_id}")
    page.get_by_role("region", name="Procedure").get_by_role("button", name=re.compile("^Start procedure")).click()
    expect(page.get_by_role("heading", name="Procedure checklist")).to_be_visible()
    injectate = page.locator("section[id^=step-injectate]")
    row = injectate.locator("tbody tr").first
    row.locator("select").select_option(label="Triamcinolone acetonide")
    for field, typed in (("concentration_mg_per_ml", "40"), ("dose_mg", "40"), ("volume_ml", "1"), ("lot_number", LOT)):
        row.locator(f"[id$=rows-0-{field}]").fill(typed)

    for size, name in ((TABLET, "tablet-1024"), ({"width": 768, "height": 1024}, "tablet-768"),
                       ({"width": 820, "height": 1180}, "tablet-upright"), (PHONE, "phone")):
        page.set_viewport_size(size)
        fields = row.locator("input, select")
        assert fields.count() == 5
        for index in range(fields.count()):
            field = fields.nth(index)  # where it is as the page opens (no scrolling inside the box)
            left, width = (field.bounding_box()[key] for key in ("x", "width"))
            field_id = field.get_attribute("id")
            assert left >= 0 and left + width <= size["width"], (
                f"{field_id} is cut off at {name} width ({left:.0f}–{left + width:.0f} px of {size['width']})")
        # What was typed is read whole inside each box, not scrolled out of it.
        for box in row.locator("input[type=text], input:not([type])").all():
            shown, typed = box.evaluate("field => [field.clientWidth, field.scrollWidth]")
            assert typed <= shown, f"{box.get_attribute('id')} cuts what was typed at {name} ({typed} > {shown} px)"
        expect(row.locator("[id$=rows-0-lot_number]")).to_have_value(LOT)
        # Each field is labelled where it is, and the label names the row for a screen reader.
        expect(injectate.get_by_text("Lot number").first).to_be_visible()
        expect(injectate.get_by_label("Drug 1: Lot number")).to_be_editable()
        overflow = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert overflow[0] <= overflow[1], f"the checklist is {overflow[0]} px wide in a {overflow[1]} px window"
        injectate.screenshot(path=str(screenshot(page, f"6-injectate-rows-{name}")), animations="disabled")


def in_view(page, selector):
    """Whether the whole element is on the screen (below the sticky timer, which is at the top)."""
    box = page.locator(selector).bounding_box()
    timer = page.locator("#procedure-timer").bounding_box()
    return box["y"] >= timer["y"] + timer["height"] - 1 and box["y"] + min(box["height"], 200) <= \
        page.viewport_size["height"]


def test_a_checks_warnings_a_refused_signature_and_a_strength_echo_are_read_where_the_physician_is(
        app, live_server, new_page, screenshot):
    """At the table (tablet, then phone): check 1's warnings are in its box as soon as it is saved and
    stay there after check 2; a refused signature comes back with its message in view and focused;
    the concentration in both units sits under its field, not on its border."""
    with app.app_context():
        physician = make_user(Role.PHYSICIAN, name=PHYSICIAN)
        # The imaging of each side first: a contrast check is read on its images.
        record = make_procedure(side=Side.BILATERAL, physician=physician, steps=["sign_in", "time_out", "fluoroscopy"],
                                patient=make_patient(family_name="Tran", given_name="Minh"))
        db.session.add(RiskScreen(case_id=record.case_id, allergy_contrast=True, contrast_premedication_planned=True))
        record.appointment.contrast_premedication_sent = True  # booked today: the new plan confirmed at readiness
        db.session.commit()
        case_id, email = record.case_id, physician.email
        db.session.remove()
    vascular = "Vascular uptake on the left side: reposition the needle and repeat the contrast check before injecting."
    allergy = ("Documented iodinated contrast allergy: Iohexol (Omnipaque) was chosen. "
               "Confirm premedication or choose another agent.")

    page = new_page(TABLET)
    sign_in(page, live_server, email)
    page.goto(f"{live_server}/cases/{case_id}/procedure")
    for check, uptake, size in ((1, "Yes", TABLET), (2, "No", PHONE)):
        page.set_viewport_size(size)
        contrast = box(page, "step-contrast-left")
        contrast.get_by_label("Contrast agent").select_option(label="Iohexol (Omnipaque)")
        contrast.get_by_label("Contrast volume (mL)").fill("0.5")
        contrast.get_by_label("Intra-articular with cephalad spread").check()
        contrast.get_by_label(uptake, exact=True).check()
        contrast.get_by_role("button", name="Save contrast confirmation — left side").click()
        expect(page).to_have_url(re.compile(r"#step-contrast-left$"))
        expect(box(page, "step-contrast-left")).to_be_focused()
        first = page.locator("#step-contrast-left-check-1 .check-warnings li")
        expect(first).to_have_text([vascular, allergy])
        if check == 1:
            assert in_view(page, "#step-contrast-left-check-1 .check-warnings"), "check 1's warnings are off screen"
            page.screenshot(path=str(screenshot(page, "1-contrast-check-1-warnings-tablet")), animations="disabled")
    expect(page.locator("#step-contrast-left-check-2 .check-warnings li")).to_have_text([allergy])
    box(page, "step-contrast-left").screenshot(path=str(screenshot(page, "2-contrast-check-2-phone")))

    for size, name in ((PHONE, "phone"), (TABLET, "tablet")):
        page.set_viewport_size(size)
        page.goto(f"{live_server}/cases/{case_id}/procedure")
        page.get_by_role("button", name="Sign procedure record").click()
        refusal = page.locator("#sign-refused")
        expect(refusal).to_be_focused()
        expect(refusal).to_contain_text("Not signed. Still missing:")
        assert in_view(page, "#sign-refused"), f"the refused signature's message is off screen ({name})"
        expect(page.locator("#not-signed")).to_contain_text("Not signed:")
        page.screenshot(path=str(screenshot(page, f"3-signature-refused-{name}")), animations="disabled")

    page.goto(f"{live_server}/cases/{case_id}/procedure")
    injectate = box(page, "step-injectate-left")
    injectate.locator("#injectate-left-rows-0-drug").select_option(label="Bupivacaine")
    injectate.locator("#injectate-left-rows-0-concentration_mg_per_ml").fill("0.5 %")
    injectate.locator("#injectate-left-rows-0-dose_mg").fill("5")
    injectate.locator("#injectate-left-rows-0-volume_ml").fill("1")
    injectate.locator("#injectate-left-rows-0-lot_number").fill("BU-24117")
    save(page, "step-injectate-left", "Save injectate — left side")
    expect(box(page, "step-injectate-left")).to_contain_text("(e.g. 0.5 %; 1 % = 10 mg/mL)")
    for size, name in ((TABLET, "tablet"), (PHONE, "phone")):
        page.set_viewport_size(size)
        field = page.locator("#injectate-left-rows-0-concentration_mg_per_ml")
        echo = box(page, "step-injectate-left").locator(".strength-both").first
        expect(echo).to_have_text("5 mg/mL (0.5 %)")
        field.scroll_into_view_if_needed()
        below = echo.bounding_box()["y"] - (field.bounding_box()["y"] + field.bounding_box()["height"])
        assert below >= 0, f"the strength echo overlaps its field's border by {-below:.0f} px ({name})"
        box(page, "step-injectate-left").locator("tbody tr").first.screenshot(
            path=str(screenshot(page, f"4-strength-echo-{name}")))


def test_the_checklist_never_scrolls_sideways_and_an_injectate_cards_boxes_are_level(
        app, live_server, new_page, screenshot):
    """A part-saved step's "Still missing: …" line wraps on a tablet (either way up) and a phone, and
    on an injectate card Concentration sits level with Dose and Volume."""
    with app.app_context():
        physician = make_user(Role.PHYSICIAN, name=PHYSICIAN)
        record = make_procedure(physician=physician, steps=("sign_in", "time_out", "positioning", "skin_prep"))
        procedure_services.save_step(record, "fluoroscopy", "left", {"modality": "fluoroscopy", "views": "2"},
                                     physician, "")
        case_id, email = record.case_id, physician.email
        db.session.remove()

    page = new_page({"width": 768, "height": 1024})
    sign_in(page, live_server, email)
    page.goto(f"{live_server}/cases/{case_id}/procedure")
    expect(box(page, "step-fluoroscopy-left")).to_contain_text("Still missing: Needle gauge; Fluoroscopy time (s); Reference air kerma (mGy)")
    for width, height, name in ((768, 1024, "tablet-768"), (820, 1180, "tablet-820"), (390, 844, "phone")):
        page.set_viewport_size({"width": width, "height": height})
        box(page, "step-fluoroscopy-left").locator(".stamp").scroll_into_view_if_needed()
        page.screenshot(path=str(screenshot(page, f"still-missing-{name}")), animations="disabled")
        row = page.locator("section[id^=step-injectate] tbody tr").first
        row.scroll_into_view_if_needed()
        page.screenshot(path=str(screenshot(page, f"injectate-card-{name}")), animations="disabled")
        overflow = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert overflow[0] <= overflow[1], f"the checklist is {overflow[0]} px wide in a {overflow[1]} px window"
        boxes = {field: row.locator(f"[id$=rows-0-{field}]").bounding_box()
                 for field in ("concentration_mg_per_ml", "dose_mg", "volume_ml")}
        tops = {field: place["y"] for field, place in boxes.items()}
        if width > PHONE["width"]:  # side by side on a tablet; one under the other on a phone
            assert max(tops.values()) - min(tops.values()) <= 1, f"boxes not level at {width} px: {tops}"


def test_a_dose_that_does_not_match_is_said_under_its_row_at_full_width_on_a_tablet_either_way_up(
        app, live_server, new_page, screenshot):
    """Walkthrough 17: at 1024 px the mismatch message wrapped over 14 lines in the narrow Volume
    column, words broken ("concentra-tion"), and was pinned to the volume though the dose may be the
    mistyped value. It is said once under the row, as wide as the row's fields, a few lines long."""
    with app.app_context():
        physician = make_user(Role.PHYSICIAN, name=PHYSICIAN)
        record = make_procedure(physician=physician, steps=("sign_in", "time_out", "fluoroscopy", "contrast"))
        case_id, email = record.case_id, physician.email
        db.session.remove()

    page = new_page(TABLET)
    sign_in(page, live_server, email)
    page.goto(f"{live_server}/cases/{case_id}/procedure")
    injectate = box(page, "step-injectate-left")
    injectate.locator("#injectate-left-rows-0-drug").select_option(label="Bupivacaine")
    for field, typed in (("concentration_mg_per_ml", "0.5 %"), ("dose_mg", "20"), ("volume_ml", "2"),
                         ("lot_number", "BU-24117")):
        injectate.locator(f"#injectate-left-rows-0-{field}").fill(typed)
    injectate.get_by_role("button", name="Save injectate — left side").click()

    message = box(page, "step-injectate-left").locator("#injectate-left-rows-0-error")
    expect(message).to_have_text("20 mg at 5 mg/mL is 4.0 mL, not 2.0 mL; 2.0 mL of it is 10 mg. "
                                 "Dose = concentration × volume: correct the one mistyped.")
    expect(box(page, "step-injectate-left").locator("#injectate-left-rows-0-volume_ml-error")).to_have_count(0)
    for size, name in ((TABLET, "1024"), ({"width": 768, "height": 1024}, "768")):
        page.set_viewport_size(size)
        message.scroll_into_view_if_needed()
        row = box(page, "step-injectate-left").locator("tbody tr").first.bounding_box()
        said = message.bounding_box()
        line = float(message.evaluate("node => parseFloat(getComputedStyle(node).lineHeight)"))
        assert said["width"] >= 0.75 * row["width"], f"squeezed at {name} px: {said['width']:.0f} of {row['width']:.0f}"
        assert said["height"] <= 3 * line + 1, f"{said['height'] / line:.1f} lines at {name} px"
        assert said["y"] >= row["y"] + row["height"] - 1, f"not under the row at {name} px"
        overflow = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert overflow[0] <= overflow[1], f"the checklist is {overflow[0]} px wide in a {overflow[1]} px window"
        box(page, "step-injectate-left").screenshot(path=str(screenshot(page, f"injectate-mismatch-{name}")),
                                                    animations="disabled")

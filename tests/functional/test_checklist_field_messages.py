"""What the checklist's fields and their messages say, through the real forms (CSRF on)
(walkthrough 17): the imaging step's views are a count, named as one; a dose that does not match
its concentration and volume is said once under its row, at the row's full width, not pinned to
the volume."""
from tracker.procedures.rules.schema import Step

from tests.builders import BEFORE, answers_for, checklist_url, post_step
from tests.helpers import field_error, input_value, soup, text, words


def label_of(page, field_id):
    return words(soup(page).find("label", attrs={"for": field_id}))


# ------------------------------------------------------------------ the imaging step's views

def test_the_views_are_asked_as_a_count_and_views_described_in_words_are_told_so(gen, doctor, physician):
    record = gen.procedure(physician=physician, steps=BEFORE["fluoroscopy"])
    page = text(doctor.get(checklist_url(record.case_id)))
    assert label_of(page, "fluoroscopy-left-views") == "Number of views"

    typed = {**answers_for("fluoroscopy"), "views": "AP, contralateral oblique"}
    response = post_step(doctor, record.case_id, "fluoroscopy", typed, side="left")

    assert response.status_code == 422
    page = text(response)
    assert field_error(page, "fluoroscopy-left-views") == "Enter the number of views taken, e.g. 2."
    summary = words(soup(page).find("section", id="step-fluoroscopy-left").find(class_="step-errors"))
    assert "Number of views: Enter the number of views taken, e.g. 2." in summary
    assert input_value(page, "fluoroscopy-left-views") == "AP, contralateral oblique"


def test_a_part_view_is_told_to_count_the_views_too(gen, doctor, physician):
    record = gen.procedure(physician=physician, steps=BEFORE["fluoroscopy"])
    typed = {**answers_for("fluoroscopy"), "views": "2.5"}
    page = text(post_step(doctor, record.case_id, "fluoroscopy", typed, side="left"))
    assert field_error(page, "fluoroscopy-left-views") == "Enter the number of views taken, e.g. 2."


def test_the_saved_step_and_the_signed_note_say_the_number_of_views(gen, doctor, physician):
    record = gen.procedure(physician=physician, steps="all", sign=True)
    note = soup(text(doctor.get(f"/cases/{record.case_id}/procedure/note")))
    imaging = note.find("section", attrs={"aria-label": "Imaging guidance (left)"})
    said = {words(dt): words(dt.find_next_sibling("dd")) for dt in imaging.find_all("dt")}
    assert said["Number of views"] == "2" and "Views" not in said


# ------------------------------------------------------------------ a dose that does not match its row

MISMATCH = ("40 mg at 40 mg/mL is 1.0 mL, not 2.0 mL; 2.0 mL of it is 80 mg. Dose = concentration × volume: "
            "correct the one mistyped.")
AMOUNTS = ("concentration_mg_per_ml", "dose_mg", "volume_ml")


def test_a_dose_that_does_not_match_is_said_under_its_row_at_full_width_not_pinned_to_the_volume(
        gen, doctor, physician):
    record = gen.procedure(physician=physician, steps=BEFORE["injectate"])
    typed = {"rows": [{"drug": "bupivacaine", "concentration_mg_per_ml": "5", "dose_mg": "", "volume_ml": "1",
                       "lot_number": "BU-77"},
                      {"drug": "triamcinolone", "concentration_mg_per_ml": "40", "dose_mg": "40",
                       "volume_ml": "2", "lot_number": "TA-2231"}]}

    response = post_step(doctor, record.case_id, "injectate", typed, side="left")

    assert response.status_code == 422
    page = soup(text(response))
    prefix = "injectate-left-rows-1-"
    for name in AMOUNTS:
        assert field_error(str(page), prefix + name) is None, f"the mismatch is not pinned to {name}"
    message = page.find(id="injectate-left-rows-1-error")
    assert message is not None and words(message) == MISMATCH
    # A row of its own under the drug's row, as wide as the row's fields.
    cell = message.find_parent("td")
    drug_row = page.find("select", id=prefix + "drug").find_parent("tr")
    assert cell.find_parent("tr") is drug_row.find_next_sibling("tr")
    assert int(cell.get("colspan", 1)) == len(drug_row.find_all("td"))
    # Neutral about which field is wrong: each amount is described by it, none is named as the one.
    for name in AMOUNTS:
        field = page.find("input", id=prefix + name)
        assert "injectate-left-rows-1-error" in field["aria-describedby"].split()
        assert field.get("aria-invalid") == "true"
    assert not page.find("input", id=prefix + "lot_number").get("aria-describedby")
    # Announced with the box's other problems, each per-field error still under its own field.
    summary = page.find("section", id="step-injectate-left").find(class_="step-errors")
    assert summary["role"] == "alert"
    listed = [words(li) for li in summary.find_all("li")]
    assert listed == ["Drug 1: Dose (mg): Give the dose in mg (concentration × volume).",
                      f"Drug 2: Concentration, dose and volume: {MISMATCH}"]
    assert field_error(str(page), "injectate-left-rows-0-dose_mg") == "Give the dose in mg (concentration × volume)."
    assert page.find(id="injectate-left-rows-0-error") is None
    for name, value in (("rows-1-dose_mg", "40"), ("rows-1-volume_ml", "2"), ("rows-1-lot_number", "TA-2231")):
        assert input_value(str(page), "injectate-left-" + name) == value

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

"""The contrast confirmation waits for the imaging guidance of its side, through the real forms (CSRF
on): the contrast is read on the images, so a contrast check saved before any imaging step made the
signed note say contrast before imaging (walkthrough 17, defect 5). The refusal reads as the
injectate's does ("Not yet: …" on the page, "Not saved: …" on a post), per side for a bilateral
case, and for a repeat check too."""
from tracker.extensions import db
from tracker.models import ProcedureStep
from tracker.vocab import Side

from tests.builders import answers_for, checklist_url, post_step
from tests.helpers import soup, text, words

IMAGING_FIRST = "Record the imaging guidance before the contrast confirmation: the contrast is read on its images."


def rows(record_id, step):
    db.session.expire_all()
    return db.session.execute(db.select(ProcedureStep).filter_by(record_id=record_id, step=step)
                              .order_by(ProcedureStep.id)).scalars().all()


def box(page, anchor):
    return words(soup(page).find("section", id=anchor))


def test_a_contrast_check_before_any_imaging_step_is_refused_and_its_box_waits(gen, doctor, physician):
    record = gen.procedure(physician=physician, steps=["sign_in", "time_out", "positioning", "skin_prep"])

    page = text(doctor.get(checklist_url(record.case_id)))
    assert f"Not yet: {IMAGING_FIRST}" in box(page, "step-contrast-left")
    assert "Not yet:" not in box(page, "step-fluoroscopy-left")

    refused = post_step(doctor, record.case_id, "contrast", answers_for("contrast"), side="left")
    assert refused.status_code == 409
    assert "Not saved:" in box(text(refused), "step-contrast-left")
    assert IMAGING_FIRST in box(text(refused), "step-contrast-left")
    assert rows(record.id, "contrast") == []

    # The screening time and dose are known only at the end: the guidance and views recorded is enough.
    begun = {"modality": "fluoroscopy", "views": "2", "needle_gauge": "22"}
    assert post_step(doctor, record.case_id, "fluoroscopy", begun, side="left").status_code == 302
    page = text(doctor.get(checklist_url(record.case_id)))
    assert "Not yet:" not in box(page, "step-contrast-left")
    assert post_step(doctor, record.case_id, "contrast", answers_for("contrast"), side="left").status_code == 302
    [imaging], [contrast] = rows(record.id, "fluoroscopy"), rows(record.id, "contrast")
    assert imaging.first_recorded_at <= contrast.first_recorded_at


def test_an_imaging_step_saved_without_its_guidance_named_does_not_clear_the_contrast(gen, doctor, physician):
    record = gen.procedure(physician=physician, steps=["sign_in", "time_out"])
    assert post_step(doctor, record.case_id, "fluoroscopy", {"needle_gauge": "22"}, side="left").status_code == 302

    refused = post_step(doctor, record.case_id, "contrast", answers_for("contrast"), side="left")

    assert refused.status_code == 409
    assert ("Complete the imaging guidance before the contrast confirmation (the contrast is read on its images): "
            "still missing Guidance.") in box(text(refused), "step-contrast-left")
    assert rows(record.id, "contrast") == []


def test_a_bilateral_case_waits_for_each_sides_own_imaging(gen, doctor, physician):
    record = gen.procedure(physician=physician, side=Side.BILATERAL, steps=["sign_in", "time_out"])
    assert post_step(doctor, record.case_id, "fluoroscopy", answers_for("fluoroscopy"), side="left").status_code == 302

    page = text(doctor.get(checklist_url(record.case_id)))
    assert "Not yet:" not in box(page, "step-contrast-left")
    assert ("Not yet: Record the imaging guidance on the right side before the contrast confirmation: the contrast "
            "is read on its images.") in box(page, "step-contrast-right")

    refused = post_step(doctor, record.case_id, "contrast", answers_for("contrast"), side="right")
    assert refused.status_code == 409
    assert "Record the imaging guidance on the right side before the contrast confirmation" in text(refused)
    assert post_step(doctor, record.case_id, "contrast", answers_for("contrast"), side="left").status_code == 302
    assert [row.side for row in rows(record.id, "contrast")] == [Side.LEFT]

    assert post_step(doctor, record.case_id, "fluoroscopy", answers_for("fluoroscopy"), side="right").status_code == 302
    assert post_step(doctor, record.case_id, "contrast", answers_for("contrast"), side="right").status_code == 302


def test_a_repeat_contrast_check_waits_for_the_imaging_too(gen, doctor, physician):
    """A record whose first check was saved before this rule (no imaging step): the repeat check the
    vascular uptake asks for waits for the imaging step like a first check."""
    record = gen.procedure(physician=physician, steps=["sign_in", "time_out"])
    db.session.add(ProcedureStep(record_id=record.id, step="contrast", side=Side.LEFT, attempt=1,
                                 answers={**answers_for("contrast"), "vascular_uptake": True},
                                 first_recorded_at=record.started_at, first_recorded_by_id=physician.id,
                                 recorded_at=record.started_at, recorded_by_id=physician.id))
    db.session.commit()

    page = text(doctor.get(checklist_url(record.case_id)))
    assert f"Not yet: {IMAGING_FIRST}" in box(page, "step-contrast-left")
    refused = post_step(doctor, record.case_id, "contrast", answers_for("contrast"), side="left", attempt="2")
    assert refused.status_code == 409
    assert IMAGING_FIRST in box(text(refused), "step-contrast-left")
    assert [row.attempt for row in rows(record.id, "contrast")] == [1]

    assert post_step(doctor, record.case_id, "fluoroscopy", answers_for("fluoroscopy"), side="left").status_code == 302
    repeat = post_step(doctor, record.case_id, "contrast", answers_for("contrast"), side="left", attempt="2")
    assert repeat.status_code == 302
    assert [row.attempt for row in rows(record.id, "contrast")] == [1, 2]


def test_a_refused_save_says_its_reason_once(gen, doctor, physician):
    """Walkthrough: the refused contrast box read "Not saved: Record the imaging guidance …" and, just
    below, "Not yet: Record the imaging guidance …": the same sentence twice, as if two problems."""
    record = gen.procedure(physician=physician, steps=["sign_in", "time_out", "positioning", "skin_prep"])

    refused = box(text(post_step(doctor, record.case_id, "contrast", answers_for("contrast"), side="left")),
                  "step-contrast-left")

    assert f"Not saved: {IMAGING_FIRST}" in refused
    assert refused.count(IMAGING_FIRST) == 1
    assert "Not yet:" not in refused

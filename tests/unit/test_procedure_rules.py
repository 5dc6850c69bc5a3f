"""The procedure checklist's rules: step order, required fields, safety limits at their boundaries,
contrast before injectate per side, injectate warnings, duration flag and billing codes."""
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from tracker.procedures.formulary import formulary_by_code
from tracker.procedures.rules.billing import billing_codes, claims
from tracker.procedures.rules.checks import validate_step
from tracker.procedures.rules.completeness import missing_fields, missing_for_signing, required_fields
from tracker.procedures.rules.drug_warnings import (ALLERGY_CONTRAST, ALLERGY_IODINE,
                                                    ALLERGY_LOCAL_ANAESTHETIC, ALLERGY_STEROID,
                                                    injectate_warnings)
from tracker.procedures.rules.duration import (LONG_PROCEDURE_MINUTES, SHORT_PROCEDURE_MINUTES, duration_flag,
                                               duration_minutes, elapsed_words, flag_long, flag_short)
from tracker.procedures.rules.order import may_record, next_open, omission_refusals
from tracker.procedures.rules.schema import (CONTRAST_ALLERGY_FIELDS, MAX_CONFIRMED_INJECTATE_ML_PER_SIDE,
                                             MAX_INJECTATE_ML_PER_SIDE,
                                             PER_SIDE_STEPS, STEPS, ChecklistContext, Step)

FORMULARY = formulary_by_code()
LEFT = ChecklistContext(side="left")
BILATERAL = ChecklistContext(side="bilateral")
ALLERGIC = ChecklistContext(side="left", contrast_allergy=True)
START = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)

SIGN_IN = {"identifiers_confirmed": True, "consent_confirmed": True, "procedure_confirmed": True,
           "side_confirmed": "left", "site_marked": True, "allergies_reviewed": True,
           "anticoagulation_reviewed": True}
TIME_OUT = {"patient_confirmed": True, "procedure_confirmed": True, "side_and_site_confirmed": True,
            "position_confirmed": True, "images_available": True}
POSITIONING = {"prone": True}
SKIN_PREP = {"prep_agent": "chlorhexidine_alcohol", "sterile_drape": True, "local_skin_anaesthetic": "used"}
FLUOROSCOPY = {"modality": "fluoroscopy", "views": 2, "needle_gauge": 22, "fluoroscopy_time_s": Decimal("35"),
               "air_kerma_mgy": Decimal("4.2"), "dap_mgy_cm2": Decimal("310")}
INTRA_ARTICULAR = {"agent": "iohexol", "volume_ml": Decimal("0.5"),
                   "arthrogram_pattern": "intra_articular_cephalad", "vascular_uptake": False}
VASCULAR = {**INTRA_ARTICULAR, "vascular_uptake": True}
OMITTED = {"omitted": True, "omission_reason": "Documented anaphylaxis to iodinated contrast"}
SIGN_OUT = {"complications": ["none"], "pain_nrs": 2, "discharge_instructions_given": True}


def row(drug="triamcinolone", concentration="40", dose="40", volume="1", lot="L123"):
    return {"drug": drug, "concentration_mg_per_ml": Decimal(concentration), "dose_mg": Decimal(dose),
            "volume_ml": Decimal(volume), "lot_number": lot}


INJECTATE = {"rows": [row(), row("bupivacaine", "2.5", "2.5", "1")]}


def complete_checklist(sides=("left",)):
    return {
        "sign_in": SIGN_IN, "time_out": TIME_OUT, "positioning": POSITIONING, "skin_prep": SKIN_PREP,
        "fluoroscopy": {side: FLUOROSCOPY for side in sides},
        "contrast": {side: INTRA_ARTICULAR for side in sides},
        "injectate": {side: INJECTATE for side in sides},
        "sign_out": SIGN_OUT,
    }


def errors(step, values, context=LEFT, side=None):
    return validate_step(step, values, context, side)[0]


def warnings(step, values, context=LEFT, side=None):
    return validate_step(step, values, context, side)[1]


# --- the steps -------------------------------------------------------------------------------


def test_the_checklist_has_eight_steps_in_the_clinic_order():
    assert [step.value for step in STEPS] == [
        "sign_in", "time_out", "positioning", "skin_prep", "fluoroscopy", "contrast", "injectate", "sign_out"]
    assert Step.SIGN_IN.label == "Sign-in / verification"


def test_needle_steps_are_the_ones_recorded_per_side():
    assert PER_SIDE_STEPS == {Step.FLUOROSCOPY, Step.CONTRAST, Step.INJECTATE}


# --- required fields -----------------------------------------------------------------------------


def test_an_empty_sign_in_lists_every_verification_item():
    assert missing_fields("sign_in", {}) == [
        "Two patient identifiers confirmed", "Consent confirmed", "Procedure confirmed", "Side confirmed",
        "Site marked", "Allergies reviewed", "Anticoagulation reviewed"]


@pytest.mark.parametrize("pregnancy", ["possible", "yes"])
def test_a_patient_who_is_or_may_be_pregnant_needs_the_physicians_review_at_sign_in(pregnancy):
    reviewed = "Pregnancy reviewed: a negative pregnancy test today, or the physician's decision to proceed"
    assert missing_fields("sign_in", SIGN_IN, pregnancy) == [reviewed]
    assert missing_fields("sign_in", {**SIGN_IN, "pregnancy_reviewed": True}, pregnancy) == []
    assert f"Sign-in / verification: {reviewed}" in missing_for_signing(
        {"sign_in": SIGN_IN}, ChecklistContext(side="left", pregnancy=pregnancy))
    assert missing_fields("sign_in", SIGN_IN) == [], "nobody else is asked"


def test_a_patient_with_an_infection_or_fever_needs_the_physicians_review_at_sign_in():
    reviewed = "Infection or fever reviewed: resolved, or the physician's decision to proceed"
    assert missing_fields("sign_in", SIGN_IN, infection=True) == [reviewed]
    assert missing_fields("sign_in", {**SIGN_IN, "infection_reviewed": True}, infection=True) == []
    assert missing_fields("sign_in", SIGN_IN, "yes", infection=True) == [
        "Pregnancy reviewed: a negative pregnancy test today, or the physician's decision to proceed", reviewed]
    assert f"Sign-in / verification: {reviewed}" in missing_for_signing(
        {"sign_in": SIGN_IN}, ChecklistContext(side="left", infection=True))
    assert ChecklistContext(side="left", infection=True).fields_not_asked("sign_in") == {"pregnancy_reviewed"}
    assert ChecklistContext(side="left").fields_not_asked("sign_in") == {"pregnancy_reviewed", "infection_reviewed"}


def test_an_unticked_confirmation_counts_as_missing():
    assert missing_fields("sign_in", {**SIGN_IN, "site_marked": False}) == ["Site marked"]


def test_a_blank_string_counts_as_missing():
    assert missing_fields("skin_prep", {**SKIN_PREP, "prep_agent": "  "}) == ["Skin prep agent"]


@pytest.mark.parametrize("step, values", [
    ("sign_in", SIGN_IN), ("time_out", TIME_OUT), ("positioning", POSITIONING), ("skin_prep", SKIN_PREP),
    ("fluoroscopy", FLUOROSCOPY), ("contrast", INTRA_ARTICULAR), ("injectate", INJECTATE), ("sign_out", SIGN_OUT),
])
def test_a_complete_step_misses_nothing(step, values):
    assert missing_fields(step, values) == []


def test_time_out_needs_each_team_confirmation():
    assert missing_fields("time_out", {}) == [
        "Patient confirmed", "Procedure confirmed", "Side and site confirmed", "Position confirmed",
        "Images available"]


def test_fluoroscopy_needs_views_time_air_kerma_and_dose_area_product():
    assert missing_fields("fluoroscopy", {"modality": "fluoroscopy", "needle_gauge": 22}) == [
        "Number of views", "Fluoroscopy time (s)", "Reference air kerma (mGy)", "Dose-area product (mGy·cm²)"]


def test_ct_guidance_records_the_ct_dose_instead_of_fluoroscopy_dose():
    assert missing_fields("fluoroscopy", {"modality": "ct", "needle_gauge": 22}) == [
        "CTDIvol (mGy)", "Dose-length product (mGy·cm)"]


def test_ultrasound_guidance_needs_its_reason_and_no_radiation_dose():
    assert missing_fields("fluoroscopy", {"modality": "ultrasound", "needle_gauge": 22}) == [
        "Reason for ultrasound guidance"]


def test_recorded_contrast_needs_agent_volume_pattern_and_a_vascular_uptake_answer():
    assert missing_fields("contrast", {}) == [
        "Contrast agent", "Contrast volume (mL)", "Arthrogram pattern", "Vascular uptake"]


def test_no_vascular_uptake_is_an_answer_not_a_blank():
    assert "Vascular uptake" not in missing_fields("contrast", INTRA_ARTICULAR)


def test_omitted_contrast_needs_only_the_reason():
    assert required_fields("contrast", {"omitted": True}) == ("omission_reason",)
    assert missing_fields("contrast", {"omitted": True}) == ["Reason contrast was omitted"]


def test_injectate_needs_at_least_one_drug():
    assert missing_fields("injectate", {"rows": []}) == ["At least one drug"]


def test_injectate_rows_list_their_missing_columns_and_skip_spare_empty_rows():
    empty = {"drug": "", "concentration_mg_per_ml": None, "dose_mg": None, "volume_ml": None, "lot_number": ""}
    assert missing_fields("injectate", {"rows": [row(), row(lot=""), empty]}) == ["Drug 2: Lot number"]


def test_other_complication_needs_a_description():
    assert missing_fields("sign_out", {**SIGN_OUT, "complications": ["other"]}) == ["Other complication (describe)"]


def test_sign_out_needs_complications_pain_score_and_discharge_instructions():
    assert missing_fields("sign_out", {}) == [
        "Complications", "Immediate post-procedure pain (0–10)", "Discharge instructions given"]


def test_a_pain_score_of_zero_is_recorded_not_missing():
    assert missing_fields("sign_out", {**SIGN_OUT, "pain_nrs": 0}) == []


# --- signing ---------------------------------------------------------------------------------


def test_a_complete_checklist_may_be_signed():
    assert missing_for_signing(complete_checklist(), LEFT) == []


def test_signing_lists_what_is_missing_by_step():
    checklist = complete_checklist()
    checklist["sign_in"] = {**SIGN_IN, "site_marked": False}
    del checklist["sign_out"]
    assert missing_for_signing(checklist, LEFT) == [
        "Sign-in / verification: Site marked",
        "Sign-out: Complications",
        "Sign-out: Immediate post-procedure pain (0–10)",
        "Sign-out: Discharge instructions given",
    ]


def test_a_bilateral_checklist_needs_each_side_and_names_the_side_missing():
    checklist = complete_checklist(sides=("left",))
    missing = missing_for_signing(checklist, BILATERAL)
    assert "Contrast confirmation (right): Arthrogram pattern" in missing
    # The left is injected: the right's injectate, or the sign-out's answer that it was not given.
    assert ("Injectate (right): At least one drug, or at the sign-out, Side not injected: right, with the reason"
            in missing)
    assert not any("(left)" in item for item in missing)
    assert missing_for_signing(complete_checklist(sides=("left", "right")), BILATERAL) == []


def test_a_bilateral_checklist_with_no_joint_injected_asks_each_joints_injectate_alone():
    checklist = complete_checklist(sides=("left", "right"))
    checklist["injectate"] = {}
    missing = missing_for_signing(checklist, BILATERAL)
    assert "Injectate (left): At least one drug" in missing and "Injectate (right): At least one drug" in missing


def test_a_side_not_injected_needs_no_contrast_or_injectate_but_its_saved_imaging_keeps_its_dose_record():
    checklist = complete_checklist(sides=("left",))
    checklist["sign_out"] = {**checklist["sign_out"], "not_injected_side": "right",
                             "not_injected_reason": "Vascular uptake on every reposition"}
    assert missing_for_signing(checklist, BILATERAL) == []

    checklist["fluoroscopy"]["right"] = {"modality": "fluoroscopy", "views": "2"}
    assert missing_for_signing(checklist, BILATERAL) == [
        "Imaging guidance (right): Needle gauge", "Imaging guidance (right): Fluoroscopy time (s)",
        "Imaging guidance (right): Reference air kerma (mGy)", "Imaging guidance (right): Dose-area product (mGy·cm²)"]


def test_a_side_not_injected_needs_its_reason_and_cannot_be_a_side_injected():
    checklist = complete_checklist(sides=("left", "right"))
    checklist["sign_out"] = {**checklist["sign_out"], "not_injected_side": "right"}
    assert missing_for_signing(checklist, BILATERAL) == [
        "Sign-out: Why that side was not injected",
        "Sign-out: Side not injected says the right side, but its injectate is recorded (it was injected): "
        "set Side not injected back to None"]


def test_a_bilateral_sign_out_waits_for_one_joints_injectate_not_both():
    done = {step: True for step in STEPS}
    done["injectate"] = {"left": True, "right": False}
    assert may_record("sign_out", done, {}, BILATERAL) == []
    done["injectate"] = {"left": False, "right": False}
    assert may_record("sign_out", done, {}, BILATERAL) == [
        "Record the injectate on the left side before the sign-out.",
        "Record the injectate on the right side before the sign-out."]


@pytest.mark.parametrize("answers, field, message", [
    ({"not_injected_side": "left", "not_injected_reason": "x"}, "not_injected_side",
     "The left side's injectate is recorded: it was injected. Choose the side that was not."),
    ({"not_injected_side": "right"}, "not_injected_reason", "Say why the right side was not injected."),
    ({"not_injected_side": "both", "not_injected_reason": "x"}, "not_injected_side",
     "Choose left or right, or leave it empty when both sides were injected."),
])
def test_the_side_not_injected_is_checked_at_the_sign_out(answers, field, message):
    ctx = replace(BILATERAL, injected_joints=frozenset({"left"}))
    errors, _ = validate_step("sign_out", {**complete_checklist()["sign_out"], **answers}, ctx)
    assert errors == {field: message}


# --- validating a step ---------------------------------------------------------------------------


def test_a_part_filled_step_saves_without_errors():
    assert validate_step("sign_in", {"identifiers_confirmed": True}, LEFT) == ({}, [])


def test_the_side_confirmed_must_match_the_case():
    found = errors("sign_in", {**SIGN_IN, "side_confirmed": "right"})
    assert list(found) == ["side_confirmed"]
    assert found["side_confirmed"].startswith("The side confirmed (right) does not match the case (left). Stop:")


def test_a_bilateral_case_must_be_confirmed_as_bilateral():
    assert errors("sign_in", {**SIGN_IN, "side_confirmed": "bilateral"}, BILATERAL) == {}
    assert "side_confirmed" in errors("sign_in", {**SIGN_IN, "side_confirmed": "left"}, BILATERAL)


def test_skin_prep_agent_must_be_a_skin_prep_agent_from_the_formulary():
    assert errors("skin_prep", {**SKIN_PREP, "prep_agent": "povidone_iodine"}) == {}
    assert "prep_agent" in errors("skin_prep", {**SKIN_PREP, "prep_agent": "lidocaine"})


def test_ultrasound_guidance_without_a_reason_is_refused():
    values = {"modality": "ultrasound", "needle_gauge": 22, "ultrasound_reason": ""}
    assert errors("fluoroscopy", values) == {"ultrasound_reason": "Ultrasound guidance needs a stated reason."}
    assert errors("fluoroscopy", {**values, "ultrasound_reason": "Pregnancy: no ionising radiation"}) == {}


def test_an_unknown_guidance_is_refused():
    assert "modality" in errors("fluoroscopy", {**FLUOROSCOPY, "modality": "mri"})


def test_one_view_is_refused_and_two_are_enough():
    assert errors("fluoroscopy", {**FLUOROSCOPY, "views": 2}) == {}
    assert errors("fluoroscopy", {**FLUOROSCOPY, "views": 1}) == {
        "views": "At least 2 views are needed to confirm the needle position."}


def test_fluoroscopy_time_over_an_hour_is_refused_even_confirmed():
    confirmed = {"dose_confirmed": True, "dose_reason": "Difficult anatomy"}
    assert "over an hour" in errors("fluoroscopy", {**FLUOROSCOPY, **confirmed, "fluoroscopy_time_s": Decimal("3601")})[
        "fluoroscopy_time_s"]


TIME_OVER = ("1400 s is 23 min 20 s of fluoroscopy; an SI joint injection usually takes under a minute")


@pytest.mark.parametrize("name, typed, problem", [
    ("fluoroscopy_time_s", "1400", TIME_OVER),
    ("fluoroscopy_time_s", "301", "301 s is 5 min 01 s of fluoroscopy; an SI joint injection usually takes under a "
                                  "minute"),
    ("air_kerma_mgy", "4200", "4200 mGy of reference air kerma is more than 50 mGy; an SI joint injection usually "
                              "gives a few mGy"),
    ("dap_mgy_cm2", "310000", "310000 mGy·cm² of dose-area product is more than 5000 mGy·cm² (5 Gy·cm²); an SI "
                              "joint injection usually gives a few hundred mGy·cm²"),
])
def test_a_fluoroscopy_time_or_dose_outside_the_usual_range_is_saved_only_when_confirmed_with_a_reason(
        name, typed, problem):
    values = {**FLUOROSCOPY, name: typed}

    assert errors("fluoroscopy", values) == {
        name: f"{problem}: check the unit, or confirm below with the reason.",
        "dose_reason": "Not saved: a fluoroscopy time or dose outside the usual range needs your confirmation and "
                       "the reason, or correct it above."}
    tick_alone = {**values, "dose_confirmed": True, "dose_reason": " "}
    assert name in errors("fluoroscopy", tick_alone), "a tick alone is not a reason"
    confirmed = {**values, "dose_confirmed": True, "dose_reason": "Obese patient, poor views; checked on the display"}
    assert validate_step("fluoroscopy", confirmed, LEFT) == ({}, [
        f"Confirmed outside the usual range: {problem}. Reason: Obese patient, poor views; checked on the display"])
    assert validate_step("fluoroscopy", confirmed, BILATERAL, side="right")[1] == [
        f"Confirmed outside the usual range on the right side: {problem}. Reason: Obese patient, poor views; checked on "
        f"the display"]


def test_fluoroscopy_times_and_doses_within_the_usual_range_ask_nothing():
    usual = {**FLUOROSCOPY, "fluoroscopy_time_s": "300", "air_kerma_mgy": "50", "dap_mgy_cm2": "5000"}
    assert validate_step("fluoroscopy", usual, LEFT) == ({}, [])
    assert errors("fluoroscopy", {**FLUOROSCOPY, "fluoroscopy_time_s": "2000", "dap_mgy_cm2": "-1"}).keys() == {
        "fluoroscopy_time_s", "dap_mgy_cm2", "dose_reason"}, "said on the same save as the other errors"


@pytest.mark.parametrize("name, message", [
    ("fluoroscopy_time_s", "Fluoroscopy time cannot be negative."),
    ("air_kerma_mgy", "Reference air kerma cannot be negative."),
    ("dap_mgy_cm2", "Dose-area product cannot be negative."),
])
def test_negative_radiation_figures_are_refused_and_zero_is_accepted(name, message):
    assert errors("fluoroscopy", {**FLUOROSCOPY, name: Decimal("-0.1")}) == {name: message}
    assert errors("fluoroscopy", {**FLUOROSCOPY, name: Decimal("0")}) == {}


def test_text_in_a_number_field_is_refused_not_ignored():
    assert errors("fluoroscopy", {**FLUOROSCOPY, "air_kerma_mgy": "lots"}) == {"air_kerma_mgy": "Enter a number."}


@pytest.mark.parametrize("typed, message", [
    ("1,5", "Use a point for decimals: 1.5"),
    ("12,25", "Use a point for decimals: 12.25"),
    ("1,500", "Write the number without a comma: 1500, or with a point for decimals: 1.500"),
    ("1,2,3", "Enter a number."),
    ("1,5 mGy", "Enter a number."),
])
def test_a_decimal_comma_is_refused_saying_how_to_write_it(typed, message):
    assert errors("fluoroscopy", {**FLUOROSCOPY, "dap_mgy_cm2": typed}) == {"dap_mgy_cm2": message}


def test_fractional_views_or_needle_gauge_are_refused():
    assert errors("fluoroscopy", {**FLUOROSCOPY, "views": Decimal("2.5"), "needle_gauge": Decimal("22.5")}) == {
        "views": "Enter the number of views taken, e.g. 2.", "needle_gauge": "Enter a whole number."}


def test_an_absurd_needle_gauge_is_refused():
    assert "needle_gauge" in errors("fluoroscopy", {**FLUOROSCOPY, "needle_gauge": 220})


def test_contrast_volume_of_ten_ml_is_accepted_and_above_is_refused():
    assert errors("contrast", {**INTRA_ARTICULAR, "volume_ml": Decimal("10")}) == {}
    assert "volume_ml" in errors("contrast", {**INTRA_ARTICULAR, "volume_ml": Decimal("10.1")})


def test_no_contrast_volume_is_refused():
    assert errors("contrast", {**INTRA_ARTICULAR, "volume_ml": Decimal("0")}) == {
        "volume_ml": "The contrast volume must be more than 0 mL."}


def test_contrast_agent_must_come_from_the_formulary_contrast_agents():
    assert errors("contrast", {**INTRA_ARTICULAR, "agent": "gadobutrol"}) == {}
    assert "agent" in errors("contrast", {**INTRA_ARTICULAR, "agent": "triamcinolone"})


def test_vascular_uptake_saves_with_a_warning_to_reposition():
    assert validate_step("contrast", VASCULAR, LEFT) == (
        {}, ["Vascular uptake: reposition the needle and repeat the contrast check before injecting."])


def test_vascular_uptake_on_one_side_of_a_bilateral_case_names_the_side():
    assert warnings("contrast", VASCULAR, BILATERAL, side="right") == [
        "Vascular uptake on the right side: reposition the needle and repeat the contrast check before injecting."]


def test_a_per_side_step_of_a_bilateral_case_must_say_its_side():
    with pytest.raises(ValueError):
        validate_step("contrast", INTRA_ARTICULAR, BILATERAL)


def test_a_poor_spread_saves_with_a_warning_to_reposition():
    assert warnings("contrast", {**INTRA_ARTICULAR, "arthrogram_pattern": "poor_spread"}) == [
        "Poor spread is not an intra-articular pattern: reposition the needle and repeat the contrast check "
        "before injecting."]


def test_omitting_contrast_needs_a_reason():
    assert errors("contrast", {"omitted": True, "omission_reason": ""}, ALLERGIC) == {
        "omission_reason": "Say why contrast was omitted."}


def test_omitting_contrast_without_a_documented_allergy_warns_that_injectate_will_be_refused():
    assert validate_step("contrast", OMITTED, ALLERGIC) == ({}, [])
    assert "No contrast allergy is documented" in warnings("contrast", OMITTED, LEFT)[0]


def test_contrast_cannot_be_both_omitted_and_recorded():
    assert "omitted" in errors("contrast", {**OMITTED, "agent": "iohexol"}, ALLERGIC)


def test_an_injectate_dose_that_disagrees_with_its_volume_is_refused_on_that_row():
    values = {"rows": [row(), row(dose="40", volume="2")]}
    assert errors("injectate", values) == {"rows-1": ("40 mg at 40 mg/mL is 1.0 mL, not 2.0 mL; 2.0 mL of it is 80 mg. Dose = concentration × volume: correct "
                            "the one mistyped.")}


def test_an_injectate_row_must_be_a_local_anaesthetic_or_steroid_from_the_formulary():
    assert "rows-0-drug" in errors("injectate", {"rows": [row(drug="iohexol")]})
    assert "rows-0-drug" in errors("injectate", {"rows": [row(drug="aspirin")]})


def test_a_zero_volume_injectate_row_is_refused():
    assert errors("injectate", {"rows": [row(dose="0", volume="0")]}) == {
        "rows-0-dose_mg": "Must be more than 0.", "rows-0-volume_ml": "Must be more than 0."}


def test_saving_an_injectate_shows_its_warnings_for_that_side():
    values = {"rows": [row(dose="80", volume="2")]}
    assert warnings("injectate", values, BILATERAL, side="left") == [
        "Left side: Triamcinolone acetonide 80 mg is above the usual maximum of 40 mg per SI joint."]


def test_a_pain_score_outside_zero_to_ten_is_refused():
    assert errors("sign_out", {**SIGN_OUT, "pain_nrs": 10}) == {}
    assert errors("sign_out", {**SIGN_OUT, "pain_nrs": 0}) == {}
    assert errors("sign_out", {**SIGN_OUT, "pain_nrs": 11}) == {"pain_nrs": "Pain is scored from 0 to 10."}
    assert errors("sign_out", {**SIGN_OUT, "pain_nrs": -1}) == {"pain_nrs": "Pain is scored from 0 to 10."}


def test_no_complications_cannot_be_combined_with_a_complication():
    assert "complications" in errors("sign_out", {**SIGN_OUT, "complications": ["none", "vasovagal"]})
    assert errors("sign_out", {**SIGN_OUT, "complications": ["vasovagal", "bleeding"]}) == {}


def test_other_complication_must_be_described():
    assert errors("sign_out", {**SIGN_OUT, "complications": ["other"]}) == {
        "complication_other": "Describe the other complication."}
    assert errors("sign_out", {**SIGN_OUT, "complications": ["other"], "complication_other": "Headache"}) == {}


def test_an_unknown_complication_is_refused():
    assert "complications" in errors("sign_out", {**SIGN_OUT, "complications": ["death_ray"]})


# --- order -------------------------------------------------------------------------------------


BEFORE_NEEDLE = {"sign_in": True, "time_out": True, "positioning": True, "skin_prep": True}


def test_sign_in_comes_before_the_time_out():
    assert may_record("time_out", {}, {}, LEFT) == ["Record the sign-in before the time-out."]
    assert may_record("time_out", {"sign_in": True}, {}, LEFT) == []


@pytest.mark.parametrize("step", ["fluoroscopy", "contrast", "injectate"])
def test_no_needle_step_before_the_time_out(step):
    refusals = may_record(step, {"sign_in": True, "fluoroscopy": True}, {"left": [INTRA_ARTICULAR]}, LEFT)
    assert refusals == ["Record the time-out before any needle step (imaging, contrast, injectate)."]


def test_the_contrast_check_waits_for_its_sides_imaging_guidance():
    assert may_record("contrast", BEFORE_NEEDLE, {}, LEFT) == [
        "Record the imaging guidance before the contrast confirmation: the contrast is read on its images."]
    assert may_record("contrast", {**BEFORE_NEEDLE, "fluoroscopy": True}, {}, LEFT) == []
    done = {**BEFORE_NEEDLE, "fluoroscopy": {"left": True, "right": False}}
    assert may_record("contrast", done, {}, BILATERAL, side="left") == []
    assert may_record("contrast", done, {}, BILATERAL, side="right") == [
        "Record the imaging guidance on the right side before the contrast confirmation: the contrast is read on "
        "its images."]


def test_positioning_and_skin_prep_are_not_held_back():
    assert may_record("positioning", {}, {}, LEFT) == []
    assert may_record("skin_prep", {}, {}, LEFT) == []


def test_injectate_before_any_contrast_check_is_refused():
    refusals = may_record("injectate", BEFORE_NEEDLE, {}, LEFT)
    assert len(refusals) == 1
    assert refusals[0].startswith("The injectate needs a contrast confirmation first")


def test_injectate_after_an_intra_articular_check_without_vascular_uptake_is_allowed():
    assert may_record("injectate", BEFORE_NEEDLE, {"left": [INTRA_ARTICULAR]}, LEFT) == []


def test_injectate_after_vascular_uptake_is_refused():
    assert may_record("injectate", BEFORE_NEEDLE, {"left": [VASCULAR]}, LEFT) == [
        "Vascular uptake: reposition the needle and repeat the contrast check before injecting."]


def test_a_repeat_check_without_vascular_uptake_after_repositioning_allows_injectate():
    assert may_record("injectate", BEFORE_NEEDLE, {"left": [VASCULAR, INTRA_ARTICULAR]}, LEFT) == []


def test_only_the_latest_contrast_check_counts():
    assert may_record("injectate", BEFORE_NEEDLE, {"left": [INTRA_ARTICULAR, VASCULAR]}, LEFT) != []


@pytest.mark.parametrize("pattern", ["poor_spread", "extravasation"])
def test_injectate_after_a_pattern_that_is_not_intra_articular_is_refused(pattern):
    refusals = may_record("injectate", BEFORE_NEEDLE, {"left": [{**INTRA_ARTICULAR, "arthrogram_pattern": pattern}]},
                          LEFT)
    assert len(refusals) == 1
    assert "not an intra-articular pattern" in refusals[0]


def test_a_contrast_check_with_the_vascular_uptake_question_unanswered_does_not_clear_injectate():
    check = {**INTRA_ARTICULAR, "vascular_uptake": None}
    assert may_record("injectate", BEFORE_NEEDLE, {"left": [check]}, LEFT) == [
        "Record whether vascular uptake was seen before the injectate."]


def test_omitted_contrast_without_a_documented_allergy_does_not_clear_injectate():
    refusals = may_record("injectate", BEFORE_NEEDLE, {"left": [OMITTED]}, LEFT)
    assert len(refusals) == 1
    assert refusals[0].startswith("Contrast may be omitted only for a documented contrast allergy")


def test_omitted_contrast_with_a_reason_and_a_documented_allergy_clears_injectate():
    assert may_record("injectate", BEFORE_NEEDLE, {"left": [OMITTED]}, ALLERGIC) == []


def test_an_omission_is_judged_by_the_one_rule_the_injectate_is_refused_by():
    """The checklist's box, its note and the signing list say why an omission confirms nothing with
    the words the injectate is refused with."""
    assert omission_refusals(OMITTED, "", ALLERGIC) == []
    assert omission_refusals(OMITTED, "", LEFT) == may_record("injectate", BEFORE_NEEDLE, {"left": [OMITTED]}, LEFT)
    on_left = omission_refusals(OMITTED, " on the left side", replace(BILATERAL, contrast_allergy=False))
    assert on_left == ["Contrast may be omitted only for a documented contrast allergy, and none is recorded for "
                       "this patient: confirm the needle position with contrast on the left side before the injectate."]


def test_omitted_contrast_without_a_reason_does_not_clear_injectate_even_with_an_allergy():
    refusals = may_record("injectate", BEFORE_NEEDLE, {"left": [{"omitted": True, "omission_reason": ""}]}, ALLERGIC)
    assert refusals == ["Record why contrast was omitted before the injectate."]


def test_bilateral_injectate_is_cleared_side_by_side():
    contrast = {"left": [INTRA_ARTICULAR], "right": [VASCULAR]}
    assert may_record("injectate", BEFORE_NEEDLE, contrast, BILATERAL, side="left") == []
    assert may_record("injectate", BEFORE_NEEDLE, contrast, BILATERAL, side="right") == [
        "Vascular uptake on the right side: reposition the needle and repeat the contrast check before injecting."]


def test_a_bilateral_side_without_its_own_contrast_check_is_refused():
    refusals = may_record("injectate", BEFORE_NEEDLE, {"left": [INTRA_ARTICULAR]}, BILATERAL, side="right")
    assert refusals[0].startswith("The injectate on the right side needs a contrast confirmation first")


def test_a_bilateral_needle_step_must_name_its_side():
    assert may_record("contrast", BEFORE_NEEDLE, {}, BILATERAL) == ["Say which side, left or right, this step is for."]
    assert may_record("contrast", BEFORE_NEEDLE, {}, BILATERAL, side="bilateral") == [
        "Say which side, left or right, this step is for."]


def test_a_unilateral_case_refuses_the_other_side():
    assert may_record("contrast", BEFORE_NEEDLE, {}, LEFT, side="right") == [
        "This is a left case: nothing can be recorded for the right side."]


def test_sign_out_comes_after_the_injectate():
    assert may_record("sign_out", BEFORE_NEEDLE, {}, LEFT) == ["Record the injectate before the sign-out."]
    assert may_record("sign_out", {**BEFORE_NEEDLE, "injectate": True}, {}, LEFT) == []



# --- injectate warnings ----------------------------------------------------------------------


def test_the_joint_volume_limit_is_two_and_a_half_ml():
    assert MAX_INJECTATE_ML_PER_SIDE == Decimal("2.5")


def test_two_and_a_half_ml_per_side_is_fine():
    rows = [row(), row("bupivacaine", "5", "7.5", "1.5")]
    assert injectate_warnings({"left": rows}, FORMULARY) == []


def test_more_than_two_and_a_half_ml_per_side_warns_naming_the_side():
    rows = [row(), row("bupivacaine", "5", "7.55", "1.51")]
    assert injectate_warnings({"left": rows}, FORMULARY) == [
        "Left side: 2.51 mL in total is more than the joint usually holds (about 0.6–2.5 mL)."]


def test_bilateral_volumes_are_counted_per_side_not_together():
    rows = [row(), row("bupivacaine", "5", "7.5", "1.5")]
    assert injectate_warnings({"left": rows, "right": rows}, FORMULARY) == []
    warned = injectate_warnings({"left": rows, "right": rows + [row("lidocaine", "10", "1", "0.1")]}, FORMULARY)
    assert len(warned) == 1 and warned[0].startswith("Right side: 2.6 mL")


def test_a_steroid_at_its_usual_maximum_does_not_warn():
    assert injectate_warnings({"left": [row(dose="40", volume="1")]}, FORMULARY) == []


def test_a_steroid_above_its_usual_maximum_warns_naming_side_and_drug():
    rows = [row("dexamethasone", "10", "12", "1.2")]
    assert injectate_warnings({"right": rows}, FORMULARY) == [
        "Right side: Dexamethasone sodium phosphate 12 mg is above the usual maximum of 10 mg per SI joint."]


def test_two_rows_of_the_same_steroid_count_together_against_its_maximum():
    rows = [row(dose="20", volume="0.5"), row(dose="40", volume="1")]
    assert injectate_warnings({"left": rows}, FORMULARY) == [
        "Left side: Triamcinolone acetonide 60 mg is above the usual maximum of 40 mg per SI joint."]


def test_a_local_anaesthetic_within_its_maximum_is_no_warning():
    # (Above it is a hard stop, not a warning: test_a_local_anaesthetic_above_its_maximum_is_stopped...)
    assert injectate_warnings({"left": [row("lidocaine", "20", "40", "2")]}, FORMULARY) == []


def test_a_concentration_the_formulary_does_not_list_is_no_warning_but_a_hard_stop():
    assert injectate_warnings({"left": [row("lidocaine", "15", "15", "1")]}, FORMULARY) == []
    errors, warnings = validate_step("injectate", {"rows": [row("lidocaine", "15", "15", "1")]}, LEFT)
    assert errors == {
        "rows-0-concentration_mg_per_ml": "Lidocaine at 15 mg/mL (1.5 %) is not a listed strength (10 mg/mL (1 %), "
                                          "20 mg/mL (2 %)). Correct it, or confirm it below with the reason.",
        "strength_reason": "Not saved: a strength, dose or volume outside the usual range needs your confirmation "
                           "and the reason, or correct it above."}
    assert warnings == []


def injectate(*rows, **confirmation):
    return {"rows": list(rows), **confirmation}


def typed(drug, concentration, dose, volume):
    return {"drug": drug, "concentration_mg_per_ml": concentration, "dose_mg": dose, "volume_ml": volume,
            "lot_number": "L1"}


def test_a_listed_strength_typed_as_a_percentage_is_a_listed_strength():
    errors, warnings = validate_step("injectate", injectate(typed("bupivacaine", "0.5 %", "5", "1")), LEFT)
    assert errors == {} and warnings == []


@pytest.mark.parametrize("concentration, dose, message", [
    ("5 %", "50", "Bupivacaine at 50 mg/mL (5 %) is ten times the listed 5 mg/mL (0.5 %): a slipped decimal point"),
    # 0.5 typed meaning 0.5 %.
    ("0.5", "0.5", "Bupivacaine at 0.5 mg/mL (0.05 %) is a tenth of the listed 5 mg/mL (0.5 %)"),
])
def test_a_strength_ten_times_or_a_tenth_of_a_listed_one_is_stopped(concentration, dose, message):
    errors, _ = validate_step("injectate", injectate(typed("bupivacaine", concentration, dose, "1")), LEFT)
    assert errors["rows-0-concentration_mg_per_ml"].startswith(message)


def test_a_tick_without_a_reason_does_not_save_a_strength_outside_the_formulary():
    errors, _ = validate_step("injectate", injectate(typed("lidocaine", "15", "15", "1"), strength_confirmed=True,
                                                     strength_reason="  "), LEFT)
    assert "strength_reason" in errors and "rows-0-concentration_mg_per_ml" in errors


def test_a_confirmed_strength_with_a_reason_is_saved_and_the_confirmation_kept_with_the_step():
    errors, warnings = validate_step(
        "injectate", injectate(typed("lidocaine", "1.5 %", "15", "1"), strength_confirmed=True,
                               strength_reason="Pharmacy supplied 1.5%; checked the vial"), BILATERAL, "left")
    assert errors == {}
    assert warnings == ["Confirmed outside the formulary on the left side: Lidocaine at 15 mg/mL (1.5 %) is not a "
                        "listed strength (10 mg/mL (1 %), 20 mg/mL (2 %)). Reason: Pharmacy supplied 1.5%; "
                        "checked the vial"]


def test_a_strength_outside_the_formulary_is_stopped_on_the_same_save_as_another_rows_error():
    errors, warnings = validate_step("injectate", injectate(typed("bupivacaine", "0.5", "0.75", "1.5"),
                                                            typed("triamcinolone", "40", "400", "1")), LEFT)
    assert set(errors) == {"rows-0-concentration_mg_per_ml", "rows-1", "rows-1-dose_mg", "strength_reason"}
    assert errors["rows-1"].startswith("400 mg at 40 mg/mL is 10.0 mL, not 1.0 mL; 1.0 mL of it is 40 mg.")
    assert errors["rows-0-concentration_mg_per_ml"].startswith("Bupivacaine at 0.5 mg/mL (0.05 %) is a tenth")
    assert warnings == []


def test_a_confirmed_strength_adds_no_error_to_another_rows_and_is_noted_only_once_saved():
    errors, warnings = validate_step("injectate", injectate(
        typed("bupivacaine", "0.5", "0.75", "1.5"), typed("triamcinolone", "40", "400", "10"),
        strength_confirmed=True, strength_reason="Diluted on purpose"), LEFT)
    # The strength, the steroid's dose and the 11.5 mL in the joint: each noted with the reason.
    assert errors == {} and len([w for w in warnings if w.startswith("Confirmed outside the formulary")]) == 3
    errors, warnings = validate_step("injectate", injectate(
        typed("bupivacaine", "0.5", "0.75", "1.5"), typed("triamcinolone", "40", "400", "1"),
        strength_confirmed=True, strength_reason="Diluted on purpose"), LEFT)
    assert list(errors) == ["rows-1"] and warnings == []
    assert errors["rows-1"].startswith("400 mg at 40 mg/mL is 10.0 mL, not 1.0 mL;")


# --- the joint's volume and a local anaesthetic's dose: the walkthrough's 500 mg of bupivacaine in 100 mL

def test_a_usual_injectate_saves_without_a_question():
    errors, warnings = validate_step("injectate", injectate(typed("bupivacaine", "0.5 %", "7.5", "1.5"),
                                                            typed("triamcinolone", "40", "40", "1")), LEFT)
    assert errors == {} and warnings == []


def test_more_than_five_ml_in_a_joint_is_stopped_next_to_the_volume_naming_it_and_the_usual_range():
    assert MAX_CONFIRMED_INJECTATE_ML_PER_SIDE == 2 * MAX_INJECTATE_ML_PER_SIDE == Decimal(5)
    # 20 mL typed for 2.0 mL of 1% lidocaine (the dose typed to match): the volume is the only clue.
    errors, warnings = validate_step("injectate", injectate(typed("lidocaine", "10", "200", "20")), LEFT)
    assert errors["rows-0-volume_ml"] == (
        "20.0 mL in total is far more than an SI joint holds (about 0.6–2.5 mL; more than 5 mL is asked about). "
        "Correct it, or confirm it below with the reason.")
    assert "rows-0-dose_mg" in errors, "200 mg of lidocaine is above its maximum of 100 mg too"
    assert errors["strength_reason"].startswith("Not saved: a strength, dose or volume outside the usual range")
    assert warnings == []


def test_five_ml_is_warned_but_not_stopped_and_the_rows_count_together():
    errors, warnings = validate_step("injectate", injectate(typed("bupivacaine", "2.5", "7.5", "3"),
                                                            typed("triamcinolone", "40", "80", "2")), LEFT)
    assert errors == {}
    assert warnings[0] == "Left side: 5.0 mL in total is more than the joint usually holds (about 0.6–2.5 mL)."
    errors, _ = validate_step("injectate", injectate(typed("bupivacaine", "2.5", "7.5", "3"),
                                                      typed("triamcinolone", "40", "84", "2.1")), LEFT)
    assert set(errors) == {"rows-1-volume_ml", "strength_reason"}, "said on the row that took it over 5 mL"
    assert errors["rows-1-volume_ml"].startswith("5.1 mL in total is far more than an SI joint holds")


def test_a_local_anaesthetic_above_its_maximum_is_stopped_on_the_dose_its_rows_together():
    errors, _ = validate_step("injectate", injectate(typed("bupivacaine", "5", "500", "100")), LEFT)
    assert errors["rows-0-dose_mg"] == (
        "Bupivacaine 500 mg is above the usual maximum of 25 mg per SI joint. Correct it, or confirm it below with "
        "the reason.")
    assert errors["rows-0-volume_ml"].startswith("100.0 mL in total is far more than an SI joint holds")
    # Two rows of 2% lidocaine, 2.5 mL each: 100 mg is the maximum, 104 mg is over it (said on the second row).
    assert validate_step("injectate", injectate(typed("lidocaine", "20", "50", "2.5"),
                                                typed("lidocaine", "20", "50", "2.5")), LEFT)[0] == {}
    errors, _ = validate_step("injectate", injectate(typed("lidocaine", "20", "50", "2.5"),
                                                      typed("lidocaine", "20", "54", "2.7")), LEFT)
    assert errors["rows-1-dose_mg"].startswith("Lidocaine 104 mg is above the usual maximum of 100 mg per SI joint.")
    assert "rows-0-dose_mg" not in errors


def test_a_large_volume_and_dose_confirmed_with_a_reason_are_saved_with_both_noted():
    errors, warnings = validate_step("injectate", injectate(
        typed("bupivacaine", "5", "500", "100"), strength_confirmed=True, strength_reason="Test of the record"), LEFT)
    assert errors == {}
    assert warnings[:2] == [
        "Confirmed outside the formulary: Bupivacaine 500 mg is above the usual maximum of 25 mg per SI joint. "
        "Reason: Test of the record",
        "Confirmed outside the formulary: 100.0 mL in total is far more than an SI joint holds (about 0.6–2.5 mL; "
        "more than 5 mL is asked about). Reason: Test of the record"]


COMBINED = ("Lidocaine 80 mg (80 % of its maximum) and bupivacaine 20 mg (80 %) together reach 160 % of the local "
            "anaesthetic maximum for one joint: their toxicity adds up, so together they are above the usual maximum.")


def test_two_local_anaesthetics_each_within_its_maximum_are_stopped_together_on_the_last_ones_dose():
    errors, _ = validate_step("injectate", injectate(typed("lidocaine", "20", "80", "4"),
                                                      typed("bupivacaine", "5", "20", "4")), LEFT)
    assert errors["rows-1-dose_mg"] == f"{COMBINED} Correct it, or confirm it below with the reason."
    assert "rows-0-dose_mg" not in errors
    assert errors["strength_reason"].startswith("Not saved: a strength, dose or volume outside the usual range")


def test_local_anaesthetics_at_exactly_their_combined_maximum_save_and_just_above_are_stopped():
    # 2.5 mL of 2 % lidocaine (50 mg, half its maximum) and 2.5 mL of 0.5 % bupivacaine (12.5 mg, half of its).
    at_maximum = injectate(typed("lidocaine", "20", "50", "2.5"), typed("bupivacaine", "5", "12.5", "2.5"))
    assert validate_step("injectate", at_maximum, LEFT)[0] == {}
    # 50.5 mg read off 2.5 mL of 2 % (within a syringe's reading of 50 mg): 5 mL in all, not more, yet above.
    just_above = injectate(typed("lidocaine", "20", "50.5", "2.5"), typed("bupivacaine", "5", "12.5", "2.5"))
    errors, _ = validate_step("injectate", just_above, LEFT)
    assert set(errors) == {"rows-1-dose_mg", "strength_reason"}
    assert errors["rows-1-dose_mg"].startswith(
        "Lidocaine 50.5 mg (50.5 % of its maximum) and bupivacaine 12.5 mg (50 %) together reach 100.5 % of the local "
        "anaesthetic maximum for one joint")


def test_a_bilateral_case_adds_up_each_joints_local_anaesthetics_on_their_own():
    # 80 mg of lidocaine in the left joint and 20 mg of bupivacaine in the right: each joint is within.
    assert validate_step("injectate", injectate(typed("lidocaine", "20", "80", "4")), BILATERAL, "left")[0] == {}
    assert validate_step("injectate", injectate(typed("bupivacaine", "5", "20", "4")), BILATERAL, "right")[0] == {}
    errors, _ = validate_step("injectate", injectate(typed("lidocaine", "20", "80", "4"),
                                                      typed("bupivacaine", "5", "20", "4")), BILATERAL, "right")
    assert errors["rows-1-dose_mg"].startswith(COMBINED)


def test_local_anaesthetics_above_their_combined_maximum_confirmed_with_a_reason_are_saved_and_noted():
    errors, warnings = validate_step("injectate", injectate(
        typed("lidocaine", "20", "80", "4"), typed("bupivacaine", "5", "20", "4"),
        strength_confirmed=True, strength_reason="Two syringes drawn up on purpose"), LEFT)
    assert errors == {}
    assert warnings[0] == f"Confirmed outside the formulary: {COMBINED} Reason: Two syringes drawn up on purpose"


def test_a_dose_ten_times_the_usual_maximum_is_stopped_on_the_dose():
    errors, _ = validate_step("injectate", injectate(typed("dexamethasone", "10", "100", "10")), LEFT)
    assert errors["rows-0-dose_mg"].startswith(
        "Dexamethasone sodium phosphate 100 mg is ten times or more the usual maximum of 10 mg per SI joint.")


def test_two_rows_of_one_steroid_at_ten_times_its_maximum_together_are_stopped_on_the_dose():
    # 200 mg twice into one joint is 400 mg of triamcinolone: the ten-times stop reads the joint's
    # rows together, as the warning above the maximum does, not each row alone.
    errors, _ = validate_step("injectate", injectate(typed("triamcinolone", "40", "200", "5"),
                                                      typed("triamcinolone", "40", "200", "5")), LEFT)
    assert "rows-0-dose_mg" not in errors
    assert errors["rows-1-dose_mg"].startswith(
        "Triamcinolone acetonide 400 mg is ten times or more the usual maximum of 40 mg per SI joint.")


def test_a_steroid_ten_times_its_maximum_confirmed_with_a_reason_is_noted_once():
    errors, warnings = validate_step("injectate", injectate(
        typed("triamcinolone", "40", "200", "5"), typed("triamcinolone", "40", "200", "5"),
        strength_confirmed=True, strength_reason="Ordered by the attending"), LEFT)
    assert errors == {}
    assert sum("ten times or more" in warning for warning in warnings) == 1


def test_a_concentration_that_is_not_one_is_refused_with_both_units_named():
    errors, _ = validate_step("injectate", injectate(typed("bupivacaine", "half a percent", "5", "1")), LEFT)
    assert errors == {"rows-0-concentration_mg_per_ml":
                      "Enter the concentration in mg/mL (e.g. 5) or as a percentage (e.g. 0.5 %)."}


def test_a_steroid_maximum_edited_by_the_admin_is_the_one_applied():
    edited = {**FORMULARY, "triamcinolone": replace(FORMULARY["triamcinolone"], usual_max_dose_mg=Decimal("80"))}
    assert injectate_warnings({"left": [row(dose="80", volume="2")]}, edited) == []


# --- duration ----------------------------------------------------------------------------------


def test_the_long_procedure_threshold_is_thirty_minutes():
    assert LONG_PROCEDURE_MINUTES == 30


def test_thirty_minutes_exactly_is_not_flagged():
    minutes = duration_minutes(START, START + timedelta(minutes=30))
    assert minutes == 30
    assert not flag_long(minutes)


def test_thirty_one_minutes_is_flagged():
    assert flag_long(duration_minutes(START, START + timedelta(minutes=31)))
    assert duration_flag(31) == "longer than 30 minutes"


@pytest.mark.parametrize("elapsed, minutes", [
    (timedelta(minutes=13, seconds=8), 13), (timedelta(minutes=13, seconds=59), 13),
    (timedelta(minutes=30, seconds=59), 30), (timedelta(minutes=31), 31), (timedelta(seconds=59), 0)])
def test_durations_are_whole_minutes_never_rounded_up(elapsed, minutes):
    assert duration_minutes(START, START + elapsed) == minutes


@pytest.mark.parametrize("seconds, said", [
    (0, "0 s"), (45, "45 s"), (65, "1 min 05 s"), (17 * 60 + 10, "17 min 10 s"), (Decimal("1400.6"), "23 min 20 s"),
    (3599, "59 min 59 s"), (3600, "1 h 00 min"), (3600 + 2 * 60 + 59, "1 h 02 min"), (-3, "0 s")])
def test_elapsed_time_is_said_in_words_never_as_a_clock_time(seconds, said):
    # "Started 17:37 · elapsed 17:10" read as ten past five; "17 min 10 s" cannot be.
    assert elapsed_words(seconds) == said
    assert ":" not in said


def test_thirty_minutes_and_some_seconds_reads_thirty_and_is_not_flagged_like_the_timer_showing_30():
    assert not flag_long(duration_minutes(START, START + timedelta(minutes=30, seconds=59)))


def test_the_short_procedure_threshold_is_five_minutes():
    assert SHORT_PROCEDURE_MINUTES == 5


def test_under_five_minutes_is_flagged_short_and_five_is_not():
    assert flag_short(duration_minutes(START, START + timedelta(minutes=4, seconds=59)))
    assert duration_flag(4) == "shorter than 5 minutes"
    assert not flag_short(5) and duration_flag(5) == ""
    assert duration_flag(30) == "" and duration_flag(None) == ""


def test_an_end_before_the_start_is_refused():
    with pytest.raises(ValueError):
        duration_minutes(START, START - timedelta(minutes=1))


# --- billing -----------------------------------------------------------------------------------


@pytest.mark.parametrize("side", ["left", "right"])
def test_a_unilateral_injection_bills_27096_without_a_modifier(side):
    assert [str(code) for code in billing_codes(side, facility=False)] == ["27096"]


def test_a_bilateral_injection_bills_27096_with_modifier_50():
    (code,) = billing_codes("bilateral", facility=False)
    assert (code.system, code.code, code.modifier, str(code)) == ("CPT", "27096", "50", "27096-50")


def test_a_facility_claim_uses_g0260():
    assert [str(code) for code in billing_codes("left", facility=True)] == ["G0260"]
    assert [str(code) for code in billing_codes("bilateral", facility=True)] == ["G0260-50"]
    assert billing_codes("left", facility=True)[0].system == "HCPCS"


def test_ct_guidance_bills_the_same_code_and_ultrasound_suggests_none():
    assert [str(code) for code in billing_codes("left", facility=False, guidance="ct")] == ["27096"]
    assert billing_codes("left", facility=False, guidance="ultrasound") == ()


def test_a_physician_office_files_only_the_physicians_claim():
    found = claims("bilateral", "office")
    assert {claim: [str(c) for c in codes] for claim, codes in found.items()} == {"Professional claim": ["27096-50"]}


def test_a_facility_files_g0260_besides_the_physicians_27096():
    found = claims("left", "facility")
    assert {claim: [str(c) for c in codes] for claim, codes in found.items()} == {
        "Professional claim": ["27096"], "Facility claim": ["G0260"]}
    assert claims("left", "facility", guidance="ultrasound") == {"Professional claim": (), "Facility claim": ()}


def test_an_unknown_billing_setting_is_refused():
    with pytest.raises(ValueError):
        claims("left", "hospital")


# --- allergies documented on the risk screen ---------------------------------------------------

def allergic(*codes, premedication=False):
    return ChecklistContext(side="left", contrast_allergy=ALLERGY_CONTRAST in codes, allergies=frozenset(codes),
                            contrast_premedication_planned=premedication)


IOHEXOL = {"agent": "iohexol", "volume_ml": "0.5", "arthrogram_pattern": "intra_articular_cephalad",
           "vascular_uptake": False}


def test_an_iodinated_contrast_agent_for_a_contrast_allergic_patient_with_premedication_is_warned():
    contrast = IOHEXOL
    errors, warnings = validate_step("contrast", contrast, allergic(ALLERGY_CONTRAST, premedication=True))
    assert not errors
    assert warnings == ["Documented iodinated contrast allergy: Iohexol (Omnipaque) was chosen. "
                        "Confirm premedication or choose another agent."]
    assert validate_step("contrast", {**contrast, "agent": "gadobutrol"}, allergic(ALLERGY_CONTRAST)) == ({}, [])
    assert validate_step("contrast", contrast, allergic()) == ({}, [])


def test_iodinated_contrast_against_an_allergy_with_no_premedication_needs_a_confirmation_with_a_reason():
    unprepared = allergic(ALLERGY_CONTRAST)

    errors, _ = validate_step("contrast", IOHEXOL, unprepared)

    assert errors["agent"] == ("Documented iodinated contrast allergy, and the risk screen plans no premedication: "
                               "Iohexol (Omnipaque) is iodinated. Choose a gadolinium agent or omit contrast, or "
                               "confirm it below with the reason.")
    assert "contrast_allergy_reason" in errors
    tick_alone = {**IOHEXOL, "contrast_allergy_confirmed": True, "contrast_allergy_reason": " "}
    assert "agent" in validate_step("contrast", tick_alone, unprepared)[0], "a tick alone is not a reason"

    confirmed = {**tick_alone, "contrast_allergy_reason": "Gadolinium unavailable; mild rash in 2019 only"}
    assert validate_step("contrast", confirmed, unprepared) == ({}, [
        "Confirmed against a documented contrast allergy: Documented iodinated contrast allergy with no "
        "premedication planned; Iohexol (Omnipaque) given. Reason: Gadolinium unavailable; mild rash in 2019 only"])
    assert validate_step("contrast", {**IOHEXOL, "agent": "gadobutrol"}, unprepared) == ({}, [])


def test_povidone_iodine_against_an_iodine_allergy_is_saved_only_when_confirmed_with_a_reason():
    prep = {"prep_agent": "povidone_iodine", "sterile_drape": True, "local_skin_anaesthetic": "not_used"}
    iodine = allergic(ALLERGY_IODINE)

    errors, warnings = validate_step("skin_prep", prep, iodine)

    assert errors == {
        "prep_agent": "Documented iodine / povidone-iodine allergy: Povidone-iodine 10% chosen. Choose "
                      "Chlorhexidine 2% in 70% isopropyl alcohol instead, or confirm below that you have reviewed "
                      "the allergy, with the reason.",
        "allergy_reason": "Not saved: Documented iodine / povidone-iodine allergy: Povidone-iodine 10% chosen. Tick "
                          "that you have reviewed the allergy and proceed, and give the reason, or choose another "
                          "agent."}
    assert warnings == []
    tick_alone = {**prep, "allergy_confirmed": True, "allergy_reason": " "}
    assert "prep_agent" in validate_step("skin_prep", tick_alone, iodine)[0], "a tick alone is not a reason"
    confirmed = {**prep, "allergy_confirmed": True, "allergy_reason": "Chlorhexidine allergy too; iodine rash only"}
    assert validate_step("skin_prep", confirmed, iodine) == ({}, [
        "Confirmed against a documented allergy: Documented iodine / povidone-iodine allergy: Povidone-iodine 10% "
        "chosen. Allergy reviewed; the physician's decision to proceed. Reason: Chlorhexidine allergy too; iodine "
        "rash only"])
    assert validate_step("skin_prep", {**prep, "prep_agent": "chlorhexidine_alcohol"}, iodine) == ({}, [])
    assert iodine.fields_not_asked("skin_prep") == frozenset(), "the confirmation is asked of her"
    assert validate_step("skin_prep", prep, allergic()) == ({}, []), "no iodine allergy: nothing asked"


def test_povidone_iodine_with_local_skin_anaesthetic_against_both_allergies_is_one_stop_said_at_each_field():
    prep = {"prep_agent": "povidone_iodine", "sterile_drape": True, "local_skin_anaesthetic": "used"}
    errors, _ = validate_step("skin_prep", prep, allergic(ALLERGY_IODINE, ALLERGY_LOCAL_ANAESTHETIC))
    assert errors.keys() == {"prep_agent", "local_skin_anaesthetic", "allergy_reason"}


def test_the_alternative_to_povidone_iodine_is_a_skin_prep_agent_the_formulary_offers():
    no_chlorhexidine = {code: entry for code, entry in allergic().formulary.items() if "chlorhexidine" not in code}
    context = ChecklistContext(side="left", allergies=frozenset({ALLERGY_IODINE}), formulary=no_chlorhexidine)
    prep = {"prep_agent": "povidone_iodine", "sterile_drape": True, "local_skin_anaesthetic": "not_used"}
    assert validate_step("skin_prep", prep, context)[0]["prep_agent"].startswith(
        "Documented iodine / povidone-iodine allergy: Povidone-iodine 10% chosen. Choose another agent, or confirm")


def test_an_iodine_allergy_is_no_cross_reaction_with_iodinated_contrast():
    # ACR Manual on Contrast Media: an "iodine", shellfish or povidone-iodine allergy says nothing of contrast.
    assert validate_step("contrast", IOHEXOL, allergic(ALLERGY_IODINE)) == ({}, [])
    assert allergic(ALLERGY_IODINE).fields_not_asked("contrast") == CONTRAST_ALLERGY_FIELDS


def test_a_local_anaesthetic_or_steroid_against_its_allergy_is_saved_only_when_confirmed_with_a_reason():
    rows = {"rows": [{"drug": "bupivacaine", "concentration_mg_per_ml": "2.5", "dose_mg": "2.5", "volume_ml": "1",
                      "lot_number": "B1"},
                     {"drug": "triamcinolone", "concentration_mg_per_ml": "40", "dose_mg": "40", "volume_ml": "1",
                      "lot_number": "T1"}]}
    both = allergic(ALLERGY_LOCAL_ANAESTHETIC, ALLERGY_STEROID)

    errors, warnings = validate_step("injectate", rows, both)

    assert errors["rows-0-drug"].startswith("Documented local anaesthetic allergy: Bupivacaine chosen. ")
    assert errors["rows-1-drug"].startswith("Documented steroid allergy: Triamcinolone acetonide chosen. ")
    assert errors["allergy_reason"].startswith("Not saved: Documented local anaesthetic allergy: Bupivacaine "
                                               "chosen. Documented steroid allergy: Triamcinolone acetonide chosen.")
    assert "premedication" not in " ".join(errors.values())
    tick_alone = {**rows, "allergy_confirmed": True, "allergy_reason": " "}
    assert "allergy_reason" in validate_step("injectate", tick_alone, both)[0], "a tick alone is not a reason"

    confirmed = {**rows, "allergy_confirmed": True, "allergy_reason": "2019 reaction was vasovagal"}
    assert validate_step("injectate", confirmed, both) == ({}, [
        "Confirmed against a documented allergy: Documented local anaesthetic allergy: Bupivacaine chosen. "
        "Allergy reviewed; the physician's decision to proceed. Reason: 2019 reaction was vasovagal",
        "Confirmed against a documented allergy: Documented steroid allergy: Triamcinolone acetonide chosen. "
        "Allergy reviewed; the physician's decision to proceed. Reason: 2019 reaction was vasovagal"])
    assert validate_step("injectate", rows, allergic()) == ({}, []), "no allergy: nothing asked"
    assert validate_step("injectate", rows, allergic(ALLERGY_STEROID))[0].keys() == {"rows-1-drug", "allergy_reason"}

    prep = {"prep_agent": "chlorhexidine_alcohol", "sterile_drape": True, "local_skin_anaesthetic": "used"}
    errors, _ = validate_step("skin_prep", prep, allergic(ALLERGY_LOCAL_ANAESTHETIC))
    assert errors["local_skin_anaesthetic"].startswith(
        "Documented local anaesthetic allergy: local skin anaesthetic chosen. Choose another agent")
    assert validate_step("skin_prep", {**prep, "allergy_confirmed": True, "allergy_reason": "ester allergy; lidocaine "
                                       "is an amide"}, allergic(ALLERGY_LOCAL_ANAESTHETIC)) == ({}, [
        "Confirmed against a documented allergy: Documented local anaesthetic allergy: local skin anaesthetic "
        "chosen. Allergy reviewed; the physician's decision to proceed. Reason: ester allergy; lidocaine is an amide"])
    assert validate_step("skin_prep", {**prep, "local_skin_anaesthetic": "not_used"},
                         allergic(ALLERGY_LOCAL_ANAESTHETIC)) == ({}, [])
    assert validate_step("skin_prep", prep, allergic()) == ({}, [])


# --- where the page goes after a save ---------------------------------------------------------

BOXES = [("sign_in", None), ("time_out", None), ("contrast", "left"), ("contrast", "right"), ("sign_out", None)]


def test_after_a_save_the_next_open_box_after_it_is_shown():
    assert next_open(BOXES, {("contrast", "right"), ("sign_out", None)}, ("contrast", "left")) == ("contrast", "right")


def test_a_box_saved_part_filled_stays_in_view():
    assert next_open(BOXES, {("time_out", None), ("sign_out", None)}, ("time_out", None)) == ("time_out", None)


def test_with_nothing_open_after_it_the_first_open_box_from_the_top_is_shown():
    assert next_open(BOXES, {("sign_in", None)}, ("sign_out", None)) == ("sign_in", None)


def test_with_every_box_done_there_is_no_next_box():
    assert next_open(BOXES, set(), ("sign_out", None)) is None


def test_the_local_skin_anaesthetic_is_an_answer_either_way_and_an_old_tick_reads_as_used():
    from tracker.procedures.rules.values import saved_answers

    assert missing_fields("skin_prep", {**SKIN_PREP, "local_skin_anaesthetic": "not_used"}) == []
    assert missing_fields("skin_prep", {**SKIN_PREP, "local_skin_anaesthetic": None}) == ["Local skin anaesthetic"]
    assert saved_answers("skin_prep", {**SKIN_PREP, "local_skin_anaesthetic": True}) == SKIN_PREP
    assert "local_skin_anaesthetic" not in saved_answers("skin_prep", {**SKIN_PREP, "local_skin_anaesthetic": False})
    assert "local_skin_anaesthetic" in errors("skin_prep", {**SKIN_PREP, "local_skin_anaesthetic": "sometimes"})

"""The code vocabularies: the referral's ICD-10-CM list, the clinic's additions, and the standard
codes exported (each as its publisher spells it)."""
import pytest

from tracker import coding
from tracker.vocab import Side


def test_the_built_in_diagnoses_are_icd10cm_codes_for_the_si_joint_and_never_m53_3():
    codes = {c.code for c in coding.DIAGNOSES}
    assert {"M46.1", "S33.6XXA", "M53.2X8", "M47.818"} <= codes
    assert not any(code.startswith("M53.3") for code in codes)
    assert {c.system for c in coding.DIAGNOSES} == {"http://hl7.org/fhir/sid/icd-10-cm"}


def test_a_clinic_adds_codes_in_the_setting_and_keeps_the_built_in_ones():
    codes = coding.clinic_diagnosis_codes(" m54.59 = Other low back pain ; M46.1=Sacroiliitis (clinic wording)")
    by_code = {c.code: c.display for c in codes}
    assert by_code["M54.59"] == "Other low back pain"
    assert by_code["M46.1"] == "Sacroiliitis (clinic wording)"
    assert "S33.6XXA" in by_code


@pytest.mark.parametrize("setting,message", [
    ("M53.3=Sacrococcygeal disorders", "sacrococcygeal disorder, not the sacroiliac joint"),
    ("SI-JOINT=Sacroiliac", "not an ICD-10-CM code"),
    ("M46.1", "needs the form CODE=Display"),
])
def test_a_clinic_code_that_is_malformed_or_not_the_si_joint_is_refused(setting, message):
    with pytest.raises(coding.BadDiagnosisCode, match=message):
        coding.clinic_diagnosis_codes(setting)


def test_a_bad_clinic_code_stops_the_app_from_starting():
    from config import TestingConfig
    from tracker import create_app

    with pytest.raises(coding.BadDiagnosisCode):
        create_app(TestingConfig, DIAGNOSIS_CODES="M53.3=Coccygodynia")


def test_body_site_laterality_pain_and_billing_codes_are_the_standard_ones():
    assert (coding.SI_JOINT.system, coding.SI_JOINT.code) == ("http://snomed.info/sct", "39723000")
    assert {side: c.code for side, c in coding.LATERALITY.items()} == {
        Side.LEFT: "7771000", Side.RIGHT: "24028007", Side.BILATERAL: "51440002"}
    assert (coding.PAIN_SCORE.system, coding.PAIN_SCORE.code) == ("http://loinc.org", "72514-3")
    assert coding.CPT_BILATERAL_MODIFIER.code == "50"


def test_the_trackers_own_concepts_use_its_own_system_never_a_standard_one():
    own = [coding.OSWESTRY_INDEX, coding.ELIGIBILITY_VERDICT, coding.OUTCOME, coding.SI_JOINT_INJECTION,
           coding.provocation_test("thigh_thrust", "Thigh thrust"), coding.criterion("caps", "Caps")]
    assert {c.system for c in own} == {coding.TRACKER_SYSTEM}
    assert coding.provocation_test("thigh_thrust", "Thigh thrust").code == "provocation-thigh-thrust"

from datetime import date, timedelta

import pytest

from tracker.clinical import (
    MIN_ODI_SECTIONS,
    PROVOCATION_TESTS,
    THERAPY_KINDS,
    failed_conservative_care_days,
    failed_conservative_care_weeks,
    oswestry_band,
    oswestry_index,
    percent_relief,
    positive_provocation_count,
)
from tracker.policy import TherapyFact

AS_OF = date(2024, 6, 30)


def therapy(kind="physical_therapy", start=date(2024, 6, 1), end=None, response="none"):
    return TherapyFact(kind=kind, start=start, end=end, response=response)


# --- conservative care -----------------------------------------------------------------------


def test_a_course_counts_its_first_and_last_day():
    course = therapy(start=date(2024, 5, 1), end=date(2024, 5, 28))
    assert failed_conservative_care_days([course], AS_OF) == 28


def test_a_single_day_course_counts_one_day():
    assert failed_conservative_care_days([therapy(start=date(2024, 5, 1), end=date(2024, 5, 1))], AS_OF) == 1


def test_overlapping_courses_are_not_double_counted():
    physio = therapy("physical_therapy", date(2024, 5, 1), date(2024, 5, 20))
    tablets = therapy("medication", date(2024, 5, 10), date(2024, 5, 28))
    assert failed_conservative_care_days([physio, tablets], AS_OF) == 28


def test_a_course_inside_another_adds_nothing():
    long_course = therapy("medication", date(2024, 5, 1), date(2024, 5, 28))
    short_course = therapy("massage", date(2024, 5, 5), date(2024, 5, 6))
    assert failed_conservative_care_days([long_course, short_course], AS_OF) == 28


def test_back_to_back_courses_add_up():
    first = therapy("medication", date(2024, 5, 1), date(2024, 5, 14))
    second = therapy("physical_therapy", date(2024, 5, 15), date(2024, 5, 28))
    assert failed_conservative_care_days([first, second], AS_OF) == 28


def test_separate_courses_count_only_the_days_treated():
    first = therapy("medication", date(2024, 3, 1), date(2024, 3, 10))
    second = therapy("physical_therapy", date(2024, 5, 1), date(2024, 5, 10))
    assert failed_conservative_care_days([first, second], AS_OF) == 20


def test_ongoing_therapy_counts_up_to_the_evaluation_day():
    ongoing = therapy(start=AS_OF - timedelta(days=27), end=None)
    assert failed_conservative_care_days([ongoing], AS_OF) == 28


def test_days_after_the_evaluation_day_do_not_count():
    planned = therapy(start=AS_OF - timedelta(days=9), end=AS_OF + timedelta(days=30))
    not_started = therapy(start=AS_OF + timedelta(days=1), end=AS_OF + timedelta(days=40))
    assert failed_conservative_care_days([planned, not_started], AS_OF) == 10


def test_therapy_that_helped_or_has_no_recorded_response_is_not_failed_care():
    helped = therapy(start=date(2024, 5, 1), end=date(2024, 5, 28), response="good")
    unrecorded = therapy(start=date(2024, 5, 1), end=date(2024, 5, 28), response=None)
    partial = therapy(start=date(2024, 6, 1), end=date(2024, 6, 3), response="partial")
    assert failed_conservative_care_days([helped, unrecorded, partial], AS_OF) == 3


def test_a_look_back_window_cuts_off_older_days():
    straddling = therapy(start=date(2024, 6, 1), end=date(2024, 6, 20))
    assert failed_conservative_care_days([straddling], AS_OF, since=date(2024, 6, 11)) == 10


def test_a_course_ending_before_it_starts_is_refused():
    with pytest.raises(ValueError, match="ends"):
        failed_conservative_care_days([therapy(start=date(2024, 5, 10), end=date(2024, 5, 1))], AS_OF)


def test_weeks_are_days_divided_by_seven():
    course = therapy(start=date(2024, 5, 1), end=date(2024, 5, 27))
    assert failed_conservative_care_weeks([course], AS_OF) == pytest.approx(27 / 7)


def test_every_therapy_kind_the_design_names_is_offered_once_with_a_label():
    values = [value for value, _ in THERAPY_KINDS]
    assert values == [
        "rest", "ice_heat", "physical_therapy", "home_exercise", "medication", "massage", "chiropractic", "cbt", "other"
    ]
    assert all(label for _, label in THERAPY_KINDS)


# --- Oswestry ----------------------------------------------------------------------------------


def test_oswestry_index_is_sum_over_five_times_answered_sections():
    assert oswestry_index([2] * 10) == pytest.approx(40.0)
    assert oswestry_index([5] * 10) == pytest.approx(100.0)
    assert oswestry_index([0] * 10) == 0


def test_oswestry_with_seven_answered_sections_has_no_index():
    assert oswestry_index([3] * 7 + [None] * 3) is None


def test_oswestry_with_eight_answered_sections_leaves_the_rest_out_of_the_denominator():
    assert MIN_ODI_SECTIONS == 8
    assert oswestry_index([1, 2, 3, 4, 5, 0, 1, 1, None, None]) == pytest.approx(17 / 40 * 100)


@pytest.mark.parametrize("bad", [6, -1, 2.5, True, "3"])
def test_oswestry_section_outside_zero_to_five_is_refused(bad):
    with pytest.raises(ValueError, match="0 to 5"):
        oswestry_index([bad] + [0] * 9)


@pytest.mark.parametrize("count", [9, 11])
def test_oswestry_needs_exactly_ten_sections(count):
    with pytest.raises(ValueError, match="10 sections"):
        oswestry_index([1] * count)


@pytest.mark.parametrize(
    ("index", "band"),
    [
        (0, "minimal"),
        (20, "minimal"),
        (20.1, "moderate"),
        (40, "moderate"),
        (40.1, "severe"),
        (60, "severe"),
        (60.1, "crippled"),
        (80, "crippled"),
        (80.1, "bed-bound"),
        (100, "bed-bound"),
    ],
)
def test_oswestry_band_boundaries_belong_to_the_lower_band(index, band):
    assert oswestry_band(index) == band


@pytest.mark.parametrize("index", [-0.1, 100.1])
def test_oswestry_band_outside_zero_to_hundred_is_refused(index):
    with pytest.raises(ValueError):
        oswestry_band(index)


# --- pain relief -------------------------------------------------------------------------------


def test_relief_is_the_fall_from_baseline_as_a_percentage():
    assert percent_relief(8, 2) == pytest.approx(75.0)
    assert percent_relief(8, 0) == pytest.approx(100.0)
    assert percent_relief(6, 6) == 0


def test_relief_is_negative_when_pain_rises():
    assert percent_relief(4, 6) == pytest.approx(-50.0)


def test_relief_from_a_baseline_of_zero_is_undefined():
    assert percent_relief(0, 0) is None
    assert percent_relief(0, 3) is None


def test_relief_with_a_missing_score_is_undefined():
    assert percent_relief(None, 3) is None
    assert percent_relief(7, None) is None


@pytest.mark.parametrize(("baseline", "score"), [(11, 2), (5, -1)])
def test_pain_scores_outside_zero_to_ten_are_refused(baseline, score):
    with pytest.raises(ValueError, match="0 to 10"):
        percent_relief(baseline, score)


# --- provocation tests -------------------------------------------------------------------------


def test_provocation_count_counts_only_positive_tests():
    results = {
        "faber": "positive",
        "gaenslen": "negative",
        "thigh_thrust": "positive",
        "compression": "not_done",
        "distraction": "positive",
    }
    assert positive_provocation_count(results) == 3


def test_provocation_count_of_no_tests_is_zero():
    assert positive_provocation_count({}) == 0


def test_all_six_design_tests_are_known():
    assert [test for test, _ in PROVOCATION_TESTS] == [
        "faber", "gaenslen", "thigh_thrust", "compression", "distraction", "yeoman"
    ]
    assert positive_provocation_count({test: "positive" for test, _ in PROVOCATION_TESTS}) == 6


def test_an_unknown_provocation_test_is_refused():
    with pytest.raises(ValueError, match="unknown provocation test"):
        positive_provocation_count({"slump": "positive"})


def test_an_unknown_provocation_result_is_refused():
    with pytest.raises(ValueError, match="positive, negative or not_done"):
        positive_provocation_count({"faber": "yes"})


def test_the_oswestry_questionnaire_has_ten_sections_of_six_statements_each():
    from tracker.clinical import ODI_MAX_PER_SECTION, ODI_QUESTIONNAIRE, ODI_SECTIONS

    assert len(ODI_QUESTIONNAIRE) == ODI_SECTIONS
    assert all(len(statements) == ODI_MAX_PER_SECTION + 1 for _, statements in ODI_QUESTIONNAIRE)
    assert ODI_QUESTIONNAIRE[0][1][0] == "I have no pain at the moment."

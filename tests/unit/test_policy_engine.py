import json
from datetime import date, datetime, timedelta, timezone

import pytest

from tracker.diary.relief import Reading, percent_relief, therapeutic_duration
from tracker.diary.schedule import Phase, describes_hours, due_times, schedule_for

from tracker.policy import (
    DEFAULT_PROFILE_CODE,
    PROFILES,
    CaseFacts,
    CriterionCode,
    PriorInjection,
    Status,
    TherapyFact,
    evaluate,
    get_profile,
)

AS_OF = date(2024, 6, 15)
MEDICARE = PROFILES["MEDICARE_LCD_2023"]
EVICORE = PROFILES["EVICORE_CMM_203"]
MP_558 = PROFILES["MP_558"]
CAM = PROFILES["CAM_770HB"]
ALL_PROFILES = pytest.mark.parametrize("profile", list(PROFILES.values()), ids=list(PROFILES))

MET, NOT_MET, UNKNOWN = Status.MET, Status.NOT_MET, Status.UNKNOWN


def failed_course(kind, days, ending=AS_OF, response="none"):
    """A course of ``days`` calendar days (both ends included) that ended on ``ending``."""
    return TherapyFact(kind=kind, start=ending - timedelta(days=days - 1), end=ending, response=response)


def case(**changes):
    """A case that meets every criterion of every profile for a left diagnostic block."""
    facts = {
        "as_of": AS_OF,
        "side": "left",
        "indication": "diagnostic",
        "symptom_onset": date(2023, 6, 1),
        "pain_below_l5": True,
        "radicular_signs": False,
        "positive_tests_by_side": {"left": 4, "right": 4},
        "baseline_nrs": 7,
        "odi": 42.0,
        "therapies": (failed_course("medication", 100), failed_course("physical_therapy", 100)),
        "ongoing_active_rehab": True,
        "red_flags_screened": True,
        "red_flags_present": False,
    }
    facts.update(changes)
    return CaseFacts(**facts)


def injection(days_ago, indication="diagnostic", side="left", **details):
    return PriorInjection(
        performed_on=AS_OF - timedelta(days=days_ago), side=side, indication=indication, **details
    )


# A positive diagnostic and confirmatory pair: enough for a first therapeutic injection anywhere.
POSITIVE_BLOCKS = (
    injection(40, "diagnostic", peak_relief_percent=90.0),
    injection(30, "confirmatory", peak_relief_percent=90.0),
)


def criterion(facts, profile=MEDICARE, prior=(), code=None):
    matches = [c for c in evaluate(facts, prior, profile).criteria if c.code == code]
    assert len(matches) <= 1
    return matches[0] if matches else None


def status(facts, profile=MEDICARE, prior=(), code=None):
    return criterion(facts, profile, prior, code).status


def months_before(day, months):
    """Same day of an earlier month; the tests only use mid-month days."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    return day.replace(year=year, month=month + 1)


# --- whole verdicts ----------------------------------------------------------------------------


@ALL_PROFILES
@pytest.mark.parametrize("side", ["left", "right", "bilateral"])
def test_a_complete_diagnostic_case_is_eligible_under_every_profile(profile, side):
    verdict = evaluate(case(side=side), [], profile)
    assert verdict.eligible, verdict.waiting_for()
    assert verdict.waiting_for() == []


@ALL_PROFILES
def test_a_first_therapeutic_injection_after_positive_blocks_is_eligible_under_every_profile(profile):
    verdict = evaluate(case(indication="therapeutic"), POSITIVE_BLOCKS, profile)
    assert verdict.eligible, verdict.waiting_for()


@ALL_PROFILES
def test_a_case_with_nothing_recorded_is_unknown_never_eligible(profile):
    verdict = evaluate(CaseFacts(as_of=AS_OF, side="left", indication="diagnostic"), [], profile)
    assert not verdict.eligible
    statuses = {c.code: c.status for c in verdict.criteria}
    for code in (
        CriterionCode.PAIN_DURATION,
        CriterionCode.PAIN_LOCATION,
        CriterionCode.PROVOCATION_TESTS,
        CriterionCode.CONSERVATIVE_CARE_DURATION,
        CriterionCode.OTHER_CAUSES_EXCLUDED,
    ):
        assert statuses[code] == UNKNOWN
    assert all(verdict.waiting_for())


def test_one_unmet_criterion_makes_the_case_not_eligible_and_is_listed_as_waiting():
    verdict = evaluate(case(positive_tests_by_side={"left": 2}), [], MEDICARE)
    assert not verdict.eligible
    assert verdict.waiting_for() == ["2 of 3 positive tests (left)"]


def test_verdict_snapshot_is_json_with_every_criterion_and_its_source():
    verdict = evaluate(case(radicular_signs=None), [], MEDICARE)
    snapshot = json.loads(json.dumps(verdict.as_dict()))
    assert snapshot["profile_code"] == "MEDICARE_LCD_2023"
    assert snapshot["profile_version"] == MEDICARE.version
    assert snapshot["as_of"] == "2024-06-15"
    assert snapshot["side"] == "left"
    assert snapshot["eligible"] is False
    location = next(c for c in snapshot["criteria"] if c["code"] == "pain_location")
    assert location["status"] == "unknown"
    assert "radicular signs: not recorded" in location["evidence"]
    assert all("L39455" in c["source"] and "2023-03-19" in c["source"] for c in snapshot["criteria"])


def test_injections_after_the_evaluated_day_are_ignored():
    later = [injection(-1), injection(-2)]
    assert status(case(), MEDICARE, later, CriterionCode.DIAGNOSTIC_CAP) == MET


# --- profiles ----------------------------------------------------------------------------------


def test_default_profile_is_the_medicare_lcd_with_the_design_numbers():
    profile = get_profile()
    assert profile.code == DEFAULT_PROFILE_CODE == "MEDICARE_LCD_2023"
    assert profile.effective_date == date(2023, 3, 19)
    assert (profile.min_pain_months, profile.min_positive_tests, profile.tests_counted) == (3, 3, 6)
    assert profile.min_conservative_care_days == 28
    assert [(c.name, c.min_days) for c in profile.conservative_care.components] == [
        ("medication trial", 14), ("active therapy", 14)]
    assert (profile.max_diagnostic_per_12m, profile.max_therapeutic_per_12m) == (2, 4)
    assert profile.diagnostic_relief_threshold_percent == 75
    assert (profile.repeat_relief_threshold_percent, profile.repeat_relief_min_days) == (50, 90)


def test_an_unknown_profile_code_is_refused_by_name():
    with pytest.raises(KeyError, match="unknown policy profile 'AETNA'"):
        get_profile("AETNA")


@ALL_PROFILES
def test_every_profile_cites_a_source_for_every_criterion_it_reports(profile):
    scenarios = [
        (case(side="bilateral", indication=indication), prior)
        for indication in ("diagnostic", "confirmatory", "therapeutic")
        for prior in ((), POSITIVE_BLOCKS + (injection(100, "therapeutic", side="bilateral"),))
    ]
    for facts, prior in scenarios:
        for reported in evaluate(facts, prior, profile).criteria:
            assert reported.source.startswith(profile.document_id)
            assert reported.label


# --- pain duration -----------------------------------------------------------------------------


@ALL_PROFILES
def test_pain_for_exactly_the_minimum_months_is_met_and_a_day_less_is_not(profile):
    onset = months_before(AS_OF, profile.min_pain_months)
    assert status(case(symptom_onset=onset), profile, code=CriterionCode.PAIN_DURATION) == MET
    one_day_short = case(symptom_onset=onset + timedelta(days=1))
    assert status(one_day_short, profile, code=CriterionCode.PAIN_DURATION) == NOT_MET


def test_pain_from_a_month_end_counts_through_a_shorter_months_last_day():
    onset = date(2023, 11, 30)
    assert status(case(as_of=date(2024, 2, 29), symptom_onset=onset), code=CriterionCode.PAIN_DURATION) == MET
    assert status(case(as_of=date(2024, 2, 28), symptom_onset=onset), code=CriterionCode.PAIN_DURATION) == NOT_MET


def test_pain_short_of_the_months_names_the_day_they_are_reached():
    """"pain 2 of 3 months" on the worklist left the coordinator counting months to know when to
    evaluate again; the shortfall names the first day the criterion is met, month ends clamped."""
    onset = date(2023, 11, 30)
    short = criterion(case(as_of=date(2024, 2, 10), symptom_onset=onset), code=CriterionCode.PAIN_DURATION)
    assert short.shortfall == "pain 2 of 3 months, enough on 2024-02-29"
    assert status(case(as_of=date(2024, 2, 29), symptom_onset=onset), code=CriterionCode.PAIN_DURATION) == MET


def test_missing_symptom_onset_is_unknown():
    found = criterion(case(symptom_onset=None), code=CriterionCode.PAIN_DURATION)
    assert found.status == UNKNOWN
    assert found.shortfall == "symptom onset date"


# --- pain location -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("below_l5", "radicular", "expected"),
    [
        (True, False, MET),
        (False, False, NOT_MET),
        (True, True, NOT_MET),
        (None, True, NOT_MET),
        (True, None, UNKNOWN),
        (None, False, UNKNOWN),
    ],
)
def test_pain_must_be_below_l5_without_radicular_signs(below_l5, radicular, expected):
    facts = case(pain_below_l5=below_l5, radicular_signs=radicular)
    assert status(facts, code=CriterionCode.PAIN_LOCATION) == expected


# --- pain severity (CAM) -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("nrs", "odi", "expected"),
    [
        (6, None, MET),
        (5, 21.0, MET),
        (None, 21.0, MET),
        (5, 20.0, NOT_MET),
        (5, None, UNKNOWN),
        (None, None, UNKNOWN),
    ],
)
def test_cam_needs_pain_of_six_or_moderate_disability(nrs, odi, expected):
    assert status(case(baseline_nrs=nrs, odi=odi), CAM, code=CriterionCode.PAIN_SEVERITY) == expected


def test_an_oswestry_index_from_nine_sections_is_said_to_one_decimal_as_the_examination_page_says_it():
    """19 points of 45 (one section unanswered) is 42.2222…%: said "42.2%", never "42.2222%"."""
    evidence = criterion(case(baseline_nrs=5, odi=19 / 45 * 100), CAM, code=CriterionCode.PAIN_SEVERITY).evidence
    assert evidence == "pain 5/10, needs 6; or Oswestry 42.2%, needs 21"


def test_profiles_without_a_severity_rule_do_not_report_one():
    assert criterion(case(baseline_nrs=2), MEDICARE, code=CriterionCode.PAIN_SEVERITY) is None


# --- provocation tests -------------------------------------------------------------------------


@ALL_PROFILES
def test_the_minimum_number_of_positive_tests_is_met_and_one_fewer_is_not(profile):
    needed = profile.min_positive_tests
    met = case(positive_tests_by_side={"left": needed})
    assert status(met, profile, code=CriterionCode.PROVOCATION_TESTS) == MET
    short = criterion(case(positive_tests_by_side={"left": needed - 1}), profile, code=CriterionCode.PROVOCATION_TESTS)
    assert short.status == NOT_MET
    assert short.shortfall == f"{needed - 1} of {needed} positive tests (left)"


def test_cam_lists_eight_tests_but_the_count_is_out_of_the_six_examined():
    found = criterion(case(positive_tests_by_side={"left": 3}), CAM, code=CriterionCode.PROVOCATION_TESTS)
    assert found.status == MET
    assert found.evidence == ("3 of 6 tests positive, needs 3 (left); "
                              "the payer lists 8 tests, the clinic examines 6 of them")


def test_tests_count_only_on_the_side_to_be_injected():
    facts = case(side="right", positive_tests_by_side={"left": 6, "right": 2})
    assert status(facts, code=CriterionCode.PROVOCATION_TESTS) == NOT_MET


def test_bilateral_injection_needs_enough_positive_tests_on_each_side():
    found = criterion(
        case(side="bilateral", positive_tests_by_side={"left": 3, "right": 2}), code=CriterionCode.PROVOCATION_TESTS
    )
    assert found.status == NOT_MET
    assert found.shortfall == "2 of 3 positive tests (right)"


def test_bilateral_injection_with_one_side_unexamined_is_unknown():
    facts = case(side="bilateral", positive_tests_by_side={"left": 3, "right": None})
    assert status(facts, code=CriterionCode.PROVOCATION_TESTS) == UNKNOWN


def test_tests_not_done_that_could_still_meet_the_minimum_leave_it_unknown_not_failed():
    """2 positive and 4 not done: the four may yet be positive, so 3 of 6 is still possible."""
    found = criterion(case(positive_tests_by_side={"left": 2}, untested_by_side={"left": 4}),
                      code=CriterionCode.PROVOCATION_TESTS)
    assert found.status == UNKNOWN
    assert found.evidence == "2 of 2 tests done positive (4 not done), needs 3 (left)"
    assert found.shortfall == "provocation tests not done (left: 4)"


def test_tests_not_done_too_few_to_reach_the_minimum_leave_it_not_met():
    """1 positive, 4 negative, 1 not done: even that one positive makes 2 of 3."""
    found = criterion(case(positive_tests_by_side={"left": 1}, untested_by_side={"left": 1}),
                      code=CriterionCode.PROVOCATION_TESTS)
    assert found.status == NOT_MET
    assert found.evidence == "1 of 5 tests done positive (1 not done), needs 3 (left)"
    assert found.shortfall == "1 of 3 positive tests (left)"


def test_the_evidence_counts_out_of_the_tests_done_and_names_those_not_done_whatever_the_answer():
    """Yeoman's test not done, four of the other five positive: met, and the evidence says what was
    done ("4 of 5"), never "4 of 6" as if the sixth had been done and found negative."""
    found = criterion(case(positive_tests_by_side={"left": 4}, untested_by_side={"left": 1}),
                      code=CriterionCode.PROVOCATION_TESTS)
    assert found.status == MET
    assert found.evidence == "4 of 5 tests done positive (1 not done), needs 3 (left)"
    every_test_done = criterion(case(positive_tests_by_side={"left": 4}, untested_by_side={"left": 0}),
                                code=CriterionCode.PROVOCATION_TESTS)
    assert every_test_done.evidence == "4 of 6 tests positive, needs 3 (left)"


# --- conservative care -------------------------------------------------------------------------


@ALL_PROFILES
def test_the_minimum_days_of_failed_care_are_met_and_one_day_fewer_is_not(profile):
    needed = profile.min_conservative_care_days
    enough = (failed_course("medication", needed), failed_course("physical_therapy", needed))
    assert status(case(therapies=enough), profile, code=CriterionCode.CONSERVATIVE_CARE_DURATION) == MET
    short = (failed_course("medication", needed - 1), failed_course("physical_therapy", needed - 1))
    assert status(case(therapies=short), profile, code=CriterionCode.CONSERVATIVE_CARE_DURATION) == NOT_MET


def test_twenty_seven_days_of_care_waits_for_the_fourth_week():
    facts = case(therapies=(failed_course("medication", 27), failed_course("physical_therapy", 27)))
    found = criterion(facts, code=CriterionCode.CONSERVATIVE_CARE_DURATION)
    assert found.evidence == "failed conservative care 27 days, needs 28 days"
    assert found.shortfall == "conservative care 3 of 4 weeks"


def test_overlapping_therapies_do_not_add_up_to_four_weeks():
    tablets = TherapyFact("medication", AS_OF - timedelta(days=26), AS_OF - timedelta(days=7), "none")
    physio = TherapyFact("physical_therapy", AS_OF - timedelta(days=20), AS_OF, "partial")
    assert status(case(therapies=(tablets, physio)), code=CriterionCode.CONSERVATIVE_CARE_DURATION) == NOT_MET


def test_ongoing_therapy_counts_up_to_the_evaluation_day():
    tablets = TherapyFact("medication", AS_OF - timedelta(days=27), None, "partial")
    physio = TherapyFact("physical_therapy", AS_OF - timedelta(days=27), None, "none")
    assert status(case(therapies=(tablets, physio)), code=CriterionCode.CONSERVATIVE_CARE_DURATION) == MET


def test_care_that_helped_does_not_count_as_failed():
    helped = (failed_course("medication", 60, response="good"), failed_course("physical_therapy", 60, response="good"))
    assert status(case(therapies=helped), code=CriterionCode.CONSERVATIVE_CARE_DURATION) == NOT_MET


def test_no_conservative_care_recorded_is_unknown():
    found = criterion(case(therapies=()), code=CriterionCode.CONSERVATIVE_CARE_DURATION)
    assert found.status == UNKNOWN
    assert found.shortfall == "no conservative care recorded"


def test_short_care_with_an_unrecorded_response_is_unknown():
    therapies = (failed_course("medication", 10), failed_course("physical_therapy", 60, response=None))
    found = criterion(case(therapies=therapies), code=CriterionCode.CONSERVATIVE_CARE_DURATION)
    assert found.status == UNKNOWN
    assert "response not recorded for 1" in found.shortfall


def test_cam_counts_only_care_within_its_look_back_window():
    window = CAM.conservative_care_window_days
    old_end = AS_OF - timedelta(days=window)
    old = (failed_course("medication", 60, ending=old_end), failed_course("physical_therapy", 60, ending=old_end))
    found = criterion(case(therapies=old), CAM, code=CriterionCode.CONSERVATIVE_CARE_DURATION)
    assert found.status == NOT_MET
    assert found.evidence.startswith(f"failed conservative care 0 days, needs {CAM.min_conservative_care_days}")
    assert status(case(therapies=old), MEDICARE, code=CriterionCode.CONSERVATIVE_CARE_DURATION) == MET


def test_cam_counts_the_part_of_a_course_inside_the_window():
    window, needed = CAM.conservative_care_window_days, CAM.min_conservative_care_days
    # Ends so that exactly `needed` days fall inside the window, then one day fewer.
    inside_end = AS_OF - timedelta(days=window - needed)
    straddling = (failed_course("medication", 200, ending=inside_end),)
    assert status(case(therapies=straddling), CAM, code=CriterionCode.CONSERVATIVE_CARE_DURATION) == MET
    earlier = (failed_course("medication", 200, ending=inside_end - timedelta(days=1)),)
    assert status(case(therapies=earlier), CAM, code=CriterionCode.CONSERVATIVE_CARE_DURATION) == NOT_MET


@pytest.mark.parametrize(
    ("kinds", "expected", "shortfall"),
    [
        (("medication", "physical_therapy"), MET, ""),
        (("medication", "home_exercise"), MET, ""),
        (("medication", "chiropractic"), MET, ""),
        (("medication", "cbt"), MET, ""),
        (("medication", "massage"), NOT_MET, "active therapy 0 of 14 days"),
        (("physical_therapy", "rest"), NOT_MET, "medication trial 0 of 14 days"),
        (("ice_heat",), NOT_MET, "medication trial 0 of 14 days; active therapy 0 of 14 days"),
    ],
)
def test_medicare_care_must_include_medication_and_an_active_therapy(kinds, expected, shortfall):
    facts = case(therapies=tuple(failed_course(kind, 60) for kind in kinds))
    found = criterion(facts, MEDICARE, code=CriterionCode.CONSERVATIVE_CARE_COMPOSITION)
    assert (found.status, found.shortfall) == (expected, shortfall)


def test_six_weeks_of_rest_with_a_day_of_nsaid_and_a_day_of_physio_does_not_pass_medicare():
    # The case from the clinic: rest does not count towards the weeks, and a single day is not a trial.
    facts = case(therapies=(failed_course("rest", 42), failed_course("medication", 1),
                            failed_course("physical_therapy", 1)))
    duration = criterion(facts, MEDICARE, code=CriterionCode.CONSERVATIVE_CARE_DURATION)
    assert duration.status == NOT_MET
    assert duration.evidence.startswith("failed conservative care 1 days, needs 28 days; left out: rest / "
                                        "activity modification")
    assert "(not a kind this profile counts)" in duration.evidence
    composition = criterion(facts, MEDICARE, code=CriterionCode.CONSERVATIVE_CARE_COMPOSITION)
    assert composition.status == NOT_MET
    assert composition.evidence == ("failed medication trial 1 days, needs 14 days; "
                                    "failed active therapy 1 days, needs 14 days")


@pytest.mark.parametrize("days, expected", [(14, MET), (13, NOT_MET)])
def test_each_medicare_component_needs_its_least_duration(days, expected):
    facts = case(therapies=(failed_course("medication", days), failed_course("physical_therapy", 60)))
    assert status(facts, MEDICARE, code=CriterionCode.CONSERVATIVE_CARE_COMPOSITION) == expected
    facts = case(therapies=(failed_course("medication", 60), failed_course("home_exercise", days)))
    assert status(facts, MEDICARE, code=CriterionCode.CONSERVATIVE_CARE_COMPOSITION) == expected


@ALL_PROFILES
def test_care_that_ended_before_the_symptom_onset_is_left_out_with_its_reason(profile):
    onset = AS_OF - timedelta(days=200)
    earlier = (failed_course("medication", 100, ending=onset - timedelta(days=1)),
               failed_course("physical_therapy", 100, ending=onset - timedelta(days=1)))
    found = criterion(case(symptom_onset=onset, therapies=earlier), profile,
                      code=CriterionCode.CONSERVATIVE_CARE_DURATION)
    assert found.status == NOT_MET
    assert f"(ended before the symptom onset on {onset.isoformat()}: another episode)" in found.evidence
    # Ending on the onset day itself belongs to this episode: that one day counts, the 99 before it do not.
    on_the_day = (failed_course("medication", 100, ending=onset), failed_course("physical_therapy", 100, ending=onset))
    found = criterion(case(symptom_onset=onset, therapies=on_the_day), profile,
                      code=CriterionCode.CONSERVATIVE_CARE_DURATION)
    if profile.conservative_care_window_days is None:
        assert found.evidence.startswith("failed conservative care 1 days, needs ")
        assert found.status == NOT_MET


# The clinic's walkthrough: onset 2026-03-05, evaluated 2026-11-02.
ONSET, LATER = date(2026, 3, 5), date(2026, 11, 2)
PHYSIO = TherapyFact("physical_therapy", date(2026, 10, 1), date(2026, 10, 27), "none")  # 27 days


def course(kind, start, end, response="none"):
    return TherapyFact(kind, start, end, response)


def care(*therapies, profile=MEDICARE, code=CriterionCode.CONSERVATIVE_CARE_DURATION):
    return criterion(case(as_of=LATER, symptom_onset=ONSET, therapies=therapies), profile, code=code)


def test_a_course_after_the_onset_counts_in_full_and_says_nothing_of_the_onset():
    found = care(PHYSIO)
    assert (found.status, found.evidence) == (NOT_MET, "failed conservative care 27 days, needs 28 days")
    from_the_day = care(course("chiropractic", ONSET, date(2026, 3, 6)), PHYSIO)
    assert from_the_day.evidence == "failed conservative care 29 days, needs 28 days"


def test_a_course_wholly_before_the_onset_adds_nothing():
    found = care(course("chiropractic", date(2026, 1, 1), date(2026, 3, 4)), PHYSIO)
    assert found.status == NOT_MET
    assert found.evidence.startswith("failed conservative care 27 days, needs 28 days; left out: chiropractic / "
                                     "manipulation 2026-01-01 to 2026-03-04 (ended before the symptom onset on "
                                     "2026-03-05")


def test_a_course_that_began_before_the_onset_counts_only_its_days_on_or_after_the_onset():
    # 65 days of chiropractic, of which 2 (5 and 6 March) fall on or after the onset: 27 + 2 = 29, not 92.
    found = care(PHYSIO, course("chiropractic", date(2026, 1, 1), date(2026, 3, 6)))
    assert found.status == MET
    assert found.evidence == ("failed conservative care 29 days, needs 28 days; counted from the onset: chiropractic / "
                              "manipulation 2026-01-01 to 2026-03-06: 2 days on or after the onset of 2026-03-05 count")
    one_day = care(PHYSIO, course("chiropractic", date(2026, 1, 1), ONSET))
    assert one_day.status == MET  # 27 + the onset day itself
    assert one_day.evidence.endswith("manipulation 2026-01-01 to 2026-03-05: 1 day on or after the onset of "
                                     "2026-03-05 counts")


def test_a_course_that_helped_is_not_named_as_counted_from_the_onset():
    found = care(PHYSIO, course("chiropractic", date(2026, 1, 1), date(2026, 3, 6), response="good"))
    assert found.evidence.startswith("failed conservative care 27 days, needs 28 days; left out: chiropractic /")
    assert "counted from the onset" not in found.evidence


def test_an_ongoing_course_that_began_before_the_onset_counts_from_the_onset_to_the_evaluation_day():
    found = criterion(case(as_of=date(2026, 3, 31), symptom_onset=ONSET,
                           therapies=(course("home_exercise", date(2025, 12, 1), None),)),
                      EVICORE, code=CriterionCode.CONSERVATIVE_CARE_DURATION)
    # 5 to 31 March: 27 days (not the 121 since 1 December).
    assert found.evidence == (f"failed conservative care 27 days, needs {EVICORE.min_conservative_care_days} days; "
                              "counted from the onset: home exercise programme 2025-12-01 to ongoing: 27 days on or "
                              "after the onset of 2026-03-05 count")


def test_each_component_counts_only_its_days_on_or_after_the_onset():
    # A medication trial from 1 January to 10 March has 6 days in this episode (5 to 10 March), not 69.
    tablets = course("medication", date(2026, 1, 1), date(2026, 3, 10))
    found = care(tablets, course("physical_therapy", date(2026, 4, 1), date(2026, 5, 31)),
                 code=CriterionCode.CONSERVATIVE_CARE_COMPOSITION)
    assert found.status == NOT_MET
    assert found.shortfall == "medication trial 6 of 14 days"
    assert found.evidence == ("failed medication trial 6 days, needs 14 days; failed active therapy 61 days, needs 14 "
                              "days; counted from the onset: medication (nsaids, analgesics, opioids) 2026-01-01 to "
                              "2026-03-10: 6 days on or after the onset of 2026-03-05 count")


def test_a_look_back_window_that_starts_after_the_onset_counts_from_the_window_and_names_no_onset():
    # CAM counts the last 183 days: from 2026-05-04 when evaluated on 2026-11-02, after the onset.
    long_course = course("physical_therapy", date(2026, 2, 1), date(2026, 6, 2))
    found = care(long_course, profile=CAM)
    assert found.evidence == "failed conservative care 30 days, needs 42 days within the window from 2026-05-04"


@pytest.mark.parametrize("profile", [EVICORE, MP_558, CAM], ids=lambda p: p.code)
def test_profiles_that_name_no_kinds_count_every_kind(profile):
    facts = case(therapies=(failed_course("rest", profile.min_conservative_care_days),))
    assert status(facts, profile, code=CriterionCode.CONSERVATIVE_CARE_DURATION) == MET


@ALL_PROFILES
def test_every_profile_says_where_its_conservative_care_rule_comes_from(profile):
    care = profile.conservative_care
    assert care.counted_kinds and care.counted_source
    assert all(component.source and component.min_days > 0 for component in care.components)


def test_no_care_recorded_leaves_the_medication_and_therapy_mix_unknown():
    assert status(case(therapies=()), code=CriterionCode.CONSERVATIVE_CARE_COMPOSITION) == UNKNOWN


def test_an_active_therapy_that_helped_does_not_count_as_a_failed_trial():
    facts = case(therapies=(failed_course("medication", 60), failed_course("physical_therapy", 60, response="good")))
    assert status(facts, code=CriterionCode.CONSERVATIVE_CARE_COMPOSITION) == NOT_MET


def test_an_active_therapy_with_no_recorded_response_leaves_the_mix_unknown():
    facts = case(therapies=(failed_course("medication", 60), failed_course("physical_therapy", 60, response=None)))
    assert status(facts, code=CriterionCode.CONSERVATIVE_CARE_COMPOSITION) == UNKNOWN


@pytest.mark.parametrize("profile", [EVICORE, MP_558, CAM], ids=lambda p: p.code)
def test_profiles_without_a_composition_rule_accept_any_failed_care(profile):
    facts = case(therapies=(failed_course("massage", 120),))
    assert criterion(facts, profile, code=CriterionCode.CONSERVATIVE_CARE_COMPOSITION) is None
    assert status(facts, profile, code=CriterionCode.CONSERVATIVE_CARE_DURATION) == MET


@pytest.mark.parametrize(("ongoing", "expected"), [(True, MET), (False, NOT_MET), (None, UNKNOWN)])
def test_evicore_needs_active_rehab_to_continue(ongoing, expected):
    assert status(case(ongoing_active_rehab=ongoing), EVICORE, code=CriterionCode.ONGOING_REHAB) == expected


def test_medicare_does_not_ask_for_ongoing_rehab():
    assert criterion(case(ongoing_active_rehab=False), MEDICARE, code=CriterionCode.ONGOING_REHAB) is None


# --- other causes ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("screened", "present", "expected"),
    [
        (True, False, MET),
        (True, True, NOT_MET),
        (None, True, NOT_MET),
        (False, None, UNKNOWN),  # a screen not done yet is still to record, never a failure
        (True, None, UNKNOWN),
        (None, None, UNKNOWN),
    ],
)
def test_red_flags_must_be_screened_and_absent(screened, present, expected):
    facts = case(red_flags_screened=screened, red_flags_present=present)
    assert status(facts, code=CriterionCode.OTHER_CAUSES_EXCLUDED) == expected


# --- caps --------------------------------------------------------------------------------------


@ALL_PROFILES
def test_diagnostic_blocks_up_to_the_cap_are_met_and_one_over_is_not(profile):
    cap = profile.max_diagnostic_per_12m
    below = [injection(10 * (n + 1)) for n in range(cap - 1)]
    assert status(case(), profile, below, CriterionCode.DIAGNOSTIC_CAP) == MET
    at_cap = [injection(10 * (n + 1)) for n in range(cap)]
    assert status(case(), profile, at_cap, CriterionCode.DIAGNOSTIC_CAP) == NOT_MET


@ALL_PROFILES
def test_therapeutic_injections_up_to_the_cap_are_met_and_one_over_is_not(profile):
    cap = profile.max_therapeutic_per_12m
    facts = case(indication="therapeutic")
    below = [injection(70 * (n + 1), "therapeutic") for n in range(cap - 1)]
    assert status(facts, profile, below, CriterionCode.THERAPEUTIC_CAP) == MET
    at_cap = [injection(70 * (n + 1) - 60, "therapeutic") for n in range(cap)]
    assert status(facts, profile, at_cap, CriterionCode.THERAPEUTIC_CAP) == NOT_MET


def test_medicare_allows_a_second_diagnostic_block_but_not_a_third():
    assert status(case(), MEDICARE, [injection(20)], CriterionCode.DIAGNOSTIC_CAP) == MET
    found = criterion(case(), MEDICARE, [injection(20), injection(10)], CriterionCode.DIAGNOSTIC_CAP)
    assert found.status == NOT_MET
    assert found.evidence == "diagnostic sessions in the last 12 months: 2; this would be 3 of 2 (patient)"


def test_a_confirmatory_block_counts_as_diagnostic_and_therapeutic_injections_do_not():
    confirmatory = case(indication="confirmatory")
    prior = [injection(20, "diagnostic", peak_relief_percent=90.0), injection(10, "confirmatory")]
    assert status(confirmatory, MEDICARE, prior, CriterionCode.DIAGNOSTIC_CAP) == NOT_MET
    therapeutic_only = [injection(20, "therapeutic"), injection(10, "therapeutic")]
    assert status(case(), MEDICARE, therapeutic_only, CriterionCode.DIAGNOSTIC_CAP) == MET


def test_a_diagnostic_request_is_not_held_to_the_therapeutic_cap():
    assert criterion(case(), MEDICARE, code=CriterionCode.THERAPEUTIC_CAP) is None
    assert criterion(case(indication="therapeutic"), MEDICARE, code=CriterionCode.DIAGNOSTIC_CAP) is None


def test_left_and_right_on_one_day_are_one_session():
    same_day = [injection(20, side="left"), injection(20, side="right")]
    assert status(case(), MEDICARE, same_day, CriterionCode.DIAGNOSTIC_CAP) == MET
    bilateral = [injection(20, side="bilateral")]
    assert status(case(), MEDICARE, bilateral, CriterionCode.DIAGNOSTIC_CAP) == MET


def test_the_other_side_injected_earlier_the_same_day_is_this_same_session_not_one_more():
    """Walkthrough: left started this morning, right booked this afternoon (two cases), one block
    before: the right side read "this would be 3 of 2" and its re-evaluation cancelled it."""
    prior = [injection(90, side="left"), injection(0, side="left")]
    found = criterion(case(side="right", session_on=AS_OF), MEDICARE, prior, CriterionCode.DIAGNOSTIC_CAP)
    assert found.status == MET
    assert found.evidence == ("diagnostic sessions in the last 12 months: 2; this would be 2 of 2 (patient), the "
                              f"same session as the injection of {AS_OF.isoformat()} (one session a day)")
    # Two sessions before today, then the left this morning: the right side is still over the cap.
    over = [injection(120, side="left"), injection(90, side="left"), injection(0, side="left")]
    found = criterion(case(side="right", session_on=AS_OF), MEDICARE, over, CriterionCode.DIAGNOSTIC_CAP)
    assert found.status == NOT_MET and "this would be 3 of 2 (patient)" in found.shortfall
    # eviCore counts per joint: the left this morning is no session of the right joint.
    therapeutic = [injection(0, "therapeutic", side="left")]
    found = criterion(case(side="right", indication="therapeutic", session_on=AS_OF), EVICORE, therapeutic,
                      CriterionCode.THERAPEUTIC_CAP)
    assert "the same session" not in found.evidence


@pytest.mark.parametrize("session_on", [None, AS_OF + timedelta(days=7)], ids=["not booked", "booked next week"])
def test_a_case_whose_session_is_not_that_day_is_one_more_session_whatever_was_given_that_day(session_on):
    """Review: a right side still under review (or booked for next week), evaluated on the day the
    left was injected, read as that same session and was eligible without an override."""
    prior = [injection(90, side="left"), injection(0, side="left")]
    found = criterion(case(side="right", session_on=session_on), MEDICARE, prior, CriterionCode.DIAGNOSTIC_CAP)
    assert found.status == NOT_MET
    assert found.evidence == "diagnostic sessions in the last 12 months: 2; this would be 3 of 2 (patient)"


def test_medicare_caps_count_per_patient_across_both_joints():
    left_sessions = [injection(70 * (n + 1), "therapeutic", side="left") for n in range(4)]
    facts = case(side="right", indication="therapeutic")
    assert status(facts, MEDICARE, left_sessions, CriterionCode.THERAPEUTIC_CAP) == NOT_MET


def test_evicore_caps_count_per_joint():
    left_sessions = [injection(70 * (n + 1), "therapeutic", side="left") for n in range(4)]
    right = case(side="right", indication="therapeutic")
    assert status(right, EVICORE, left_sessions, CriterionCode.THERAPEUTIC_CAP) == MET
    left = case(side="left", indication="therapeutic")
    assert status(left, EVICORE, left_sessions, CriterionCode.THERAPEUTIC_CAP) == NOT_MET


def test_evicore_counts_a_bilateral_session_against_each_joint():
    bilateral_sessions = [injection(70 * (n + 1), "therapeutic", side="bilateral") for n in range(4)]
    found = criterion(
        case(side="right", indication="therapeutic"), EVICORE, bilateral_sessions, CriterionCode.THERAPEUTIC_CAP
    )
    assert found.status == NOT_MET
    assert "(right joint)" in found.shortfall


def test_an_injection_exactly_twelve_months_ago_has_left_the_rolling_year():
    a_year_ago = PriorInjection(performed_on=date(2023, 6, 15), side="left", indication="diagnostic")
    a_year_less_a_day = PriorInjection(performed_on=date(2023, 6, 16), side="left", indication="diagnostic")
    recent = injection(10)
    assert status(case(), MEDICARE, [a_year_ago, recent], CriterionCode.DIAGNOSTIC_CAP) == MET
    found = criterion(case(), MEDICARE, [a_year_less_a_day, recent], CriterionCode.DIAGNOSTIC_CAP)
    assert found.status == NOT_MET
    assert found.shortfall == "diagnostic cap: this would be 3 of 2 (patient), next from 2024-06-16"


def test_a_block_on_29_february_leaves_the_rolling_year_on_1_march():
    prior = [
        PriorInjection(performed_on=date(2024, 2, 29), side="left", indication="diagnostic"),
        PriorInjection(performed_on=date(2024, 12, 1), side="left", indication="diagnostic"),
    ]
    found = criterion(case(as_of=date(2025, 2, 28)), MEDICARE, prior, CriterionCode.DIAGNOSTIC_CAP)
    assert found.status == NOT_MET
    assert found.shortfall.endswith("next from 2025-03-01")
    assert status(case(as_of=date(2025, 3, 1)), MEDICARE, prior, CriterionCode.DIAGNOSTIC_CAP) == MET


def test_the_cap_shortfall_says_the_count_its_evidence_says():
    found = criterion(case(), MEDICARE, [injection(300), injection(100)], CriterionCode.DIAGNOSTIC_CAP)
    assert "this would be 3 of 2 (patient)" in found.evidence
    assert found.shortfall.startswith("diagnostic cap: this would be 3 of 2 (patient), next from ")


def test_a_case_already_injected_counts_its_own_injection_for_the_next_session():
    """Its injection is given: the next session is when the count with it drops below the cap (as
    Reports › Caps gives it), not when the count before it would have."""
    from tracker.policy.engine import next_session_day

    prior = [injection(300), injection(100)]
    found = criterion(case(injected_on=AS_OF), MEDICARE, prior, CriterionCode.DIAGNOSTIC_CAP)
    assert found.status == NOT_MET
    with_it = [AS_OF - timedelta(days=300), AS_OF - timedelta(days=100), AS_OF]
    assert found.shortfall == (f"diagnostic cap: this injection made 3 of 2 (patient), next from "
                               f"{next_session_day(with_it, 2, AS_OF).isoformat()}")
    assert next_session_day(with_it, 2, AS_OF) == date(2025, 3, 7)  # the one 100 days ago leaves
    # The evidence (what a verdict stores and compares) reads as before.
    assert found.evidence == criterion(case(), MEDICARE, prior, CriterionCode.DIAGNOSTIC_CAP).evidence


# --- spacing -----------------------------------------------------------------------------------


def test_evicore_needs_sixty_days_since_the_last_therapeutic_injection():
    facts = case(indication="therapeutic")
    assert status(facts, EVICORE, [injection(60, "therapeutic")], CriterionCode.SPACING) == MET
    found = criterion(facts, EVICORE, [injection(59, "therapeutic")], CriterionCode.SPACING)
    assert found.status == NOT_MET
    assert found.shortfall == "interval 59 of 60 days (left), earliest 2024-06-16"


def test_spacing_starts_only_from_a_therapeutic_injection_in_the_same_joint():
    facts = case(indication="therapeutic")
    assert criterion(facts, EVICORE, [injection(5, "diagnostic")], CriterionCode.SPACING) is None
    assert criterion(facts, EVICORE, [injection(5, "therapeutic", side="right")], CriterionCode.SPACING) is None
    assert status(facts, EVICORE, [injection(5, "therapeutic", side="bilateral")], CriterionCode.SPACING) == NOT_MET


def test_a_bilateral_session_given_as_a_left_and_a_right_injection_is_one_interval_and_two_reliefs():
    facts = case(side="bilateral", indication="therapeutic")
    session = [injection(59, "therapeutic", side="left", peak_relief_percent=80.0, relief_duration_days=20),
               injection(59, "therapeutic", side="right", peak_relief_percent=60.0, relief_duration_days=0)]
    spacing = criterion(facts, EVICORE, session, CriterionCode.SPACING)
    assert spacing.shortfall == "interval 59 of 60 days (left, right), earliest 2024-06-16"
    relief = criterion(facts, EVICORE, session, CriterionCode.REPEAT_RELIEF)
    assert relief.status == NOT_MET
    assert relief.shortfall == "peak relief 60%, 0 days at 75% or more, needs 75% for 14 days (right)"


def test_the_next_session_day_is_the_one_the_criteria_give_and_never_the_last_sessions_day():
    from tracker.policy.engine import next_session_day

    assert next_session_day([AS_OF], 2, AS_OF) == AS_OF + timedelta(days=1)
    assert next_session_day([AS_OF - timedelta(days=3)], 2, AS_OF) == AS_OF
    assert next_session_day([], 2, AS_OF) == AS_OF
    last = AS_OF - timedelta(days=59)
    assert next_session_day([last], 4, AS_OF, 60) == date(2024, 6, 16)  # the spacing's "earliest"
    capped = criterion(case(), MEDICARE, [injection(300), injection(100)], CriterionCode.DIAGNOSTIC_CAP)
    day = next_session_day([AS_OF - timedelta(days=300), AS_OF - timedelta(days=100)], 2, AS_OF)
    assert capped.shortfall.endswith(f"next from {day.isoformat()}")


def test_medicare_sets_no_spacing():
    recent = [injection(5, "therapeutic")]
    assert criterion(case(indication="therapeutic"), MEDICARE, recent, CriterionCode.SPACING) is None


# --- prior positive block ----------------------------------------------------------------------


def test_a_therapeutic_injection_without_any_block_is_not_met():
    found = criterion(case(indication="therapeutic"), MEDICARE, [], CriterionCode.PRIOR_POSITIVE_BLOCK)
    assert found.status == NOT_MET
    assert found.shortfall == "positive diagnostic block (left)"


@pytest.mark.parametrize("profile", [MEDICARE, EVICORE, CAM], ids=lambda p: p.code)
def test_a_block_at_the_profiles_relief_threshold_is_positive_and_just_below_is_not(profile):
    threshold = profile.diagnostic_relief_threshold_percent
    facts = case(indication="therapeutic")
    at = [injection(20, peak_relief_percent=threshold)]
    assert status(facts, profile, at, CriterionCode.PRIOR_POSITIVE_BLOCK) == MET
    below = [injection(20, peak_relief_percent=threshold - 0.1)]
    assert status(facts, profile, below, CriterionCode.PRIOR_POSITIVE_BLOCK) == NOT_MET


def test_pain_worse_than_before_a_block_reads_as_worse_in_the_evidence_and_as_not_met():
    """Baseline 3 and a 9 after the block is -200 % relief: the evidence says what that means."""
    facts = case(indication="therapeutic")
    found = criterion(facts, MEDICARE, [injection(20, peak_relief_percent=-200.0)], CriterionCode.PRIOR_POSITIVE_BLOCK)
    assert found.status == NOT_MET
    assert "0% (pain worse than before) relief" in found.evidence and "-200" not in found.evidence


def test_the_active_profiles_threshold_decides_over_a_recorded_result():
    prior = [injection(20, diagnostic_result="positive", peak_relief_percent=72.0)]
    facts = case(indication="therapeutic")
    assert status(facts, CAM, prior, CriterionCode.PRIOR_POSITIVE_BLOCK) == MET
    assert status(facts, MEDICARE, prior, CriterionCode.PRIOR_POSITIVE_BLOCK) == NOT_MET


@pytest.mark.parametrize(
    ("result", "peak", "expected"),
    [
        ("positive", None, MET),
        ("negative", None, NOT_MET),
        ("indeterminate", 90.0, UNKNOWN),
        (None, None, UNKNOWN),
    ],
)
def test_a_block_without_measured_relief_falls_back_on_its_recorded_result(result, peak, expected):
    prior = [injection(20, diagnostic_result=result, peak_relief_percent=peak)]
    assert status(case(indication="therapeutic"), MEDICARE, prior, CriterionCode.PRIOR_POSITIVE_BLOCK) == expected


def against_the_diary(result, diary_result, peak, scores=1, **details):
    """A block whose physician recorded `result` with a reason, the diary having read `diary_result`
    with `peak` relief from `scores` scores in the anaesthetic window."""
    return [injection(20, side="right", diagnostic_result=result, peak_relief_percent=peak, diary_result=diary_result,
                      diary_window_scores=scores, recorded_by="Dr Priya Raman", **details)]


def test_a_positive_recorded_against_an_indeterminate_diary_is_met_on_the_diarys_relief_and_says_so():
    """Walkthrough finding: one 15-minute score of 75 % (too few to judge) and a physician's positive read
    "✓ Met" beside "relief not recorded". The relief was recorded and meets the threshold; the physician's
    positive stands on it, and the evidence names both."""
    found = criterion(case(side="right", indication="confirmatory"), MEDICARE,
                      against_the_diary("positive", "indeterminate", 75.0), CriterionCode.PRIOR_POSITIVE_BLOCK)
    assert found.status == MET
    assert found.evidence == (f"diagnostic block {(AS_OF - timedelta(days=20)).isoformat()} (recorded positive by "
                              "Dr Priya Raman; the diary read indeterminate: 75% relief from 1 score in the "
                              "anaesthetic window; needs 75%) (right)")
    assert "not recorded" not in found.evidence


@pytest.mark.parametrize(("diary_result", "peak", "scores", "read"), [
    ("negative", 50.0, 2, "negative: 50% relief from 2 scores in the anaesthetic window"),
    ("indeterminate", 60.0, 1, "indeterminate: 60% relief from 1 score in the anaesthetic window"),
    ("indeterminate", None, 0, "indeterminate: no score in the anaesthetic window"),
])
def test_a_positive_recorded_without_the_relief_documented_is_unknown_not_met(diary_result, peak, scores, read):
    """The payer asks for a block with its relief (75 % under Medicare): the physician's positive with a
    reason, over a diary that documents less or nothing, leaves the criterion for an override with the records."""
    found = criterion(case(side="right", indication="confirmatory"), MEDICARE,
                      against_the_diary("positive", diary_result, peak, scores), CriterionCode.PRIOR_POSITIVE_BLOCK)
    assert found.status == UNKNOWN
    assert f"(recorded positive by Dr Priya Raman; the diary read {read}; needs 75%) (right)" in found.evidence
    assert found.shortfall == "relief of the prior block documented at 75% (right)"


def test_a_negative_recorded_against_a_positive_diary_is_not_met_and_says_both():
    found = criterion(case(side="right", indication="confirmatory"), MEDICARE,
                      against_the_diary("negative", "positive", 90.0, 3), CriterionCode.PRIOR_POSITIVE_BLOCK)
    assert found.status == NOT_MET
    assert ("(recorded negative by Dr Priya Raman; the diary read positive: 90% relief from 3 scores in the "
            "anaesthetic window; needs 75%)") in found.evidence


def test_a_block_decided_by_its_recorded_result_alone_says_so():
    found = criterion(case(indication="therapeutic"), MEDICARE, [injection(20, diagnostic_result="positive")],
                      CriterionCode.PRIOR_POSITIVE_BLOCK)
    assert found.status == MET
    assert found.evidence.endswith("(recorded positive, no diary reading kept, needs 75%) (left)")


def test_a_block_repeated_positive_after_a_negative_one_is_met_as_the_latest():
    """The latest block decides (tests/unit/test_policy_block_history.py): a repeat that read positive
    replaces the negative one."""
    prior = [injection(40, peak_relief_percent=20.0), injection(20, peak_relief_percent=80.0)]
    assert status(case(indication="therapeutic"), MEDICARE, prior, CriterionCode.PRIOR_POSITIVE_BLOCK) == MET


def test_a_positive_block_on_the_other_side_does_not_count():
    prior = [injection(20, side="right", peak_relief_percent=90.0)]
    assert status(case(indication="therapeutic"), MEDICARE, prior, CriterionCode.PRIOR_POSITIVE_BLOCK) == NOT_MET


def test_a_bilateral_therapeutic_injection_needs_a_positive_block_on_each_side():
    facts = case(side="bilateral", indication="therapeutic")
    left_only = [injection(20, side="left", peak_relief_percent=90.0)]
    found = criterion(facts, MEDICARE, left_only, CriterionCode.PRIOR_POSITIVE_BLOCK)
    assert (found.status, found.shortfall) == (NOT_MET, "positive diagnostic block (right)")
    both = [injection(20, side="bilateral", peak_relief_percent=90.0)]
    assert status(facts, MEDICARE, both, CriterionCode.PRIOR_POSITIVE_BLOCK) == MET


def test_a_positive_confirmatory_block_qualifies_a_therapeutic_injection():
    prior = [injection(20, "confirmatory", peak_relief_percent=90.0)]
    assert status(case(indication="therapeutic"), MEDICARE, prior, CriterionCode.PRIOR_POSITIVE_BLOCK) == MET


def test_a_confirmatory_block_follows_a_positive_diagnostic_block():
    facts = case(indication="confirmatory")
    assert status(facts, MEDICARE, [], CriterionCode.PRIOR_POSITIVE_BLOCK) == NOT_MET
    positive = [injection(14, peak_relief_percent=80.0)]
    assert status(facts, MEDICARE, positive, CriterionCode.PRIOR_POSITIVE_BLOCK) == MET


def test_a_first_diagnostic_block_needs_no_prior_block():
    assert criterion(case(), MEDICARE, [], CriterionCode.PRIOR_POSITIVE_BLOCK) is None


# --- dual comparative blocks (MP-558) -----------------------------------------------------------


def test_mp_558_therapy_needs_a_positive_diagnostic_and_confirmatory_block():
    facts = case(indication="therapeutic")
    assert status(facts, MP_558, POSITIVE_BLOCKS, CriterionCode.DUAL_COMPARATIVE_BLOCKS) == MET
    found = criterion(facts, MP_558, POSITIVE_BLOCKS[:1], CriterionCode.DUAL_COMPARATIVE_BLOCKS)
    assert (found.status, found.shortfall) == (NOT_MET, "positive confirmatory block (left)")
    assert criterion(facts, MP_558, POSITIVE_BLOCKS, CriterionCode.PRIOR_POSITIVE_BLOCK) is None


def test_mp_558_judges_both_blocks_at_its_own_threshold():
    threshold = MP_558.diagnostic_relief_threshold_percent
    facts = case(indication="therapeutic")
    at = [injection(40, peak_relief_percent=threshold), injection(30, "confirmatory", peak_relief_percent=threshold)]
    assert status(facts, MP_558, at, CriterionCode.DUAL_COMPARATIVE_BLOCKS) == MET
    below = [at[0], injection(30, "confirmatory", peak_relief_percent=threshold - 0.1)]
    assert status(facts, MP_558, below, CriterionCode.DUAL_COMPARATIVE_BLOCKS) == NOT_MET


def test_only_mp_558_asks_for_dual_blocks():
    facts = case(indication="therapeutic")
    for profile in (MEDICARE, EVICORE, CAM):
        assert criterion(facts, profile, POSITIVE_BLOCKS, CriterionCode.DUAL_COMPARATIVE_BLOCKS) is None


# --- therapeutic repeat ------------------------------------------------------------------------


@ALL_PROFILES
def test_a_repeat_needs_the_threshold_relief_for_the_minimum_days(profile):
    threshold, days = profile.repeat_relief_threshold_percent, profile.repeat_relief_min_days
    facts = case(indication="therapeutic")

    def repeat_status(peak, duration):
        last = injection(120, "therapeutic", peak_relief_percent=peak, relief_duration_days=duration)
        return status(facts, profile, POSITIVE_BLOCKS + (last,), CriterionCode.REPEAT_RELIEF)

    assert repeat_status(threshold, days) == MET
    assert repeat_status(threshold - 0.1, days) == NOT_MET
    assert repeat_status(threshold, days - 1) == NOT_MET


@ALL_PROFILES
def test_an_on_time_diary_shows_each_profiles_repeat_duration_and_meets_it(profile):
    # Each payer's duration (90, 42 or 14 days) falls on a point of the diary (3 months, 6 weeks,
    # 2 weeks). A patient who answers the day the point's window opens (the day its reminder goes
    # out) describes that day: the window opens at the point, never before it, so relief at the
    # threshold then shows the whole duration and the repeat is met (it opened 14 days early and an
    # on-time 3-month score showed 76 days: never met on time).
    injected = datetime(2024, 1, 2, 9, 0, tzinfo=timezone.utc)
    threshold, days = profile.repeat_relief_threshold_percent, profile.repeat_relief_min_days
    dues = [d for d in due_times(schedule_for(profile.code), injected) if d.point.phase == Phase.THERAPEUTIC]
    on_point = next(d for d in dues if d.due_at - injected == timedelta(days=days))
    baseline, relieved = 8, int(8 * (100 - threshold) / 100)
    readings = [Reading(d.point.code, describes_hours(d.opens_at, injected),
                        relieved if d.due_at <= on_point.due_at else baseline) for d in dues]
    _, shown = therapeutic_duration(baseline, readings, threshold)
    assert shown == days
    last = injection(120, "therapeutic", peak_relief_percent=float(percent_relief(baseline, relieved)),
                     relief_duration_days=int(shown))
    assert status(case(indication="therapeutic"), profile, POSITIVE_BLOCKS + (last,), CriterionCode.REPEAT_RELIEF) == MET


def test_medicare_repeat_needs_half_the_pain_gone_for_ninety_days():
    last = injection(120, "therapeutic", peak_relief_percent=60.0, relief_duration_days=80)
    found = criterion(case(indication="therapeutic"), MEDICARE, [last], CriterionCode.REPEAT_RELIEF)
    assert found.status == NOT_MET
    assert found.shortfall == "peak relief 60%, 80 days at 50% or more, needs 50% for 90 days (left)"


def test_a_recorded_duration_other_than_the_diarys_shows_both_in_the_evidence():
    last = injection(120, "therapeutic", peak_relief_percent=60.0, relief_duration_days=120, diary_relief_days=42)
    found = criterion(case(indication="therapeutic"), MEDICARE, [last], CriterionCode.REPEAT_RELIEF)
    # The physician's recorded value (given with a reason) decides; the diary's stays in view.
    assert found.status == MET
    assert "peak relief 60%, 120 days at 50% or more (recorded 120 days; diary read 42 days), needs 50% for 90 days" in found.evidence
    agreeing = injection(120, "therapeutic", peak_relief_percent=60.0, relief_duration_days=120,
                         diary_relief_days=120)
    assert "diary read" not in criterion(case(indication="therapeutic"), MEDICARE, [agreeing],
                                         CriterionCode.REPEAT_RELIEF).evidence


@pytest.mark.parametrize(
    ("peak", "duration", "expected"),
    [(None, 120, UNKNOWN), (80.0, None, UNKNOWN), (None, None, UNKNOWN), (30.0, None, NOT_MET)],
)
def test_missing_relief_data_after_the_last_injection_is_unknown_unless_already_failing(peak, duration, expected):
    last = injection(120, "therapeutic", peak_relief_percent=peak, relief_duration_days=duration)
    assert status(case(indication="therapeutic"), MEDICARE, [last], CriterionCode.REPEAT_RELIEF) == expected


def test_the_repeat_is_judged_on_the_last_therapeutic_injection_not_an_earlier_one():
    good_then_poor = [
        injection(300, "therapeutic", peak_relief_percent=90.0, relief_duration_days=150),
        injection(120, "therapeutic", peak_relief_percent=20.0, relief_duration_days=0),
    ]
    assert status(case(indication="therapeutic"), MEDICARE, good_then_poor, CriterionCode.REPEAT_RELIEF) == NOT_MET


def test_a_first_therapeutic_injection_is_not_a_repeat():
    assert criterion(case(indication="therapeutic"), MEDICARE, POSITIVE_BLOCKS, CriterionCode.REPEAT_RELIEF) is None


def test_a_bilateral_repeat_after_one_bilateral_injection_reports_it_once():
    last = injection(120, "therapeutic", side="bilateral", peak_relief_percent=70.0, relief_duration_days=100)
    found = criterion(case(side="bilateral", indication="therapeutic"), MEDICARE, [last], CriterionCode.REPEAT_RELIEF)
    assert found.status == MET
    assert found.evidence.count("after therapeutic injection") == 1
    assert found.evidence.endswith("(left, right)")


# --- facts -------------------------------------------------------------------------------------


def test_case_facts_refuse_an_unknown_side_or_indication():
    with pytest.raises(ValueError):
        case(side="both")
    with pytest.raises(ValueError):
        case(indication="repeat")


def test_case_facts_cannot_be_changed_through_the_callers_containers():
    tests = {"left": 4}
    facts = case(positive_tests_by_side=tests)
    tests["left"] = 0
    assert facts.positive_tests_by_side["left"] == 4


# --- injections given elsewhere ---------------------------------------------------------------

OUTSIDE = "outside injection of {day} at Riverside Pain Clinic (patient report)"


def outside(days_ago, indication="therapeutic", side="left", **details):
    """An injection the patient had at another clinic, as tracker/eligibility/facts.py gives it."""
    day = (AS_OF - timedelta(days=days_ago)).isoformat()
    return injection(days_ago, indication, side, outside=OUTSIDE.format(day=day), **details)


def test_an_outside_injection_counts_towards_the_caps_and_the_evidence_names_it():
    facts = case(indication="therapeutic")
    prior = (*POSITIVE_BLOCKS, outside(75))
    cap = criterion(facts, EVICORE, prior, CriterionCode.THERAPEUTIC_CAP)
    day = (AS_OF - timedelta(days=75)).isoformat()
    assert cap.evidence == (f"therapeutic sessions in the last 12 months: 1; this would be 2 of 4 (left joint); "
                            f"counting {OUTSIDE.format(day=day)}")
    diagnostic = criterion(case(), MEDICARE, (outside(20, "confirmatory"), outside(10, "diagnostic", "bilateral")),
                           CriterionCode.DIAGNOSTIC_CAP)
    assert diagnostic.status == NOT_MET, "a confirmatory block given elsewhere counts as a diagnostic one"
    assert diagnostic.evidence.startswith("diagnostic sessions in the last 12 months: 2; this would be 3 of 2")


def test_an_outside_therapeutic_injection_too_recent_fails_the_interval():
    facts = case(indication="therapeutic")
    spacing = criterion(facts, EVICORE, (*POSITIVE_BLOCKS, outside(30)), CriterionCode.SPACING)
    day = (AS_OF - timedelta(days=30)).isoformat()
    assert spacing.status == NOT_MET
    assert spacing.evidence == f"30 days since {OUTSIDE.format(day=day)}, needs 60 days (left)"
    assert status(facts, EVICORE, (*POSITIVE_BLOCKS, outside(60)), CriterionCode.SPACING) == MET


def test_an_outside_injections_relief_decides_a_repeat_and_unknown_relief_is_unknown_never_met():
    facts = case(indication="therapeutic")
    unknown = criterion(facts, MEDICARE, (*POSITIVE_BLOCKS, outside(200)), CriterionCode.REPEAT_RELIEF)
    day = (AS_OF - timedelta(days=200)).isoformat()
    assert unknown.status == UNKNOWN
    assert unknown.evidence.startswith(f"after {OUTSIDE.format(day=day)}: peak relief not recorded, "
                                       "duration not recorded")
    assert unknown.shortfall == f"relief after {OUTSIDE.format(day=day)} (left)"
    good = outside(200, peak_relief_percent=80.0, relief_duration_days=120)
    assert status(facts, MEDICARE, (*POSITIVE_BLOCKS, good), CriterionCode.REPEAT_RELIEF) == MET
    short = outside(200, peak_relief_percent=80.0, relief_duration_days=30)
    assert status(facts, MEDICARE, (*POSITIVE_BLOCKS, short), CriterionCode.REPEAT_RELIEF) == NOT_MET



@ALL_PROFILES
def test_an_outside_injections_days_reported_without_the_relief_are_said_at_no_level(profile):
    """The patient recalls how long relief lasted but not how much: the days were read at no known level,
    so the evidence never says them "at 75% or more" (the profile's), and the repeat stays unknown."""
    reported = outside(200, relief_duration_days=120)
    found = criterion(case(indication="therapeutic"), profile, (*POSITIVE_BLOCKS, reported), CriterionCode.REPEAT_RELIEF)
    assert found.status == UNKNOWN
    assert "peak relief not recorded, 120 days at a relief not reported, needs" in found.evidence, found.evidence


def test_an_outside_diagnostic_block_with_its_relief_is_a_prior_positive_block():
    facts = case(indication="therapeutic")
    block = criterion(facts, MEDICARE, (outside(30, "diagnostic", peak_relief_percent=90.0),),
                      CriterionCode.PRIOR_POSITIVE_BLOCK)
    day = (AS_OF - timedelta(days=30)).isoformat()
    assert block.status == MET
    assert block.evidence == f"diagnostic block {OUTSIDE.format(day=day)} (90% relief, needs 75%) (left)"


def test_a_repeats_relief_says_the_level_its_days_were_read_at():
    """Days read at 50 % (no scores kept to read them again at eviCore's 75 %) are said at 50 %."""
    facts = case(indication="therapeutic")
    at_50 = [injection(90, "therapeutic", peak_relief_percent=80.0, relief_duration_days=60,
                       relief_days_at_percent=50.0)]
    found = criterion(facts, EVICORE, at_50, CriterionCode.REPEAT_RELIEF)
    assert "peak relief 80%, 60 days at 50% or more, needs 75% for" in found.evidence
    at_threshold = [injection(90, "therapeutic", peak_relief_percent=80.0, relief_duration_days=60)]
    assert "60 days at 75% or more" in criterion(facts, EVICORE, at_threshold, CriterionCode.REPEAT_RELIEF).evidence



def test_days_read_at_50_percent_enough_for_evicores_14_are_unknown_not_met_at_its_75_percent():
    """No scores were kept with the earlier outcome to read its days again at eviCore's 75 %: 20 days
    at 50 % or more say nothing of how many were at 75 % (anywhere from 0 to 20). "Unknown is never
    met" (DESIGN §4): the repeat waits under review, the evidence saying what is missing."""
    facts = case(indication="therapeutic")
    day = (AS_OF - timedelta(days=90)).isoformat()
    at_50 = [*POSITIVE_BLOCKS, injection(90, "therapeutic", peak_relief_percent=80.0, relief_duration_days=20,
                                         relief_days_at_percent=50.0)]
    found = criterion(facts, EVICORE, at_50, CriterionCode.REPEAT_RELIEF)
    assert found.status == UNKNOWN, found.evidence
    assert found.evidence == (
        f"after therapeutic injection of {day}: peak relief 80%, 20 days at 50% or more, needs 75% for 14 days: "
        "the days at 75% are not known; record them, or a physician may override with the outside records (left)")
    assert found.shortfall == f"days at 75% after injection of {day}: 20 days at 50% or more known, needs 14 (left)"
    verdict = evaluate(facts, at_50, EVICORE)
    assert verdict.incomplete and not verdict.eligible


@pytest.mark.parametrize(("days", "at_least", "expected"), [
    (10, None, NOT_MET),   # fewer than 14 at 50 %, so fewer at 75 %: a known failure
    (14, None, UNKNOWN),
    (20, True, UNKNOWN),   # a lower bound at 50 % says no more of the days at 75 %
])
def test_days_read_at_50_percent_fail_evicore_only_when_too_few(days, at_least, expected):
    last = injection(90, "therapeutic", peak_relief_percent=80.0, relief_duration_days=days,
                     relief_days_at_percent=50.0, relief_days_at_least=at_least)
    found = criterion(case(indication="therapeutic"), EVICORE, [*POSITIVE_BLOCKS, last], CriterionCode.REPEAT_RELIEF)
    assert found.status == expected, found.evidence
    assert ("the days at 75% are not known" in found.evidence) == (days >= 14)


def test_days_read_at_50_percent_never_rescue_a_peak_below_evicores_75():
    last = injection(90, "therapeutic", peak_relief_percent=60.0, relief_duration_days=30, relief_days_at_percent=50.0)
    found = criterion(case(indication="therapeutic"), EVICORE, [*POSITIVE_BLOCKS, last], CriterionCode.REPEAT_RELIEF)
    assert found.status == NOT_MET
    assert "record them" not in found.evidence


@ALL_PROFILES
def test_days_read_at_the_profiles_own_threshold_decide_as_before(profile):
    """Medicare, MP-558 and CAM ask 50 %, the diary's own level: their days are read at it and decide."""
    threshold, needed = profile.repeat_relief_threshold_percent, profile.repeat_relief_min_days
    last = injection(120, "therapeutic", peak_relief_percent=80.0, relief_duration_days=needed,
                     relief_days_at_percent=50.0 if threshold == 50 else None)
    assert status(case(indication="therapeutic"), profile, [*POSITIVE_BLOCKS, last], CriterionCode.REPEAT_RELIEF) == MET


# ------------------------------------------------------------------ sessions already booked

def booked(days_ahead, indication="diagnostic", side="left", case_id=41):
    from tracker.policy import BookedSession

    day = AS_OF + timedelta(days=days_ahead)
    return BookedSession(day=day, side=side, indication=indication, named=f"case {case_id} on {day.isoformat()}")


def test_a_booked_session_in_the_window_makes_this_one_over_the_cap():
    from tracker.policy import booked_over_cap

    # 1 given, 1 booked before this day: 3 of 2 (the criterion alone reads 2 of 2, met).
    [breach] = booked_over_cap(case(indication="confirmatory"), [injection(50)], [booked(-20)], MEDICARE)
    assert (breach.kind, breach.scope, breach.sessions, breach.maximum, breach.window_end) == (
        "diagnostic", "patient", 3, 2, AS_OF)
    assert breach.words() == ("this would be session 3 of 2 (patient) in the 12 months to 15 Jun 2024, counting "
                              "case 41 on 2024-05-26")


def test_a_booked_session_after_this_day_would_be_the_one_over_the_cap():
    from tracker.policy import booked_over_cap

    [breach] = booked_over_cap(case(), [injection(50)], [booked(30, side="right", case_id=42)], MEDICARE)
    assert breach.later is not None and breach.window_end == AS_OF + timedelta(days=30)
    assert breach.words() == ("case 42 on 2024-07-15 would then be session 3 of 2 (patient) in the 12 months to "
                              "15 Jul 2024, counting this one")


def test_booked_sessions_count_as_the_caps_do():
    from tracker.policy import booked_over_cap

    prior = [injection(50)]
    # Within the cap with it; outside the 12 months; the other cap; the same day as a given one or this one.
    assert booked_over_cap(case(), [], [booked(-20)], MEDICARE) == []
    assert booked_over_cap(case(), prior, [booked(400)], MEDICARE) == []
    assert booked_over_cap(case(), prior, [booked(-20, indication="therapeutic")], MEDICARE) == []
    assert booked_over_cap(case(), prior, [booked(-50), booked(0, side="right")], MEDICARE) == []
    # A bilateral session on one day is one session.
    assert booked_over_cap(case(), prior, [booked(-20, side="left"), booked(-20, side="right")], MEDICARE)[0].sessions == 3
    # A payer counting per joint counts the other joint's sessions apart (eviCore: 4 per joint).
    therapeutic = case(indication="therapeutic")
    others = [injection(300, "therapeutic", "right"), injection(200, "therapeutic", "right")]
    right = [booked(-100, "therapeutic", "right"), booked(-30, "therapeutic", "right")]
    assert booked_over_cap(therapeutic, others, right, EVICORE) == []
    [breach] = booked_over_cap(case(indication="therapeutic", side="right"), others, right, EVICORE)
    assert (breach.scope, breach.sessions, breach.maximum) == ("right joint", 5, 4)


def test_the_next_session_day_counts_the_sessions_already_booked():
    from tracker.policy.engine import _leaves_rolling_year, next_session_day, next_session_day_with_booked

    given = [AS_OF - timedelta(days=16)]
    first, second = AS_OF + timedelta(days=9), AS_OF + timedelta(days=37)
    # Nothing booked: the day next_session_day gives.
    assert next_session_day_with_booked(given, [], 2, AS_OF) == next_session_day(given, 2, AS_OF) == AS_OF
    # 1 given, 1 booked of 2: nothing fits between them (it would make the booked one 3 of 2), nor after.
    assert next_session_day_with_booked(given, [first], 2, AS_OF) == _leaves_rolling_year(given[0])
    # 0 given, 1 booked of 2: today still fits, before it.
    assert next_session_day_with_booked([], [first], 2, AS_OF) == AS_OF
    # 1 given, 2 booked: once the earlier booked one leaves the 12 months.
    assert next_session_day_with_booked(given, [first, second], 2, AS_OF) == _leaves_rolling_year(first)
    # An interval keeps its distance from a booked session on either side (eviCore: 60 days).
    assert next_session_day_with_booked([], [AS_OF + timedelta(days=30)], 4, AS_OF, 60) == AS_OF + timedelta(days=90)


def test_the_booked_notes_name_the_sessions_sharing_a_year_with_the_case_and_what_they_make_of_it():
    from tracker.policy import booked_notes

    prior = [injection(50)]
    [note] = booked_notes(case(), prior, [booked(-20), booked(400), booked(-20, indication="therapeutic")], MEDICARE)
    assert (note.kind, note.scope, note.given, [b.day for b in note.booked]) == (
        "diagnostic", "patient", 1, [AS_OF - timedelta(days=20)])
    assert note.words() == ("diagnostic cap (patient): 1 given; 1 more booked: case 41 on 2024-05-26; once given, "
                            "this would be session 3 of 2 (patient) in the 12 months to 15 Jun 2024")
    # Within the cap with it: named, nothing over.
    [note] = booked_notes(case(), [], [booked(30)], MEDICARE)
    assert note.over is None and note.words() == "diagnostic cap (patient): 0 given; 1 more booked: case 41 on 2024-07-15"
    assert booked_notes(case(), prior, [booked(400)], MEDICARE) == []


def test_a_therapeutic_session_booked_less_than_the_interval_before_warns_and_exactly_the_interval_does_not():
    from tracker.policy import booked_too_close

    therapeutic = case(indication="therapeutic")
    assert booked_too_close(therapeutic, [], [booked(-60, "therapeutic")], EVICORE) == []
    [near] = booked_too_close(therapeutic, [], [booked(-59, "therapeutic")], EVICORE)
    assert (near.days, near.needed, near.joints, near.after) == (59, 60, ("left",), True)
    assert near.words() == ("in the left joint, only 59 days after case 41 on 2024-04-17, counted from that "
                            "appointment's date to this one's; eviCore / Cigna CMM-203 asks for at least 60 days, "
                            "so not before Sun 16 Jun 2024")


def test_a_therapeutic_session_booked_less_than_the_interval_after_warns_and_exactly_the_interval_does_not():
    from tracker.policy import booked_too_close

    therapeutic = case(indication="therapeutic")
    assert booked_too_close(therapeutic, [], [booked(60, "therapeutic", case_id=42)], EVICORE) == []
    [near] = booked_too_close(therapeutic, [], [booked(59, "therapeutic", case_id=42)], EVICORE)
    assert (near.days, near.after) == (59, False)
    assert near.words() == ("in the left joint, only 59 days before case 42 on 2024-08-13, counted from this "
                            "appointment's date to that one's; eviCore / Cigna CMM-203 asks for at least 60 days, "
                            "so not after Fri 14 Jun 2024")


def test_booked_sessions_on_both_sides_too_close_are_each_named_in_date_order():
    from tracker.policy import booked_too_close

    sessions = [booked(21, "therapeutic", case_id=42), booked(-21, "therapeutic", case_id=41),
                booked(-100, "therapeutic", case_id=40)]
    found = booked_too_close(case(indication="therapeutic"), [], sessions, EVICORE)
    assert [(n.booked.named, n.days, n.after) for n in found] == [
        ("case 41 on 2024-05-25", 21, True), ("case 42 on 2024-07-06", 21, False)]


def test_the_booked_interval_reads_only_what_the_interval_criterion_reads():
    from tracker.policy import booked_too_close

    therapeutic = case(indication="therapeutic")
    # Not a therapeutic request; a booked block; the other joint; a payer with no interval.
    assert booked_too_close(case(), [], [booked(-21, "therapeutic")], EVICORE) == []
    assert booked_too_close(therapeutic, [], [booked(-21, "diagnostic")], EVICORE) == []
    assert booked_too_close(therapeutic, [], [booked(-21, "therapeutic", side="right")], EVICORE) == []
    assert booked_too_close(therapeutic, [], [booked(-21, "therapeutic")], MEDICARE) == []
    # A bilateral one covers the joint.
    [near] = booked_too_close(therapeutic, [], [booked(-21, "therapeutic", side="bilateral")], EVICORE)
    assert near.joints == ("left",)


def test_a_session_booked_the_same_day_is_part_of_this_one_and_never_too_close():
    from tracker.policy import booked_too_close

    # A bilateral request booked as this case (left) and another case (right, or both sides) that day.
    assert booked_too_close(case(indication="therapeutic"), [], [booked(0, "therapeutic", side="right")], EVICORE) == []
    assert booked_too_close(case(indication="therapeutic"), [], [booked(0, "therapeutic", side="bilateral")],
                            EVICORE) == []
    # A session booked on the day of an injection given in the joint is part of it: the criterion reads it.
    given = [injection(10, "therapeutic")]
    assert booked_too_close(case(indication="therapeutic"), given, [booked(-10, "therapeutic")], EVICORE) == []
    assert criterion(case(indication="therapeutic"), EVICORE, given, CriterionCode.SPACING).status == NOT_MET


def test_a_bilateral_request_names_a_booked_bilateral_session_once_with_both_joints():
    from tracker.policy import booked_too_close

    bilateral = case(side="bilateral", indication="therapeutic")
    [near] = booked_too_close(bilateral, [], [booked(30, "therapeutic", side="bilateral")], EVICORE)
    assert near.joints == ("left", "right")
    assert near.words().startswith("in the left and right joints, only 30 days before case 41 on 2024-07-15,")
    # Too close in one joint only: that joint is named.
    [near] = booked_too_close(bilateral, [], [booked(30, "therapeutic", side="right")], EVICORE)
    assert near.words().startswith("in the right joint, only 30 days before")

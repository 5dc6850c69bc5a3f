"""Review of the eligibility engine at its edges: the rolling year around 29 February, caps per
joint and per patient, care before the onset and per payer, the positive-block threshold of each
payer, a repeat judged on its own joint's diary, and the next possible day as the verdict and
Reports › Caps give it. Each expected answer is worked out by hand from DESIGN.md and the README."""
from datetime import date, datetime, timedelta, timezone

from tracker.diary.relief import Reading, therapeutic_duration
from tracker.diary.schedule import describes_hours
from tracker.policy import CaseFacts, CriterionCode, PriorInjection, Status, TherapyFact, evaluate
from tracker.policy.engine import _leaves_rolling_year, next_session_day_with_booked

from tests.unit.test_policy_engine import CAM, EVICORE, MEDICARE, MP_558, case, criterion, status

MET, NOT_MET, UNKNOWN = Status.MET, Status.NOT_MET, Status.UNKNOWN
DIAGNOSTIC_CAP, THERAPEUTIC_CAP = CriterionCode.DIAGNOSTIC_CAP, CriterionCode.THERAPEUTIC_CAP


def given(day, indication="diagnostic", side="left", **details):
    return PriorInjection(performed_on=day, side=side, indication=indication, **details)


def test_on_29_february_a_block_of_28_february_a_year_earlier_has_left_and_one_of_1_march_counts():
    # Rolling 12 months from the day after the same date a year earlier: on 2028-02-29 that date is
    # 2027-02-28 (clamped), so the window starts on 2027-03-01.
    on_leap_day = case(as_of=date(2028, 2, 29))
    assert status(on_leap_day, prior=[given(date(2027, 2, 28)), given(date(2027, 9, 1))], code=DIAGNOSTIC_CAP) == MET
    assert status(on_leap_day, prior=[given(date(2027, 3, 1)), given(date(2027, 9, 1))],
                  code=DIAGNOSTIC_CAP) == NOT_MET
    # The day a block of 2027-02-28 leaves is 2028-02-28 (its anniversary), not 29 February.
    assert _leaves_rolling_year(date(2027, 2, 28)) == date(2028, 2, 28)
    assert status(case(as_of=date(2028, 2, 28)), prior=[given(date(2027, 2, 28)), given(date(2027, 9, 1))],
                  code=DIAGNOSTIC_CAP) == MET


def test_a_block_on_29_february_still_counts_on_28_february_of_the_next_year():
    prior = [given(date(2024, 2, 29)), given(date(2024, 9, 1))]
    cap = criterion(case(as_of=date(2025, 2, 28)), prior=prior, code=DIAGNOSTIC_CAP)
    assert cap.status == NOT_MET and "next from 2025-03-01" in cap.shortfall
    assert status(case(as_of=date(2025, 3, 1)), prior=prior, code=DIAGNOSTIC_CAP) == MET


def test_a_bilateral_session_is_one_session_for_the_patient_and_one_for_each_joint():
    bilateral = [given(date(2024, 3, 1), side="left"), given(date(2024, 3, 1), side="right")]
    # Medicare, per patient: the bilateral day is one session, so a left block now is 2 of 2.
    assert "this would be 2 of 2 (patient)" in criterion(case(), prior=bilateral, code=DIAGNOSTIC_CAP).evidence
    # eviCore, per joint: a right block counts only the right joint's sessions.
    two_left = [given(date(2024, 1, 5)), given(date(2024, 3, 1))]
    right = criterion(case(side="right"), EVICORE, prior=two_left, code=DIAGNOSTIC_CAP)
    assert right.status == MET and "this would be 1 of 2 (right joint)" in right.evidence
    # ... while a bilateral request is over on the left joint however empty the right one is.
    both = criterion(case(side="bilateral"), EVICORE, prior=two_left, code=DIAGNOSTIC_CAP)
    assert both.status == NOT_MET and both.shortfall.startswith("diagnostic cap: this would be 3 of 2 (left joint)")


def test_an_outside_injection_counts_towards_the_cap_and_is_named():
    outside = given(date(2024, 5, 1), outside="outside injection of 2024-05-01 at Riverside Pain Clinic")
    cap = criterion(case(), prior=[given(date(2024, 2, 1)), outside], code=DIAGNOSTIC_CAP)
    assert cap.status == NOT_MET
    assert "counting outside injection of 2024-05-01 at Riverside Pain Clinic" in cap.evidence


def test_care_from_before_the_onset_overlapping_and_ongoing_counts_each_day_once_from_the_onset():
    onset = date(2024, 5, 1)
    therapies = (
        TherapyFact("medication", date(2024, 4, 1), date(2024, 5, 10), "partial"),  # 10 days from the onset
        TherapyFact("medication", date(2024, 5, 5), date(2024, 5, 14), "none"),  # 4 more (11th to 14th)
        TherapyFact("physical_therapy", date(2024, 6, 1), None, "none"),  # ongoing: 15 days to 15 June
        TherapyFact("massage", date(2024, 5, 15), date(2024, 5, 31), "none"),  # passive: not Medicare's
        TherapyFact("home_exercise", date(2024, 1, 1), date(2024, 4, 30), "none"),  # another episode
    )
    facts = case(symptom_onset=onset, therapies=therapies)
    duration = criterion(facts, code=CriterionCode.CONSERVATIVE_CARE_DURATION)
    assert duration.status == MET and duration.evidence.startswith("failed conservative care 29 days")
    mix = criterion(facts, code=CriterionCode.CONSERVATIVE_CARE_COMPOSITION)
    assert mix.status == MET
    assert "failed medication trial 14 days" in mix.evidence and "failed active therapy 15 days" in mix.evidence
    # eviCore counts every kind: with the massage's 17 days, 46 days.
    assert criterion(facts, EVICORE, code=CriterionCode.CONSERVATIVE_CARE_DURATION).evidence.startswith(
        "failed conservative care 46 days")


def test_cam_counts_six_weeks_only_inside_its_six_months():
    # The look-back is 183 days up to and including 2024-06-15: from 2023-12-16.
    facts = case(symptom_onset=date(2023, 1, 1),
                 therapies=(TherapyFact("rest", date(2023, 11, 1), date(2024, 1, 26), "none"),))
    care = criterion(facts, CAM, code=CriterionCode.CONSERVATIVE_CARE_DURATION)
    assert care.status == MET and care.evidence.startswith("failed conservative care 42 days")
    shorter = case(symptom_onset=date(2023, 1, 1),
                   therapies=(TherapyFact("rest", date(2023, 11, 1), date(2024, 1, 25), "none"),))
    assert status(shorter, CAM, code=CriterionCode.CONSERVATIVE_CARE_DURATION) == NOT_MET


def test_a_confirmatory_block_reads_the_first_blocks_relief_at_each_payers_threshold():
    first = [given(date(2024, 5, 1), peak_relief_percent=78.0, diagnostic_result="positive")]
    confirmatory = case(indication="confirmatory")
    expected = {MEDICARE: MET, EVICORE: MET, MP_558: NOT_MET, CAM: MET}
    for profile, answer in expected.items():
        assert status(confirmatory, profile, prior=first, code=CriterionCode.PRIOR_POSITIVE_BLOCK) == answer, profile
    # A confirmatory block before it is no first block.
    only_confirmatory = [given(date(2024, 5, 1), "confirmatory", peak_relief_percent=95.0)]
    assert status(confirmatory, prior=only_confirmatory, code=CriterionCode.PRIOR_POSITIVE_BLOCK) == NOT_MET


def test_a_repeat_in_one_joint_reads_that_joints_relief_of_a_bilateral_injection():
    blocks = [given(date(2023, 9, 1), side=side, peak_relief_percent=90.0) for side in ("left", "right")]
    bilateral = [given(date(2024, 1, 10), "therapeutic", side="left", peak_relief_percent=70.0,
                       relief_duration_days=120),
                 given(date(2024, 1, 10), "therapeutic", side="right", peak_relief_percent=40.0,
                       relief_duration_days=0)]
    prior = blocks + bilateral
    assert status(case(indication="therapeutic"), prior=prior, code=CriterionCode.REPEAT_RELIEF) == MET
    right = criterion(case(indication="therapeutic", side="right"), prior=prior, code=CriterionCode.REPEAT_RELIEF)
    assert right.status == NOT_MET and "(right)" in right.evidence and "(left)" not in right.evidence


def test_a_late_three_month_score_still_at_half_relief_carries_the_run_to_the_day_it_describes():
    injected = datetime(2024, 1, 10, 15, 0, tzinfo=timezone.utc)
    readings = [Reading("d1", 24, 5), Reading("d7", 7 * 24, 4), Reading("w6", 42 * 24, 4),
                Reading("mo3", describes_hours(injected + timedelta(days=100), injected), 4)]
    last, days = therapeutic_duration(8, readings)
    assert last.code == "mo3" and int(days) == 100
    # Day 1 above, day 5 below (the steroid not acting yet), then above from day 7: the run goes on.
    dipped = [Reading("d1", 24, 3), Reading("d2", 5 * 24, 6), Reading("d7", 7 * 24, 4), Reading("w2", 14 * 24, 4)]
    assert int(therapeutic_duration(8, dipped)[1]) == 14


def test_the_verdicts_next_day_for_a_cap_is_the_day_reports_caps_gives():
    # Medicare, per patient: blocks of 2023-06-20 and 2024-02-01; on 2024-06-15 a third is over the
    # cap until the first leaves the 12 months, on 2024-06-20.
    sessions = [date(2023, 6, 20), date(2024, 2, 1)]
    cap = criterion(case(), prior=[given(day) for day in sessions], code=DIAGNOSTIC_CAP)
    assert "next from 2024-06-20" in cap.shortfall
    assert next_session_day_with_booked(sessions, [], 2, date(2024, 6, 15)) == date(2024, 6, 20)


def test_the_verdicts_next_day_for_evicores_therapeutic_cap_is_the_day_reports_caps_gives():
    """Review: four therapeutic injections in the left joint in 12 months, the last 16 days ago. The
    first leaves the 12 months on 2027-01-10, but eviCore's 60 days from the last end on 2027-01-19:
    Reports › Caps says another session is possible from 2027-01-19, and the verdict's cap said "next
    from 2027-01-10" (its code says it gives the day the Caps report gives)."""
    days = [date(2026, 1, 10), date(2026, 4, 20), date(2026, 7, 29), date(2026, 11, 20)]
    prior = [given(date(2025, 12, 1), peak_relief_percent=90.0)] + [
        given(day, "therapeutic", peak_relief_percent=90.0, relief_duration_days=60) for day in days]
    as_of = date(2026, 12, 6)
    report = next_session_day_with_booked(days, [], EVICORE.max_therapeutic_per_12m, as_of,
                                          EVICORE.min_days_between_injections)
    assert report == date(2027, 1, 19)
    cap = criterion(case(as_of=as_of, indication="therapeutic"), EVICORE, prior=prior, code=THERAPEUTIC_CAP)
    assert cap.status == NOT_MET
    assert cap.shortfall == "therapeutic cap: this would be 5 of 4 (left joint), next from 2027-01-19"

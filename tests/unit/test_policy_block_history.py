"""How the engine reads a joint's history: its blocks (the latest decides, and every one is named) and
a relief still holding when the earlier injection's outcome was recorded (a lower bound, never a failure).

The first test of each part comes from a reviewer's probes of the numbers that decide coverage."""
from datetime import date

import pytest

from tracker.policy import CriterionCode, PriorInjection, Status, evaluate

from tests.unit.test_policy_engine import ALL_PROFILES, CAM, EVICORE, MEDICARE, MP_558, case, criterion

PRIOR_BLOCK = CriterionCode.PRIOR_POSITIVE_BLOCK
DUAL = CriterionCode.DUAL_COMPARATIVE_BLOCKS
REPEAT = CriterionCode.REPEAT_RELIEF
MET, NOT_MET, UNKNOWN = Status.MET, Status.NOT_MET, Status.UNKNOWN


def given(day, indication="diagnostic", side="left", **details):
    return PriorInjection(performed_on=day, side=side, indication=indication, **details)


FIRST = given(date(2024, 1, 10), peak_relief_percent=80.0, diagnostic_result="positive")


def confirmatory(**details):
    return given(date(2024, 2, 20), indication="confirmatory", **details)


# --- a joint's blocks: the latest decides, every one is named -------------------------------------


def test_a_negative_confirmatory_block_after_a_positive_first_block_fails_a_therapeutic_request_and_is_named():
    """DESIGN §3: a therapeutic injection needs a prior positive diagnostic block, and the verdict lists
    each criterion "with the evidence used". The confirmatory block exists to confirm the first: once
    it read negative (20 % relief) the diagnosis is not confirmed. The engine took the best block and
    named only the positive first one: "met: diagnostic block 2024-01-10 (80% relief, needs 75%)"."""
    prior = [FIRST, confirmatory(peak_relief_percent=20.0, diagnostic_result="negative")]
    found = criterion(case(indication="therapeutic"), MEDICARE, prior=prior, code=PRIOR_BLOCK)
    assert found.status == NOT_MET, found.evidence
    assert found.evidence == ("diagnostic block 2024-01-10 (80% relief, needs 75%): positive; "
                              "confirmatory block 2024-02-20 (20% relief, needs 75%): negative; "
                              "the latest is negative (left)")
    assert found.shortfall == "positive diagnostic block (left; the latest, confirmatory block 2024-02-20, is negative)"


def test_a_positive_confirmatory_block_after_a_positive_first_block_is_met_naming_both():
    prior = [FIRST, confirmatory(peak_relief_percent=90.0)]
    found = criterion(case(indication="therapeutic"), MEDICARE, prior=prior, code=PRIOR_BLOCK)
    assert found.status == MET
    assert found.evidence == ("diagnostic block 2024-01-10 (80% relief, needs 75%): positive; "
                              "confirmatory block 2024-02-20 (90% relief, needs 75%): positive; "
                              "the latest is positive (left)")


def test_the_blocks_are_read_in_the_order_given_whatever_the_order_listed():
    prior = [confirmatory(peak_relief_percent=20.0), FIRST]
    found = criterion(case(indication="therapeutic"), MEDICARE, prior=prior, code=PRIOR_BLOCK)
    assert found.status == NOT_MET
    assert found.evidence.startswith("diagnostic block 2024-01-10")


@pytest.mark.parametrize(("latest", "words"), [
    (confirmatory(peak_relief_percent=90.0, diagnostic_result="indeterminate"), "not known"),
    # Given, its outcome not recorded yet: its result is still to come.
    (confirmatory(), "not known"),
])
def test_a_latest_block_of_unknown_result_leaves_the_criterion_unknown_and_the_verdict_incomplete(latest, words):
    """Unknown is never met, and incomplete is not ineligible (DESIGN §4): the confirmation the first
    block waits for is not known yet, so the case stays under review, not sent to Not eligible."""
    facts = case(indication="therapeutic")
    found = criterion(facts, MEDICARE, prior=[FIRST, latest], code=PRIOR_BLOCK)
    assert found.status == UNKNOWN
    assert found.evidence.endswith(f"confirmatory block 2024-02-20 ({latest_relief(latest)}): {words}; "
                                   f"the latest is {words} (left)")
    assert found.shortfall == "result of prior block (left)"
    verdict = evaluate(facts, [FIRST, latest], MEDICARE)
    assert verdict.incomplete and not verdict.eligible


def latest_relief(block):
    return "90% relief, needs 75%" if block.peak_relief_percent else "relief not recorded, needs 75%"


def test_a_confirmatory_request_reads_the_latest_first_block():
    """A confirmatory block confirms the first block as it now stands: a repeated first block that
    read negative leaves nothing to confirm."""
    prior = [FIRST, given(date(2024, 3, 1), peak_relief_percent=30.0)]
    found = criterion(case(indication="confirmatory"), MEDICARE, prior=prior, code=PRIOR_BLOCK)
    assert found.status == NOT_MET
    assert "the latest is negative (left)" in found.evidence


def test_each_joint_reads_its_own_latest_block():
    """A bilateral block, then a negative confirmatory block of the left joint only: the right joint's
    latest block is still the positive bilateral one."""
    prior = [given(date(2024, 1, 10), side="bilateral", peak_relief_percent=80.0),
             confirmatory(peak_relief_percent=20.0)]
    facts = case(side="bilateral", indication="therapeutic")
    found = criterion(facts, MEDICARE, prior=prior, code=PRIOR_BLOCK)
    assert found.status == NOT_MET
    assert found.evidence.endswith("the latest is negative (left); "
                                   "diagnostic block 2024-01-10 (80% relief, needs 75%) (right)")
    right = criterion(case(side="right", indication="therapeutic"), MEDICARE, prior=prior, code=PRIOR_BLOCK)
    assert right.status == MET


@pytest.mark.parametrize(("diagnostic", "confirmatories", "expected"), [
    # The latest of each kind counts: a first block that read negative when repeated fails the pair.
    ([80.0, 30.0], [90.0], NOT_MET),
    # A confirmatory block repeated and positive at last completes it.
    ([80.0], [30.0, 90.0], MET),
    ([80.0], [90.0, 30.0], NOT_MET),
])
def test_mp_558s_dual_blocks_count_the_latest_block_of_each_kind(diagnostic, confirmatories, expected):
    prior = [given(date(2024, 1, 10 + i), peak_relief_percent=relief) for i, relief in enumerate(diagnostic)]
    prior += [given(date(2024, 2, 10 + i), "confirmatory", peak_relief_percent=relief)
              for i, relief in enumerate(confirmatories)]
    found = criterion(case(indication="therapeutic"), MP_558, prior=prior, code=DUAL)
    assert found.status == expected, found.evidence
    assert all(f"2024-0{month}-{10 + i}" in found.evidence
               for month, reliefs in ((1, diagnostic), (2, confirmatories)) for i in range(len(reliefs)))


# --- a relief still holding when the outcome was recorded --------------------------------------


def still_holding(days, peak=80.0, **details):
    """A positive block, then a therapeutic injection whose outcome was recorded while its relief still
    held at the latest score, `days` after it (a lower bound)."""
    return [given(date(2024, 1, 10), peak_relief_percent=90.0, diagnostic_result="positive"),
            given(date(2024, 2, 1), indication="therapeutic", peak_relief_percent=peak,
                  relief_duration_days=days, relief_days_at_least=True, **details)]


def test_relief_still_holding_when_the_outcome_was_recorded_is_unknown_not_failed_for_a_repeat():
    """The outcome was recorded at 6 weeks while the diary still ran and relief still held (80 % at
    the latest score): the 42 days are a lower bound, censored, as DESIGN §4 reads a duration. Whether
    relief reached Medicare's 90 days is not known, and "unknown is never met" but "incomplete is not
    ineligible": the repeat's relief criterion reads unknown (the verdict incomplete, for the physician
    to decide with the records), not "not met" (the case sent to Not eligible)."""
    facts = case(indication="therapeutic")
    found = criterion(facts, MEDICARE, prior=still_holding(42), code=REPEAT)
    assert found.status == UNKNOWN, (found.status, found.evidence)
    assert found.evidence == (
        "after therapeutic injection of 2024-02-01: peak relief 80%, at least 42 days at 50% or more (the diary "
        "still running when recorded), needs 50% for 90 days: relief still held at 42 days when the outcome was "
        "recorded; record the relief's end when known (left)")
    assert found.shortfall == "end of relief after injection of 2024-02-01: at least 42 of 90 days so far (left)"
    verdict = evaluate(facts, still_holding(42), MEDICARE)
    assert verdict.incomplete and not verdict.eligible


def test_the_same_days_when_relief_had_ended_are_not_met():
    prior = still_holding(42)
    ended = [prior[0], given(date(2024, 2, 1), indication="therapeutic", peak_relief_percent=80.0,
                             relief_duration_days=42)]
    found = criterion(case(indication="therapeutic"), MEDICARE, prior=ended, code=REPEAT)
    assert found.status == NOT_MET
    assert "at least" not in found.evidence and "record the relief's end" not in found.evidence


@ALL_PROFILES
def test_a_lower_bound_short_of_the_days_is_unknown_and_one_reaching_them_is_met_under_every_profile(profile):
    needed = profile.repeat_relief_min_days
    facts = case(indication="therapeutic")
    short = criterion(facts, profile, prior=still_holding(needed - 1), code=REPEAT)
    assert short.status == UNKNOWN, short.evidence
    assert f"at least {needed - 1} days" in short.evidence
    reached = criterion(facts, profile, prior=still_holding(needed), code=REPEAT)
    assert reached.status == MET, reached.evidence
    assert f"at least {needed} days" in reached.evidence and "record the relief's end" not in reached.evidence


def test_a_lower_bound_does_not_rescue_a_peak_below_the_threshold():
    """eviCore's 75 %: a repeat after an injection whose best relief was 60 % fails on the peak, whatever
    the days still to come (a known failure outweighs a gap)."""
    found = criterion(case(indication="therapeutic"), EVICORE,
                      prior=still_holding(10, peak=60.0, relief_days_at_percent=50.0), code=REPEAT)
    assert found.status == NOT_MET


def test_a_bilateral_repeat_waits_on_the_joint_still_holding_and_fails_on_the_joint_that_ended():
    block = given(date(2024, 1, 10), side="bilateral", peak_relief_percent=90.0)
    left = given(date(2024, 2, 1), indication="therapeutic", side="left", peak_relief_percent=80.0,
                 relief_duration_days=20, relief_days_at_least=True)
    right = given(date(2024, 2, 1), indication="therapeutic", side="right", peak_relief_percent=80.0,
                  relief_duration_days=30)
    facts = case(side="bilateral", indication="therapeutic")
    assert criterion(facts, CAM, prior=[block, left], code=REPEAT).status == UNKNOWN
    found = criterion(facts, CAM, prior=[block, left, right], code=REPEAT)
    assert found.status == NOT_MET
    assert found.shortfall.startswith("end of relief after injection of 2024-02-01: at least 20 of 42 days so far "
                                      "(left); ")

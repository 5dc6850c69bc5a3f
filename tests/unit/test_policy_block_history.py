"""How the engine reads a joint's history: its blocks (the latest decides, and every one is named).

The first test comes from a reviewer's probes of the numbers that decide coverage."""
from datetime import date

import pytest

from tracker.policy import CriterionCode, PriorInjection, Status, evaluate

from tests.unit.test_policy_engine import MEDICARE, MP_558, case, criterion

PRIOR_BLOCK = CriterionCode.PRIOR_POSITIVE_BLOCK
DUAL = CriterionCode.DUAL_COMPARATIVE_BLOCKS
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

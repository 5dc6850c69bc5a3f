"""The one duration an outcome keeps for a bilateral case (`Outcome.therapeutic_days`, the API's
`therapeutic_days`, "the shorter joint's") is not known when either joint's is not known: never the
other joint's, which would say the shorter joint's relief lasted that long for a joint never measured."""
import pytest

from tracker.diary.outcome import stored_days


def test_a_bilateral_outcome_with_one_joint_not_known_keeps_no_case_duration():
    """The left recorded at 120 days and the right not known (its diary missing, left empty): the
    shorter joint is not known, so the case's figure is none, as the diary's reading
    (`suggested_days`) is."""
    one, per_joint = stored_days({"left": 120, "right": None})
    assert per_joint == {"left": 120, "right": None}
    assert one is None


@pytest.mark.parametrize("days, one", [
    ({"left": 120, "right": 7}, 7),  # the shorter joint's
    ({"left": 0, "right": 90}, 0),  # no relief in one joint is its duration, 0
    ({"left": None, "right": 0}, None),
    ({"left": None, "right": None}, None),
])
def test_a_bilateral_case_keeps_the_shorter_joints_duration_only_when_both_are_known(days, one):
    assert stored_days(days) == (one, days)


@pytest.mark.parametrize("days", [42, None])
def test_a_one_sided_case_keeps_its_joints_duration(days):
    assert stored_days({"left": days}) == (days, None)

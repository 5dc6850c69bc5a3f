"""The outcome in words on a FHIR Procedure says what the diary page says of the same days."""
from types import SimpleNamespace

import pytest

from tracker.fhir.resources import _procedure_outcome
from tracker.vocab import NextStep


def words(days, result=None, so_far=False):
    """The outcome's words; `so_far`: the days were the diary's reading while it still ran."""
    row = SimpleNamespace(diagnostic_result=result, therapeutic_days=days, next_step=NextStep.DISCHARGE,
                          diary_therapeutic_days=days, diary_days_so_far=so_far, side_results=None)
    return _procedure_outcome(row)["text"]


@pytest.mark.parametrize("days, said", [
    (0, "No relief of 50% or more; next step: discharge"),
    (1, "Relief of 50% or more for 1 day; next step: discharge"),
    (45, "Relief of 50% or more for 45 days; next step: discharge"),
])
def test_the_days_of_relief_read_as_the_diary_page_reads_them(days, said):
    assert words(days) == said


def test_a_block_names_its_result_first():
    assert words(None, "positive") == "Diagnostic block positive; next step: discharge"


def test_days_recorded_while_the_diary_ran_read_as_a_lower_bound():
    assert words(7, so_far=True) == ("Relief of 50% or more for at least 7 days (the diary still running when "
                                     "recorded); next step: discharge")

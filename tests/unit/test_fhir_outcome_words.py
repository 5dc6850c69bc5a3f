"""The outcome in words on a FHIR Procedure says what the diary page says of the same days."""
from types import SimpleNamespace

import pytest

from tracker.fhir.resources import _procedure_outcome
from tracker.vocab import NextStep


def words(days, result=None):
    row = SimpleNamespace(diagnostic_result=result, therapeutic_days=days, next_step=NextStep.DISCHARGE)
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

"""What a procedure record says its physician acknowledged to start it (tracker.procedures.records,
pure: read from any object with the record's attributes)."""
from datetime import date
from types import SimpleNamespace

import pytest

from tracker.procedures.records import acknowledged


@pytest.mark.parametrize("pregnancy, infection, case_ids, said", [
    (None, False, None, ""),
    ("possible", False, None, "Possibly pregnant on the risk screen"),
    (None, True, None, "Active infection or fever on the risk screen"),
    (None, False, [12], "Another procedure in progress (case 12)"),
    ("yes", True, [12, 15], "Pregnant on the risk screen; active infection or fever on the risk screen; other "
                            "procedures in progress (case 12, case 15)"),
])
def test_a_record_says_what_was_acknowledged_to_start_it(pregnancy, infection, case_ids, said):
    record = SimpleNamespace(pregnancy_acknowledged=pregnancy, infection_acknowledged=infection,
                             acknowledged_case_ids=case_ids, anticoagulant_last_dose_on=None, hold_acknowledged=False)
    assert acknowledged(record) == said


@pytest.mark.parametrize("last_dose_on, hold_acknowledged, said", [
    (date(2026, 12, 4), False, "Anticoagulant hold did not fit: last dose on Friday, December 4, 2026, entered at "
                               "the start; another procedure in progress (case 12)"),
    (None, True, "Anticoagulant hold did not fit and no day of the last dose was confirmed; another procedure in "
                 "progress (case 12)"),
])
def test_a_record_says_what_its_physician_answered_for_a_hold_that_did_not_fit(last_dose_on, hold_acknowledged, said):
    record = SimpleNamespace(pregnancy_acknowledged=None, infection_acknowledged=False, acknowledged_case_ids=[12],
                             anticoagulant_last_dose_on=last_dose_on, hold_acknowledged=hold_acknowledged)
    assert acknowledged(record) == said

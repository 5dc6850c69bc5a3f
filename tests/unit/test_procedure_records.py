"""What a procedure record says its physician acknowledged to start it (tracker.procedures.records,
pure: read from any object with the record's attributes)."""
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
                             acknowledged_case_ids=case_ids)
    assert acknowledged(record) == said

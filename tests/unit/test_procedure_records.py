"""What a procedure record says its physician acknowledged to start it (tracker.procedures.records,
pure: read from any object with the record's attributes)."""
from types import SimpleNamespace

import pytest

from tracker.procedures.records import acknowledged


@pytest.mark.parametrize("pregnancy, case_ids, said", [
    (None, None, ""),
    ("possible", None, "Possibly pregnant on the risk screen"),
    (None, [12], "Another procedure in progress (case 12)"),
    ("yes", [12, 15], "Pregnant on the risk screen; other procedures in progress (case 12, case 15)"),
])
def test_a_record_says_what_was_acknowledged_to_start_it(pregnancy, case_ids, said):
    record = SimpleNamespace(pregnancy_acknowledged=pregnancy, acknowledged_case_ids=case_ids)
    assert acknowledged(record) == said

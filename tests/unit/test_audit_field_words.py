"""The audit trail names a changed field in words a reader knows, not as its column."""
import pytest

from tracker.audit import field_words as _audit_field


@pytest.mark.parametrize("column, words", [
    ("baseline_nrs", "Baseline NRS"),
    ("odi_3", "Oswestry answer 3"),
    ("pain_below_l5", "Pain below L5"),
    ("hba1c", "HbA1c"),
    ("family_name", "Family name"),
    ("active", "Active"),
])
def test_a_column_is_named_in_words(column, words):
    assert _audit_field(column) == words

"""Whether two risk screens of one patient disagree on blood thinners, and how it is said. Pure
(tracker.vocab)."""
from types import SimpleNamespace

import pytest

from tracker.vocab import anticoagulant_disagreement, anticoagulants_disagree


def risk(answer="taking", drug="", days=None):
    return SimpleNamespace(anticoagulant_answer=answer, anticoagulants=drug, anticoagulant_hold_days=days,
                           allergy_answer="nkda")


RIVA = risk(drug="rivaroxaban 20 mg daily", days=3)


@pytest.mark.parametrize("one, other, disagree", [
    (RIVA, risk("none"), True),
    (RIVA, risk(drug="apixaban 5 mg twice daily", days=2), True),
    (RIVA, risk(drug="  Rivaroxaban   20 MG daily", days=2), False),   # the same drug, typed differently
    (RIVA, risk("not_asked"), False),                               # not an answer yet
    (RIVA, None, False),                                            # no risk screen
    (risk("none"), risk("none"), False),
])
def test_two_screens_disagree_only_when_both_answered_differently(one, other, disagree):
    assert anticoagulants_disagree(one, other) is disagree
    assert anticoagulants_disagree(other, one) is disagree


def test_the_words_name_the_other_case_and_both_answers():
    assert anticoagulant_disagreement(24, "right", RIVA, risk("none")) == (
        "Case 24 (right) of this patient records anticoagulants: rivaroxaban 20 mg daily (no dose for 3 days "
        "before the procedure day); this case records: none. Confirm with the patient which is true and correct "
        "the risk screen that is wrong.")
    assert "records anticoagulants: warfarin (keep taking it);" in anticoagulant_disagreement(
        3, "left", risk(drug="warfarin", days=0), risk("none"))

"""Whether two risk screens of one patient disagree on blood thinners, and how it is said: the drug
compared by its name (case, spacing, dose and frequency aside), the planned hold compared on its
own. Pure (tracker.vocab)."""
from types import SimpleNamespace

import pytest

from tracker.vocab import anticoagulant_disagreement, anticoagulant_name


def risk(answer="taking", drug="", days=None):
    return SimpleNamespace(anticoagulant_answer=answer, anticoagulants=drug, anticoagulant_hold_days=days,
                           allergy_answer="nkda")


RIVA = risk(drug="rivaroxaban 20 mg daily", days=3)
CONFIRM_HOLD = "Confirm the hold with the prescriber and correct the risk screen that is wrong."


@pytest.mark.parametrize("typed, name", [
    ("rivaroxaban 20 mg daily", "rivaroxaban"),
    ("Rivaroxaban 20mg", "rivaroxaban"),
    ("  RIVAROXABAN   20 MG once a day with food", "rivaroxaban"),
    ("apixaban 5 mg twice daily", "apixaban"),
    ("Apixaban 2.5mg BID", "apixaban"),
    ("warfarin 5 mg PO nightly (INR target)", "inr and target and warfarin"),   # what it cannot read stays
    ("Aspirin 81 mg + clopidogrel 75 mg daily", "aspirin and clopidogrel"),
    ("clopidogrel 75mg od, aspirin 81mg", "aspirin and clopidogrel"),              # in any order
    ("dabigatran 150 mg b.i.d.", "dabigatran"),
    ("20 mg daily", "20 mg daily"),                                               # no name: compared as typed
    ("Xarelto 20 mg daily", "rivaroxaban"),                                       # a brand is its drug
    ("ELIQUIS 5mg BID", "apixaban"),
    ("Plavix 75 mg + ASA 81 mg", "aspirin and clopidogrel"),
    ("Aggrenox 1 cap twice daily", "aspirin and dipyridamole"),                   # a brand of two drugs
    ("Coumadin 5 mg", "warfarin"),
    ("Zyxa 10 mg", "zyxa"),                                                        # a brand not known stays a name
])
def test_the_drug_is_named_without_its_case_spacing_dose_or_frequency(typed, name):
    assert anticoagulant_name(typed) == name


@pytest.mark.parametrize("one, other, disagree", [
    (RIVA, risk("none"), True),
    (RIVA, risk(drug="apixaban 5 mg twice daily", days=3), True),
    (RIVA, risk(drug="  Rivaroxaban   20 MG daily", days=3), False),   # the same drug, typed differently
    (RIVA, risk(drug="Rivaroxaban 20mg", days=3), False),              # ... with its dose and frequency
    (RIVA, risk(drug="Xarelto 20 mg", days=3), False),                 # its brand name
    (RIVA, risk(drug="Xarelto 20 mg", days=5), True),                  # ... with another hold
    (RIVA, risk(drug="rivaroxaban 15 mg", days=5), True),              # the same drug, another hold
    (RIVA, risk(drug="rivaroxaban", days=None), False),                # no days recorded: nothing to compare
    (RIVA, risk("not_asked"), False),                                  # not an answer yet
    (RIVA, None, False),                                               # no risk screen
    (risk("none"), risk("none"), False),
])
def test_two_screens_disagree_only_when_both_answered_differently(one, other, disagree):
    assert bool(anticoagulant_disagreement(1, "left", one, other)) is disagree
    assert bool(anticoagulant_disagreement(1, "left", other, one)) is disagree


def test_the_words_name_the_other_case_and_both_answers():
    assert anticoagulant_disagreement(24, "right", RIVA, risk("none")) == (
        "Case 24 (right) of this patient records anticoagulants: rivaroxaban 20 mg daily (no dose for 3 days "
        "before the procedure day); this case records: none. Confirm with the patient which is true and correct "
        "the risk screen that is wrong.")
    assert "records anticoagulants: warfarin (keep taking it);" in anticoagulant_disagreement(
        3, "left", risk(drug="warfarin", days=0), risk("none"))


def test_the_same_drug_with_another_hold_names_both_holds():
    assert anticoagulant_disagreement(12, "right", RIVA, risk(drug="Rivaroxaban 20mg", days=5)) == (
        f"Case 12 (right) of this patient plans a 3-day hold of rivaroxaban; this case 5 days. {CONFIRM_HOLD}")
    assert anticoagulant_disagreement(12, "right", RIVA, risk(drug="rivaroxaban", days=1)) == (
        f"Case 12 (right) of this patient plans a 3-day hold of rivaroxaban; this case 1 day. {CONFIRM_HOLD}")
    warfarin = risk(drug="warfarin 5 mg", days=0)
    assert anticoagulant_disagreement(12, "right", warfarin, risk(drug="Warfarin", days=5)) == (
        f"Case 12 (right) of this patient plans no hold of warfarin (keep taking it); this case 5 days. "
        f"{CONFIRM_HOLD}")
    assert anticoagulant_disagreement(12, "right", RIVA, risk(drug="rivaroxaban", days=0)) == (
        f"Case 12 (right) of this patient plans a 3-day hold of rivaroxaban; this case no hold (keep taking it). "
        f"{CONFIRM_HOLD}")

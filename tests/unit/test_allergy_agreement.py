"""Whether another open case of the patient records an allergy this case's risk screen does not, and
how it is said: the allergies compared as the ticked choices they are (never as the words shown),
NKDA as no allergy, a question not asked yet disagreeing with nothing, and a contrast allergy missed
said on its own since contrast is given at every injection. Pure (tracker.vocab)."""
from types import SimpleNamespace

import pytest

from tracker.vocab import Allergy, allergy_disagreement


def risk(*allergies, answer=None):
    """A risk screen (its allergy fields only): NKDA with none ticked, documented with some."""
    ticked = {allergy.field: allergy in allergies for allergy in Allergy}
    return SimpleNamespace(allergy_answer=answer or ("documented" if allergies else "nkda"),
                           anticoagulant_answer="none", **ticked)


NKDA = risk()
CONTRAST = risk(Allergy.CONTRAST)
CONFIRM = "Confirm with the patient which is true and correct the risk screen that is wrong."
CONTRAST_GIVEN = ("Iodinated contrast is given at every injection: if the allergy is true, plan its premedication "
                  "on this case's risk screen.")


def test_nkda_here_and_contrast_on_the_other_case_names_it_and_the_premedication():
    assert allergy_disagreement(21, "left", CONTRAST, NKDA) == (
        f"Case 21 (left) of this patient records allergies: iodinated contrast; this case records: NKDA (no known "
        f"allergies). {CONFIRM} {CONTRAST_GIVEN}")


def test_an_allergy_other_than_contrast_missed_here_is_said_without_the_premedication():
    assert allergy_disagreement(21, "left", risk(Allergy.LATEX, Allergy.STEROID), risk(Allergy.LATEX)) == (
        f"Case 21 (left) of this patient records allergies: latex, steroid; this case records: latex. {CONFIRM}")


def test_contrast_missed_among_others_is_said_with_the_premedication():
    words = allergy_disagreement(3, "right", risk(Allergy.CONTRAST, Allergy.LATEX), risk(Allergy.LATEX))
    assert words.endswith(CONTRAST_GIVEN)


@pytest.mark.parametrize("other, this", [
    pytest.param(NKDA, NKDA, id="both-nkda"),
    pytest.param(CONTRAST, CONTRAST, id="same-allergy"),
    pytest.param(risk(Allergy.LATEX, Allergy.CONTRAST), risk(Allergy.CONTRAST, Allergy.LATEX), id="same-in-any-order"),
    pytest.param(NKDA, CONTRAST, id="this-case-records-more"),
    pytest.param(risk(Allergy.LATEX), risk(Allergy.LATEX, Allergy.CONTRAST), id="this-case-records-more-of-them"),
    pytest.param(risk(answer="not_asked"), NKDA, id="other-not-asked"),
    pytest.param(CONTRAST, risk(answer="not_asked"), id="this-not-asked"),
    pytest.param(None, CONTRAST, id="other-no-risk-screen"),
    pytest.param(CONTRAST, None, id="this-no-risk-screen"),
])
def test_nothing_is_said_unless_the_other_case_records_an_allergy_this_one_does_not(other, this):
    assert allergy_disagreement(1, "left", other, this) == ""


def test_it_is_the_case_missing_the_allergy_that_is_told():
    assert allergy_disagreement(1, "right", CONTRAST, NKDA)
    assert not allergy_disagreement(2, "left", NKDA, CONTRAST)

"""The default formulary as data, and the dose arithmetic: dose = concentration x volume."""
from dataclasses import replace
from decimal import Decimal

import pytest

from tracker.procedures.formulary import (
    DEFAULT_FORMULARY,
    INJECTATE_KINDS,
    DrugKind,
    combined_dose_problem,
    dose_matches,
    joint_dose_problem,
    entries_of_kind,
    formulary_by_code,
    read_concentration,
    strength_problems,
    strength_words,
)

FORMULARY = formulary_by_code()


def test_the_default_formulary_holds_the_drugs_the_clinic_injects():
    assert {entry.code for entry in entries_of_kind(FORMULARY, DrugKind.LOCAL_ANAESTHETIC)} == {
        "lidocaine", "bupivacaine", "ropivacaine"}
    assert {entry.code for entry in entries_of_kind(FORMULARY, DrugKind.STEROID)} == {
        "triamcinolone", "methylprednisolone_acetate", "dexamethasone", "betamethasone"}
    assert {entry.code for entry in entries_of_kind(FORMULARY, DrugKind.CONTRAST)} == {"iohexol", "gadobutrol"}
    assert {entry.code for entry in entries_of_kind(FORMULARY, DrugKind.SKIN_PREP)} == {
        "chlorhexidine_alcohol", "povidone_iodine"}


def test_drug_codes_are_unique():
    assert len(FORMULARY) == len(DEFAULT_FORMULARY)


@pytest.mark.parametrize("code, strengths", [
    ("lidocaine", {10, 20}),
    ("bupivacaine", {Decimal("2.5"), 5}),
    ("ropivacaine", {2, 5}),
    ("methylprednisolone_acetate", {40, 80}),
    ("dexamethasone", {4, 10}),
    ("betamethasone", {6}),
])
def test_common_strengths_are_listed_in_mg_per_ml(code, strengths):
    entry = FORMULARY[code]
    assert entry.strength_unit == "mg/mL"
    assert set(entry.strengths) == {Decimal(s) for s in strengths}


def test_triamcinolone_comes_at_40_mg_per_ml():
    assert Decimal(40) in FORMULARY["triamcinolone"].strengths


def test_iohexol_is_listed_by_its_iodine_content():
    entry = FORMULARY["iohexol"]
    assert entry.strength_unit == "mgI/mL"
    assert set(entry.strengths) >= {Decimal(180), Decimal(240), Decimal(300)}


@pytest.mark.parametrize("code, maximum", [
    ("triamcinolone", 40), ("methylprednisolone_acetate", 80), ("dexamethasone", 10), ("betamethasone", 12),
])
def test_each_steroid_has_a_usual_maximum_per_joint_marked_as_a_convention(code, maximum):
    entry = FORMULARY[code]
    assert entry.usual_max_dose_mg == Decimal(maximum)
    assert "convention" in entry.source


@pytest.mark.parametrize("code, maximum, strongest, systemic", [
    ("lidocaine", 100, 20, 300), ("bupivacaine", 25, 5, 175), ("ropivacaine", 25, 5, 225),
])
def test_each_local_anaesthetic_has_a_usual_maximum_per_joint_far_below_its_systemic_maximum(
        code, maximum, strongest, systemic):
    # 5 mL of the strongest listed solution: above what an SI joint injection uses (1-3 mL), a
    # fraction of the systemic maximum, and the note says both and that the checklist stops above it.
    entry = FORMULARY[code]
    assert entry.usual_max_dose_mg == Decimal(maximum) == Decimal(strongest) * 5
    assert maximum * 3 <= systemic
    assert f"usual maximum per SI joint {maximum} mg" in entry.source and f"{systemic} mg" in entry.source
    assert "no per-joint maximum" not in entry.source and "stops" in entry.source


def test_drugs_without_a_per_joint_maximum_say_so_with_none():
    others = [entry for entry in DEFAULT_FORMULARY if entry.kind not in INJECTATE_KINDS]
    assert all(entry.usual_max_dose_mg is None for entry in others)
    assert all(entry.source for entry in DEFAULT_FORMULARY)


def test_only_local_anaesthetics_and_steroids_go_on_an_injectate_row():
    assert INJECTATE_KINDS == {DrugKind.LOCAL_ANAESTHETIC, DrugKind.STEROID}


# --- dose arithmetic -------------------------------------------------------------------------


def test_a_dose_that_is_exactly_concentration_times_volume_matches():
    assert dose_matches(Decimal(40), Decimal(40), Decimal(1))
    assert dose_matches(Decimal("2.5"), Decimal("5"), Decimal("2"))


def test_numeric_strings_from_a_form_are_read_as_decimals():
    assert dose_matches("10", "5", "0.5")


def test_a_volume_read_off_the_syringe_within_two_percent_matches():
    # 10 mg at 30 mg/mL is 0.333 mL; 0.33 is 9.9 mg, 1% off.
    assert dose_matches(Decimal(30), Decimal(10), Decimal("0.33"))


def test_a_dose_more_than_two_percent_off_does_not_match():
    assert not dose_matches(Decimal(40), Decimal("40.9"), Decimal(1))  # 2.25% off
    assert dose_matches(Decimal(40), Decimal("40.8"), Decimal(1))      # 2% off exactly


def test_a_mismatch_says_which_volume_the_dose_needs():
    check = dose_matches(Decimal(40), Decimal(40), Decimal(2))
    assert not check
    assert check.message == ("40 mg at 40 mg/mL is 1.0 mL, not 2.0 mL; 2.0 mL of it is 80 mg. "
                             "Dose = concentration × volume: correct the one mistyped.")


def test_a_mismatch_message_keeps_small_volumes_readable():
    check = dose_matches(Decimal(4), Decimal(3), Decimal(1))
    assert check.message.startswith("3 mg at 4 mg/mL is 0.75 mL, not 1.0 mL; 1.0 mL of it is 4 mg.")


@pytest.mark.parametrize("concentration, dose, volume", [(0, 40, 1), (40, 0, 1), (40, 40, 0), (40, -40, -1)])
def test_zero_or_negative_amounts_never_match(concentration, dose, volume):
    check = dose_matches(concentration, dose, volume)
    assert not check
    assert "more than 0" in check.message


def test_text_that_is_not_a_number_never_matches():
    check = dose_matches("forty", 40, 1)
    assert not check
    assert "numbers" in check.message


# --- strengths: a percentage or mg/mL, and the hard stop outside the formulary ------------------

@pytest.mark.parametrize("text", ["0.5 %", "0.5%", " 0.5  % ", "5", "5 mg/mL", "5mg/ml", "5 MG/ML", Decimal("5")])
def test_half_a_percent_is_five_mg_per_ml_however_it_is_typed(text):
    assert read_concentration(text).mg_per_ml == Decimal("5")


def test_the_reading_remembers_a_percentage_was_typed():
    assert read_concentration("0.25 %").percent and not read_concentration("2.5").percent


@pytest.mark.parametrize("text", ["", "abc", "5 mg", "%", "0,5 %", "nan", "inf"])
def test_what_is_not_a_concentration_reads_as_none(text):
    assert read_concentration(text) is None


def test_a_strength_is_shown_in_both_units():
    assert strength_words(Decimal("5")) == "5 mg/mL (0.5 %)"
    assert strength_words(Decimal("2.5")) == "2.5 mg/mL (0.25 %)"
    assert strength_words(Decimal("40")) == "40 mg/mL (4 %)"


def problems(code, concentration):
    return strength_problems(FORMULARY[code], Decimal(concentration))


def test_a_listed_strength_has_no_problem_in_either_unit():
    assert problems("bupivacaine", "5") == []
    assert problems("bupivacaine", read_concentration("0.5 %").mg_per_ml) == []
    assert problems("ropivacaine", read_concentration("0.2 %").mg_per_ml) == []


def test_exactly_ten_times_a_listed_strength_is_a_slipped_decimal_point():
    assert problems("bupivacaine", "50") == [("concentration_mg_per_ml",
        "Bupivacaine at 50 mg/mL (5 %) is ten times the listed 5 mg/mL (0.5 %): a slipped decimal point, "
        "or a percentage typed as mg/mL?")]


def test_exactly_a_tenth_of_a_listed_strength_is_a_percentage_typed_as_mg_per_ml():
    [(field, message)] = problems("lidocaine", "1")
    assert field == "concentration_mg_per_ml"
    assert message.startswith("Lidocaine at 1 mg/mL (0.1 %) is a tenth of the listed 10 mg/mL (1 %)")


def test_nine_or_eleven_times_a_listed_strength_is_simply_not_listed():
    [(_, nine)] = problems("bupivacaine", "45")
    [(_, eleven)] = problems("bupivacaine", "55")
    assert nine == ("Bupivacaine at 45 mg/mL (4.5 %) is not a listed strength (2.5 mg/mL (0.25 %), "
                    "5 mg/mL (0.5 %)).")
    assert "not a listed strength" in eleven


def test_a_dose_ten_times_the_usual_maximum_is_stopped_for_the_joint_and_just_under_is_not():
    assert joint_dose_problem(FORMULARY["triamcinolone"], Decimal("400")) == (
        "Triamcinolone acetonide 400 mg is ten times or more the usual maximum of 40 mg per SI joint.")
    assert joint_dose_problem(FORMULARY["triamcinolone"], Decimal("399.9")) is None


def test_a_local_anaesthetic_is_stopped_above_its_maximum_for_the_joint_not_at_ten_times_it():
    # The walkthrough's 500 mg of bupivacaine: stopped per joint (the rows together), and not said twice.
    assert joint_dose_problem(FORMULARY["bupivacaine"], Decimal("500")) == (
        "Bupivacaine 500 mg is above the usual maximum of 25 mg per SI joint.")
    assert joint_dose_problem(FORMULARY["bupivacaine"], Decimal("25")) is None
    assert joint_dose_problem(FORMULARY["lidocaine"], Decimal("100.5")).startswith("Lidocaine 100.5 mg is above")
    assert joint_dose_problem(FORMULARY["triamcinolone"], Decimal("80")) is None, "a steroid above it is a warning"


def together(*doses):
    """One joint's local anaesthetics, each (code, mg), said next to its own row's dose."""
    return combined_dose_problem((FORMULARY[code], Decimal(dose), f"rows-{index}-dose_mg")
                                 for index, (code, dose) in enumerate(doses))


def test_local_anaesthetics_in_one_joint_add_up_to_their_maximum_each_as_a_share_of_its_own():
    assert together(("lidocaine", "80"), ("bupivacaine", "20")) == ("rows-1-dose_mg", (
        "Lidocaine 80 mg (80 % of its maximum) and bupivacaine 20 mg (80 %) together reach 160 % of the local "
        "anaesthetic maximum for one joint: their toxicity adds up, so together they are above the usual maximum."))


def test_local_anaesthetics_at_exactly_their_maximum_together_pass_and_just_above_it_are_stopped():
    assert together(("lidocaine", "50"), ("bupivacaine", "12.5")) is None
    assert together(("lidocaine", "60"), ("ropivacaine", "10")) is None
    # Shares are summed exactly: three thirds are 100 %, not a rounding error either side of it.
    thirty = [replace(FORMULARY[code], usual_max_dose_mg=Decimal("30"))
              for code in ("lidocaine", "bupivacaine", "ropivacaine")]
    assert combined_dose_problem([(entry, Decimal("10"), entry.code) for entry in thirty]) is None
    assert combined_dose_problem([(entry, Decimal(dose), entry.code)
                                  for entry, dose in zip(thirty, ("20", "5", "5.01"))])[1].startswith(
        "Lidocaine 20 mg (66.7 % of its maximum), bupivacaine 5 mg (16.7 %) and ropivacaine 5.01 mg (16.7 %) together "
        "reach 100.1 %")
    where, just_above = together(("lidocaine", "50.1"), ("bupivacaine", "12.5"))
    assert where == "rows-1-dose_mg"
    assert just_above.startswith("Lidocaine 50.1 mg (50.1 % of its maximum) and bupivacaine 12.5 mg (50 %) "
                                 "together reach 100.1 % of the local anaesthetic maximum")
    # A hair above 100 % is never said as 100 %.
    _, hair = together(("lidocaine", "50.001"), ("bupivacaine", "12.5"))
    assert "together reach 100.1 %" in hair


def test_three_local_anaesthetics_are_named_in_the_order_of_their_rows():
    where, said = together(("ropivacaine", "10"), ("lidocaine", "40"), ("bupivacaine", "10"))
    assert where == "rows-2-dose_mg"
    assert said.startswith("Ropivacaine 10 mg (40 % of its maximum), lidocaine 40 mg (40 %) and bupivacaine 10 mg "
                           "(40 %) together reach 120 % of the local anaesthetic maximum for one joint")


def test_one_local_anaesthetic_or_a_steroid_beside_it_is_not_combined():
    # One drug alone is held to its own maximum (joint_dose_problem), not said twice.
    assert together(("lidocaine", "150")) is None
    assert together(("bupivacaine", "20"), ("triamcinolone", "40")) is None
    assert together(("bupivacaine", "20"), ("dexamethasone", "10"), ("lidocaine", "10")) is None
    assert together(("bupivacaine", "20"), ("dexamethasone", "10"), ("lidocaine", "30"))[0] == "rows-2-dose_mg"


def test_a_local_anaesthetic_without_a_maximum_is_left_out_of_the_sum():
    unlimited = replace(FORMULARY["bupivacaine"], usual_max_dose_mg=None)
    assert combined_dose_problem([(FORMULARY["lidocaine"], Decimal("90"), "a"), (unlimited, Decimal("20"), "b")]) \
        is None


def test_drugs_not_measured_in_mg_per_ml_are_not_checked():
    assert strength_problems(FORMULARY["iohexol"], Decimal("3000")) == []
    assert strength_problems(None, Decimal("3")) == []
